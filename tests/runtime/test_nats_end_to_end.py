"""Two services on one real nats-server, each with its own connection (as two processes
would have), built by ``InfrastructureFactory.create_default()`` from ``NATS_URL``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from opentelemetry.trace import SpanKind

from lucent_runtime import (
    CommandTimeoutError,
    ConcurrencyError,
    CryptoTradingServiceBase,
    DomainEvent,
    Infrastructure,
    InfrastructureFactory,
    NoHandlerError,
    RemoteCommandError,
    RequestContext,
    command_handler,
    event_handler,
)

from .helpers import eventually, parent_id, span, trading_context


class TradingService(CryptoTradingServiceBase):
    async def execute_trade(self, trade_id: str, expected_version: int | None = None):
        context = trading_context()

        async def execute(ctx: RequestContext) -> DomainEvent:
            return await self.publish_domain_event(
                "TradeExecuted",
                f"trade-{trade_id}",
                {"trade_id": trade_id, "filled_usd": 50_000},
                context,
                ctx,
                expected_version=expected_version,
            )

        return await self.execute_business_operation("execute_trade", context, execute)

    async def assess(self, command: str, data: dict) -> dict:
        return await self.send_command("risk-assessment", command, data, trading_context(), 5.0)


class PortfolioService(CryptoTradingServiceBase):
    def __init__(self, infrastructure: Infrastructure, name: str) -> None:
        super().__init__(infrastructure, name)
        self.handled: list[tuple[DomainEvent, RequestContext]] = []
        self.attempts = 0

    @event_handler("TradeExecuted")
    async def handle_trade_executed(self, event: DomainEvent) -> None:
        async def update(event: DomainEvent, ctx: RequestContext) -> None:
            self.attempts += 1
            if self.attempts == 1:
                raise ConnectionError("portfolio database restarting")
            self.handled.append((event, ctx))

        await self.handle_domain_event(event, update)


class RiskAssessmentService(CryptoTradingServiceBase):
    @command_handler("AssessYieldRisk")
    async def assess_yield_risk(self, data: dict, ctx: RequestContext) -> dict:
        return {
            "protocol": data["protocol"],
            "risk_level": "low",
            "user": ctx.business_context.user_id,
        }

    @command_handler("AssessArbitrageRisk")
    async def assess_arbitrage_risk(self, data: dict, ctx: RequestContext) -> dict:
        raise ValueError(f"no liquidity data for {data['pair']}")


@pytest.fixture
async def two_processes(
    nats_server: str, telemetry: object, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Infrastructure, Infrastructure]]:
    monkeypatch.setenv("NATS_URL", nats_server)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    first = await InfrastructureFactory.create_default()
    second = await InfrastructureFactory.create_default()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_event_crosses_services_with_the_trace_continued(two_processes, spans) -> None:
    infra_a, infra_b = two_processes
    assert (infra_a.kind, infra_b.kind) == ("nats", "nats")
    trading = TradingService(infra_a, "trading")
    portfolio = PortfolioService(infra_b, "portfolio")
    await portfolio.start()
    try:
        published = await trading.execute_trade("abc123")
        await eventually(lambda: bool(portfolio.handled), timeout=10)
    finally:
        await portfolio.stop()

    # stored in JetStream: the other process reads the same stream
    assert published.version == 1
    assert await infra_b.event_store.read_stream("trade-abc123") == [published]

    # handled once (after one failed attempt), with the publisher's context
    ((event, ctx),) = portfolio.handled
    assert portfolio.attempts == 2
    assert event == published
    assert ctx.correlation_id == published.correlation_id
    assert ctx.causation_id == published.event_id
    assert ctx.business_context == trading_context()

    # one trace from the operation through NATS into the other service
    operation = span(spans, "execute_trade")
    producer = span(spans, "publish TradeExecuted")
    consumers = [s for s in spans.get_finished_spans() if s.name == "process TradeExecuted"]
    assert len(consumers) == 2  # the failed attempt and the successful one
    for consumer in consumers:
        assert consumer.kind is SpanKind.CONSUMER
        assert consumer.context.trace_id == operation.context.trace_id
        assert parent_id(consumer) == producer.context.span_id
        assert consumer.attributes["messaging.system"] == "nats"
        assert consumer.attributes["messaging.message.id"] == published.event_id
    assert producer.attributes["messaging.destination.name"] == (
        "lucent.events.domain.crypto_trading.TradeExecuted"
    )


async def test_a_stale_expected_version_is_refused_on_nats(two_processes) -> None:
    infra_a, infra_b = two_processes
    first = TradingService(infra_a, "trading")
    second = TradingService(infra_b, "trading")
    await first.execute_trade("race1", expected_version=0)
    with pytest.raises(ConcurrencyError):
        await second.execute_trade("race1", expected_version=0)
    assert (await second.execute_trade("race1", expected_version=1)).version == 2


async def test_command_round_trip_between_services(two_processes, spans) -> None:
    infra_a, infra_b = two_processes
    risk = RiskAssessmentService(infra_b, "risk-assessment")
    await risk.start()
    trading = TradingService(infra_a, "trading")
    try:
        reply = await trading.assess("AssessYieldRisk", {"protocol": "aave"})
        with pytest.raises(RemoteCommandError) as failed:
            await trading.assess("AssessArbitrageRisk", {"pair": "ETH-USDC"})
    finally:
        await risk.stop()
    assert reply == {"protocol": "aave", "risk_level": "low", "user": "user-456"}
    assert failed.value.remote_error["type"] == "ValueError"
    client = span(spans, "send AssessYieldRisk")
    server = span(spans, "handle AssessYieldRisk")
    assert parent_id(server) == client.context.span_id
    assert server.context.trace_id == client.context.trace_id
    assert server.attributes["business.aggregate_id"] == "trade-abc123"
    # once stopped nothing answers; the server may route one more request to the drained
    # subscription for a moment (interest updates are not instant across connections)
    for _ in range(20):
        try:
            await trading.send_command(
                "risk-assessment", "AssessYieldRisk", {"protocol": "aave"}, trading_context(), 0.5
            )
        except NoHandlerError:
            break
        except CommandTimeoutError:
            continue
    else:
        pytest.fail("a stopped service still answered or swallowed commands")
