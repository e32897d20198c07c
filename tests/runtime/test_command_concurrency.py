"""A service handles several commands at once, up to its bound, on every back-end."""

from __future__ import annotations

import asyncio
import time

import pytest

from lucent_runtime import (
    CryptoTradingServiceBase,
    Infrastructure,
    InfrastructureFactory,
    RequestContext,
    command_handler,
)

from .helpers import trading_context


class Pricing(CryptoTradingServiceBase):
    @command_handler("PriceSlowly")
    async def price_slowly(self, data: dict, ctx: RequestContext) -> dict:
        await asyncio.sleep(data["seconds"])
        return {"priced": data["n"]}

    @command_handler("PriceQuickly")
    async def price_quickly(self, data: dict, ctx: RequestContext) -> dict:
        await asyncio.sleep(data["seconds"])
        return {"priced": data["n"]}


@pytest.fixture
def infrastructure(every_infrastructure: Infrastructure) -> Infrastructure:
    return every_infrastructure  # each back-end in turn


async def _send(sender, command: str, n: int, seconds: float, timeout: float) -> dict:
    return await sender.send_command(
        "pricing", command, {"n": n, "seconds": seconds}, trading_context(), timeout
    )


async def test_a_slow_command_does_not_hold_up_five_quick_ones(infrastructure) -> None:
    pricing = Pricing(infrastructure, "pricing")
    sender = CryptoTradingServiceBase(infrastructure, "trading")
    async with pricing:
        slow = asyncio.create_task(_send(sender, "PriceSlowly", 0, 3.0, 5.0))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        replies = await asyncio.gather(
            *(_send(sender, "PriceQuickly", n, 1.0, 2.0) for n in range(1, 6))
        )
        assert time.monotonic() - started < 2.0
        assert replies == [{"priced": n} for n in range(1, 6)]
        assert await slow == {"priced": 0}


async def test_commands_beyond_the_bound_wait_their_turn(infrastructure) -> None:
    pricing = Pricing(infrastructure, "pricing", max_concurrent_commands=2)
    sender = CryptoTradingServiceBase(infrastructure, "trading")
    async with pricing:
        started = time.monotonic()
        replies = await asyncio.gather(
            *(_send(sender, "PriceQuickly", n, 0.3, 5.0) for n in range(4))
        )
        elapsed = time.monotonic() - started
    assert replies == [{"priced": n} for n in range(4)]
    # two at a time: two rounds of 0.3 s, not one
    assert 0.55 < elapsed < 2.0, elapsed


def test_the_bound_must_be_positive() -> None:
    from lucent_runtime import ConfigurationError

    infrastructure = InfrastructureFactory.create_in_memory()
    with pytest.raises(ConfigurationError, match="max_concurrent_commands"):
        Pricing(infrastructure, "pricing", max_concurrent_commands=0)
