"""The result store: atomic files, finished trials, consolidation, the folder lock."""

from __future__ import annotations

import os
import subprocess
import sys

import polars as pl
import pytest

from longtail.bench.store import ROW_SCHEMA, ResultStore, tidy_rows, write_atomic
from longtail.errors import LongtailError

META = {"version": "0.1.0", "spec_hash": "abc", "device": "cpu", "wall_time": 1.5}


def labels(strategy="baseline", seed=0):
    return {"dataset": "synthetic", "task": "ctr", "model": "fm", "strategy": strategy, "seed": seed,
            "trial_id": f"{strategy}-{seed}"}


def test_tidy_rows_puts_labels_and_meta_on_every_row():
    frame = tidy_rows(labels(), [("auc", "all", "all", 0.7), ("recall", "popularity", "tail", 0.2)], META)
    assert frame.schema == pl.Schema(ROW_SCHEMA)
    assert frame.height == 2
    assert frame.get_column("metric").to_list() == ["auc", "recall"]
    assert frame.get_column("group").to_list() == ["all", "tail"]
    assert frame.get_column("wall_time").to_list() == [1.5, 1.5]
    assert set(frame.get_column("spec_hash")) == {"abc"}
    assert tidy_rows(labels(), [], META).height == 0


def test_rows_and_errors_are_written_whole(tmp_path):
    store = ResultStore(tmp_path / "out")
    store.write_error("t1", {"trial_id": "t1", "traceback": "boom"})
    assert store.errors() == [{"trial_id": "t1", "traceback": "boom"}]
    assert store.finished() == set()
    store.write_rows("t1", tidy_rows(labels(), [("auc", "all", "all", 0.7)], META))
    assert store.finished() == {"t1"}
    assert store.errors() == []  # a trial that succeeds on a re-run drops its old error
    assert not [p for p in (tmp_path / "out").rglob("*") if p.name.startswith(".")]
    assert pl.read_parquet(store.rows_dir / "t1.parquet").get_column("value").to_list() == [0.7]


def test_a_failed_write_leaves_neither_file_nor_temporary(tmp_path):
    target = tmp_path / "x.parquet"

    def half_write(tmp):
        tmp.write_bytes(b"partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, half_write)
    assert list(tmp_path.iterdir()) == []


def test_consolidate_sorts_and_filters(tmp_path):
    store = ResultStore(tmp_path)
    store.write_rows("b", tidy_rows(labels("focal", 1), [("auc", "all", "all", 0.6), ("recall", "region", "EU", 0.3)], META))
    store.write_rows("a", tidy_rows(labels("baseline", 0), [("recall", "popularity", "tail", 0.1), ("auc", "all", "all", 0.5)], META))
    everything = pl.read_parquet(store.consolidate())
    assert everything.select("strategy", "metric", "group").rows() == [
        ("baseline", "auc", "all"), ("baseline", "recall", "tail"), ("focal", "auc", "all"), ("focal", "recall", "EU"),
    ]
    assert set(store.rows(trial_ids={"b"}).get_column("strategy")) == {"focal"}  # rows/<trial_id>.parquet only
    only_auc = pl.read_parquet(store.consolidate(metrics=["auc"]))
    assert set(only_auc.get_column("metric")) == {"auc"} and only_auc.height == 2
    assert set(pl.read_parquet(store.consolidate(trial_ids={"baseline-0"})).get_column("strategy")) == {"baseline"}
    popularity = pl.read_parquet(store.consolidate(group_dims=["popularity"]))
    assert set(popularity.get_column("group_dim")) == {"all", "popularity"}
    assert pl.read_parquet(ResultStore(tmp_path / "empty").consolidate()).schema == pl.Schema(ROW_SCHEMA)


def test_lock_refuses_a_live_owner_and_takes_over_a_dead_one(tmp_path):
    store = ResultStore(tmp_path)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / ".lock").write_text(str(other.pid))
        with pytest.raises(LongtailError, match=f"another run \\(process {other.pid}\\)"), store.lock():
            pass
    finally:
        other.kill()
        other.wait()
    (tmp_path / "rows" / ".t9.parquet.0123.tmp").write_bytes(b"half")
    with store.lock():  # the owner is gone: the lock is stale
        assert (tmp_path / ".lock").read_text() == str(os.getpid())
        assert not (tmp_path / "rows" / ".t9.parquet.0123.tmp").exists()
    assert not (tmp_path / ".lock").exists()


def test_a_file_is_not_a_results_folder(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(LongtailError, match="is a file"):
        ResultStore(tmp_path / "f")


def test_profiles_spec_and_skipped(tmp_path):
    store = ResultStore(tmp_path)
    store.write_profile("synthetic", {"n_items": 3})
    store.write_spec("tasks: [ctr]\n")
    store.write_skipped([{"dataset": "synthetic", "task": "ctr", "strategy": "logq", "reason": "r"}])
    assert store.profile_path("synthetic").read_text().startswith("{")
    assert (tmp_path / "spec.yaml").read_text() == "tasks: [ctr]\n"
    assert "logq" in (tmp_path / "skipped.json").read_text()
