"""What only the NATS message bus has to show, against a real nats-server (the contract
suite covers what every bus does): command names in errors, crashing responders, consumer
state on the server after redelivery and dead-lettering, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import nats
import pytest

from lucent_runtime._errors import CommandTimeoutError, NoHandlerError, RemoteCommandError
from lucent_runtime.backends.base import (
    HEADER_DLQ_ATTEMPTS,
    HEADER_DLQ_ERROR,
    HEADER_DLQ_SUBJECT,
    Message,
)
from lucent_runtime.backends.nats import create_nats_backends
from lucent_runtime.backends.nats_bus import NatsMessageBus
from lucent_runtime.backends.nats_store import STREAM as EVENTS_STREAM

from .helpers import eventually

SUBJECT = "lucent.events.domain.crypto_trading.TradeExecuted"
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def open_bus(url: str, **options: object) -> NatsMessageBus:
    store, bus = await create_nats_backends(url, backoff=(0.05,), **options)
    await store.close()
    assert isinstance(bus, NatsMessageBus)
    return bus


@pytest.fixture
async def bus(nats_server: str) -> AsyncIterator[NatsMessageBus]:
    bus = await open_bus(nats_server)
    yield bus
    await bus.close()


def recorder(into: list[Message]) -> Callable[[Message], Awaitable[None]]:
    async def handler(message: Message) -> None:
        into.append(message)

    return handler


async def consumer_state(url: str, durable: str) -> tuple[int, int]:
    """(messages not yet delivered, delivered but neither acknowledged nor terminated)."""
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().consumer_info(EVENTS_STREAM, durable)
        return info.num_pending, info.num_ack_pending
    finally:
        await nc.close()


# -- commands ---------------------------------------------------------------------------


async def test_request_without_responders(bus: NatsMessageBus) -> None:
    with pytest.raises(NoHandlerError) as caught:
        await bus.request("lucent.commands.risk_assessment.AssessYieldRisk", b"{}", {}, 2)
    assert caught.value.target_service == "risk-assessment"
    assert caught.value.command_type == "AssessYieldRisk"
    assert caught.value.subject == "lucent.commands.risk_assessment.AssessYieldRisk"


async def test_request_timeout(bus: NatsMessageBus) -> None:
    async def slow(message: Message) -> bytes:
        await asyncio.sleep(1.0)
        return b"late"

    await bus.serve("lucent.commands.trading.ExecuteSwap", "trading", slow)
    with pytest.raises(CommandTimeoutError) as caught:
        await bus.request("lucent.commands.trading.ExecuteSwap", b"{}", {}, timeout=0.2)
    assert caught.value.command_type == "ExecuteSwap"


async def test_a_crashing_responder_answers_with_its_error(bus: NatsMessageBus) -> None:
    async def crash(message: Message) -> bytes:
        raise RuntimeError("pool exhausted")

    await bus.serve("lucent.commands.trading.ExecuteSwap", "trading", crash)
    with pytest.raises(RemoteCommandError) as caught:
        await bus.request("lucent.commands.trading.ExecuteSwap", b"{}", {}, timeout=2)
    assert caught.value.remote_error == {"type": "RuntimeError", "message": "pool exhausted"}


async def test_one_member_of_a_queue_group_answers_each_request(bus: NatsMessageBus) -> None:
    seen: list[str] = []

    def member(name: str) -> Callable[[Message], Awaitable[bytes]]:
        async def answer(message: Message) -> bytes:
            seen.append(name)
            return name.encode()

        return answer

    first = await bus.serve("lucent.commands.trading.ExecuteSwap", "trading", member("a"))
    await bus.serve("lucent.commands.trading.ExecuteSwap", "trading", member("b"))
    for _ in range(20):
        await bus.request("lucent.commands.trading.ExecuteSwap", b"{}", {}, timeout=2)
    assert len(seen) == 20
    await first.stop()
    for _ in range(5):
        assert (await bus.request("lucent.commands.trading.ExecuteSwap", b"", {}, 2)).data == b"b"


# -- events -----------------------------------------------------------------------------


async def test_a_handler_that_fails_twice_then_succeeds_is_applied_once(
    bus: NatsMessageBus, nats_server: str
) -> None:
    attempts: list[int] = []
    applied: list[bytes] = []

    async def flaky(message: Message) -> None:
        attempts.append(message.attempt)
        if len(attempts) <= 2:
            raise ConnectionError("exchange unreachable")
        applied.append(message.data)

    await bus.subscribe(SUBJECT, "trading-flaky", flaky)
    await bus.publish(SUBJECT, b"trade-1", {})
    await eventually(lambda: applied, timeout=10)
    await asyncio.sleep(0.3)  # nothing else may arrive
    assert attempts == [1, 2, 3]
    assert applied == [b"trade-1"]
    assert await consumer_state(nats_server, "trading-flaky") == (0, 0)


async def test_a_handler_that_always_fails_dead_letters_the_message(nats_server: str) -> None:
    bus = await open_bus(nats_server, max_deliver=3)
    try:
        attempts: list[int] = []
        dead: list[Message] = []

        async def broken(message: Message) -> None:
            attempts.append(message.attempt)
            raise ValueError(f"cannot price {message.data.decode()}")

        await bus.subscribe("lucent.dlq.trading-pricer", "dlq-watch", recorder(dead))
        await bus.subscribe(SUBJECT, "trading-pricer", broken)
        await bus.publish(SUBJECT, b"trade-9", {"traceparent": TRACEPARENT, "Nats-Msg-Id": "e9"})
        await eventually(lambda: dead, timeout=10)
        await asyncio.sleep(0.3)
        assert attempts == [1, 2, 3]
        letter = dead[0]
        assert len(dead) == 1
        assert letter.subject == "lucent.dlq.trading-pricer"
        assert letter.data == b"trade-9"
        assert letter.headers["traceparent"] == TRACEPARENT
        assert letter.headers[HEADER_DLQ_SUBJECT] == SUBJECT
        assert letter.headers[HEADER_DLQ_ERROR] == "ValueError: cannot price trade-9"
        assert letter.headers[HEADER_DLQ_ATTEMPTS] == "3"
        assert await consumer_state(nats_server, "trading-pricer") == (0, 0)
    finally:
        await bus.close()


async def test_a_consumer_stopped_mid_stream_and_restarted_loses_nothing(
    nats_server: str,
) -> None:
    applied: dict[str, int] = {}
    deliveries: list[str] = []

    async def idempotent(message: Message) -> None:
        event_id = message.headers["Nats-Msg-Id"]
        deliveries.append(event_id)
        if event_id in applied:  # the handler knows what it already applied
            return
        await asyncio.sleep(0.002)
        applied[event_id] = len(applied)

    publisher = await open_bus(nats_server)
    consumer_bus = await open_bus(nats_server, batch=16)
    try:
        subscription = await consumer_bus.subscribe(SUBJECT, "projection", idempotent)
        ids = [f"evt-{n}" for n in range(200)]
        for event_id in ids[:100]:
            await publisher.publish(SUBJECT, event_id.encode(), {"Nats-Msg-Id": event_id})
        await eventually(lambda: len(applied) >= 20, timeout=10)
        await subscription.stop()
        stopped_at = len(deliveries)
        for event_id in ids[100:]:
            await publisher.publish(SUBJECT, event_id.encode(), {"Nats-Msg-Id": event_id})
        await asyncio.sleep(0.3)
        assert len(deliveries) == stopped_at  # nothing delivered while stopped
        assert stopped_at < 200
        await consumer_bus.close()

        consumer_bus = await open_bus(nats_server, batch=16)
        await consumer_bus.subscribe(SUBJECT, "projection", idempotent)
        await eventually(lambda: len(applied) == 200, timeout=10)
        await asyncio.sleep(0.2)
        assert sorted(applied, key=applied.__getitem__) == ids  # in order, each once
        assert len(deliveries) == 200  # drained on stop: nothing came twice
    finally:
        await publisher.close()
        await consumer_bus.close()


async def test_stop_waits_for_the_message_in_flight(bus: NatsMessageBus, nats_server: str) -> None:
    started, finished = asyncio.Event(), []

    async def slow(message: Message) -> None:
        started.set()
        await asyncio.sleep(0.3)
        finished.append(message.data)

    subscription = await bus.subscribe(SUBJECT, "trading-slow", slow)
    await bus.publish(SUBJECT, b"x", {})
    await started.wait()
    await subscription.stop()
    assert finished == [b"x"]
    assert await consumer_state(nats_server, "trading-slow") == (0, 0)


async def test_a_slow_handler_is_not_redelivered_while_it_works(nats_server: str) -> None:
    bus = await open_bus(nats_server, ack_wait=0.5)
    try:
        attempts: list[int] = []

        async def slow(message: Message) -> None:
            attempts.append(message.attempt)
            await asyncio.sleep(1.5)

        await bus.subscribe(SUBJECT, "trading-slow", slow)
        await bus.publish(SUBJECT, b"x", {})
        await eventually(lambda: attempts, timeout=10)
        await asyncio.sleep(2.0)
        assert attempts == [1]
        assert await consumer_state(nats_server, "trading-slow") == (0, 0)
    finally:
        await bus.close()


async def test_consumer_resumes_after_a_server_restart(nats_server_process) -> None:
    bus = await open_bus(nats_server_process.url, pull_expires=0.5)
    try:
        got: list[Message] = []
        await bus.subscribe(SUBJECT, "trading-restart", recorder(got))
        await bus.publish(SUBJECT, b"before", {})
        await eventually(lambda: len(got) == 1, timeout=10)
        nats_server_process.stop()
        nats_server_process.start()
        nc = bus._nc
        await eventually(lambda: nc.stats["reconnects"] >= 1 and nc.is_connected, timeout=15)
        await bus.publish(SUBJECT, b"after", {})
        await eventually(lambda: len(got) == 2, timeout=15)
        assert [m.data for m in got] == [b"before", b"after"]
    finally:
        await bus.close()


async def test_bad_subscriptions_are_refused(bus: NatsMessageBus) -> None:
    with pytest.raises(ValueError, match="durable name"):
        await bus.subscribe(SUBJECT, "has.dot", recorder([]))
    with pytest.raises(ValueError, match="cannot subscribe"):
        await bus.subscribe("orders.created", "orders", recorder([]))


async def test_a_stored_message_with_a_status_header_is_acknowledged(
    bus: NatsMessageBus, nats_server: str
) -> None:
    got: list[Message] = []
    await bus.subscribe(SUBJECT, "trading-status", recorder(got))
    await bus.publish(SUBJECT, b"", {"Status": "404", "Description": "looks like a status"})
    await eventually(lambda: len(got) == 1, timeout=10)
    await asyncio.sleep(0.2)
    assert await consumer_state(nats_server, "trading-status") == (0, 0)
