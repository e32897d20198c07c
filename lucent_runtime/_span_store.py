"""The local span store: every finished span, with its attributes, status, events, links,
parent, kind, service and times, recorded to SQLite so ``lucent-trace`` can answer the
standard's debugging queries without a tracing backend.

Off the hot path, in two stages:

1. In the service: ending a span packs it into a tuple of plain values and appends it to
   a bounded queue (:class:`SpanStoreProcessor`, batched like the SDK's batch processor);
   a thread writes each batch as one ``marshal`` blob, one row of the ``batches`` table:
   one short transaction per batch, a few microseconds per span.
2. In ``lucent-trace``: :func:`ingest_batches` unpacks the waiting batches into the
   queryable ``spans`` table (ids in hex, attributes as JSON) before answering.

Retention is bounded by age and by size (both tables), enforced by the service after a
batch is written, at most every few seconds.

Environment (read by :func:`install_span_store`):

- ``LUCENT_TRACE_STORE``: ``1`` records spans (also on NATS), ``0`` never; unset: on the
  embedded default only.
- ``LUCENT_TRACE_MAX_AGE``: spans older than this are deleted (``7d``, ``12h``, ``30m``,
  ``90s`` or seconds; default ``7d``).
- ``LUCENT_TRACE_MAX_MB``: when the file's data outgrows this many MiB, the oldest spans
  are deleted until it is under 90% of it (default ``256``).
"""

from __future__ import annotations

import collections
import json
import logging
import marshal
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider

from ._errors import ConfigurationError

__all__ = [
    "SPAN_STORE_FILE",
    "SpanStore",
    "SpanStoreSettings",
    "configure_span_store",
    "current_span_store",
    "enforce_retention",
    "ingest_batches",
    "install_span_store",
    "open_database",
    "parse_duration",
    "span_store_wanted",
]

SPAN_STORE_FILE = "traces.sqlite3"

_log = logging.getLogger("lucent.span_store")

SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id         INTEGER PRIMARY KEY,
    format     INTEGER NOT NULL,
    last_ns    INTEGER NOT NULL,
    spans      BLOB NOT NULL
);
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
    links          TEXT
);
CREATE INDEX IF NOT EXISTS spans_by_trace ON spans (trace_id);
CREATE INDEX IF NOT EXISTS spans_by_start ON spans (start_ns);
"""

#: ``batches.format``: a marshal blob of span tuples; the same as JSON (the fallback for
#: a value marshal cannot write)
FORMAT_MARSHAL = 1
FORMAT_JSON = 2

_INSERT = "INSERT INTO spans VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

#: how often retention is enforced (after a batch is written), in seconds
RETENTION_INTERVAL_S = 5.0

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
    # before the first table: larger pages for the batch blobs (half the CPU of 4 KiB
    # pages to write one), and deletions that give pages back (PRAGMA incremental_vacuum)
    db.execute("PRAGMA page_size=16384")
    db.execute("PRAGMA auto_vacuum=INCREMENTAL")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    return db


# -- stage 1, in the service: spans to plain tuples, a batch to one blob -----------------


def _plain(attributes: Any) -> dict:
    raw = getattr(attributes, "_dict", attributes)  # the SDK's frozen dict, not a copy
    return raw if type(raw) is dict else dict(raw or {})


def _pack(span: ReadableSpan, services: dict[int, str | None]) -> tuple | None:
    """One span as plain values (ids as ints, kind and status as codes), or None when it
    is not sampled. Runs when the span ends: reads the SDK span's fields directly, the
    public properties copy its attributes, events and links first."""
    try:
        context, parent, status = span._context, span._parent, span._status
        attributes = span._attributes._dict  # the frozen dict, no copy
        events, links = span._events._dq, span._links._dq  # the lists' deques
        name, kind, resource = span._name, span._kind, span._resource
        start, end = span._start_time, span._end_time
    except AttributeError:  # another ReadableSpan implementation: the public view
        context, parent, status = span.context, span.parent, span.status
        attributes, events, links = span.attributes, span.events, span.links
        name, kind, resource = span.name, span.kind, span.resource
        start, end = span.start_time, span.end_time
    if type(attributes) is not dict:
        attributes = dict(attributes or {})
    # a SpanContext is a tuple: (trace_id, span_id, is_remote, trace_flags, ...)
    if not context[3] & 1:  # not sampled
        return None
    service = services.get(id(resource), "")
    if service == "":
        service = services[id(resource)] = resource.attributes.get("service.name")
    return (
        context[0],
        context[1],
        parent[1] if parent is not None else None,
        name,
        kind._value_,  # the enum's value, without the property lookup
        service,
        start or 0,
        end or start or 0,
        status.status_code._value_,
        status.description,
        attributes,
        tuple((e.name, e.timestamp, _plain(e.attributes)) for e in events) if events else None,
        tuple(
            (link.context.trace_id, link.context.span_id, _plain(link.attributes)) for link in links
        )
        if links
        else None,
    )


_encode = json.JSONEncoder(default=str, ensure_ascii=False).encode


def _blob(packed: list[tuple]) -> tuple[int, bytes]:
    try:
        return FORMAT_MARSHAL, marshal.dumps(packed)
    except ValueError:  # a value marshal cannot write: JSON, with str() for the unknown
        return FORMAT_JSON, _encode(packed).encode()


class SpanStoreWriter:
    """Appends packed batches to the store's SQLite file (in the processor's thread) and
    enforces retention. ``retarget(settings)`` moves it to another file; ``None`` drops
    what it gets."""

    def __init__(self, settings: SpanStoreSettings | None) -> None:
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._settings: SpanStoreSettings | None = None
        self._failed_once = False
        self._next_retention = 0.0
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
            self._next_retention = 0.0

    def write(self, packed: list[tuple]) -> bool:
        """One batch of :func:`_pack` tuples as one row; False when it could not."""
        with self._lock:
            db, settings = self._db, self._settings
            if db is None or settings is None or not packed:
                return True
            try:
                form, blob = _blob(packed)
                last = max(item[7] for item in packed)
                db.execute(
                    "INSERT INTO batches (format, last_ns, spans) VALUES (?, ?, ?)",
                    (form, last, blob),
                )
                now = time.monotonic()
                if now >= self._next_retention:  # at most every few seconds
                    self._next_retention = now + RETENTION_INTERVAL_S
                    enforce_retention(db, settings)
            except (OSError, sqlite3.Error, ValueError, TypeError) as err:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if not self._failed_once:  # one warning, not one per batch
                    self._failed_once = True
                    _log.warning("span store %s: cannot record spans: %s", settings.path, err)
                return False
        return True


class SpanStoreProcessor(SpanProcessor):
    """Batches finished spans to a :class:`SpanStoreWriter`, like the SDK's batch
    processor, with one difference: a span is packed into plain values when it ends, so
    the queue holds tuples the garbage collector does not track, not span objects (which,
    kept alive by a queue, make every full collection walk them). A thread writes a
    batch when ``batch_size`` spans wait, else every ``delay_s``; past ``max_queue`` the
    newest spans are dropped (and counted)."""

    def __init__(
        self,
        writer: SpanStoreWriter,
        max_queue: int = 8192,
        batch_size: int = 1024,
        delay_s: float = 0.5,
    ) -> None:
        self.writer = writer
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.delay_s = delay_s
        self.dropped = 0
        self._services: dict[int, str | None] = {}
        self._queue: collections.deque[tuple] = collections.deque()
        self._drain_lock = threading.Lock()
        self._shutdown = False
        self._start_worker()
        if hasattr(os, "register_at_fork"):
            ref = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: (p := ref()) and p._start_worker())

    def _start_worker(self) -> None:
        self._queue.clear()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._work, name="LucentSpanStore", daemon=True)
        self._thread.start()

    def on_end(self, span: ReadableSpan) -> None:
        queue = self._queue
        if len(queue) >= self.max_queue or self._shutdown:
            self.dropped += not self._shutdown
            return
        packed = _pack(span, self._services)
        if packed is not None:
            queue.append(packed)
            if len(queue) == self.batch_size:  # once per batch; the timer takes the rest
                self._wake.set()

    def _work(self) -> None:
        while not self._shutdown:
            self._wake.wait(self.delay_s)
            self._wake.clear()
            self._drain()

    def _drain(self) -> bool:
        ok = True
        with self._drain_lock:
            queue = self._queue
            while queue:
                batch = [queue.popleft() for _ in range(min(self.batch_size, len(queue)))]
                ok = self.writer.write(batch) and ok
        return ok

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._drain()

    @property
    def is_shut_down(self) -> bool:
        return self._shutdown

    def shutdown(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        self._wake.set()
        self._thread.join(5.0)
        self._drain()
        self.writer.retarget(None)


# -- stage 2, in lucent-trace: batches to queryable rows ----------------------------------


def _hex_id(value: int, width: int) -> str:
    return f"{value:0{width}x}"


def _row(item: Sequence[Any]) -> tuple:
    (trace_id, span_id, parent_id, name, kind, service, start, end, status, message,
     attributes, events, links) = item  # fmt: skip
    return (
        _hex_id(trace_id, 32),
        _hex_id(span_id, 16),
        _hex_id(parent_id, 16) if parent_id is not None else None,
        name,
        _KINDS[kind],
        attributes.get("service.name", service),
        start,
        end,
        (end - start) / 1e6,
        _STATUSES[status],
        message,
        _encode(attributes),
        _encode([{"name": n, "time_ns": t, "attributes": a} for n, t, a in events])
        if events
        else None,
        _encode(
            [
                {"trace_id": _hex_id(t, 32), "span_id": _hex_id(s, 16), "attributes": a}
                for t, s, a in links
            ]
        )
        if links
        else None,
    )


def ingest_batches(db: sqlite3.Connection) -> int:
    """Unpack the waiting batches into ``spans``, in one transaction; returns the spans
    added. A batch in an unknown format is dropped with a warning."""
    db.execute("BEGIN IMMEDIATE")
    try:
        count = 0
        for batch_id, form, blob in db.execute("SELECT id, format, spans FROM batches").fetchall():
            if form == FORMAT_MARSHAL:
                items = marshal.loads(blob)
            elif form == FORMAT_JSON:
                items = json.loads(blob)
            else:
                _log.warning("span store: batch %s has unknown format %s, dropped", batch_id, form)
                items = []
            rows = [_row(item) for item in items]
            db.executemany(_INSERT, rows)
            db.execute("DELETE FROM batches WHERE id = ?", (batch_id,))
            count += len(rows)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return count


def enforce_retention(db: sqlite3.Connection, settings: SpanStoreSettings) -> int:
    """Delete what is older than the maximum age, then the oldest data while the file
    outgrows the maximum size (down to 90% of it): unpacked spans by whole traces first,
    then waiting batches. Returns the rows deleted."""
    cutoff = time.time_ns() - int(settings.max_age_s * 1e9)
    deleted = db.execute("DELETE FROM spans WHERE start_ns < ?", (cutoff,)).rowcount
    deleted += db.execute("DELETE FROM batches WHERE last_ns < ?", (cutoff,)).rowcount
    page_size = db.execute("PRAGMA page_size").fetchone()[0]

    def used() -> int:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        free = db.execute("PRAGMA freelist_count").fetchone()[0]
        return (pages - free) * page_size

    if used() > settings.max_bytes:
        for table, sql in (
            (
                "spans",
                "DELETE FROM spans WHERE trace_id IN (SELECT trace_id FROM spans "
                "ORDER BY start_ns LIMIT ?)",
            ),
            (
                "batches",
                "DELETE FROM batches WHERE id IN (SELECT id FROM batches ORDER BY id LIMIT ?)",
            ),
        ):
            total = db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            while total and used() > settings.max_bytes * 0.9:
                count = db.execute(sql, (max(1, total // 10),)).rowcount  # the oldest tenth
                if not count:
                    break
                deleted += count
                total -= count
    if deleted:
        db.execute("PRAGMA incremental_vacuum")
    return deleted


class SpanStore:
    """The installed store: its processor on the tracer provider and its writer."""

    def __init__(self, processor: SpanStoreProcessor) -> None:
        self.processor = processor
        self.writer = processor.writer

    @property
    def path(self) -> Path | None:
        settings = self.writer.settings
        return settings.path if settings is not None else None

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Write every span ended so far."""
        return self.processor.force_flush(int(timeout_s * 1000))

    def detach(self) -> None:
        """Write what is queued, then stop recording (the processor stays on the provider,
        dropping spans, until a later :func:`install_span_store`)."""
        self.flush()
        self.writer.retarget(None)


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
        if store is not None and not store.processor.is_shut_down:
            store.flush()  # what is queued goes where it was meant to
            store.writer.retarget(settings)
            return store
        processor = SpanStoreProcessor(SpanStoreWriter(settings))
        provider.add_span_processor(processor)
        store = _STORES[id(provider)] = SpanStore(processor)
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
