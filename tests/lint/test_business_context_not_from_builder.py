"""LUC202 beyond its doc: values followed through names and attributes of self."""

from __future__ import annotations

from .helpers import lint_text


def found(text: str) -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in lint_text(text) if f.code == "LUC202"]


def test_attribute_of_self_assigned_once() -> None:
    text = """\
from lucent_runtime import CryptoTradingServiceBase


class TradeService(CryptoTradingServiceBase):
    def __init__(self, infrastructure):
        super().__init__(infrastructure, "trading")
        self.context = {"domain": "crypto-trading"}
        self.fallback = None

    async def record(self, trade):
        await self.send_command("ledger", "RecordTrade", trade, self.context)

    def use_default(self, context):
        self.fallback = context

    async def replay(self, trade):
        await self.send_command("ledger", "ReplayTrade", trade, self.fallback)
"""
    assert found(text) == [(11, 15)]


def test_closure_sees_the_outer_value_and_shadowing_hides_it() -> None:
    text = """\
from lucent_runtime import BusinessContextBuilder, CryptoTradingServiceBase


class TradeService(CryptoTradingServiceBase):
    async def record(self, trade):
        context = None

        async def publish(ctx):
            await self.publish_domain_event("TradeRecorded", "trade-1", trade, context, ctx)

        async def shadowed(ctx, context):
            await self.publish_domain_event("TradeRecorded", "trade-1", trade, context, ctx)

        return publish, shadowed
"""
    assert found(text) == [(9, 19)]


def test_keyword_argument_and_dict_call() -> None:
    text = """\
from lucent_runtime import CryptoTradingServiceBase


class TradeService(CryptoTradingServiceBase):
    async def record(self, trade):
        await self.publish_domain_event(
            "TradeRecorded", "trade-1", trade, business_context=dict(domain="x")
        )
"""
    assert found(text) == [(6, 15)]
