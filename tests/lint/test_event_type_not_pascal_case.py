"""LUC302/LUC303 beyond the doc examples: positions, one finding per literal, how names
are followed to their literal, and ``extra-past-tense``."""

from __future__ import annotations

from textwrap import dedent

from .helpers import lint_text, pairs

HEADER = """\
from lucent_runtime import CryptoTradingServiceBase, event_handler


class TradingService(CryptoTradingServiceBase):
    async def _publish(self, trade_id, data, ctx):
"""


def _lint(source: str, **config: object) -> list:
    """Only the event-type rules, so other rules' findings do not blur these tests."""
    return lint_text(source, {"select": ["LUC302", "LUC303"], **config})


def _service(body: str, before: str = "") -> str:
    return before + HEADER + dedent(body).replace("\n", "\n        ").rstrip() + "\n"


def test_reported_at_the_literal() -> None:
    source = _service(
        """
        await self.publish_domain_event(
            "trade_executed", f"trade-{trade_id}", data, ctx.business_context, ctx
        )
        """
    )
    [finding] = _lint(source)
    line = source.splitlines()[finding.line - 1]
    assert finding.code == "LUC302"
    assert line[finding.column - 1 :].startswith('"trade_executed"')
    assert finding.end_column - finding.column == len('"trade_executed"')


def test_not_pascal_case_gets_luc302_only() -> None:
    source = _service(
        """
        await self.publish_domain_event("execute_trade", "trade-1", data, ctx.business_context)
        await self.publish_domain_event("ExecuteTrade", "trade-1", data, ctx.business_context)
        """
    )
    assert [f.code for f in _lint(source)] == ["LUC302", "LUC303"]


def test_module_constant_reported_once_at_its_definition() -> None:
    source = _service(
        """
        await self.publish_domain_event(TRADE, "trade-1", data, ctx.business_context)
        await self.publish_domain_event(TRADE, "trade-2", data, ctx.business_context)
        """,
        before='TRADE = "TradeExecute"\n\n',
    )
    assert pairs(_lint(source)) == [(1, "LUC303")]


def test_names_that_cannot_be_followed_are_not_flagged() -> None:
    source = _service(
        """
        await self.publish_domain_event(trade_id, "trade-1", data, ctx.business_context)
        await self.publish_domain_event(AGAIN, "trade-1", data, ctx.business_context)
        await self.publish_domain_event(IMPORTED, "trade-1", data, ctx.business_context)
        await self.publish_domain_event(f"{trade_id}Executed", "trade-1", data, context)
        """,
        before=(
            'from events import IMPORTED\ntrade_id = "trade_executed"\n'
            'AGAIN = "TradeExecuted"\nAGAIN = "trade_executed"\n\n'
        ),
    )
    # trade_id is the method's parameter, AGAIN is assigned twice, IMPORTED lives elsewhere
    assert pairs(_lint(source)) == []


def test_closure_sees_the_outer_variable() -> None:
    source = _service(
        """
        event_type = "trade.executed"

        async def publish(ctx):
            await self.publish_domain_event(event_type, "trade-1", data, ctx.business_context)

        await self.execute_business_operation("publish", ctx.business_context, publish)
        """
    )
    findings = _lint(source)
    assert [(f.code, source.splitlines()[f.line - 1].strip()) for f in findings] == [
        ("LUC302", 'event_type = "trade.executed"')
    ]


def test_extra_past_tense_from_configuration() -> None:
    source = _service(
        """
        await self.publish_domain_event("PositionHodl", "position-1", data, ctx.business_context)
        """
    )
    assert [f.code for f in _lint(source)] == ["LUC303"]
    assert _lint(source, **{"extra-past-tense": ["Hodl"]}) == []


def test_constant_used_by_a_service_class_is_reported() -> None:
    # the module does not import lucent_runtime, so only service classes are service code;
    # a constant they use as an event type is theirs and is reported where it is written
    source = dedent(
        """\
        TRADE = "trade_executed"


        class TradingService(Base):
            async def _publish(self, ctx):
                await self.publish_domain_event("order_placed", "order-1", {}, ctx.business_context)
                await self.publish_domain_event(TRADE, "trade-1", {}, ctx.business_context)
        """
    )
    # ``Base`` is a configured service base: the class has adopted the framework
    assert pairs(_lint(source, **{"extra-base-classes": ["Base"]})) == [
        (1, "LUC302"),
        (6, "LUC302"),
    ]
    # reaching no runtime base, it has not: only LUC101 judges it
    assert pairs(_lint(source)) == []


def test_noqa_on_the_literal_line() -> None:
    source = _service(
        """
        await self.publish_domain_event(
            "trade_executed",  # noqa: LUC302
            "trade-1",
            data,
            ctx.business_context,
        )
        """
    )
    assert _lint(source) == []
