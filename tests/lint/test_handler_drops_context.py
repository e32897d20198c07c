"""LUC502 beyond the doc examples: where and how often a finding is reported, and which
names count as freshly built."""

from __future__ import annotations

from .helpers import lint_text

SHARED_CALLBACK = """
from lucent_runtime import BusinessContextBuilder, CryptoTradingServiceBase


class ArbitrageService(CryptoTradingServiceBase):
    async def handle_price_update(self, event):
        await self.handle_domain_event(event, self._scan)

    async def _scan(self, event, ctx):
        fresh = BusinessContextBuilder.for_crypto_trading().with_aggregate("Scan", "s").build()
        await self.publish_domain_event("ScanCompleted", "scan-1", {}, fresh, ctx)

    async def handle_price_correction(self, event):
        await self.handle_domain_event(event, self._scan)
"""


def test_method_callback_reported_once_in_its_own_scope_at_the_call() -> None:
    findings = [f for f in lint_text(SHARED_CALLBACK) if f.code == "LUC502"]
    assert [(f.line, f.column, f.scope) for f in findings] == [(11, 15, "ArbitrageService._scan")]


def test_later_handlers_in_the_class_still_analysed() -> None:
    # the stack swap for the method callback must leave the walk intact
    source = (
        SHARED_CALLBACK
        + """
    async def handle_trade(self, event):
        async def apply(event, ctx):
            await self.send_command(
                "risk-assessment",
                "AssessRisk",
                {},
                BusinessContextBuilder.for_crypto_trading().with_aggregate("R", "r").build(),
            )

        await self.handle_domain_event(event, apply)
"""
    )
    findings = [f for f in lint_text(source) if f.code == "LUC502"]
    assert [(f.line, f.scope) for f in findings] == [
        (11, "ArbitrageService._scan"),
        (18, "ArbitrageService.handle_trade.apply"),
    ]


def test_names_are_resolved_in_the_nearest_binding_scope() -> None:
    source = """
from lucent_runtime import BusinessContextBuilder, CryptoTradingServiceBase


class PortfolioService(CryptoTradingServiceBase):
    async def handle_a(self, event):
        context = BusinessContextBuilder.for_crypto_trading().with_aggregate("P", "p").build()

        async def apply(event, context):
            # the parameter shadows the outer fresh context
            await self.publish_domain_event("PortfolioUpdated", "portfolio-1", {}, context, context)

        await self.handle_domain_event(event, apply)

    async def handle_b(self, event):
        async def apply(event, ctx):
            context = ctx.business_context
            if event.data.get("override"):
                context = BusinessContextBuilder.for_crypto_trading().with_aggregate("P", "p")
            await self.publish_domain_event("PortfolioUpdated", "portfolio-1", {}, context, ctx)

        await self.handle_domain_event(event, apply)

    async def handle_c(self, event):
        context = BusinessContextBuilder.for_crypto_trading().with_aggregate("P", "p").build()
        await self.handle_domain_event(
            event,
            handler=lambda evt, ctx: self.publish_domain_event(
                "PortfolioUpdated", "portfolio-1", {}, business_context=context
            ),
        )
"""
    findings = [f for f in lint_text(source) if f.code == "LUC502"]
    assert [f.line for f in findings] == [28]


def test_calls_outside_the_callback_are_not_checked() -> None:
    source = """
from lucent_runtime import BusinessContextBuilder, CryptoTradingServiceBase


class PortfolioService(CryptoTradingServiceBase):
    async def rebalance(self, user_id):
        context = BusinessContextBuilder.for_crypto_trading().with_aggregate("P", "p").build()

        async def run(ctx):
            await self.publish_domain_event("PortfolioRebalanced", "portfolio-1", {}, context, ctx)

        await self.execute_business_operation("rebalance", context, run)
"""
    assert [f for f in lint_text(source) if f.code == "LUC502"] == []


def test_an_operation_run_with_a_fresh_context_and_what_it_publishes_are_both_flagged() -> None:
    source = """
from lucent_runtime import BusinessContextBuilder, CryptoTradingServiceBase


class PortfolioService(CryptoTradingServiceBase):
    async def handle_trade_executed(self, event):
        async def apply(evt, ctx):
            fresh = BusinessContextBuilder.for_crypto_trading().with_aggregate("P", "p-1").build()
            await self.execute_business_operation(
                "apply",
                fresh,
                lambda c: self.publish_domain_event("PortfolioUpdated", "p-1", {}, fresh, c),
            )

        await self.handle_domain_event(event, apply)
"""
    findings = [(f.line, f.column) for f in lint_text(source) if f.code == "LUC502"]
    assert findings == [(9, 19), (12, 27)]
