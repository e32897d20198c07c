"""The local span store: every finished span, with its attributes, status, events, links,
parent, kind, service and times, recorded to SQLite so ``lucent-trace`` can answer the
standard's debugging queries without a tracing backend.

Spans are handed to the SDK's batch processor: ending a span only appends it to a bounded
queue; a background thread converts and writes batches in one transaction each. Retention
is bounded by age and by size; both are checked after each batch is written.

Environment (read by :func:`install_span_store`):

- ``LUCENT_TRACE_STORE``: ``1`` records spans (also on NATS), ``0`` never; unset: on the
  embedded default only.
- ``LUCENT_TRACE_MAX_AGE``: spans older than this are deleted (``7d``, ``12h``, ``30m``,
  ``90s`` or seconds; default ``7d``).
- ``LUCENT_TRACE_MAX_MB``: when the file's data outgrows this many MiB, the oldest traces
  are deleted until it is under 90% of it (default ``256``).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from ._errors import ConfigurationError

__all__ = [
    "SPAN_STORE_FILE",
    "SpanStore",
    "SpanStoreSettings",
    "configure_span_store",
    "current_span_store",
    "install_span_store",
    "parse_duration",
    "span_store_wanted",
]

SPAN_STORE_FILE = "traces.sqlite3"

_log = logging.getLogger("lucent.span_store")

SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    trace_id       TEXT NOT NULL,
    span_id        TEXT NOT NULL,
    parent_id      TEXT,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    service        TEXT,
    start_ns       INTEGER NOT NULL,
    end_ns         INTEGER NOT NULL,
    duration_ms    REAL NOT NULL,
    status         TEXT NOT NULL,
    status_message TEXT,
    attributes     TEXT NOT NULL,
    events         TEXT,
    links          TEXT,
    PRIMARY KEY (trace_id, span_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS spans_by_start ON spans (start_ns);
"""

_INSERT = "INSERT OR REPLACE INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

_KINDS = ("internal", "server", "client", "producer", "consumer")
_STATUSES = ("unset", "ok", "error")

_UNITS = {"": 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d|)\s*", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds in ``text``: a number with an optional unit ``ms``, ``s``, ``m``, ``h`` or
    ``d`` (``15s``, ``1.5h``, ``250ms``; a bare number is seconds). Raises ValueError."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 250ms, 15s, 30m, 12h, 7d)")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


class SpanStoreSettings:
    """Where the store is and how much it keeps."""

    __slots__ = ("max_age_s", "max_bytes", "path")

    def __init__(
        self, path: str | Path, max_age_s: float = 7 * 86400.0, max_bytes: int = 256 << 20
    ) -> None:
        self.path = Path(path)
        self.max_age_s = max_age_s
        self.max_bytes = max_bytes

    @classmethod
    def from_env(cls, data_dir: str | Path, env: Mapping[str, str]) -> SpanStoreSettings:
        try:
            max_age = parse_duration(env.get("LUCENT_TRACE_MAX_AGE") or "7d")
            max_mb = float(env.get("LUCENT_TRACE_MAX_MB") or "256")
        except ValueError as err:
            raise ConfigurationError(f"LUCENT_TRACE_MAX_AGE / LUCENT_TRACE_MAX_MB: {err}") from err
        if max_age <= 0 or max_mb <= 0:
            raise ConfigurationError("LUCENT_TRACE_MAX_AGE and LUCENT_TRACE_MAX_MB must be > 0")
        return cls(Path(data_dir) / SPAN_STORE_FILE, max_age, int(max_mb * (1 << 20)))


def span_store_wanted(env: Mapping[str, str], embedded: bool) -> bool:
    """``LUCENT_TRACE_STORE`` decides; unset, the store runs on the embedded default."""
    flag = (env.get("LUCENT_TRACE_STORE") or "").strip().lower()
    if flag in {"1", "true", "yes", "on"}:
        return True
    if flag in {"0", "false", "no", "off"}:
        return False
    if flag:
        raise ConfigurationError(f"LUCENT_TRACE_STORE must be 1 or 0, got {flag!r}")
    return embedded


def open_database(path: Path) -> sqlite3.Connection:
    """The store's connection (file, WAL journal and schema created when missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
    # before the first table: lets deletions give pages back (PRAGMA incremental_vacuum)
    db.execute("PRAGMA auto_vacuum=INCREMENTAL")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


def _json(items: Sequence[object]) -> str | None:
    return json.dumps(items, default=str) if items else None


def _row(span: ReadableSpan, service_of_resource: dict[int, str | None]) -> tuple:
    context = span.context
    attributes = span.attributes or {}
    service = attributes.get("service.name")
    if service is None:
        resource = span.resource
        key = id(resource)
        if key not in service_of_resource:
            service_of_resource[key] = resource.attributes.get("service.name")
        service = service_of_resource[key]
    parent = span.parent
    status = span.status
    start = span.start_time or 0
    end = span.end_time or start
    events = [
        {"name": e.name, "time_ns": e.timestamp, "attributes": dict(e.attributes or {})}
        for e in span.events
    ]
    links = [
        {
            "trace_id": f"{link.context.trace_id:032x}",
            "span_id": f"{link.context.span_id:016x}",
            "attributes": dict(link.attributes or {}),
        }
        for link in span.links
    ]
    return (
        f"{context.trace_id:032x}",
        f"{context.span_id:016x}",
        f"{parent.span_id:016x}" if parent is not None else None,
        span.name,
        _KINDS[span.kind.value],
        service,
        start,
        end,
        (end - start) / 1e6,
        _STATUSES[status.status_code.value],
        status.description,
        json.dumps(dict(attributes), default=str),
        _json(events),
        _json(links),
    )


class SpanStoreExporter(SpanExporter):
    """Writes span batches to the store's SQLite file (in the batch processor's thread)
    and enforces retention. ``retarget(path)`` moves it to another file; ``None`` drops."""

    def __init__(self, settings: SpanStoreSettings | None) -> None:
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._settings: SpanStoreSettings | None = None
        self._services: dict[int, str | None] = {}
        self._failed_once = False
        self.retarget(settings)

    @property
    def settings(self) -> SpanStoreSettings | None:
        return self._settings

    def retarget(self, settings: SpanStoreSettings | None) -> None:
        db = None
        if settings is not None:
            try:
                db = open_database(settings.path)
            except (OSError, sqlite3.Error) as err:
                raise ConfigurationError(
                    f"cannot open the span store at {settings.path}: {err}"
                ) from err
        with self._lock:
            if self._db is not None:
                self._db.close()
            self._db, self._settings = db, settings
            self._failed_once = False

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._lock:
            db, settings = self._db, self._settings
            if db is None or settings is None:
                return SpanExportResult.SUCCESS
            try:
                rows = [_row(span, self._services) for span in spans]
                db.execute("BEGIN IMMEDIATE")
                db.executemany(_INSERT, rows)
                db.execute("COMMIT")
                enforce_retention(db, settings)
            except (OSError, sqlite3.Error, ValueError, TypeError) as err:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if not self._failed_once:  # one warning, not one per batch
                    self._failed_once = True
                    _log.warning("span store %s: cannot record spans: %s", settings.path, err)
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.retarget(None)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def enforce_retention(db: sqlite3.Connection, settings: SpanStoreSettings) -> int:
    """Delete spans older than the maximum age, then the oldest traces while the data
    outgrows the maximum size (down to 90% of it). Returns the spans deleted."""
    cutoff = time.time_ns() - int(settings.max_age_s * 1e9)
    deleted = db.execute("DELETE FROM spans WHERE start_ns < ?", (cutoff,)).rowcount
    page_size = db.execute("PRAGMA page_size").fetchone()[0]

    def used() -> int:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        return (pages - free) * page_size

    if used() > settings.max_bytes:
        total = db.execute("SELECT COUNT(*) FROM spans").fetchone()[0]
        while total and used() > settings.max_bytes * 0.9:
            # the oldest tenth of the spans, by whole traces
            count = db.execute(
                "DELETE FROM spans WHERE trace_id IN (SELECT trace_id FROM spans "
                "ORDER BY start_ns LIMIT ?)",
                (max(1, total // 10),),
            ).rowcount
            if not count:
                break
            deleted += count
            total -= count
    if deleted:
        db.execute("PRAGMA incremental_vacuum")
    return deleted


class SpanStore:
    """The installed store: its batch processor on the tracer provider and its exporter."""

    def __init__(self, processor: BatchSpanProcessor, exporter: SpanStoreExporter) -> None:
        self.processor = processor
        self.exporter = exporter

    @property
    def path(self) -> Path | None:
        settings = self.exporter.settings
        return settings.path if settings is not None else None

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Write every span ended so far."""
        return self.processor.force_flush(int(timeout_s * 1000))

    def detach(self) -> None:
        """Write what is queued, then stop recording (the processor stays on the provider,
        dropping spans, until a later :func:`install_span_store`)."""
        self.flush()
        self.exporter.retarget(None)


_STORES: dict[int, SpanStore] = {}
_INSTALL_LOCK = threading.Lock()


def _sdk_provider(env: Mapping[str, str]) -> TracerProvider:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        return provider
    from opentelemetry.sdk.resources import Resource

    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME") or "lucent"})
    trace.set_tracer_provider(TracerProvider(resource=resource))
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # another API provider won the race
        raise ConfigurationError(
            f"the span store needs the OpenTelemetry SDK tracer provider; the global "
            f"provider is a {type(provider).__name__}"
        )
    return provider


def install_span_store(data_dir: str | Path, env: Mapping[str, str]) -> SpanStore:
    """Record finished spans to ``{data_dir}/traces.sqlite3``.

    The batch processor goes onto the global SDK tracer provider (the application's, or
    one installed here when only the API's default exists), once per provider: a later
    call with another directory moves the recording there.
    """
    settings = SpanStoreSettings.from_env(data_dir, env)
    with _INSTALL_LOCK:
        provider = _sdk_provider(env)
        store = _STORES.get(id(provider))
        if store is not None:
            current = store.exporter.settings
            if current is None or current.path.resolve() != settings.path.resolve():
                store.flush()
            store.exporter.retarget(settings)
            return store
        exporter = SpanStoreExporter(settings)
        processor = BatchSpanProcessor(exporter, max_queue_size=8192, schedule_delay_millis=500)
        provider.add_span_processor(processor)
        store = _STORES[id(provider)] = SpanStore(processor, exporter)
        return store


def configure_span_store(
    env: Mapping[str, str], data_dir: str | Path, embedded: bool
) -> SpanStore | None:
    """What ``InfrastructureFactory.create_default()`` calls: the store in ``data_dir``
    when :func:`span_store_wanted`, else None."""
    if not span_store_wanted(env, embedded):
        return None
    return install_span_store(data_dir, env)


def current_span_store() -> SpanStore | None:
    """The store recording the global provider's spans, if one was installed."""
    return _STORES.get(id(trace.get_tracer_provider()))
