"""LUC101 beyond its doc: options, which classes are checked, positions."""

from __future__ import annotations

from .helpers import lint_text


def codes(text: str, config: dict | None = None, code: str = "LUC101") -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in lint_text(text, config) if f.code == code]


def test_service_class_pattern_decides_which_classes_are_services() -> None:
    text = "class PriceFeed:\n    pass\n\n\nclass PriceService:\n    pass\n"
    assert codes(text) == [(5, 1)]
    assert codes(text, {"service-class-pattern": "^Price"}) == [(1, 1), (5, 1)]
    assert codes(text, {"service-class-pattern": "Feed$"}) == [(1, 1)]


def test_nested_classes_are_checked_function_local_ones_are_not() -> None:
    text = """
from lucent_runtime import LucentServiceBase


class Registry:
    class LookupService:
        pass


def make_stub():
    class StubService:
        pass

    return StubService
"""
    assert codes(text) == [(6, 5)]


def test_computed_base_is_not_judged() -> None:
    text = "def make_base():\n    return object\n\n\nclass QuoteService(make_base()):\n    pass\n"
    assert codes(text) == []


def test_extra_base_classes_accepts_a_direct_base() -> None:
    text = (
        "from platform_sdk import PlatformServiceBase\n\n\n"
        "class QuoteService(PlatformServiceBase):\n    pass\n"
    )
    assert codes(text) == [(4, 1)]
    assert codes(text, {"extra-base-classes": ["PlatformServiceBase"]}) == []


def test_runtime_submodule_and_subscripted_bases() -> None:
    text = """
from typing import Generic, TypeVar

from lucent_runtime._service import CryptoTradingServiceBase as Base

T = TypeVar("T")


class SwapService(Base, Generic[T]):
    pass


class GenericBase(Generic[T]):
    pass


class QuoteService(GenericBase[int]):
    pass
"""
    assert codes(text) == [(17, 1)]


def test_decorated_class_is_reported_at_class_keyword_even_indented_in_a_class() -> None:
    text = """
import functools


class Outer:
    @functools.total_ordering
    class InnerService:
        pass
"""
    assert codes(text) == [(7, 5)]


def test_test_classes_are_not_services() -> None:
    text = """
class TestNotificationService:
    async def test_alert(self):
        try:
            await self.send()
        except:
            pass


class Test_TradingService:
    pass


class TestnetFaucetService:
    pass
"""
    assert codes(text) == [(14, 1)]
    assert codes(text, code="LUC601") == []
    assert codes(text, code="LUC604") == []
