"""The event journal: an embedded SQLite database in WAL mode with ``synchronous=FULL``.

:meth:`Journal.append` commits a whole batch in one transaction before it
returns, and with ``synchronous=FULL`` the commit reaches the disk (the WAL
is fsynced), so an event the service has acknowledged survives a crash of
the process or of the machine. Ids are stored as JSON text so integer and
string ids come back with their type.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from longtail.errors import LongtailError

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    batch INTEGER NOT NULL,
    type TEXT NOT NULL,
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    region TEXT,
    query TEXT,
    position INTEGER,
    occurred_at TEXT,
    request_id TEXT
);
CREATE INDEX IF NOT EXISTS events_received_at ON events (received_at);
"""
COLUMNS = ("type", "user_id", "item_id", "region", "query", "position", "occurred_at", "request_id")


class JournalClosed(LongtailError):
    """The journal was closed (the service is shutting down); nothing was stored."""


@dataclass(frozen=True)
class StoredEvent:
    """One journaled event as read back."""

    id: int
    received_at: float
    batch: int
    type: str
    user_id: Any
    item_id: Any
    region: str | None
    query: str | None
    position: int | None
    occurred_at: str | None
    request_id: str | None


class Journal:
    """Append-only event store; thread-safe (one connection behind a lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise LongtailError(f"{self.path}: cannot open the event journal ({exc}); check the path and its permissions") from exc
        if mode.lower() != "wal":
            raise LongtailError(f"{self.path}: SQLite refused WAL mode (got {mode}); put the journal on a local disk")
        self._lock = threading.Lock()
        self._batch = (self._db.execute("SELECT COALESCE(MAX(batch), -1) FROM events").fetchone()[0]) + 1
        self.closed = False

    def append(self, events: list[dict[str, Any]], received_at: float) -> tuple[int, int]:
        """Store a batch (dicts with the keys of :data:`COLUMNS`) durably; returns (first id, last id)."""
        rows = [
            (ev["type"], json.dumps(ev["user_id"]), json.dumps(ev["item_id"]), ev.get("region"),
             ev.get("query"), ev.get("position"), ev.get("occurred_at"), ev.get("request_id"))
            for ev in events
        ]
        with self._lock:
            if self.closed:
                raise JournalClosed(f"{self.path}: the journal is closed (the service is shutting down); retry later")
            batch = self._batch
            stamped = [(received_at, batch, *row) for row in rows]
            self._db.execute("BEGIN IMMEDIATE")
            try:
                first = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0] + 1
                self._db.executemany(
                    f"INSERT INTO events (received_at, batch, {', '.join(COLUMNS)}) VALUES ({', '.join('?' * (len(COLUMNS) + 2))})",
                    stamped,
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._batch += 1
        return first, first + len(rows) - 1

    def count(self) -> int:
        """Number of events stored."""
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM events").fetchone()[0])

    def read(self, since: float | None = None) -> Iterator[StoredEvent]:
        """Stored events in order, those received at or after ``since`` when given."""
        query = "SELECT id, received_at, batch, " + ", ".join(COLUMNS) + " FROM events"
        args: tuple = ()
        if since is not None:
            query, args = query + " WHERE received_at >= ?", (since,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        for row in rows:
            ident, received, batch, kind, user, item, *rest = row
            yield StoredEvent(ident, received, batch, kind, json.loads(user), json.loads(item), *rest)

    def close(self) -> None:
        """Fold the WAL back into the database file and close (idempotent)."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()
