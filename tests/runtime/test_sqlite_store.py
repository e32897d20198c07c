"""The embedded SQLite event store: dense versions, persistence, optimistic concurrency,
idempotent appends, concurrent writers."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest

from lucent_runtime import ConcurrencyError, NewEvent
from lucent_runtime.backends.memory import InMemoryEventStore
from lucent_runtime.backends.sqlite import SqliteEventStore


def new(event_type: str = "TradeExecuted", **data: object) -> NewEvent:
    return NewEvent(str(uuid.uuid4()), event_type, dict(data), {"correlation_id": "c-1"})


@pytest.fixture(params=["sqlite", "memory"])
async def store(request, tmp_path: Path):
    made = (
        SqliteEventStore(tmp_path / "events.sqlite3")
        if request.param == "sqlite"
        else (InMemoryEventStore())
    )
    yield made
    await made.close()


async def test_versions_are_dense_per_stream_from_one(store):
    a = await store.append("trade-a", [new(n=1), new(n=2)])
    b = await store.append("trade-b", [new(n=3)])
    c = await store.append("trade-a", [new(n=4)])
    assert [e.version for e in a + c] == [1, 2, 3]
    assert [e.version for e in b] == [1]
    stream = await store.read_stream("trade-a")
    assert [e.data["n"] for e in stream] == [1, 2, 4]
    assert stream[0].metadata["correlation_id"] == "c-1"
    assert await store.read_stream("trade-unknown") == []


async def test_stale_expected_version_raises(store):
    await store.append("trade-x", [new()], expected_version=0)
    with pytest.raises(ConcurrencyError) as info:
        await store.append("trade-x", [new()], expected_version=0)
    assert (info.value.expected_version, info.value.actual_version) == (0, 1)
    assert len(await store.read_stream("trade-x")) == 1


async def test_retried_append_is_idempotent(store):
    event = new()
    first = await store.append("trade-r", [event], expected_version=0)
    again = await store.append("trade-r", [event], expected_version=0)
    assert again == first
    assert len(await store.read_stream("trade-r")) == 1


async def test_two_concurrent_appends_with_the_same_expected_version_one_wins(store):
    await store.append("trade-c", [new()])
    results = await asyncio.gather(
        store.append("trade-c", [new(who="a")], expected_version=1),
        store.append("trade-c", [new(who="b")], expected_version=1),
        return_exceptions=True,
    )
    wins = [r for r in results if not isinstance(r, BaseException)]
    losses = [r for r in results if isinstance(r, BaseException)]
    assert len(wins) == 1
    assert len(losses) == 1 and isinstance(losses[0], ConcurrencyError)
    assert [e.version for e in await store.read_stream("trade-c")] == [1, 2]


async def test_many_concurrent_appends_keep_versions_dense(store):
    await asyncio.gather(*(store.append("trade-m", [new(i=i)]) for i in range(25)))
    stream = await store.read_stream("trade-m")
    assert [e.version for e in stream] == list(range(1, 26))
    assert sorted(e.data["i"] for e in stream) == list(range(25))


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
