"""Reading the span store that :mod:`lucent_runtime._span_store` writes."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._span_store import SPAN_STORE_FILE, ingest_batches
from ._query import FIELDS, Query, keys, to_sql

__all__ = ["Span", "StoreError", "TraceMatch", "TraceStore"]

_COLUMNS = (
    "trace_id, span_id, parent_id, name, kind, service, start_ns, end_ns, duration_ms, "
    "status, status_message, attributes, events, links"
)


class StoreError(Exception):
    """No store to read: missing, empty or unreadable. The message says which."""


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    kind: str
    service: str | None
    start_ns: int
    end_ns: int
    duration_ms: float
    status: str
    status_message: str | None
    attributes: dict[str, Any]
    events: list[dict[str, Any]]
    links: list[dict[str, Any]]
    children: list[Span] = field(default_factory=list, repr=False)

    @classmethod
    def from_row(cls, row: tuple) -> Span:
        *head, attributes, events, links = row
        return cls(
            *head,
            json.loads(attributes),
            json.loads(events) if events else [],
            json.loads(links) if links else [],
        )

    @property
    def failed(self) -> bool:
        return self.status == "error"

    def value(self, key: str) -> Any:
        """The value a query key reads on this span."""
        column = FIELDS.get(key)
        return getattr(self, column) if column else self.attributes.get(key)

    def business_attributes(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in self.attributes.items()
            if key.startswith(("business.", "crypto.", "user."))
        }


@dataclass
class TraceMatch:
    """A trace a query matched: its root, and the outermost span that matched."""

    trace_id: str
    root: Span
    matched: Span
    spans: list[Span]


def link_tree(spans: list[Span]) -> list[Span]:
    """Set each span's children (by start time); return the roots (spans whose parent is
    not stored), oldest first."""
    by_id = {span.span_id: span for span in spans}
    roots = []
    for span in sorted(spans, key=lambda s: s.start_ns):
        span.children = []
    for span in sorted(spans, key=lambda s: s.start_ns):
        parent = by_id.get(span.parent_id) if span.parent_id else None
        if parent is None or parent is span:
            roots.append(span)
        else:
            parent.children.append(span)
    return roots


class TraceStore:
    """The span store under a data directory; opening it unpacks the batches the services
    recorded since the last query."""

    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / SPAN_STORE_FILE
        if not self.path.is_file():
            raise StoreError(
                f"no span store at {self.path}: run a service on the embedded default "
                f"(or with LUCENT_TRACE_STORE=1 on NATS) with LUCENT_DATA_DIR={data_dir}"
            )
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            ingest_batches(self._db)  # what the services recorded since the last query
            count = self._db.execute("SELECT COUNT(*) FROM spans").fetchone()[0]
        except (sqlite3.Error, ValueError, EOFError, TypeError) as err:
            raise StoreError(f"cannot read the span store at {self.path}: {err}") from err
        if not count:
            raise StoreError(f"the span store at {self.path} is empty: no spans recorded yet")

    def close(self) -> None:
        self._db.close()

    def _spans(self, where: str, params: list[object]) -> list[Span]:
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM spans WHERE {where}", params)
        return [Span.from_row(row) for row in rows]

    def trace(self, trace_id: str) -> list[Span]:
        """Every stored span of the trace (a unique id prefix of 8+ characters works)."""
        trace_id = trace_id.lower()
        if len(trace_id) == 32:
            return self._spans("trace_id = ?", [trace_id])
        found = [
            row[0]
            for row in self._db.execute(
                "SELECT DISTINCT trace_id FROM spans WHERE trace_id GLOB ? LIMIT 2",
                [trace_id.replace("[", "").replace("*", "").replace("?", "") + "*"],
            )
        ]
        return self._spans("trace_id = ?", [found[0]]) if len(found) == 1 else []

    def find(self, query: Query, limit: int | None = None) -> list[TraceMatch]:
        """The traces with a span matching ``query``, newest first."""
        where, params = to_sql(query)
        sql = f"SELECT trace_id, span_id FROM spans WHERE {where}"
        matched: dict[str, set[str]] = defaultdict(set)
        for trace_id, span_id in self._db.execute(sql, params):
            matched[trace_id].add(span_id)
        if not matched:
            return []
        results = []
        ids = list(matched)
        for chunk in range(0, len(ids), 500):
            part = ids[chunk : chunk + 500]
            spans = self._spans(f"trace_id IN ({','.join('?' * len(part))})", part)
            by_trace: dict[str, list[Span]] = defaultdict(list)
            for span in spans:
                by_trace[span.trace_id].append(span)
            for trace_id, trace_spans in by_trace.items():
                results.extend(_matches(trace_id, trace_spans, matched[trace_id]))
        results.sort(key=lambda m: (m.root.start_ns, m.matched.start_ns), reverse=True)
        if limit is not None:
            seen: list[str] = []
            for match in results:
                if match.trace_id not in seen:
                    seen.append(match.trace_id)
            keep = set(seen[:limit])
            results = [match for match in results if match.trace_id in keep]
        return results

    def workflow_traces(self, workflow_id: str) -> list[list[Span]]:
        """The traces of a workflow (``business.workflow_id``), oldest first."""
        rows = self._db.execute(
            "SELECT trace_id, MIN(start_ns) FROM spans "
            "WHERE json_extract(attributes, '$.\"business.workflow_id\"') = ? "
            "GROUP BY trace_id ORDER BY MIN(start_ns)",
            [workflow_id],
        )
        return [self._spans("trace_id = ?", [trace_id]) for trace_id, _ in rows.fetchall()]

    def journey(self, user_id: str) -> list[tuple[Span, list[Span]]]:
        """The user's published domain events in order, each with its handlings."""
        published = self._spans(
            "kind = 'producer' AND json_extract(attributes, '$.\"business.user_id\"') = ? "
            "AND json_extract(attributes, '$.\"event.type\"') IS NOT NULL ORDER BY start_ns",
            [user_id],
        )
        journey = []
        for event in published:
            message_id = event.attributes.get("messaging.message.id")
            handlings = (
                self._spans(
                    "kind = 'consumer' AND trace_id = ? "
                    "AND json_extract(attributes, '$.\"messaging.message.id\"') = ? "
                    "ORDER BY start_ns",
                    [event.trace_id, message_id],
                )
                if message_id
                else []
            )
            journey.append((event, handlings))
        return journey


def _matches(trace_id: str, spans: list[Span], matched_ids: set[str]) -> list[TraceMatch]:
    """One match per outermost matching span: a matching span inside another matching
    span of the same trace (a step inside its process) is the same occurrence."""
    roots = link_tree(spans)
    root = next((span for span in roots if span.parent_id is None), roots[0])
    found: list[TraceMatch] = []

    def walk(span: Span) -> None:
        if span.span_id in matched_ids:
            found.append(TraceMatch(trace_id, root, span, spans))
            return
        for child in span.children:
            walk(child)

    for top in roots:
        walk(top)
    return found


def matched_values(match: TraceMatch, query: Query) -> dict[str, Any]:
    """The values the query's keys read on the matched span."""
    return {key: match.matched.value(key) for key in keys(query)}
