"""The EventStore / MessageBus contract, one behavioural suite run on every back-end:

- ``memory``: InMemoryEventStore + InProcessMessageBus (tests),
- ``embedded``: SqliteEventStore + InProcessMessageBus (the default without a server),
- ``nats``: JetStream event store + NATS bus on a real nats-server.

A service written against the interfaces must not be able to tell them apart.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lucent_runtime._errors import (
    CommandTimeoutError,
    ConcurrencyError,
    MessageDecodeError,
    NamingError,
    NoHandlerError,
)
from lucent_runtime._events import NewEvent
from lucent_runtime.backends.base import (
    HEADER_DLQ_ATTEMPTS,
    HEADER_DLQ_ERROR,
    HEADER_DLQ_SUBJECT,
    MAX_DLQ_ERROR,
    EventStore,
    Message,
    MessageBus,
    dead_letter_subject,
)

from .helpers import eventually

MAX_DELIVER = 3
SUBJECT = "lucent.events.domain.crypto_trading.TradeExecuted"
COMMAND = "lucent.commands.risk_assessment.AssessYieldRisk"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@dataclass
class Backend:
    name: str
    store: EventStore
    bus: MessageBus
    #: the server's URL (NATS only)
    url: str = ""


async def make_backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if name == "memory":
        from lucent_runtime.backends.memory import InMemoryEventStore, InProcessMessageBus

        return Backend(
            name, InMemoryEventStore(), InProcessMessageBus(max_deliver=MAX_DELIVER, backoff=0.02)
        )
    if name == "embedded":
        from lucent_runtime.backends.memory import InProcessMessageBus
        from lucent_runtime.backends.sqlite import SqliteEventStore

        return Backend(
            name,
            SqliteEventStore(tmp_path / "events.sqlite3"),
            InProcessMessageBus(max_deliver=MAX_DELIVER, backoff=0.02),
        )
    from lucent_runtime.backends.nats import create_nats_backends

    url = request.getfixturevalue("nats_server")
    store, bus = await create_nats_backends(url, max_deliver=MAX_DELIVER, backoff=(0.02,))
    return Backend(name, store, bus, url)


@pytest.fixture(params=["memory", "embedded", "nats"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    made = await make_backend(request.param, request, tmp_path)
    try:
        yield made
    finally:
        await made.bus.close()
        await made.store.close()


def event(kind: str = "TradeExecuted", **data: object) -> NewEvent:
    return NewEvent(str(uuid.uuid4()), kind, dict(data), {"correlation_id": "corr-7"})


async def assert_settled(backend: Backend, durable: str) -> None:
    """Nothing of ``durable`` is left pending or unacknowledged where the back-end keeps
    that state itself: on a NATS server, the JetStream consumer's counters."""
    if backend.name != "nats":
        return
    import nats

    from lucent_runtime.backends.nats_store import STREAM

    url = backend.url
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().consumer_info(STREAM, durable)
        assert (info.num_pending, info.num_ack_pending) == (0, 0)
    finally:
        await nc.close()


def recorder(into: list[Message]) -> Callable[[Message], Awaitable[None]]:
    async def handler(message: Message) -> None:
        into.append(message)

    return handler


# -- event store ------------------------------------------------------------------------


async def test_store_append_and_read(backend: Backend) -> None:
    store = backend.store
    first = await store.append("trade-abc123", [event(amount=5)])
    rest = await store.append("trade-abc123", [event("TradeSettled"), event("TradeClosed")])
    events = await store.read_stream("trade-abc123")
    assert events == first + rest
    assert [(e.version, e.type) for e in events] == [
        (1, "TradeExecuted"),
        (2, "TradeSettled"),
        (3, "TradeClosed"),
    ]
    assert events[0].to_dict()["data"] == {"amount": 5}
    assert events[0].correlation_id == "corr-7"
    assert {e.stream_id for e in events} == {"trade-abc123"}
    assert await store.read_stream("trade-unknown") == []
    assert await store.append("trade-abc123", []) == []


async def test_store_refuses_stream_ids_that_cannot_name_a_stream(backend: Backend) -> None:
    # the same on every back-end: one NATS subject token, on append and on read
    store = backend.store
    for bad in ("trade-*", ">", "trade-1.>", "trade 1", "", None):
        with pytest.raises(NamingError, match="stream id"):
            await store.append(bad, [event()])  # type: ignore[arg-type]
        with pytest.raises(NamingError, match="stream id"):
            await store.read_stream(bad)  # type: ignore[arg-type]
    assert await store.read_stream("trade-1") == []


async def test_store_versions_are_dense_per_stream(backend: Backend) -> None:
    store = backend.store
    for _ in range(3):
        await store.append("trade-1", [event()])
        await store.append("portfolio-user-456", [event("PortfolioRebalanced")])
    assert [e.version for e in await store.read_stream("trade-1")] == [1, 2, 3]
    assert [e.version for e in await store.read_stream("portfolio-user-456")] == [1, 2, 3]


async def test_store_expected_version(backend: Backend) -> None:
    store = backend.store
    await store.append("trade-2", [event()], expected_version=0)
    await store.append("trade-2", [event(), event()], expected_version=1)
    with pytest.raises(ConcurrencyError) as caught:
        await store.append("trade-2", [event()], expected_version=1)
    assert (caught.value.stream_id, caught.value.expected_version) == ("trade-2", 1)
    assert caught.value.actual_version == 3
    with pytest.raises(ConcurrencyError):
        await store.append("trade-3", [event()], expected_version=1)
    assert len(await store.read_stream("trade-2")) == 3
    assert await store.read_stream("trade-3") == []


async def test_store_concurrent_writers_with_the_same_expected_version(backend: Backend) -> None:
    store = backend.store
    await store.append("trade-4", [event()])
    results = await asyncio.gather(
        *(store.append("trade-4", [event(writer=n)], expected_version=1) for n in range(4)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, list) for r in results) == 1, results
    assert sum(isinstance(r, ConcurrencyError) for r in results) == 3, results
    assert [e.version for e in await store.read_stream("trade-4")] == [1, 2]


async def test_store_idempotent_append(backend: Backend) -> None:
    store = backend.store
    once = event()
    stored = await store.append("trade-5", [once], expected_version=0)
    # a retry (same event id), with or without the expected version it was sent with
    assert await store.append("trade-5", [once]) == stored
    assert await store.append("trade-5", [once], expected_version=0) == stored
    assert len(await store.read_stream("trade-5")) == 1
    batch = [event(), event()]  # a retried batch comes back whole, stored once
    stored = await store.append("trade-5", batch)
    assert await store.append("trade-5", batch) == stored
    assert [e.version for e in await store.read_stream("trade-5")] == [1, 2, 3]


async def test_store_many_concurrent_appends_keep_versions_dense(backend: Backend) -> None:
    store = backend.store
    await asyncio.gather(*(store.append("trade-m", [event(i=i)]) for i in range(25)))
    stream = await store.read_stream("trade-m")
    assert [e.version for e in stream] == list(range(1, 26))
    assert sorted(e.data["i"] for e in stream) == list(range(25))


# -- events on the bus ------------------------------------------------------------------


async def test_bus_publish_subscribe(backend: Backend) -> None:
    bus = backend.bus
    trading: list[Message] = []
    every: list[Message] = []
    await bus.subscribe(
        "lucent.events.domain.crypto_trading.>", "contract-trading", recorder(trading)
    )
    await bus.subscribe("lucent.events.domain.*.*", "contract-every", recorder(every))
    headers = {"traceparent": TRACEPARENT, "baggage": "user.id=u-1"}
    await bus.publish(SUBJECT, b'{"n": 1}', headers)
    await bus.publish("lucent.events.domain.user_management.UserCreated", b"{}", {})
    await eventually(lambda: len(trading) == 1 and len(every) == 2, timeout=10)
    message = trading[0]
    assert (message.subject, message.data, message.attempt) == (SUBJECT, b'{"n": 1}', 1)
    assert {k: message.headers[k] for k in headers} == headers
    assert sorted(m.subject for m in every) == sorted(
        [SUBJECT, "lucent.events.domain.user_management.UserCreated"]
    )


async def test_bus_redelivers_until_the_handler_succeeds(backend: Backend) -> None:
    attempts: list[int] = []
    applied: list[bytes] = []

    async def flaky(message: Message) -> None:
        attempts.append(message.attempt)
        if message.attempt < MAX_DELIVER:
            raise ConnectionError("try again")
        applied.append(message.data)

    await backend.bus.subscribe(SUBJECT, "contract-flaky", flaky)
    await backend.bus.publish(SUBJECT, b"trade-1", {})
    await eventually(lambda: bool(applied), timeout=10)
    await asyncio.sleep(0.2)
    assert attempts == [1, 2, 3]
    assert applied == [b"trade-1"]
    await assert_settled(backend, "contract-flaky")


async def test_bus_dead_letters_after_the_last_attempt(backend: Backend) -> None:
    bus = backend.bus
    attempts: list[int] = []
    dead: list[Message] = []

    async def broken(message: Message) -> None:
        attempts.append(message.attempt)
        raise ValueError("unpriceable")

    await bus.subscribe(dead_letter_subject("contract-broken"), "contract-dlq", recorder(dead))
    await bus.subscribe(SUBJECT, "contract-broken", broken)
    await bus.publish(SUBJECT, b"trade-9", {"traceparent": TRACEPARENT})
    await eventually(lambda: bool(dead), timeout=10)
    await asyncio.sleep(0.2)
    assert attempts == [1, 2, 3]
    assert len(dead) == 1
    letter = dead[0]
    assert letter.subject == "lucent.dlq.contract-broken"
    assert letter.data == b"trade-9"
    assert letter.headers["traceparent"] == TRACEPARENT
    assert letter.headers[HEADER_DLQ_SUBJECT] == SUBJECT
    assert letter.headers[HEADER_DLQ_ERROR] == "ValueError: unpriceable"
    assert letter.headers[HEADER_DLQ_ATTEMPTS] == str(MAX_DELIVER)
    await assert_settled(backend, "contract-broken")


async def test_bus_durable_resumes_after_stop(backend: Backend) -> None:
    bus = backend.bus
    seen: list[bytes] = []

    async def handler(message: Message) -> None:
        await asyncio.sleep(0.001)
        seen.append(message.data)

    subscription = await bus.subscribe(SUBJECT, "contract-durable", handler)
    for n in range(10):
        await bus.publish(SUBJECT, f"m{n}".encode(), {})
    await eventually(lambda: len(seen) >= 3, timeout=10)
    await subscription.stop()
    stopped_with = len(seen)
    for n in range(10, 20):
        await bus.publish(SUBJECT, f"m{n}".encode(), {})
    await asyncio.sleep(0.2)
    assert len(seen) == stopped_with  # nothing is delivered to a stopped subscription
    await bus.subscribe(SUBJECT, "contract-durable", handler)
    await eventually(lambda: len(seen) == 20, timeout=10)
    await asyncio.sleep(0.2)
    assert seen == [f"m{n}".encode() for n in range(20)]


async def test_bus_stop_finishes_the_message_in_flight(backend: Backend) -> None:
    started = asyncio.Event()
    done: list[bytes] = []

    async def slow(message: Message) -> None:
        started.set()
        await asyncio.sleep(0.2)
        done.append(message.data)

    subscription = await backend.bus.subscribe(SUBJECT, "contract-slow", slow)
    await backend.bus.publish(SUBJECT, b"x", {})
    await started.wait()
    await subscription.stop()
    assert done == [b"x"]
    await assert_settled(backend, "contract-slow")


# -- commands on the bus ----------------------------------------------------------------


async def test_bus_request_reply(backend: Backend) -> None:
    async def answer(message: Message) -> bytes:
        return message.data + b"|" + message.headers["traceparent"].encode()

    await backend.bus.serve(COMMAND, "risk-assessment", answer)
    reply = await backend.bus.request(COMMAND, b"assess", {"traceparent": TRACEPARENT}, 2.0)
    assert reply.data == b"assess|" + TRACEPARENT.encode()


async def test_bus_request_timeout(backend: Backend) -> None:
    async def never(message: Message) -> bytes:
        await asyncio.sleep(1.0)
        return b""

    await backend.bus.serve(COMMAND, "risk-assessment", never)
    with pytest.raises(CommandTimeoutError) as caught:
        await backend.bus.request(COMMAND, b"{}", {}, 0.1)
    error = caught.value
    assert (error.subject, error.target_service, error.command_type) == (
        COMMAND,
        "risk-assessment",
        "AssessYieldRisk",
    )


async def test_bus_request_without_handler(backend: Backend) -> None:
    with pytest.raises(NoHandlerError) as caught:
        await backend.bus.request(COMMAND, b"{}", {}, 2.0)
    error = caught.value
    assert (error.subject, error.target_service, error.command_type) == (
        COMMAND,
        "risk-assessment",
        "AssessYieldRisk",
    )
    served = await backend.bus.serve(COMMAND, "risk-assessment", _echo)
    await served.stop()
    with pytest.raises(NoHandlerError):
        await backend.bus.request(COMMAND, b"{}", {}, 2.0)


async def test_bus_queue_group_answers_each_request_once(backend: Backend) -> None:
    answered: list[str] = []

    def member(name: str) -> Callable[[Message], Awaitable[bytes]]:
        async def answer(message: Message) -> bytes:
            answered.append(name)
            return name.encode()

        return answer

    first = await backend.bus.serve(COMMAND, "risk-assessment", member("a"))
    await backend.bus.serve(COMMAND, "risk-assessment", member("b"))
    replies = [(await backend.bus.request(COMMAND, b"", {}, 2.0)).data for _ in range(10)]
    assert len(answered) == 10
    assert set(replies) <= {b"a", b"b"}
    await first.stop()  # the group goes on with the member left
    for _ in range(5):
        assert (await backend.bus.request(COMMAND, b"", {}, 2.0)).data == b"b"


async def _echo(message: Message) -> bytes:
    return message.data


async def test_bus_dead_letter_error_text_is_cut_to_fit_a_header(backend: Backend) -> None:
    dead: list[Message] = []

    async def verbose(message: Message) -> None:
        raise ValueError("x" * 100_000 + "\r\nInjected: header")

    await backend.bus.subscribe(
        dead_letter_subject("contract-verbose"), "contract-vdlq", recorder(dead)
    )
    await backend.bus.subscribe(SUBJECT, "contract-verbose", verbose)
    await backend.bus.publish(SUBJECT, b"trade-v", {})
    await eventually(lambda: bool(dead), timeout=10)
    error = dead[0].headers[HEADER_DLQ_ERROR]
    assert error.startswith("ValueError: xxx") and len(error) <= MAX_DLQ_ERROR
    assert "Injected" not in dead[0].headers
    assert dead[0].headers[HEADER_DLQ_ATTEMPTS] == str(MAX_DELIVER)


async def test_bus_dead_letters_a_permanent_failure_at_once(backend: Backend) -> None:
    attempts: list[int] = []
    dead: list[Message] = []

    async def undecodable(message: Message) -> None:
        attempts.append(message.attempt)
        raise MessageDecodeError("not an event")

    await backend.bus.subscribe(
        dead_letter_subject("contract-undecodable"), "contract-udlq", recorder(dead)
    )
    await backend.bus.subscribe(SUBJECT, "contract-undecodable", undecodable)
    await backend.bus.publish(SUBJECT, b"\xff", {})
    await eventually(lambda: bool(dead), timeout=10)
    await asyncio.sleep(0.2)
    assert attempts == [1]
    assert dead[0].headers[HEADER_DLQ_ATTEMPTS] == "1"


async def test_bus_delivers_a_message_with_a_status_header_and_no_body(backend: Backend) -> None:
    got: list[Message] = []
    await backend.bus.subscribe(SUBJECT, "contract-status", recorder(got))
    await backend.bus.publish(SUBJECT, b"", {"Status": "503"})
    await backend.bus.publish(SUBJECT, b"after", {})
    await eventually(lambda: len(got) == 2, timeout=10)
    assert [(m.data, m.headers.get("Status")) for m in got] == [(b"", "503"), (b"after", None)]
