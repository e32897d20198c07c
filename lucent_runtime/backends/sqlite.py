"""The embedded event store: one SQLite file, no server.

One connection, guarded by a lock and used from worker threads, so the event loop never
blocks on disk. Appends that arrive while a write is in progress wait and are then written
together in one ``BEGIN IMMEDIATE`` transaction: one thread hop and one commit for many
appends, and no append returns before the transaction holding it is committed. A refused
append does not undo the others (one of several events runs in its own savepoint). Event
data is encoded to JSON on the event loop, so the worker spends its time in SQLite, which
releases the GIL. The version check and the inserts are atomic, also against other
processes sharing the file. Versions are dense per stream from 1
(``UNIQUE(stream_id, version)``); event ids are unique, so a retried append returns the
stored events instead of writing them twice. A failing disk (full, read-only) is an
:class:`EventStoreError`; nothing of the failed transaction is stored.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from .._errors import ConcurrencyError, ConfigurationError, EventStoreError, LucentError
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
_INSERT = (
    "INSERT INTO events (event_id, stream_id, version, type, data, timestamp, metadata) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_CURRENT_VERSION = "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?"

#: an event to insert with its data and metadata as JSON
_Row = tuple[NewEvent, str, str]
_Append = tuple[str, list[_Row], "int | None", "asyncio.Future[list[int | DomainEvent]]"]


def _store_error(err: BaseException, path: Path) -> BaseException:
    """What the appends of a failed transaction raise: an :class:`EventStoreError` for a
    SQLite failure (disk full, I/O error), the error itself otherwise."""
    if isinstance(err, sqlite3.Error):
        store_error = EventStoreError(
            f"the event store at {path} failed, nothing was stored: {type(err).__name__}: {err}"
        )
        store_error.__cause__ = err
        return store_error
    return err


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
        self._pending: list[_Append] = []
        self._writing = False

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None = None,
    ) -> list[DomainEvent]:
        events = list(events)
        if not events:
            return []
        # encoded here, on the event loop: the worker thread then spends its time in
        # SQLite, which releases the GIL, instead of contending for it with the loop
        rows = [
            (new, json.dumps(new.data, default=str), json.dumps(new.metadata, default=str))
            for new in events
        ]
        future = asyncio.get_running_loop().create_future()
        self._pending.append((stream_id, rows, expected_version, future))
        if not self._writing:
            self._writing = True
            asyncio.get_running_loop().create_task(self._write_pending())
        outcome = await future
        return [
            DomainEvent.stored(new, stream_id, stored) if isinstance(stored, int) else stored
            for new, stored in zip(events, outcome, strict=True)
        ]

    async def _write_pending(self) -> None:
        """Write the waiting appends, batch after batch, until none are left."""
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    outcomes = await asyncio.to_thread(self._append_batch, batch)
                except BaseException as err:  # the whole transaction failed: nothing stored
                    error = _store_error(err, self.path)
                    outcomes = [error] * len(batch)
                for (*_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._writing = False

    async def read_stream(self, stream_id: str) -> list[DomainEvent]:
        return await asyncio.to_thread(self._read_stream, stream_id)

    async def close(self) -> None:
        await asyncio.to_thread(self._close)

    # -- in a worker thread -------------------------------------------------------------
    def _append_batch(self, batch: list[_Append]) -> list[list[int | DomainEvent] | BaseException]:
        with self._lock:
            self._check_open()
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                outcomes: list[list[int | DomainEvent] | BaseException] = []
                for stream_id, rows, expected_version, _ in batch:
                    # an append of one event writes nothing before it can fail, so only
                    # longer ones need a savepoint to be undone on their own
                    several = len(rows) > 1
                    if several:
                        db.execute("SAVEPOINT append")
                    try:
                        outcomes.append(self._append(db, stream_id, rows, expected_version))
                    except (LucentError, ValueError) as err:
                        if several:
                            db.execute("ROLLBACK TO append")
                        outcomes.append(err)
                    if several:
                        db.execute("RELEASE append")
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            return outcomes

    def _append(
        self,
        db: sqlite3.Connection,
        stream_id: str,
        rows: list[_Row],
        expected_version: int | None,
    ) -> list[int | DomainEvent]:
        """Per event its new version, or the stored event when it was there already."""
        ids = [new.event_id for new, _, _ in rows]
        if len(set(ids)) != len(ids):
            raise ValueError(f"append to {stream_id!r} holds the same event id twice")
        (current,) = db.execute(_CURRENT_VERSION, (stream_id,)).fetchone()
        if expected_version is not None and expected_version != current:
            stored = self._stored(db, stream_id, ids)
            if len(stored) == len(ids):
                return [stored[i] for i in ids]  # a retry of an append that succeeded
            raise ConcurrencyError(stream_id, expected_version, current)
        out: list[int | DomainEvent] = []
        for new, data, metadata in rows:
            try:
                db.execute(
                    _INSERT,
                    (new.event_id, stream_id, current + 1, new.type, data, new.timestamp, metadata),
                )
            except sqlite3.IntegrityError:
                # the event id is stored already: a retry
                (earlier,) = self._stored(db, stream_id, [new.event_id]).values()
                out.append(earlier)
                continue
            current += 1
            out.append(current)
        return out

    def _stored(
        self, db: sqlite3.Connection, stream_id: str, event_ids: list[str]
    ) -> dict[str, DomainEvent]:
        """The stored events among ``event_ids``; an error when one is in another stream."""
        marks = ", ".join("?" for _ in event_ids)
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM events WHERE event_id IN ({marks})", event_ids
        ).fetchall()
        stored = {row[0]: _event(row) for row in rows}
        for event_id, event in stored.items():
            if event.stream_id != stream_id:
                raise LucentError(
                    f"event id {event_id!r} is already stored in stream {event.stream_id!r}"
                )
        return stored

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
