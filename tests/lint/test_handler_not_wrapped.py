"""LUC501 beyond the doc examples: configuration, which classes are services, position."""

from __future__ import annotations

from .helpers import lint_text

HANDLER = """
from lucent_runtime import CryptoTradingServiceBase


class {cls}({base}):
    async def {method}(self, event):
        await self.apply(event)
"""


def codes(text: str, config: dict | None = None) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in lint_text(text, config) if f.code == "LUC501"]


def test_handler_name_pattern_option() -> None:
    source = HANDLER.format(
        cls="PortfolioService", base="CryptoTradingServiceBase", method="process_trade"
    )
    assert codes(source) == []
    assert codes(source, {"handler-name-pattern": "^(handle|on|process)_"}) == [(6, "LUC501")]
    default = HANDLER.format(
        cls="PortfolioService", base="CryptoTradingServiceBase", method="on_trade"
    )
    assert codes(default, {"handler-name-pattern": "^process_"}) == []


def test_service_by_inheritance_in_the_same_module() -> None:
    source = """
from lucent_runtime import CryptoTradingServiceBase


class _Base(CryptoTradingServiceBase):
    pass


class PortfolioProjector(_Base):
    async def on_trade_executed(self, event):
        await self.apply(event)


class TradeRouter:
    async def on_trade_executed(self, event):
        await self.apply(event)
"""
    assert codes(source) == [(10, "LUC501")]


def test_service_class_pattern_and_extra_bases() -> None:
    source = HANDLER.format(cls="PortfolioWorker", base="AppBase", method="handle_trade")
    assert codes(source) == []
    assert codes(source, {"service-class-pattern": "Worker$"}) == [(6, "LUC501")]
    assert codes(source, {"extra-base-classes": ["AppBase"]}) == [(6, "LUC501")]


def test_event_handler_decorator_makes_any_method_a_handler() -> None:
    source = """
import lucent_runtime as lr


class TradeRouter:
    @lr.event_handler("TradeExecuted")
    async def route(self, payload):
        return payload

    @lr.event_handler
    async def _private(self, payload):
        return payload
"""
    assert codes(source) == [(7, "LUC501"), (11, "LUC501")]


def test_reported_at_the_def_keyword_with_the_method_as_scope() -> None:
    source = """
from lucent_runtime import CryptoTradingServiceBase, event_handler


class PortfolioService(CryptoTradingServiceBase):
    @event_handler("TradeExecuted")
    async def handle_trade_executed(self, event):
        await self.apply(event)

    def on_price_event(self, price_event):
        return price_event
"""
    findings = [f for f in lint_text(source) if f.code == "LUC501"]
    assert [(f.line, f.column, f.scope) for f in findings] == [
        (7, 11, "PortfolioService.handle_trade_executed"),
        (10, 5, "PortfolioService.on_price_event"),
    ]


def test_delegation_through_a_cycle_of_helpers_terminates() -> None:
    source = """
from lucent_runtime import CryptoTradingServiceBase


class PortfolioService(CryptoTradingServiceBase):
    async def handle_a(self, event):
        await self._b(event)

    async def _b(self, event):
        await self.handle_a(event)

    async def on_c(self, event):
        await self._d(event)

    async def _d(self, event):
        await self.on_c(event)
        await self.handle_domain_event(event, self._apply)
"""
    assert codes(source) == [(6, "LUC501")]


def test_annotations_that_name_an_event() -> None:
    source = """
from typing import Optional

from lucent_runtime import CryptoTradingServiceBase, DomainEvent


class PortfolioService(CryptoTradingServiceBase):
    async def handle_a(self, message: DomainEvent):
        return message

    async def handle_b(self, message: Optional["TradeExecutedEvent"]):
        return message

    async def handle_c(self, *, message: "lr.DomainEvent | None" = None):
        return message

    async def handle_d(self, message: dict, seconds: int):
        return message
"""
    assert codes(source) == [(8, "LUC501"), (11, "LUC501"), (14, "LUC501")]
