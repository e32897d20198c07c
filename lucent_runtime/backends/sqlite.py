"""The embedded event store: one SQLite file, no server.

One connection, guarded by a lock and used from worker threads, so the event loop never
blocks on disk. Every append is one ``BEGIN IMMEDIATE`` transaction: the version check and
the inserts are atomic, also against other processes sharing the file. Versions are dense
per stream from 1 (``UNIQUE(stream_id, version)``); event ids are unique, so a retried
append returns the stored events instead of writing them twice.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from .._errors import ConcurrencyError, ConfigurationError, LucentError
from .._events import DomainEvent, NewEvent
from .base import EventStore

__all__ = ["SqliteEventStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position   INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE,
    stream_id  TEXT NOT NULL,
    version    INTEGER NOT NULL,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL,
    metadata   TEXT NOT NULL,
    timestamp  TEXT NOT NULL,
    UNIQUE (stream_id, version)
);
"""

_COLUMNS = "event_id, stream_id, version, type, data, timestamp, metadata"


class SqliteEventStore(EventStore):
    """Event streams in the SQLite file ``path`` (created with its directory)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30.0
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as err:
            raise ConfigurationError(f"cannot open the event store at {self.path}: {err}") from err
        self._lock = threading.Lock()
        self._closed = False

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None = None,
    ) -> list[DomainEvent]:
        return await asyncio.to_thread(self._append, stream_id, list(events), expected_version)

    async def read_stream(self, stream_id: str) -> list[DomainEvent]:
        return await asyncio.to_thread(self._read_stream, stream_id)

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    # -- in a worker thread -------------------------------------------------------------
    def _append(
        self, stream_id: str, events: list[NewEvent], expected_version: int | None
    ) -> list[DomainEvent]:
        with self._lock:
            self._check_open()
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                stored = self._stored(db, [e.event_id for e in events])
                for event_id, event in stored.items():
                    if event.stream_id != stream_id:
                        raise LucentError(
                            f"event id {event_id!r} is already stored in stream {event.stream_id!r}"
                        )
                fresh = [e for e in events if e.event_id not in stored]
                (current,) = db.execute(
                    "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?",
                    (stream_id,),
                ).fetchone()
                if fresh and expected_version is not None and expected_version != current:
                    raise ConcurrencyError(stream_id, expected_version, current)
                for offset, new in enumerate(fresh, start=1):
                    event = DomainEvent.stored(new, stream_id, current + offset)
                    db.execute(
                        f"INSERT INTO events ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            event.event_id,
                            stream_id,
                            event.version,
                            event.type,
                            json.dumps(new.data, default=str),
                            event.timestamp,
                            json.dumps(new.metadata, default=str),
                        ),
                    )
                    stored[event.event_id] = event
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return [stored[e.event_id] for e in events]

    def _stored(self, db: sqlite3.Connection, event_ids: list[str]) -> dict[str, DomainEvent]:
        if not event_ids:
            return {}
        marks = ", ".join("?" for _ in event_ids)
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM events WHERE event_id IN ({marks})", event_ids
        ).fetchall()
        return {row[0]: _event(row) for row in rows}

    def _read_stream(self, stream_id: str) -> list[DomainEvent]:
        with self._lock:
            self._check_open()
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM events WHERE stream_id = ? ORDER BY version",
                (stream_id,),
            ).fetchall()
        return [_event(row) for row in rows]

    def _check_open(self) -> None:
        if self._closed:
            raise LucentError(f"the event store at {self.path} is closed")

    def _close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()


def _event(row: tuple) -> DomainEvent:
    event_id, stream_id, version, type_, data, timestamp, metadata = row
    return DomainEvent(
        event_id, stream_id, version, type_, json.loads(data), timestamp, json.loads(metadata)
    )
