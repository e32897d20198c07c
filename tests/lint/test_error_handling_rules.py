"""LUC601-LUC604 beyond the doc examples: positions, nested scopes, scope of service code."""

from __future__ import annotations

from .helpers import lint_text

SOURCE = """
import logging

from lucent_runtime import CryptoTradingServiceBase

logger = logging.getLogger(__name__)


class QuoteService(CryptoTradingServiceBase):
    async def quote(self, pair):
        try:
            return await self.fetch(pair)
        except  :
            def later():
                raise QuoteError(pair)

            self.schedule(later)
        try:
            return await self.fetch(pair)
        except* ValueError:
            pass
        try:
            return await self.fetch(pair)
        except TimeoutError as err:
            try:
                await self.cache_miss(pair)
            except KeyError:
                raise QuoteError(pair)
            except LookupError:
                raise err
            logger.exception(
                "quote timed out"
            )
            raise
"""


def found() -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.code) for f in lint_text(SOURCE)]


def test_positions() -> None:
    assert found() == [
        (13, 9, "LUC601"),  # a raise inside a nested def does not re-raise for the block
        (13, 9, "LUC604"),
        (20, 9, "LUC601"),  # except* too
        (28, 17, "LUC602"),  # at the raise; its handler binds no name
        (31, 13, "LUC603"),  # at the start of the logger call, not its line end
    ]


def test_messages_name_what_is_missing() -> None:
    by_code = {f.code: f.message for f in lint_text(SOURCE)}
    assert "from err" in by_code["LUC602"]
    assert "context fields" in by_code["LUC603"]
    assert "the error" not in by_code["LUC603"]


def test_helper_code_outside_service_classes_is_not_checked() -> None:
    source = """
def parse_price(text):
    try:
        return float(text)
    except:
        return None


class PriceService(Base):
    def parse(self, text):
        try:
            return float(text)
        except:
            return None
"""
    config = {"extra-base-classes": ["Base"]}
    found = [(f.line, f.code) for f in lint_text(source, config) if f.code.startswith("LUC6")]
    assert found == [(13, "LUC601"), (13, "LUC604")]
    # a class named like a service that reaches no service base is not judged
    found = [(f.line, f.code) for f in lint_text(source) if f.code.startswith("LUC6")]
    assert found == []


def test_star_arguments_are_not_judged() -> None:
    source = """
from lucent_runtime import CryptoTradingServiceBase


class QuoteService(CryptoTradingServiceBase):
    async def quote(self, pair, *args, **fields):
        try:
            return await self.fetch(pair)
        except TimeoutError as err:
            self.logger.error("quote timed out", *args)
            self.logger.error("quote timed out", **fields)
            raise
"""
    assert [f for f in lint_text(source) if f.code == "LUC603"] == []


def test_runtime_logger_shape_passes_the_error_in_third_position() -> None:
    source = """
from lucent_runtime import CryptoTradingServiceBase


class TradeError(Exception):
    pass


class TradingService(CryptoTradingServiceBase):
    async def settle(self, trade_id, fields):
        try:
            return await self.fetch(trade_id)
        except Exception as exc:
            failure = TradeError(trade_id)
            self.logger.error("settlement failed", {"trade_id": trade_id}, failure)
            self.logger.error("settlement failed", fields, failure)
            self.logger.error("settlement failed %s", trade_id, failure)
            raise failure from exc
"""
    assert [(f.line, f.code) for f in lint_text(source)] == [(17, "LUC603")]


def test_a_failing_test_helper_is_not_a_swallowed_error() -> None:
    text = """
import pytest

from lucent_runtime import CryptoTradingServiceBase


async def check(service):
    try:
        await service.start()
    except Exception:
        pytest.fail("start raised")
    try:
        await service.stop()
    except Exception:
        service.stopped = False
"""
    assert [(f.line, f.column) for f in lint_text(text) if f.code == "LUC601"] == [(14, 5)]
