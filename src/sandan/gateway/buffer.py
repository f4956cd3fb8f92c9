"""The store-and-forward queue: a local SQLite file every reading enters before it is sent.

Durability: WAL journal with ``synchronous=FULL``, so a committed insert has reached the disk
before :meth:`Buffer.add` returns, and a power cut or ``kill -9`` loses nothing committed.
Idempotence: ``UNIQUE(point, ts)`` — a re-poll of the same slot, or a CSV file read again after a
crash between buffering and moving it, adds nothing.  Rows are deleted only by :meth:`Buffer.ack`,
which the forwarder calls after the platform acknowledged them; a crash between the platform's
answer and the delete means a resend, which the platform answers with ``duplicate``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sandan.gateway.records import Reading, utc_now

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    point TEXT NOT NULL,
    ts TEXT NOT NULL,
    value REAL NOT NULL,
    unit TEXT,
    queued_at TEXT NOT NULL,
    UNIQUE (point, ts)
);
CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Queued:
    id: int
    reading: Reading


@dataclass(frozen=True)
class Status:
    backlog: int
    oldest_ts: datetime | None
    oldest_queued_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    sent_total: int
    blocked: str | None

    def to_dict(self) -> dict[str, Any]:
        return {key: value.isoformat() if isinstance(value, datetime) else value
                for key, value in self.__dict__.items()}


def _ts_text(ts: datetime) -> str:
    # Fixed-width UTC text sorts in time order and compares equal for equal instants.
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class Buffer:
    """The queue file.  One writer process (the gateway); ``status`` may read it at the same time."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self.path = path
        if readonly:
            self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10, isolation_level=None)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def add(self, readings: Iterable[Reading]) -> int:
        """Queue readings in one transaction; returns how many were new."""
        now = _ts_text(utc_now())
        rows = [(r.point, _ts_text(r.ts), r.value, r.unit, now) for r in readings]
        if not rows:
            return 0
        with self._transaction():
            before = self._conn.total_changes
            self._conn.executemany(
                "INSERT OR IGNORE INTO queue (point, ts, value, unit, queued_at) VALUES (?, ?, ?, ?, ?)", rows)
            return self._conn.total_changes - before

    def peek(self, limit: int) -> list[Queued]:
        """The oldest queued readings, in queue order, without removing them."""
        rows = self._conn.execute(
            "SELECT id, point, ts, value, unit FROM queue ORDER BY id LIMIT ?", (limit,)).fetchall()
        return [Queued(row[0], Reading(row[1], datetime.fromisoformat(row[2]), row[3], row[4])) for row in rows]

    def ack(self, ids: Sequence[int]) -> None:
        """Delete readings the platform acknowledged, and note the success."""
        with self._transaction():
            self._conn.executemany("DELETE FROM queue WHERE id = ?", [(i,) for i in ids])
            self._set("last_success_at", _ts_text(utc_now()))
            self._conn.execute(
                "INSERT INTO state (key, value) VALUES ('sent_total', ?) ON CONFLICT (key) "
                "DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value", (str(len(ids)),))
            self._conn.execute("DELETE FROM state WHERE key = 'blocked'")

    def note_error(self, message: str, *, blocked: bool = False) -> None:
        with self._transaction():
            self._set("last_error", message)
            self._set("last_error_at", _ts_text(utc_now()))
            if blocked:
                self._set("blocked", message)

    def clear_block(self) -> None:
        with self._transaction():
            self._conn.execute("DELETE FROM state WHERE key = 'blocked'")

    def backlog(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM queue").fetchone()[0])

    def status(self) -> Status:
        backlog, oldest_ts, oldest_queued = self._conn.execute(
            "SELECT count(*), min(ts), min(queued_at) FROM queue").fetchone()
        state = dict(self._conn.execute("SELECT key, value FROM state").fetchall())

        def when(text: str | None) -> datetime | None:
            return datetime.fromisoformat(text) if text else None

        return Status(backlog=int(backlog), oldest_ts=when(oldest_ts), oldest_queued_at=when(oldest_queued),
                      last_success_at=when(state.get("last_success_at")), last_error=state.get("last_error"),
                      last_error_at=when(state.get("last_error_at")), sent_total=int(state.get("sent_total", 0)),
                      blocked=state.get("blocked"))

    def _set(self, key: str, value: str) -> None:
        self._conn.execute("INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) "
                           "DO UPDATE SET value = excluded.value", (key, value))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *_: object) -> None:
        self._conn.execute("ROLLBACK" if kind is not None else "COMMIT")
