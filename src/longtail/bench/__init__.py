"""Benchmark: spec, runner, result store, statistics, leaderboard and report (layer 3)."""
