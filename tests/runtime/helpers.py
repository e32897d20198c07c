"""Helpers for the runtime tests: find spans, wait for asynchronous handlers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lucent_runtime import BusinessContext, BusinessContextBuilder


def trading_context(**extra: str) -> BusinessContext:
    builder = (
        BusinessContextBuilder.for_crypto_trading()
        .with_aggregate("Trade", "trade-abc123")
        .with_user("user-456")
        .with_trading_pair("ETH-USDC")
        .with_amount(50_000)
        .with_workflow("workflow-789")
    )
    for key, value in extra.items():
        builder.with_metadata(key, value)
    return builder.build()


def span(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    found = [s for s in exporter.get_finished_spans() if s.name == name]
    assert len(found) == 1, f"expected one span {name!r}, got {[s.name for s in found]}"
    return found[0]


def parent_id(item: ReadableSpan) -> int | None:
    return item.parent.span_id if item.parent else None


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)
