"""What ``lucent-trace`` prints: trace trees, journeys, duration statistics, as text lines
or JSON-ready data. No I/O."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ._store import Span, link_tree

__all__ = ["Stats", "format_ms", "span_json", "stats", "timestamp", "trace_lines"]


def timestamp(ns: int) -> str:
    """UTC, millisecond precision: ``2026-12-03 09:04:01.123``."""
    moment = datetime.fromtimestamp(ns / 1e9, tz=UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def iso_time(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="microseconds")


def format_ms(ms: float) -> str:
    if ms >= 1000:
        return f"{ms / 1000:.1f}s"
    return f"{ms:.1f}ms"


def mark(span: Span) -> str:
    return "❌" if span.failed else "✅"


def _label(span: Span) -> str:
    number = span.attributes.get("business.step_number")
    if number is not None:
        name = f"Step {number}/{span.attributes.get('business.total_steps')}: {span.name}"
    elif span.service:
        name = f"{span.name} [{span.service}]"
    else:
        name = span.name
    if not span.failed:
        return f"{name} ✅ {format_ms(span.duration_ms)}"
    message = f' - "{span.status_message}"' if span.status_message else ""
    return f"{name} ❌ {format_ms(span.duration_ms)} FAILED{message}"


def _format_value(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def attributes_text(attributes: dict[str, Any]) -> str:
    return " ".join(f"{key}={_format_value(value)}" for key, value in attributes.items())


def _details(span: Span) -> list[str]:
    """Under a failed span that caused its failure itself (no failed child): the
    recorded exceptions and the business context."""
    if not span.failed or any(child.failed for child in span.children):
        return []
    lines = []
    for event in span.events:
        if event["name"] == "exception":
            attributes = event["attributes"]
            kind = str(attributes.get("exception.type", "")).rpartition(".")[2]
            lines.append(f"↳ Error details: {kind}: {attributes.get('exception.message')}")
    business = span.business_attributes()
    if business:
        lines.append(f"↳ Business context: {attributes_text(business)}")
    return lines


def trace_lines(spans: Sequence[Span]) -> list[str]:
    """One trace as a tree: operations, process steps, events published and handled,
    commands, each with ✅/❌ and its duration; failed spans with their error."""
    roots = link_tree(list(spans))
    first = min(spans, key=lambda s: s.start_ns)
    root = next((span for span in roots if span.parent_id is None), roots[0])
    header = f"Trace {first.trace_id}  {timestamp(first.start_ns)} UTC"
    business = root.business_attributes()
    if business:
        header += f"  {attributes_text(business)}"
    lines = [header]

    def walk(span: Span, prefix: str, connector: str, child_prefix: str) -> None:
        lines.append(f"{prefix}{connector}{_label(span)}")
        detail_prefix = prefix + child_prefix + ("│   " if span.children else "    ")
        lines.extend(f"{detail_prefix}{line}" for line in _details(span))
        for index, child in enumerate(span.children):
            last = index == len(span.children) - 1
            walk(
                child, prefix + child_prefix, "└── " if last else "├── ", "    " if last else "│   "
            )

    for top in roots:
        walk(top, "", "", "")
    return lines


def span_json(span: Span) -> dict[str, Any]:
    """A span and its subtree, for ``--format json``."""
    return {
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "name": span.name,
        "kind": span.kind,
        "service": span.service,
        "start": iso_time(span.start_ns),
        "duration_ms": round(span.duration_ms, 3),
        "status": span.status,
        "error": span.status_message if span.failed else None,
        "attributes": span.attributes,
        "events": span.events,
        "links": span.links,
        "children": [span_json(child) for child in span.children],
    }


def trace_json(spans: Sequence[Span]) -> dict[str, Any]:
    roots = link_tree(list(spans))
    return {"trace_id": spans[0].trace_id, "spans": [span_json(root) for root in roots]}


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of sorted ``values``."""
    return values[max(0, math.ceil(p / 100 * len(values)) - 1)]


@dataclass
class Bucket:
    label: str
    low_ms: float | None
    high_ms: float | None
    count: int
    share: float
    mark: str


@dataclass
class Stats:
    count: int
    failed: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    buckets: list[Bucket]


def _seconds(ms: float) -> str:
    return f"{ms / 1000:g}s" if ms >= 1000 else f"{ms:g}ms"


def stats(durations_ms: Sequence[float], failed: int, sla_ms: Sequence[float]) -> Stats:
    """Count, p50/p95/p99 and the share of durations below, between and above the
    ascending thresholds ``sla_ms``: the first band ✅, the last ❌, those between ⚠️."""
    ordered = sorted(durations_ms)
    edges: list[float | None] = [None, *sla_ms, None]
    buckets = []
    for index in range(len(edges) - 1):
        low, high = edges[index], edges[index + 1]
        count = sum(
            1
            for value in ordered
            if (low is None or value >= low) and (high is None or value < high)
        )
        if low is None:
            label, sign = f"complete under {_seconds(high or 0)}", "✅"
        elif high is None:
            label, sign = f"take over {_seconds(low)}", "❌"
        else:
            label, sign = f"take {_seconds(low)}-{_seconds(high)}", "⚠️"
        share = count / len(ordered) if ordered else 0.0
        buckets.append(Bucket(label, low, high, count, share, sign))
    return Stats(
        len(ordered),
        failed,
        percentile(ordered, 50),
        percentile(ordered, 95),
        percentile(ordered, 99),
        buckets,
    )
