"""What only the NATS message bus has to show, against a real nats-server (the contract
suite covers what every bus does): command names in errors, crashing responders, consumer
state on the server after redelivery and dead-lettering, restarts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import nats
import pytest

from lucent_runtime._errors import RemoteCommandError
from lucent_runtime.backends.base import (
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


async def test_a_crashing_responder_answers_with_its_error(bus: NatsMessageBus) -> None:
    async def crash(message: Message) -> bytes:
        raise RuntimeError("pool exhausted")

    await bus.serve("lucent.commands.trading.ExecuteSwap", "trading", crash)
    with pytest.raises(RemoteCommandError) as caught:
        await bus.request("lucent.commands.trading.ExecuteSwap", b"{}", {}, timeout=2)
    assert caught.value.remote_error == {"type": "RuntimeError", "message": "pool exhausted"}


# -- events -----------------------------------------------------------------------------


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
