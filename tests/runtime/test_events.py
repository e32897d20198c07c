"""publish_domain_event → event store → bus → @event_handler → handle_domain_event, with
the trace continued and correlation / causation kept."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from opentelemetry.trace import SpanKind
from pydantic import BaseModel

from lucent_runtime import (
    ConcurrencyError,
    CryptoTradingServiceBase,
    DomainEvent,
    MessageDecodeError,
    NamingError,
    PayloadError,
    RequestContext,
    event_handler,
)
from lucent_runtime.backends.base import HEADER_DLQ_ATTEMPTS, HEADER_DLQ_ERROR, Message

from .helpers import eventually, parent_id, span, trading_context


class TradeResult(BaseModel):
    trade_id: str
    filled_usd: float


class TradingService(CryptoTradingServiceBase):
    async def execute_trade(self, trade_id: str) -> DomainEvent:
        context = trading_context()

        async def execute(ctx: RequestContext) -> DomainEvent:
            result = TradeResult(trade_id=trade_id, filled_usd=50_000)
            return await self.publish_domain_event(
                "TradeExecuted", f"trade-{trade_id}", result, context, ctx
            )

        return await self.execute_business_operation("execute_trade", context, execute)


class PortfolioService(CryptoTradingServiceBase):
    def __init__(self, infrastructure, name: str) -> None:
        super().__init__(infrastructure, name)
        self.handled: list[tuple[DomainEvent, RequestContext]] = []
        self.updates: list[DomainEvent] = []

    @event_handler("TradeExecuted")
    async def handle_trade_executed(self, event: DomainEvent) -> None:
        async def update(event: DomainEvent, ctx: RequestContext) -> None:
            self.handled.append((event, ctx))
            user = ctx.business_context.user_id
            self.updates.append(
                await self.publish_domain_event(
                    "PortfolioUpdated", f"portfolio-{user}", {"value": 1}, ctx.business_context, ctx
                )
            )

        await self.handle_domain_event(event, update)


async def test_publish_stores_then_publishes_and_handler_continues_the_trace(infrastructure, spans):
    trading = TradingService(infrastructure, "trading")
    portfolio = PortfolioService(infrastructure, "portfolio")
    await portfolio.start()
    published = await trading.execute_trade("abc123")
    await eventually(lambda: len(portfolio.updates) == 1)
    await portfolio.stop()

    # stored, with its metadata
    assert published.version == 1
    assert published.stream_id == "trade-abc123"
    assert dict(published.data) == {"trade_id": "abc123", "filled_usd": 50000.0}
    assert (await infrastructure.event_store.read_stream("trade-abc123")) == [published]
    meta = published.metadata
    assert meta["business_context"]["aggregate_id"] == "trade-abc123"
    assert meta["source"] == "trading"
    producer = span(spans, "publish TradeExecuted")
    operation = span(spans, "execute_trade")
    assert meta["correlation_id"] == operation.attributes["event.correlation_id"]
    assert meta["causation_id"] == operation.attributes["request.id"]
    assert meta["traceparent"].split("-")[2] == format(producer.context.span_id, "016x")

    # the handler's context
    ((event, ctx),) = portfolio.handled
    assert event == published
    assert ctx.correlation_id == published.correlation_id
    assert ctx.causation_id == published.event_id
    assert ctx.business_context == trading_context()

    # PRODUCER and CONSUMER spans in one trace
    consumer = span(spans, "process TradeExecuted")
    assert producer.kind is SpanKind.PRODUCER
    assert consumer.kind is SpanKind.CONSUMER
    assert parent_id(producer) == operation.context.span_id
    assert parent_id(consumer) == producer.context.span_id
    assert consumer.context.trace_id == operation.context.trace_id
    subject = "lucent.events.domain.crypto_trading.TradeExecuted"
    for item in (producer, consumer):
        assert item.attributes["messaging.system"] == "lucent.inprocess"
        assert item.attributes["messaging.destination.name"] == subject
        assert item.attributes["messaging.message.id"] == published.event_id
        assert item.attributes["messaging.message.conversation_id"] == published.correlation_id
        assert item.attributes["business.workflow_id"] == "workflow-789"
        assert item.attributes["crypto.trading_pair"] == "ETH-USDC"

    # the event published by the handler: same flow, caused by the handled event
    (update,) = portfolio.updates
    assert update.correlation_id == published.correlation_id
    assert update.causation_id == published.event_id
    assert parent_id(span(spans, "publish PortfolioUpdated")) == consumer.context.span_id


async def test_handle_domain_event_called_directly_uses_the_metadata_trace(infrastructure, spans):
    trading = TradingService(infrastructure, "trading")
    portfolio = PortfolioService(infrastructure, "portfolio")
    published = await trading.execute_trade("direct1")
    await portfolio.handle_trade_executed(published)
    consumer = span(spans, "process TradeExecuted")
    assert parent_id(consumer) == span(spans, "publish TradeExecuted").context.span_id


@pytest.mark.parametrize(
    ("event_type", "stream_id", "fragment"),
    [
        ("tradeExecuted", "trade-1", "PascalCase"),
        ("ExecuteTrade", "trade-1", "past-tense"),
        ("TradeExecuted", "Trade_1", "stream id"),
        ("TradeExecuted", "trade", "stream id"),
    ],
)
async def test_names_breaking_the_rules_are_refused(
    infrastructure, event_type, stream_id, fragment
):
    trading = TradingService(infrastructure, "trading")
    with pytest.raises(NamingError, match=fragment):
        await trading.publish_domain_event(event_type, stream_id, {}, trading_context())
    assert await infrastructure.event_store.read_stream(stream_id) == []


async def test_stale_expected_version_is_refused(infrastructure):
    trading = TradingService(infrastructure, "trading")
    context = trading_context()
    first = await trading.publish_domain_event(
        "TradeOpened", "trade-v1", {}, context, expected_version=0
    )
    second = await trading.publish_domain_event(
        "TradeFilled", "trade-v1", {}, context, expected_version=1
    )
    assert (first.version, second.version) == (1, 2)
    with pytest.raises(ConcurrencyError) as info:
        await trading.publish_domain_event(
            "TradeClosed", "trade-v1", {}, context, expected_version=1
        )
    assert (info.value.expected_version, info.value.actual_version) == (1, 2)


@pytest.mark.parametrize(
    ("value", "words"),
    [(object(), "object is not JSON serializable"), (b"\xff", "bytes that are not UTF-8")],
)
async def test_unencodable_data_is_refused(infrastructure, value, words):
    trading = TradingService(infrastructure, "trading")
    with pytest.raises(PayloadError, match="TradeExecuted") as info:
        await trading.publish_domain_event(
            "TradeExecuted", "trade-1", {"x": value}, trading_context()
        )
    assert words in str(info.value)
    assert await infrastructure.event_store.read_stream("trade-1") == []


class Side(enum.Enum):
    BUY = "buy"


class Fill(BaseModel):
    amount: Decimal
    at: datetime
    order: UUID
    side: Side
    legs: tuple[int, ...]


@dataclass
class FillRecord:
    amount: Decimal
    at: datetime
    order: UUID
    side: Side
    legs: tuple[int, ...]


async def test_decimals_datetimes_uuids_and_enums_are_written_as_pydantic_writes_them(
    every_infrastructure,
):
    values = {
        "amount": Decimal("1.50"),
        "at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "order": UUID(int=7),
        "side": Side.BUY,
        "legs": (1, 2),
    }
    expected = Fill(**values).model_dump(mode="json")
    assert expected["amount"] == "1.50" and expected["at"] == "2026-01-02T03:04:05Z"
    trading = TradingService(every_infrastructure, "trading")
    for number, data in enumerate((values, FillRecord(**values), Fill(**values))):
        stream = f"trade-fill{number}"
        event = await trading.publish_domain_event("TradeFilled", stream, data, trading_context())
        assert event.to_dict()["data"] == expected, type(data)
        (stored,) = await every_infrastructure.event_store.read_stream(stream)
        assert stored.to_dict()["data"] == expected, type(data)


class FlakyService(CryptoTradingServiceBase):
    def __init__(self, infrastructure, name: str, failures: int) -> None:
        super().__init__(infrastructure, name)
        self.failures = failures
        self.attempts = 0
        self.done: list[str] = []

    @event_handler("TradeExecuted")
    async def handle_trade_executed(self, event: DomainEvent) -> None:
        async def flaky(event: DomainEvent, ctx: RequestContext) -> None:
            self.attempts += 1
            if self.attempts <= self.failures:
                raise RuntimeError(f"attempt {self.attempts} failed")
            self.done.append(event.event_id)

        await self.handle_domain_event(event, flaky)


async def test_failed_handling_is_redelivered_until_it_succeeds(infrastructure, spans):
    flaky = FlakyService(infrastructure, "ledger", failures=2)
    await flaky.start()
    published = await TradingService(infrastructure, "trading").execute_trade("retry1")
    await eventually(lambda: flaky.done == [published.event_id])
    await flaky.stop()
    assert flaky.attempts == 3
    handlings = [s for s in spans.get_finished_spans() if s.name == "process TradeExecuted"]
    assert [s.attributes["messaging.message.delivery_count"] for s in handlings] == [1, 2, 3]


async def test_handling_that_keeps_failing_is_dead_lettered(infrastructure):
    flaky = FlakyService(infrastructure, "ledger", failures=100)
    dead: list[Message] = []

    async def collect(message: Message) -> None:
        dead.append(message)

    await flaky.start()
    await infrastructure.bus.subscribe("lucent.dlq.>", "dlq-watch", collect)
    published = await TradingService(infrastructure, "trading").execute_trade("dead1")
    await eventually(lambda: len(dead) == 1)
    await asyncio.sleep(0.05)
    assert flaky.attempts == 3  # max_deliver of the fixture's bus
    (letter,) = dead
    assert letter.subject == "lucent.dlq.ledger-handle-trade-executed"
    assert letter.headers[HEADER_DLQ_ERROR] == "RuntimeError: attempt 3 failed"
    assert letter.headers[HEADER_DLQ_ATTEMPTS] == "3"
    assert DomainEvent.from_json(letter.data) == published
    await flaky.stop()


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "TradeExecuted"},
        {"event_id": "e-1", "stream_id": "trade-1", "version": "one", "type": "T", "timestamp": ""},
        {"event_id": "e-1", "stream_id": "trade-1", "version": 1, "type": "T", "timestamp": "",
         "metadata": ["not", "an", "object"]},
    ],
)  # fmt: skip
async def test_handle_domain_event_refuses_a_mapping_that_is_not_an_event(infrastructure, raw):
    portfolio = PortfolioService(infrastructure, "portfolio")
    with pytest.raises(MessageDecodeError, match="not a domain event"):
        await portfolio.handle_domain_event(raw, lambda event, ctx: None)


async def test_a_message_that_is_not_an_event_is_dead_lettered_at_once(infrastructure):
    portfolio = PortfolioService(infrastructure, "portfolio")
    dead: list[Message] = []

    async def collect(message: Message) -> None:
        dead.append(message)

    await portfolio.start()
    await infrastructure.bus.subscribe("lucent.dlq.>", "dlq-watch", collect)
    subject = "lucent.events.domain.crypto_trading.TradeExecuted"
    await infrastructure.bus.publish(subject, b"{not json", {})
    await infrastructure.bus.publish(subject, b"", {"Status": "503"})
    # an event's fields, with metadata that is not an object
    await infrastructure.bus.publish(
        subject,
        b'{"event_id":"e-1","stream_id":"trade-1","version":1,"type":"TradeExecuted",'
        b'"timestamp":"2026-01-01T00:00:00+00:00","metadata":5}',
        {},
    )
    await eventually(lambda: len(dead) == 3)
    await asyncio.sleep(0.05)
    assert [m.headers[HEADER_DLQ_ATTEMPTS] for m in dead] == ["1", "1", "1"]
    assert all(
        m.headers[HEADER_DLQ_ERROR].startswith("MessageDecodeError: message on") for m in dead
    )
    assert portfolio.handled == []
    await portfolio.stop()
