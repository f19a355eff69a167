"""``longtail bench`` end to end on the fake tasks of tests/bench, including kills mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from longtail.cli.main import app

FAKES = Path(__file__).parents[1] / "bench"
SPEC = textwrap.dedent("""
    datasets:
      - name: synthetic
        params: {n_users: 60, n_items: 80, n_events: 800, n_queries: 5}
    tasks:
      - name: bench_fakes:MULTI
        models: [MODEL]
        model_params: {slow: {sleep: 0.4}}
    strategies: [baseline, focal, weighted-ce, random-over]
    seeds: SEEDS
    encoder: {enabled: false}
    device: cpu
""")


@pytest.fixture
def fakes_on_path(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(FAKES))
    monkeypatch.setenv("LONGTAIL_FAKE_LOG", str(tmp_path / "calls.log"))
    return tmp_path / "calls.log"


def write_spec(folder: Path, model: str = "popular", seeds: str = "[0]") -> Path:
    path = folder / "tiny.yaml"
    path.write_text(SPEC.replace("MODEL", model).replace("SEEDS", seeds))
    return path


def invoke(*args: str):
    return CliRunner().invoke(app, ["bench", *args])


def test_bench_runs_a_spec_resumes_and_says_where_results_are(tmp_path, fakes_on_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    first = invoke(str(spec), "--out", str(out), "--executor", "inline", "-v")
    assert first.exit_code == 0, first.output
    assert "done   synthetic/bench_fakes:MULTI/popular/focal seed 0  hit_rate" in first.output
    assert "4 trials done, 0 skipped, 0 failed" in first.output and str(out) in first.output
    assert pl.read_parquet(out / "results.parquet").select("trial_id").n_unique() == 4
    board = pl.read_csv(out / "leaderboard.csv")
    assert {"dataset", "task", "model", "strategy", "metric", "mean", "ci_low", "ci_high", "p_value"} <= set(board.columns)
    assert set(board.get_column("strategy")) == {"baseline", "focal", "weighted-ce", "random-over"}
    assert f"report: {out / 'report.html'}" in first.output and (out / "report.html").is_file()
    assert "bench_fakes:MULTI" in first.output  # the leaderboard was printed
    again = invoke(str(spec), "--out", str(out), "--executor", "inline")
    assert again.exit_code == 0, again.output
    assert "0 trials done, 4 already done" in again.output


def test_default_folder_is_named_after_time_and_spec(tmp_path, fakes_on_path, monkeypatch):
    spec = write_spec(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = invoke(str(spec), "--executor", "inline")
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.endswith("-tiny") and (folder / "results.parquet").is_file()


def test_failed_trials_are_reported_with_their_error_file(tmp_path, fakes_on_path):
    spec = write_spec(tmp_path, model="boom")
    result = invoke(str(spec), "--out", str(tmp_path / "out"), "--executor", "inline")
    assert result.exit_code == 0, result.output
    assert "failed synthetic/bench_fakes:MULTI/boom/baseline seed 0: RuntimeError: boom cannot fit" in result.output
    assert "0 trials done, 0 skipped, 4 failed" in result.output
    assert len(list((tmp_path / "out" / "errors").glob("*.json"))) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executor", "spark"], "error: --executor: 'spark' is not one of local, ray, inline"),
        (["--address", "auto"], "error: --address is for --executor ray"),
        (["--executor", "inline", "--out", "BAD"], "error: "),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(tmp_path, fakes_on_path, args, message):
    spec = write_spec(tmp_path)
    if "BAD" in args:
        spec.write_text(spec.read_text().replace("seeds: [0]", "seeds: [0]\nmetric: [auc]"))
        args = [a.replace("BAD", str(tmp_path / "out")) for a in args]
        line = spec.read_text().splitlines().index("metric: [auc]") + 1
        message = f"error: {spec}:{line}: metric: unknown key 'metric'; allowed keys: name, datasets"
    result = invoke(str(spec), *args)
    assert result.exit_code == 2
    assert result.output.strip().startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_threads_below_one_are_refused(tmp_path, fakes_on_path):
    result = invoke(str(write_spec(tmp_path)), "--threads", "0", "--executor", "inline")
    assert result.exit_code == 2 and "--threads" in result.output
    assert not (tmp_path / "runs").exists()


def test_missing_spec_file(tmp_path):
    result = invoke(str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2 and "no such spec file" in result.output


def _wait_for_rows(folder: Path, count: int, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list((folder / "rows").glob("*.parquet"))) >= count:
            return
        if process.poll() is not None:
            pytest.fail(f"the run ended early: {process.stdout.read()}")
        time.sleep(0.05)
    pytest.fail("no trial finished in time")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_a_killed_run_loses_nothing_and_repeats_nothing(tmp_path, sig):
    spec = write_spec(tmp_path, model="slow", seeds="[0, 1, 2]")
    out, calls = tmp_path / "out", tmp_path / "calls.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FAKES), os.environ.get("PYTHONPATH", "")]),
           "LONGTAIL_FAKE_LOG": str(calls)}
    command = [sys.executable, "-m", "longtail.cli.main", "bench", str(spec), "--out", str(out), "-j", "2"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    _wait_for_rows(out, 3, process)
    process.send_signal(sig)
    output = process.communicate(timeout=60)[0]
    finished = {p.stem for p in (out / "rows").glob("*.parquet")}
    assert 3 <= len(finished) < 12
    if sig == signal.SIGINT:
        assert process.returncode == 130 and "to resume" in output
        assert set(pl.read_parquet(out / "results.parquet").get_column("trial_id")) == finished
    else:
        assert process.returncode == -signal.SIGKILL
    for path in (out / "rows").glob("*.parquet"):  # every stored file is whole
        assert pl.read_parquet(path).height == 4

    again = subprocess.run([*command, "--executor", "inline"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert f"{12 - len(finished)} trials done, {len(finished)} already done" in again.stderr
    frame = pl.read_parquet(out / "results.parquet")
    assert frame.height == 12 * 4 and frame.select("trial_id").n_unique() == 12
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporary files, no lock
    # trials stored before the kill never ran again
    stored_before = {tuple(pl.read_parquet(out / "rows" / f"{trial}.parquet").row(0)[3:5]) for trial in finished}
    runs = Counter((parts[3], int(parts[4])) for parts in (p.split() for p in calls.read_text().splitlines()) if parts[0] == "run")
    assert all(runs[key] == 1 for key in stored_before)
    assert set(runs) == {(s, k) for s in ("baseline", "focal", "weighted-ce", "random-over") for k in (0, 1, 2)}
