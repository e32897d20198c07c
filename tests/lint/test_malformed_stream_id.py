"""LUC304 beyond the doc examples: stream ids built by concatenation, ``%`` and
``str.format``, the read and append calls with their keyword spellings, and what cannot be
judged."""

from __future__ import annotations

from textwrap import dedent

from .helpers import expected_markers, lint_text, pairs

HEADER = """\
from lucent_runtime import CryptoTradingServiceBase


class TradingService(CryptoTradingServiceBase):
    async def _record(self, trade_id, data, ctx):
"""


def _service(body: str, before: str = "") -> str:
    return before + HEADER + dedent(body).replace("\n", "\n        ").rstrip() + "\n"


def _check(source: str) -> None:
    """Only LUC304, and exactly the marked lines."""
    assert pairs(lint_text(source, {"select": ["LUC304"]})) == expected_markers(source)


def test_built_stream_ids_are_judged_by_their_literal_start() -> None:
    _check(
        _service(
            """
            await self.publish_domain_event("TradeBooked", "trade-" + trade_id, data)
            await self.publish_domain_event("TradeBooked", "trade_" + trade_id, data)  # LUC304
            await self.publish_domain_event("TradeBooked", "trade-%s" % trade_id, data)
            await self.publish_domain_event("TradeBooked", "Trade-%s" % trade_id, data)  # LUC304
            await self.publish_domain_event("TradeBooked", "trade-{}".format(trade_id), data)
            await self.publish_domain_event("Booked", "trade:{}".format(trade_id), data)  # LUC304
            """
        )
    )


def test_reads_and_appends_with_either_keyword() -> None:
    _check(
        _service(
            """
            store = self.infrastructure.event_store
            await store.read_stream(stream_id="trade-1")
            await store.read_stream(stream_name="trade_1")  # LUC304
            await store.get_stream("portfolio")  # LUC304
            await store.get_stream(stream_name="portfolio-user-456")
            await store.append("Trade-1", [data])  # LUC304
            await store.append(stream_name="trade-1", events=[data])
            """
        )
    )


def test_what_cannot_be_judged_passes() -> None:
    _check(
        _service(
            """
            await self.publish_domain_event("TradeBooked", f"{kind}-{trade_id}", data, ctx)
            await self.publish_domain_event("TradeBooked", trade_id, data, ctx)
            await self.publish_domain_event("TradeBooked", make_stream(trade_id), data, ctx)
            await self.publish_domain_event("TradeBooked", prefix + trade_id, data, ctx)
            """
        )
    )


def test_a_constant_used_twice_is_reported_once_where_it_is_written() -> None:
    source = _service(
        """
        await self.publish_domain_event("TradeBooked", STREAM, data, ctx)
        await self.publish_domain_event("TradeSettled", STREAM, data, ctx)
        """,
        before='STREAM = "trades"  # LUC304\n\n',
    )
    _check(source)
