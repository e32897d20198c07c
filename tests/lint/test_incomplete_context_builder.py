"""LUC203 beyond its doc: where a chain starts, builders followed through variables and
closures, builders that leave the function."""

from __future__ import annotations

from .helpers import lint_text


def found(text: str) -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in lint_text(text) if f.code == "LUC203"]


def test_reported_at_the_builder_name_inside_parentheses_and_aliases() -> None:
    text = """\
import lucent_runtime as lr
from lucent_runtime import BusinessContextBuilder as Builder

a = (
    lr.BusinessContextBuilder.for_crypto_trading()
    .with_user("user-1")
    .build()
)
b = Builder.for_user_management().with_user("user-1").build()
c = [lr.BusinessContextBuilder().with_aggregate("Trade", "trade-1").build()]
"""
    assert found(text) == [(5, 5), (9, 5), (10, 6)]


def test_one_finding_names_every_missing_part() -> None:
    text = (
        "from lucent_runtime import BusinessContextBuilder\n\n"
        "BusinessContextBuilder().with_user('u')\n"
    )
    [finding] = [f for f in lint_text(text) if f.code == "LUC203"]
    assert "for_*" in finding.message
    assert "with_aggregate" in finding.message
    assert "build()" in finding.message


def test_builder_variable_followed_into_a_closure() -> None:
    text = """\
from lucent_runtime import BusinessContextBuilder


async def run(service, trade_id):
    builder = BusinessContextBuilder.for_crypto_trading()

    async def finish(ctx):
        builder.with_aggregate("Trade", f"trade-{trade_id}")
        return builder.build()

    return finish


async def forgotten(service, trade_id):
    builder = BusinessContextBuilder.for_crypto_trading()

    async def finish(ctx):
        return builder.with_user("user-1").build()

    return finish
"""
    assert found(text) == [(15, 15)]


def test_builders_leaving_the_function_are_not_judged() -> None:
    text = """\
from lucent_runtime import BusinessContextBuilder


class Contexts:
    def __init__(self):
        self.builder = BusinessContextBuilder.for_crypto_trading()

    def base(self, user_id):
        builder = BusinessContextBuilder.for_crypto_trading().with_user(user_id)
        return builder

    def handed_on(self, finish):
        builder = BusinessContextBuilder.for_crypto_trading()
        return finish(builder)

    def rebound(self, other):
        builder = BusinessContextBuilder.for_crypto_trading()
        builder = other
        return builder.build()

    def yielded(self):
        yield BusinessContextBuilder.for_yield_farming()
"""
    assert found(text) == []


def test_unbuilt_builder_given_as_a_business_context() -> None:
    text = """\
from lucent_runtime import BusinessContextBuilder, CryptoTradingServiceBase


class TradeService(CryptoTradingServiceBase):
    async def record(self, trade):
        builder = BusinessContextBuilder.for_crypto_trading()
        builder.with_aggregate("Trade", "trade-1")

        async def record(ctx):
            await self.publish_domain_event("TradeRecorded", "trade-1", trade, builder, ctx)

        await self.execute_business_operation(
            "record",
            BusinessContextBuilder.for_crypto_trading().with_aggregate("Trade", "trade-1"),
            record,
        )
"""
    assert found(text) == [(6, 19), (14, 13)]


def test_a_context_built_from_a_finished_variable_is_a_context_not_a_builder() -> None:
    text = """\
from lucent_runtime import BusinessContextBuilder


def make(trade_id):
    context = BusinessContextBuilder.for_crypto_trading().with_aggregate("Trade", trade_id)
    context = context.build()
    return context.to_attributes()
"""
    assert found(text) == []
