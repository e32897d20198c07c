"""What only the JetStream event store has to show, against a real nats-server (the
contract suite covers what every store does): its cache of stream heads, atomic batches,
long streams, lost acknowledgements."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from lucent_runtime._errors import ConcurrencyError, NamingError
from lucent_runtime._events import NewEvent
from lucent_runtime.backends.nats import create_nats_backends
from lucent_runtime.backends.nats_store import JetStreamEventStore, _State


def new_event(kind: str = "TradeExecuted", **data: object) -> NewEvent:
    return NewEvent(
        event_id=str(uuid.uuid4()),
        type=kind,
        data=dict(data),
        metadata={"correlation_id": "corr-1", "business_context": {"business.domain": "x"}},
    )


async def open_store(url: str) -> JetStreamEventStore:
    store, bus = await create_nats_backends(url)
    await bus.close()  # the store keeps the shared connection open
    assert isinstance(store, JetStreamEventStore)
    return store


@pytest.fixture
async def store(nats_server: str) -> AsyncIterator[JetStreamEventStore]:
    store = await open_store(nats_server)
    yield store
    await store.close()


@pytest.fixture
async def other_store(nats_server: str) -> AsyncIterator[JetStreamEventStore]:
    """A second writer with its own connection (and its own cache)."""
    store = await open_store(nats_server)
    yield store
    await store.close()


async def test_reading_pages_through_long_streams(store: JetStreamEventStore) -> None:
    for _ in range(3):
        await store.append("trade-long", [new_event(n=i) for i in range(120)])
    events = await store.read_stream("trade-long")
    assert [e.version for e in events] == list(range(1, 361))


async def test_stale_cache_is_corrected_from_the_server(
    store: JetStreamEventStore, other_store: JetStreamEventStore
) -> None:
    await store.append("trade-d", [new_event()])  # store now caches version 1
    await other_store.append("trade-d", [new_event()], expected_version=1)
    third = await store.append("trade-d", [new_event()], expected_version=2)
    fourth = await store.append("trade-d", [new_event()])
    await other_store.append("trade-d", [new_event()], expected_version=4)
    with pytest.raises(ConcurrencyError) as caught:
        await store.append("trade-d", [new_event()], expected_version=4)
    assert caught.value.actual_version == 5
    assert (third[0].version, fourth[0].version) == (3, 4)


async def test_two_concurrent_appends_with_the_same_expected_version_one_wins(
    store: JetStreamEventStore, other_store: JetStreamEventStore
) -> None:
    await store.append("trade-race", [new_event()])
    await other_store.read_stream("trade-race")
    for round_ in range(5):
        results = await asyncio.gather(
            store.append("trade-race", [new_event(w="a")], expected_version=1 + round_),
            other_store.append("trade-race", [new_event(w="b")], expected_version=1 + round_),
            return_exceptions=True,
        )
        winners = [r for r in results if isinstance(r, list)]
        losers = [r for r in results if isinstance(r, ConcurrencyError)]
        assert (len(winners), len(losers)) == (1, 1), results
        assert winners[0][0].version == 2 + round_
    assert [e.version for e in await store.read_stream("trade-race")] == list(range(1, 7))


async def test_concurrent_appends_without_expected_version_all_land_densely(
    store: JetStreamEventStore, other_store: JetStreamEventStore
) -> None:
    writes = [
        (store if n % 2 else other_store).append("trade-busy", [new_event(n=n)]) for n in range(30)
    ]
    results = await asyncio.gather(*writes)
    events = await store.read_stream("trade-busy")
    assert [e.version for e in events] == list(range(1, 31))
    assert sorted(r[0].version for r in results) == list(range(1, 31))
    assert len({e.event_id for e in events}) == 30


async def test_multi_event_append_is_atomic(
    store: JetStreamEventStore, other_store: JetStreamEventStore
) -> None:
    await store.append("trade-m", [new_event()])
    await other_store.append("trade-m", [new_event()])
    with pytest.raises(ConcurrencyError):
        await store.append("trade-m", [new_event(), new_event(), new_event()], expected_version=1)
    stored = await store.append("trade-m", [new_event(), new_event()], expected_version=2)
    assert [e.version for e in stored] == [3, 4]
    assert [e.version for e in await store.read_stream("trade-m")] == [1, 2, 3, 4]


async def test_duplicate_with_stale_expected_version_returns_the_stored_event(
    store: JetStreamEventStore, other_store: JetStreamEventStore
) -> None:
    event = new_event()
    stored = await store.append("trade-retry", [event], expected_version=0)
    assert await other_store.append("trade-retry", [event], expected_version=0) == stored
    await other_store.append("trade-retry", [new_event()])
    # found by a scan even when it is no longer the stream's last event
    assert await store.append("trade-retry", [event], expected_version=0) == stored
    assert len(await store.read_stream("trade-retry")) == 2


def lose_first_ack(
    store: JetStreamEventStore,
    monkeypatch: pytest.MonkeyPatch,
    stream_id: str,
    meanwhile: Callable[[], Awaitable[object]] | None = None,
) -> list[str]:
    """The first write to ``stream_id`` reaches the server, its ack does not (after
    ``meanwhile`` ran, if given). Returns the subjects whose ack was lost."""
    nc = store._nc
    real_request = nc.request
    lost: list[str] = []

    async def ack_lost_once(subject: str, payload: bytes = b"", **kwargs: object):
        reply = await real_request(subject, payload, **kwargs)
        if subject.startswith(f"lucent.store.{stream_id}.") and not lost:
            lost.append(subject)
            if meanwhile is not None:
                await meanwhile()
            raise TimeoutError("ack lost on the way back")
        return reply

    monkeypatch.setattr(nc, "request", ack_lost_once)
    return lost


async def test_retry_after_a_lost_ack_returns_the_stored_event(
    store: JetStreamEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.append("trade-lost", [new_event()])
    lost = lose_first_ack(store, monkeypatch, "trade-lost")
    event = new_event()
    # the server stored it; the store asks again, is told the stream moved on, and finds
    # the event by its id: the caller gets the stored event, stored once
    stored = await store.append("trade-lost", [event], expected_version=1)
    assert lost and stored[0].version == 2 and stored[0].event_id == event.event_id
    assert await store.append("trade-lost", [event], expected_version=1) == stored
    assert [e.event_id for e in await store.read_stream("trade-lost")][1:] == [event.event_id]


async def test_fresh_events_skip_deduplication_and_a_lost_ack_is_found_by_position(
    store: JetStreamEventStore,
    other_store: JetStreamEventStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await store.append("trade-fresh", [new_event()])
    # another writer moves the stream on before the store asks again: the event is no
    # longer the stream's last one, and no Nats-Msg-Id marks it a duplicate
    lost = lose_first_ack(
        store,
        monkeypatch,
        "trade-fresh",
        meanwhile=lambda: other_store.append("trade-fresh", [new_event()]),
    )
    event = NewEvent(str(uuid.uuid4()), "TradeExecuted", {}, {}, fresh=True)
    stored = await store.append("trade-fresh", [event])
    assert lost and stored[0].version == 2 and stored[0].event_id == event.event_id
    stream = await store.read_stream("trade-fresh")
    assert [e.event_id for e in stream].count(event.event_id) == 1
    assert [e.version for e in stream] == [1, 2, 3]
    # on the wire: the fresh event without Nats-Msg-Id, the others with theirs
    messages = await store._read_messages("lucent.store.trade-fresh.>", _State())
    assert [bool((m.headers or {}).get("Nats-Msg-Id")) for m in messages] == [True, False, True]
    # a new append after it finds the head by the event id in the body
    store._heads.clear()
    assert (await store.append("trade-fresh", [new_event()], expected_version=3))[0].version == 4


async def test_bad_input_is_refused_clearly(store: JetStreamEventStore) -> None:
    with pytest.raises(NamingError):
        await store.append("trade.*", [new_event()])
    with pytest.raises(NamingError):
        await store.read_stream("trade abc")
    event = new_event()
    with pytest.raises(ValueError, match="same event id twice"):
        await store.append("trade-x", [event, event])
    assert await store.append("trade-x", []) == []


async def test_the_head_cache_is_bounded(
    store: JetStreamEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lucent_runtime.backends import nats_store

    monkeypatch.setattr(nats_store, "_CACHED_HEADS", 2)
    for name in ("trade-h1", "trade-h2", "trade-h3", "trade-h1"):
        await store.append(name, [new_event()])
    assert set(store._heads) == {"lucent.store.trade-h3.>", "lucent.store.trade-h1.>"}
    # an evicted stream is read from the server again
    assert (await store.append("trade-h2", [new_event()], expected_version=1))[0].version == 2
