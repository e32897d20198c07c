"""Limits checked before sending: over-long subjects, oversize payloads, payloads that
cannot be encoded; nothing is stored when an error is raised, and a NATS connection that
the server closes anyway recovers."""

from __future__ import annotations

import asyncio
import math

import pytest
from pydantic import BaseModel, field_serializer

from lucent_runtime import (
    BusinessContextBuilder,
    CryptoTradingServiceBase,
    Infrastructure,
    InfrastructureFactory,
    NamingError,
    PayloadError,
    RequestContext,
    command_handler,
)
from lucent_runtime._errors import PayloadTooLargeError
from lucent_runtime._publishing import MAX_SUBJECT_BYTES

from .helpers import eventually, trading_context


class Echo(CryptoTradingServiceBase):
    @command_handler("EchoPayload")
    async def echo(self, data: dict, ctx: RequestContext) -> dict:
        return data


@pytest.fixture
def infrastructure(every_infrastructure: Infrastructure) -> Infrastructure:
    return every_infrastructure  # each back-end in turn


class Unserialisable(BaseModel):
    amount: float

    @field_serializer("amount")
    def refuse(self, value: float) -> float:
        raise ValueError("no serialiser for amounts")


def _self_referencing() -> dict:
    data: dict = {"n": 1}
    data["self"] = data
    return data


def _deep() -> dict:
    data: dict = {}
    for _ in range(100_000):
        data = {"d": data}
    return data


async def test_names_too_long_for_a_subject_are_refused_before_anything_is_stored(
    infrastructure,
) -> None:
    trading = CryptoTradingServiceBase(infrastructure, "trading")
    long_id = "trade-" + "x" * MAX_SUBJECT_BYTES
    with pytest.raises(NamingError, match="over the limit"):
        await trading.publish_domain_event("TradeExecuted", long_id, {}, trading_context())
    assert await infrastructure.event_store.read_stream(long_id) == []
    wide = (
        BusinessContextBuilder.for_domain("crypto-trading", "c" * MAX_SUBJECT_BYTES)
        .with_aggregate("Trade", "t-1")
        .build()
    )
    with pytest.raises(NamingError, match="over the limit"):
        await trading.publish_domain_event("TradeExecuted", "trade-1", {}, wide)
    with pytest.raises(NamingError, match="over the limit"):
        await trading.send_command(
            "risk-" + "a" * MAX_SUBJECT_BYTES, "AssessRisk", {}, trading_context()
        )
    with pytest.raises(NamingError, match="one subject token"):
        await trading.publish_domain_event("TradeExecuted", "trade-a.b", {}, trading_context())
    # the back-end still works
    stored = await trading.publish_domain_event("TradeExecuted", "trade-1", {}, trading_context())
    assert stored.version == 1


@pytest.mark.parametrize(
    "data",
    [
        _self_referencing(),
        _deep(),
        {"n": 10**5000},
        {"n": math.nan},
        Unserialisable(amount=1.0),
    ],
    ids=["self-reference", "too-deep", "huge-int", "nan", "pydantic-serialiser"],
)
async def test_payloads_that_cannot_be_encoded_store_nothing(infrastructure, data) -> None:
    trading = CryptoTradingServiceBase(infrastructure, "trading")
    with pytest.raises(PayloadError):
        await trading.publish_domain_event("TradeExecuted", "trade-bad", data, trading_context())
    assert await infrastructure.event_store.read_stream("trade-bad") == []
    with pytest.raises(PayloadError):
        await trading.send_command("pricing", "PriceTrade", data, trading_context())


async def test_text_that_is_not_unicode_in_command_data_is_a_payload_error(infrastructure) -> None:
    trading = CryptoTradingServiceBase(infrastructure, "trading")
    async with Echo(infrastructure, "echo"):
        with pytest.raises(PayloadError, match="not valid Unicode"):
            await trading.send_command("echo", "EchoPayload", {"s": "\ud800"}, trading_context())
        assert await trading.send_command("echo", "EchoPayload", {"s": "é"}, trading_context()) == {
            "s": "é"
        }


async def test_payloads_over_max_payload_name_both_sizes(nats_server: str, telemetry) -> None:
    infrastructure = await InfrastructureFactory.create_nats(nats_server)
    trading = CryptoTradingServiceBase(infrastructure, "trading")
    big = {"blob": "x" * 2_000_000}
    try:
        with pytest.raises(PayloadTooLargeError, match=r"over the server's max_payload") as caught:
            await trading.publish_domain_event("TradeExecuted", "trade-big", big, trading_context())
        assert caught.value.size > 2_000_000 and caught.value.limit == 1024 * 1024
        assert str(caught.value.size) in str(caught.value) and "1048576" in str(caught.value)
        assert await infrastructure.event_store.read_stream("trade-big") == []
        async with Echo(infrastructure, "echo"):
            with pytest.raises(PayloadTooLargeError):
                await trading.send_command("echo", "EchoPayload", big, trading_context())
            assert await trading.send_command(
                "echo", "EchoPayload", {"n": 1}, trading_context()
            ) == {"n": 1}
    finally:
        await infrastructure.close()


async def test_a_connection_the_server_closes_recovers(nats_server: str, telemetry) -> None:
    infrastructure = await InfrastructureFactory.create_nats(nats_server)
    trading = CryptoTradingServiceBase(infrastructure, "trading")
    nc = infrastructure.bus._nc
    try:
        await trading.publish_domain_event("TradeExecuted", "trade-r1", {}, trading_context())
        # bypass the checks: the server answers -ERR and closes the connection
        await nc.publish("lucent.raw." + "x" * 5000, b"")
        await eventually(lambda: nc.stats["reconnects"] >= 1 and nc.is_connected, timeout=15)
        assert not nc.is_closed
        stored = await trading.publish_domain_event(
            "TradeExecuted", "trade-r1", {}, trading_context()
        )
        assert stored.version == 2
    finally:
        await asyncio.wait_for(infrastructure.close(), 10)
