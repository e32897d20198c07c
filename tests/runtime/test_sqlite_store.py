"""What only the embedded SQLite event store has to show (the contract suite covers what
every store does): persistence, other processes on the same file, batched transactions,
a full disk."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from pathlib import Path

import pytest

from lucent_runtime import ConcurrencyError
from lucent_runtime._errors import EventStoreError
from lucent_runtime._events import NewEvent
from lucent_runtime.backends.sqlite import SqliteEventStore


def new(event_type: str = "TradeExecuted", **data: object) -> NewEvent:
    return NewEvent(str(uuid.uuid4()), event_type, dict(data), {"correlation_id": "c-1"})


async def test_concurrent_appends_share_one_transaction(tmp_path: Path):
    store = SqliteEventStore(tmp_path / "events.sqlite3")
    commits: list[str] = []
    store._db.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    stale = new()
    await store.append("trade-b0", [new()])
    results = await asyncio.gather(
        *(store.append(f"trade-b{i % 5}", [new(i=i)]) for i in range(1, 50)),
        store.append("trade-b0", [stale], expected_version=0),
        return_exceptions=True,
    )
    # the refused append is undone on its own; the others are all stored
    assert isinstance(results[-1], ConcurrencyError)
    assert all(isinstance(r, list) for r in results[:-1])
    assert len(commits) < 10, commits
    assert sum([len(await store.read_stream(f"trade-b{i}")) for i in range(5)]) == 50
    assert stale.event_id not in {e.event_id for e in await store.read_stream("trade-b0")}
    await store.close()


async def test_a_full_disk_is_an_event_store_error_and_stores_nothing(tmp_path: Path):
    store = SqliteEventStore(tmp_path / "events.sqlite3")
    await store.append("trade-f", [new()])
    (pages,) = store._db.execute("PRAGMA page_count").fetchone()
    store._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own 'disk full'
    with pytest.raises(EventStoreError, match="nothing was stored") as caught:
        await asyncio.gather(*(store.append("trade-f", [new(blob="x" * 5000)]) for _ in range(3)))
    assert caught.value.may_be_stored is False
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert [e.version for e in await store.read_stream("trade-f")] == [1]
    store._db.execute("PRAGMA max_page_count = 1073741823")
    (again,) = await store.append("trade-f", [new()], expected_version=1)
    assert again.version == 2
    await store.close()


async def test_a_write_lock_held_elsewhere_is_waited_for_off_the_event_loop(tmp_path: Path):
    path = tmp_path / "events.sqlite3"
    store = SqliteEventStore(path)
    await store.append("trade-l", [new()])
    other = sqlite3.connect(path, isolation_level=None)  # another process, say
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    appending = asyncio.create_task(store.append("trade-l", [new()], expected_version=1))
    await asyncio.sleep(0.3)
    assert not appending.done()  # waiting for the lock, in a worker thread...
    assert ticks >= 10  # ...while the event loop runs on
    other.execute("COMMIT")
    (stored,) = await asyncio.wait_for(appending, 10)
    assert stored.version == 2
    ticking.cancel()
    other.close()
    assert [e.version for e in await store.read_stream("trade-l")] == [1, 2]
    await store.close()


async def test_the_write_ahead_log_is_checkpointed_in_a_worker_thread(tmp_path: Path, monkeypatch):
    from lucent_runtime.backends import sqlite

    monkeypatch.setattr(sqlite, "_CHECKPOINT_CHECK_EVERY", 4)

    async def wal_after_appends(name: str, threshold: int) -> tuple[int, list[str]]:
        monkeypatch.setattr(sqlite, "_CHECKPOINT_BYTES", threshold)
        store = SqliteEventStore(tmp_path / name)
        checkpoints: list[str] = []
        store._worker_db.set_trace_callback(
            lambda sql: checkpoints.append(sql) if "wal_checkpoint" in sql else None
        )
        for round_ in range(40):
            await asyncio.gather(*(store.append(f"trade-w{i}", [new(r=round_)]) for i in range(8)))
        while store._in_threads:  # a checkpoint in progress, and appends waiting for it
            await asyncio.gather(*store._in_threads)
        assert [len(await store.read_stream(f"trade-w{i}")) for i in range(8)] == [40] * 8
        size = (tmp_path / f"{name}-wal").stat().st_size
        await store.close()
        return size, checkpoints

    unchecked, none = await wal_after_appends("never.sqlite3", 1 << 40)
    checked, checkpoints = await wal_after_appends("often.sqlite3", 64_000)
    assert none == []
    assert checkpoints, "no checkpoint ran"
    assert checked < unchecked / 2, (checked, unchecked)


async def test_appends_after_close_fail_and_store_nothing(tmp_path: Path):
    from lucent_runtime import LucentError

    store = SqliteEventStore(tmp_path / "events.sqlite3")
    await store.append("trade-c", [new()])
    late = asyncio.ensure_future(store.append("trade-c", [new()]))
    await asyncio.sleep(0)  # the append waits for its transaction...
    await store.close()  # ...which the store, closing, no longer writes
    with pytest.raises(LucentError, match="closed"):
        await late
    reopened = SqliteEventStore(tmp_path / "events.sqlite3")
    assert len(await reopened.read_stream("trade-c")) == 1
    await reopened.close()


async def test_sqlite_store_persists_across_reopen(tmp_path: Path):
    path = tmp_path / "data" / "events.sqlite3"
    first = SqliteEventStore(path)
    stored = await first.append("portfolio-user-456", [new("PortfolioRebalanced", usd=10.5)])
    await first.close()
    reopened = SqliteEventStore(path)
    assert await reopened.read_stream("portfolio-user-456") == stored
    (more,) = await reopened.append("portfolio-user-456", [new()], expected_version=1)
    assert more.version == 2
    await reopened.close()


async def test_two_store_objects_on_one_file_still_exclude_each_other(tmp_path: Path):
    path = tmp_path / "events.sqlite3"
    one, two = SqliteEventStore(path), SqliteEventStore(path)
    await one.append("trade-s", [new()])
    results = await asyncio.gather(
        one.append("trade-s", [new()], expected_version=1),
        two.append("trade-s", [new()], expected_version=1),
        return_exceptions=True,
    )
    assert sum(isinstance(r, ConcurrencyError) for r in results) == 1
    assert len(await two.read_stream("trade-s")) == 2
    await one.close()
    await two.close()


def test_unusable_path_is_a_configuration_error(tmp_path: Path):
    from lucent_runtime import ConfigurationError

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigurationError, match="cannot open the event store"):
        SqliteEventStore(blocker / "events.sqlite3")
