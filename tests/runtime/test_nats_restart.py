"""Events survive nats-server restarts: a real server is killed by PID and started again on
the same store directory while a service publishes; every event is stored once and
delivered to its handler exactly once, and no publisher is told "maybe" about an event that
was stored."""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter

import pytest

from lucent_runtime import (
    CryptoTradingServiceBase,
    DomainEvent,
    Infrastructure,
    RequestContext,
    event_handler,
)
from lucent_runtime._errors import StoreUnavailableError
from lucent_runtime.backends.nats import create_nats_backends

from .helpers import eventually, trading_context


class Ledger(CryptoTradingServiceBase):
    def __init__(self, infrastructure: Infrastructure) -> None:
        super().__init__(infrastructure, "ledger")
        self.seen: Counter[str] = Counter()

    @event_handler("TradeExecuted")
    async def handle_trade_executed(self, event: DomainEvent) -> None:
        async def count(event: DomainEvent, ctx: RequestContext) -> None:
            self.seen[event.event_id] += 1

        await self.handle_domain_event(event, count)


async def _infrastructure(url: str) -> Infrastructure:
    store, bus = await create_nats_backends(
        url, pull_expires=0.5, reconnect_time_wait=0.2, max_reconnect_attempts=-1
    )
    return Infrastructure(store, bus, "nats")


def _kill_and_restart(server) -> None:
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    server.start()


async def _publish_through_restarts(server, events: int, restarts: int, writers: int) -> None:
    publisher = await _infrastructure(server.url)
    consumer = await _infrastructure(server.url)
    ledger = Ledger(consumer)
    trading = CryptoTradingServiceBase(publisher, "trading")
    context = trading_context()
    stored: list[DomainEvent] = []
    refused: list[StoreUnavailableError] = []
    try:
        await ledger.start()

        async def writer(number: int) -> None:
            for n in range(number, events, writers):
                try:
                    stored.append(
                        await trading.publish_domain_event(
                            "TradeExecuted", f"trade-w{number}", {"n": n}, context
                        )
                    )
                except StoreUnavailableError as err:
                    refused.append(err)

        async def restarter() -> None:
            for index in range(1, restarts + 1):
                mark = index * events // (restarts + 1)
                await eventually(lambda mark=mark: len(stored) >= mark, 60)
                await asyncio.to_thread(_kill_and_restart, server)

        await asyncio.gather(restarter(), *(writer(number) for number in range(writers)))
        assert not refused, refused
        assert len(stored) == events
        ids = {event.event_id for event in stored}
        await eventually(lambda: set(ledger.seen) == ids, timeout=60)
        await asyncio.sleep(1.0)  # a late redelivery would show up now
        assert set(ledger.seen) == ids
        assert set(ledger.seen.values()) == {1}
        for number in range(writers):
            versions = [
                e.version for e in await publisher.event_store.read_stream(f"trade-w{number}")
            ]
            assert versions == list(range(1, len(versions) + 1))
        assert (
            sum(
                [
                    len(await publisher.event_store.read_stream(f"trade-w{n}"))
                    for n in range(writers)
                ]
            )
            == events
        )
    finally:
        await ledger.stop()
        await consumer.close()
        await publisher.close()


async def test_a_server_restart_while_publishing_loses_and_duplicates_nothing(
    nats_server_process, telemetry
) -> None:
    await _publish_through_restarts(nats_server_process, events=200, restarts=1, writers=4)


@pytest.mark.slow
async def test_repeated_server_restarts_while_publishing_1500_events(
    nats_server_process, telemetry
) -> None:
    await _publish_through_restarts(nats_server_process, events=1500, restarts=3, writers=8)


async def test_a_server_down_past_the_retry_window_is_a_clear_error(
    nats_server_process, telemetry
) -> None:
    store, bus = await create_nats_backends(
        nats_server_process.url, retry_window=0.5, max_reconnect_attempts=-1
    )
    infrastructure = Infrastructure(store, bus, "nats")
    trading = CryptoTradingServiceBase(infrastructure, "trading")
    try:
        await trading.publish_domain_event("TradeExecuted", "trade-down", {}, trading_context())
        nats_server_process.stop()
        await eventually(lambda: not store._nc.is_connected, timeout=15)
        with pytest.raises(StoreUnavailableError, match="did not answer") as caught:
            await trading.publish_domain_event(
                "TradeExecuted", "trade-down", {"n": 2}, trading_context()
            )
        # nothing was sent while the connection was down: certainly not stored
        assert caught.value.may_be_stored is False
        nats_server_process.start()
        await eventually(lambda: store._nc.is_connected, timeout=15)
        assert [e.version for e in await store.read_stream("trade-down")] == [1]
        again = await trading.publish_domain_event(
            "TradeExecuted", "trade-down", {"n": 2}, trading_context()
        )
        assert again.version == 2
    finally:
        await infrastructure.close()
