"""The SQLite event journal: WAL + synchronous=FULL, round trip of id types, batches, reopen, close."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from longtail.errors import LongtailError
from longtail.serve.journal import Journal

EVENT = {"type": "click", "user_id": 1, "item_id": "sku-1", "region": "GB", "query": "lamp", "position": 3,
         "occurred_at": "2024-01-01T00:00:00+00:00", "request_id": "r"}


def test_pragmas_are_wal_and_full(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    mode = journal._db.execute("PRAGMA journal_mode").fetchone()[0]
    synchronous = journal._db.execute("PRAGMA synchronous").fetchone()[0]
    assert mode == "wal" and synchronous == 2  # 2 = FULL
    journal.close()


def test_round_trip_keeps_id_types_and_fields(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    first, last = journal.append([EVENT, {**EVENT, "user_id": "u-2", "item_id": 7, "region": None}], received_at=12.5)
    assert (first, last) == (1, 2)
    stored = list(journal.read())
    assert [(e.user_id, e.item_id) for e in stored] == [(1, "sku-1"), ("u-2", 7)]
    assert stored[0].region == "GB" and stored[1].region is None and stored[0].position == 3
    assert stored[0].received_at == 12.5 and stored[0].batch == stored[1].batch == 0
    journal.close()


def test_batches_read_since_and_reopen(tmp_path):
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    journal.append([EVENT], received_at=1.0)
    journal.append([EVENT, EVENT], received_at=2.0)
    assert [e.batch for e in journal.read()] == [0, 1, 1]
    assert [e.id for e in journal.read(since=2.0)] == [2, 3]
    journal.close()
    again = Journal(path)
    assert again.count() == 3
    assert again.append([EVENT], received_at=3.0) == (4, 4)
    assert [e.batch for e in again.read(since=3.0)] == [2]
    again.close()


def test_acknowledged_events_are_visible_to_another_connection_without_close(tmp_path):
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    journal.append([EVENT] * 3, received_at=1.0)
    # a separate connection (as after a crash) sees the committed rows from the WAL
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM events").fetchone()[0] == 3
    journal.close()


def test_concurrent_appends_get_distinct_ids(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    ranges = []

    def worker():
        for _ in range(20):
            ranges.append(journal.append([EVENT, EVENT], received_at=1.0))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = sorted(i for first, last in ranges for i in range(first, last + 1))
    assert ids == list(range(1, 161)) and journal.count() == 160
    journal.close()


def test_close_checkpoints_and_refuses_more(tmp_path):
    path = tmp_path / "j.sqlite"
    journal = Journal(path)
    journal.append([EVENT], received_at=1.0)
    journal.close()
    journal.close()  # idempotent
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with pytest.raises(LongtailError, match="closed"):
        journal.append([EVENT], received_at=2.0)


def test_unopenable_path(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LongtailError, match="cannot open the event journal"):
        Journal(blocker / "j.sqlite")
