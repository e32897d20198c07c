"""W3C baggage set where an event is published reaches its handler, on every back-end (on
NATS it travels in the headers of the one stored message)."""

from __future__ import annotations

from opentelemetry import baggage
from opentelemetry import context as context_api

from lucent_runtime import CryptoTradingServiceBase, DomainEvent, RequestContext, event_handler

from .helpers import eventually, trading_context


class Audit(CryptoTradingServiceBase):
    def __init__(self, infrastructure) -> None:
        super().__init__(infrastructure, "audit")
        self.seen: list[tuple[str, object]] = []

    @event_handler("TradeExecuted")
    async def handle_trade_executed(self, event: DomainEvent) -> None:
        async def record(event: DomainEvent, ctx: RequestContext) -> None:
            self.seen.append((event.event_id, baggage.get_baggage("tenant")))

        await self.handle_domain_event(event, record)


async def test_baggage_reaches_the_handler(every_infrastructure) -> None:
    audit = Audit(every_infrastructure)
    trading = CryptoTradingServiceBase(every_infrastructure, "trading")
    async with audit:
        token = context_api.attach(baggage.set_baggage("tenant", "acme"))
        try:
            stored = await trading.publish_domain_event(
                "TradeExecuted", "trade-bag1", {}, trading_context()
            )
        finally:
            context_api.detach(token)
        await eventually(lambda: bool(audit.seen), timeout=10)
    assert audit.seen == [(stored.event_id, "acme")]
