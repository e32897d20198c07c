"""The embedded event store: one SQLite file, no server.

Appends are written on the event loop, where they arrive: the appends made while the loop
runs its current callbacks are written together, in the next loop iteration, as one
``BEGIN IMMEDIATE`` transaction, and none returns before the transaction holding it is
committed. So concurrent publishers cost one commit, and no append waits for a thread
hop (which on a busy machine costs more than the insert). A refused append does not undo
the others (one of several events runs in its own savepoint). The version check and the
inserts are atomic, also against other processes sharing the file: when one of them holds
the write lock, the loop does not wait for it; that batch goes to a worker thread, which
waits there (up to 30 s). Reads run in a worker thread too, on a connection of their own,
and so do the checkpoints that copy the write-ahead log into the database file (the only
writes that sync to disk), once the log is over 4 MB.
Versions are dense per stream from 1 (``UNIQUE(stream_id, version)``); event ids are
unique, so a retried append returns the stored events instead of writing them twice. A
failing disk (full, read-only) is an :class:`EventStoreError`; nothing of the failed
transaction is stored. Durability is SQLite's WAL with ``synchronous=NORMAL``: a
committed append survives the process, the WAL is synced at checkpoints.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from .._errors import ConcurrencyError, ConfigurationError, EventStoreError, LucentError
from .._events import DomainEvent, NewEvent, compact_json, metadata_json
from .base import EventStore, check_stream_id

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
_Outcome = list["int | DomainEvent"] | BaseException

#: how long a worker thread waits for another process's write lock (seconds)
_LOCK_TIMEOUT = 30.0
#: the write-ahead log is checkpointed (in a worker thread) once it is over this size,
#: SQLite's own default (1,000 pages of 4 KB); its size is looked at every so many commits
_CHECKPOINT_BYTES = 4_096_000
_CHECKPOINT_CHECK_EVERY = 32


class _LockedError(Exception):
    """Another connection holds the write lock: nothing was written."""


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


def _connect(path: Path, timeout: float) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=timeout)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class SqliteEventStore(EventStore):
    """Event streams in the SQLite file ``path`` (created with its directory)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # the event loop's connection never waits for a lock (timeout 0), nor
            # checkpoints (which syncs to disk); the worker threads' one does both, under
            # ``_lock``
            self._db = _connect(self.path, 0.0)
            self._db.execute("PRAGMA wal_autocheckpoint=0")
            self._db.executescript(_SCHEMA)
            self._worker_db = _connect(self.path, _LOCK_TIMEOUT)
        except (OSError, sqlite3.Error) as err:
            raise ConfigurationError(f"cannot open the event store at {self.path}: {err}") from err
        self._lock = threading.Lock()
        self._closed = False
        self._pending: list[_Append] = []
        self._scheduled = False
        self._in_threads: set[asyncio.Task[None]] = set()
        self._wal = Path(f"{self.path}-wal")
        self._commits = 0
        self._checkpointing = False

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None = None,
    ) -> list[DomainEvent]:
        check_stream_id(stream_id)
        events = list(events)
        if not events:
            return []
        rows = [(new, compact_json(new.data), metadata_json(new.metadata)) for new in events]
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((stream_id, rows, expected_version, future))
        if not self._scheduled:
            # after the callbacks of this loop iteration: their appends join the batch
            self._scheduled = True
            loop.call_soon(self._write_pending)
        outcome = await future
        return [
            DomainEvent.stored(new, stream_id, stored) if isinstance(stored, int) else stored
            for new, stored in zip(events, outcome, strict=True)
        ]

    def _write_pending(self) -> None:
        """Write the waiting appends as one transaction, on the event loop; when another
        connection holds the write lock, in a worker thread that waits for it."""
        self._scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            self._check_open()
            outcomes = self._append_batch(self._db, batch)
        except _LockedError:
            self._in_thread(self._write_in_thread(batch))
            return
        except BaseException as err:  # the whole transaction failed: nothing stored
            outcomes = [_store_error(err, self.path)] * len(batch)
        _settle(batch, outcomes)
        self._commits += 1
        if self._commits % _CHECKPOINT_CHECK_EVERY == 0 and not self._checkpointing:
            try:
                grown = self._wal.stat().st_size > _CHECKPOINT_BYTES
            except OSError:
                grown = False
            if grown:
                self._checkpointing = True
                self._in_thread(self._checkpoint())

    def _in_thread(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._in_threads.add(task)  # a reference until it is done
        task.add_done_callback(self._in_threads.discard)

    async def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it, in a worker
        thread. Meanwhile the log is locked for writing: appends wait in a thread too."""
        try:
            await asyncio.to_thread(self._checkpoint_waiting)
        except (sqlite3.Error, LucentError):
            pass  # a later one catches up (and SQLite's own at the last close)
        finally:
            self._checkpointing = False

    async def _write_in_thread(self, batch: list[_Append]) -> None:
        try:
            outcomes = await asyncio.to_thread(self._append_batch_waiting, batch)
        except BaseException as err:  # the whole transaction failed: nothing stored
            outcomes = [_store_error(err, self.path)] * len(batch)
        _settle(batch, outcomes)

    async def read_stream(self, stream_id: str) -> list[DomainEvent]:
        return await asyncio.to_thread(self._read_stream, check_stream_id(stream_id))

    async def close(self) -> None:
        if not self._closed:
            self._closed = True  # appends still waiting fail: the store is closed
            self._db.close()
            await asyncio.to_thread(self._close_worker)

    def _append_batch(self, db: sqlite3.Connection, batch: list[_Append]) -> list[_Outcome]:
        """One transaction holding every append of ``batch``: per append its outcome."""
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            if err.sqlite_errorcode == sqlite3.SQLITE_BUSY:
                raise _LockedError from err
            raise
        try:
            outcomes: list[_Outcome] = []
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

    # -- in a worker thread -------------------------------------------------------------
    def _append_batch_waiting(self, batch: list[_Append]) -> list[_Outcome]:
        with self._lock:
            self._check_open()
            try:
                return self._append_batch(self._worker_db, batch)
            except _LockedError as err:  # still locked after the timeout
                assert err.__cause__ is not None
                raise err.__cause__ from None

    def _checkpoint_waiting(self) -> None:
        with self._lock:
            self._check_open()
            self._worker_db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _read_stream(self, stream_id: str) -> list[DomainEvent]:
        with self._lock:
            self._check_open()
            rows = self._worker_db.execute(
                f"SELECT {_COLUMNS} FROM events WHERE stream_id = ? ORDER BY version",
                (stream_id,),
            ).fetchall()
        return [_event(row) for row in rows]

    def _check_open(self) -> None:
        if self._closed:
            raise LucentError(f"the event store at {self.path} is closed")

    def _close_worker(self) -> None:
        with self._lock:  # after the worker's transaction in progress, if any
            self._worker_db.close()


def _settle(batch: list[_Append], outcomes: list[_Outcome]) -> None:
    """Hand each append of ``batch`` its outcome (a caller that gave up is skipped)."""
    for (*_, future), outcome in zip(batch, outcomes, strict=True):
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


def _event(row: tuple) -> DomainEvent:
    event_id, stream_id, version, type_, data, timestamp, metadata = row
    return DomainEvent(
        event_id, stream_id, version, type_, json.loads(data), timestamp, json.loads(metadata)
    )
