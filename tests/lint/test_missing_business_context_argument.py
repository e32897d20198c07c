"""LUC204 beyond its doc: positions, receivers, keywords and star arguments."""

from __future__ import annotations

from .helpers import lint_text

HEADER = (
    "from lucent_runtime import CryptoTradingServiceBase\n\n\n"
    "class TradeService(CryptoTradingServiceBase):\n"
)


def found(body: str) -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in lint_text(HEADER + body) if f.code == "LUC204"]


def test_reported_at_the_start_of_the_call() -> None:
    body = """\
    async def quote(self, data):
        return await (
            self.send_command("pricing", "QuotePair", data)
        )
"""
    assert found(body) == [(7, 13)]


def test_any_receiver_but_never_a_plain_function() -> None:
    body = """\
    async def forward(self, other, data):
        async def publish_domain_event(*args):
            return args

        await publish_domain_event("TradeRecorded", "trade-1", data)
        return await other.send_command("pricing", "QuotePair", data)
"""
    assert found(body) == [(10, 22)]


def test_keywords_and_star_arguments() -> None:
    body = """\
    async def keywords(self, data, context, options):
        await self.publish_domain_event(
            "TradeRecorded", "trade-1", data, request_context=None
        )
        await self.publish_domain_event(
            "TradeRecorded", "trade-1", data, business_context=context
        )
        await self.publish_domain_event("TradeRecorded", "trade-1", data, **options)
        await self.send_command(*options, business_context=context)
        await self.execute_business_operation("keywords", fn=lambda ctx: None)
"""
    assert found(body) == [(6, 15), (14, 15)]


def test_a_named_context_in_a_short_call_is_not_missing() -> None:
    body = """\
    async def short(self, context, business_ctx):
        await self.execute_business_operation("short", context)
        await self.execute_business_process("short", business_ctx)
        await self.execute_business_operation("short", self.run)
"""
    assert found(body) == [(8, 15)]
