"""The ``lucent-trace`` command line: the standard's debugging queries over the local span
store. Arguments, output and exit codes only; the query language is in ``_query``, the
reading in ``_store``, the layout in ``_render``.

Exit codes: 0 answers printed, 1 nothing matched, 2 a bad query or option, 3 no span store
(missing, empty or unreadable).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from .._infrastructure import DEFAULT_DATA_DIR
from .._span_store import parse_duration
from . import _render
from ._query import Query, QueryError, parse_query
from ._store import StoreError, TraceMatch, TraceStore, matched_values

__all__ = ["EXIT_NO_MATCH", "EXIT_NO_STORE", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_NO_MATCH = 1
EXIT_USAGE = 2
EXIT_NO_STORE = 3

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"lucent-trace: error: {message}", err=True)
    sys.exit(code)


def _common(command: F) -> F:
    command = click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Output format.",
    )(command)
    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False),
        default=None,
        help="Where the span store is (default: $LUCENT_DATA_DIR, else .lucent).",
    )(command)


def _open(data_dir: str | None) -> TraceStore:
    directory = data_dir or os.environ.get("LUCENT_DATA_DIR") or DEFAULT_DATA_DIR
    try:
        return TraceStore(directory)
    except StoreError as err:
        _fail(str(err), EXIT_NO_STORE)


def _parse(query: str) -> Query:
    try:
        return parse_query(query)
    except QueryError as err:
        _fail(f"bad query at column {err.column}: {err.message}", EXIT_USAGE)


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _none(message: str, output_format: str, empty: Any) -> NoReturn:
    if output_format == "json":
        _emit_json(empty)
    else:
        click.echo(message)
    sys.exit(EXIT_NO_MATCH)


def _console() -> Any:
    from rich.console import Console

    return Console(width=max(200, Console().width), highlight=False, soft_wrap=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Ask the local span store the standard's debugging questions: which traces carry a
    user, a workflow, a risk level; what happened in one; a user's journey; how fast a
    process is against its SLA.

    \b
    Queries: key=value, != > < >= <=, * wildcards, AND, OR, parentheses, "quoting";
    operation.duration_ms is a span's duration, operation.name its name, status
    ok/error/unset.
    Exit codes: 0 answers, 1 nothing matched, 2 bad query or option, 3 no span store.
    """


def _first_per_trace(matches: list[TraceMatch]) -> list[TraceMatch]:
    firsts: dict[str, TraceMatch] = {}
    for match in matches:
        current = firsts.get(match.trace_id)
        if current is None or match.matched.start_ns < current.matched.start_ns:
            firsts[match.trace_id] = match
    return sorted(firsts.values(), key=lambda m: m.root.start_ns, reverse=True)


@main.command()
@click.argument("query")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@_common
def find(query: str, limit: int, data_dir: str | None, output_format: str) -> None:
    """The traces with a span matching QUERY, newest first."""
    parsed = _parse(query)
    store = _open(data_dir)
    matches = _first_per_trace(store.find(parsed, limit))
    if not matches:
        _none(f"No trace matches {query}", output_format, {"query": query, "traces": []})
    rows = [
        {
            "trace_id": m.trace_id,
            "time": _render.iso_time(m.root.start_ns),
            "service": m.root.service,
            "operation": m.root.name,
            "status": "error" if m.root.failed else "ok",
            "duration_ms": round(m.root.duration_ms, 3),
            "matched": matched_values(m, parsed),
        }
        for m in matches
    ]
    if output_format == "json":
        _emit_json({"query": query, "traces": rows})
        return
    from rich.table import Table

    noun = "trace matches" if len(rows) == 1 else "traces match"
    table = Table(title=f"{len(rows)} {noun} {query}", title_justify="left", box=None)
    for column in ("time (UTC)", "trace", "service", "operation", "status", "duration"):
        table.add_column(column, no_wrap=True)
    table.add_column("matched", overflow="fold")
    for match, row in zip(matches, rows, strict=True):
        table.add_row(
            _render.timestamp(match.root.start_ns),
            match.trace_id,
            str(row["service"] or "-"),
            row["operation"],
            _render.mark(match.root),
            _render.format_ms(match.root.duration_ms),
            _render.attributes_text(row["matched"]),
        )
    _console().print(table)


@main.command()
@click.argument("trace_id", required=False)
@click.option("--workflow", "workflow_id", help="Show every trace of this business.workflow_id.")
@_common
def show(
    trace_id: str | None, workflow_id: str | None, data_dir: str | None, output_format: str
) -> None:
    """The tree of trace TRACE_ID (or of a workflow's traces): operations, steps, events
    published and handled, commands, with ✅/❌, durations and errors."""
    if (trace_id is None) == (workflow_id is None):
        _fail("give a TRACE_ID or --workflow ID (one of them)", EXIT_USAGE)
    store = _open(data_dir)
    if workflow_id is not None:
        traces = store.workflow_traces(workflow_id)
        missing = f"No trace has business.workflow_id={workflow_id!r}"
    else:
        spans = store.trace(trace_id or "")
        traces = [spans] if spans else []
        missing = f"No trace {trace_id} in the span store (an id or a unique prefix of it)"
    if not traces:
        _none(missing, output_format, {"traces": []})
    if output_format == "json":
        _emit_json({"traces": [_render.trace_json(spans) for spans in traces]})
        return
    blocks = ["\n".join(_render.trace_lines(spans)) for spans in traces]
    click.echo("\n\n".join(blocks))


@main.command()
@click.argument("user_id")
@_common
def journey(user_id: str, data_dir: str | None, output_format: str) -> None:
    """USER_ID's domain events in order, each with the service that published it, the
    services that handled it, and its time."""
    store = _open(data_dir)
    steps = store.journey(user_id)
    if not steps:
        _none(
            f"No domain event of business.user_id={user_id!r} in the span store",
            output_format,
            {"user_id": user_id, "events": []},
        )
    events = [
        {
            "n": n,
            "event_type": event.attributes.get("event.type"),
            "service": event.service,
            "time": _render.iso_time(event.start_ns),
            "status": "error" if event.failed else "ok",
            "stream_id": event.attributes.get("event.stream_id"),
            "trace_id": event.trace_id,
            "handled_by": [
                {"service": h.service, "status": "error" if h.failed else "ok"} for h in handlings
            ],
        }
        for n, (event, handlings) in enumerate(steps, 1)
    ]
    if output_format == "json":
        _emit_json({"user_id": user_id, "events": events})
        return
    click.echo(f"Journey of {user_id}: {len(events)} domain events")
    for (event, handlings), row in zip(steps, events, strict=True):
        handled = ", ".join(
            f"{h.service} {_render.mark(h)}" for h in handlings if h.service is not None
        )
        line = (
            f"{row['n']}. {row['event_type']} → {event.service} service "
            f"{_render.mark(event)}  {_render.timestamp(event.start_ns)}"
        )
        if handled:
            line += f"  handled by {handled}"
        click.echo(line)


def _sla(text: str) -> list[float]:
    try:
        values = [parse_duration(part) * 1000 for part in text.split(",")]
    except ValueError as err:
        _fail(f"--sla: {err}", EXIT_USAGE)
    if any(value <= 0 for value in values) or values != sorted(set(values)):
        _fail(f"--sla: thresholds must be positive and ascending, got {text!r}", EXIT_USAGE)
    return values


@main.command()
@click.argument("query")
@click.option(
    "--sla",
    default="15s,30s",
    show_default=True,
    help="Ascending duration thresholds: under the first ✅, between ⚠️, over the last ❌.",
)
@_common
def stats(query: str, sla: str, data_dir: str | None, output_format: str) -> None:
    """Count, p50/p95/p99 duration and SLA shares of the spans matching QUERY (the
    outermost matching span of each occurrence: a process, not also its steps)."""
    parsed = _parse(query)
    thresholds = _sla(sla)
    store = _open(data_dir)
    matches = store.find(parsed)
    if not matches:
        _none(f"No span matches {query}", output_format, {"query": query, "count": 0})
    durations = [m.matched.duration_ms for m in matches]
    failed = sum(1 for m in matches if m.matched.failed)
    result = _render.stats(durations, failed, thresholds)
    if output_format == "json":
        _emit_json(
            {
                "query": query,
                "count": result.count,
                "failed": result.failed,
                "p50_ms": round(result.p50_ms, 3),
                "p95_ms": round(result.p95_ms, 3),
                "p99_ms": round(result.p99_ms, 3),
                "sla_ms": thresholds,
                "bands": [
                    {
                        "label": b.label,
                        "from_ms": b.low_ms,
                        "to_ms": b.high_ms,
                        "count": b.count,
                        "share": round(b.share, 4),
                        "mark": b.mark,
                    }
                    for b in result.buckets
                ],
            }
        )
        return
    click.echo(f"{query}: {result.count} spans, {result.failed} failed")
    click.echo(
        f"p50 {_render.format_ms(result.p50_ms)}  p95 {_render.format_ms(result.p95_ms)}  "
        f"p99 {_render.format_ms(result.p99_ms)}"
    )
    for bucket in result.buckets:
        click.echo(f"- {bucket.share:.0%} {bucket.label} {bucket.mark} ({bucket.count})")
