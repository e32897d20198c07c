"""OpenTelemetry plumbing: the global tracer and meter, duration histograms, error
counters, W3C trace context in message headers, and the optional OTLP exporter.

The runtime never installs providers behind an application's back: it uses whatever global
``TracerProvider`` / ``MeterProvider`` is set (an app's SDK setup, a test's in-memory
exporters). Only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set and no SDK provider is
installed does :func:`configure_otlp` install one that exports over OTLP.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import baggage, metrics, propagate, trace
from opentelemetry import context as context_api
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from ._context import _CURRENT
from ._errors import ConfigurationError
from ._redact import redact_attributes

if TYPE_CHECKING:
    from ._context import BusinessContext, RequestContext

__all__ = [
    "DURATION_BUCKETS_MS",
    "INSTRUMENTATION_NAME",
    "MetricAttributes",
    "Timer",
    "active_span",
    "configure_otlp",
    "extract_context",
    "inject_headers",
    "instruments",
    "messaging_attributes",
    "metric_attributes",
    "record_error",
    "traced",
    "tracer",
    "work_attributes",
]

INSTRUMENTATION_NAME = "lucent_runtime"

#: Histogram bucket boundaries in milliseconds, 1 ms .. 60 s, dense where SLAs live
#: (p95/p99 of sub-second operations and of 15 s / 30 s process budgets).
DURATION_BUCKETS_MS: tuple[float, ...] = (
    1, 2, 5, 10, 25, 50, 75, 100, 250, 500, 750,
    1_000, 2_500, 5_000, 7_500, 10_000, 15_000, 20_000, 30_000, 45_000, 60_000,
)  # fmt: skip

_HISTOGRAMS = {
    "operation": ("lucent.operation.duration", "Business operation duration"),
    "process": ("lucent.process.duration", "Business process duration"),
    "step": ("lucent.process.step.duration", "Business process step duration"),
    "command": ("lucent.command.duration", "Command round trip, as seen by the sender"),
    "command_handling": ("lucent.command.handling.duration", "Command handler duration"),
    "event_handling": ("lucent.event.handling.duration", "Domain event handler duration"),
    "publish": ("lucent.event.publish.duration", "Domain event append + publish duration"),
}


_tracer: tuple[trace.TracerProvider, trace.Tracer] | None = None


def tracer() -> trace.Tracer:
    """The runtime's tracer from the global provider (cached while that provider stays
    the global one)."""
    global _tracer  # noqa: PLW0603 - one cache per process, renewed with the provider
    provider = trace.get_tracer_provider()
    cached = _tracer
    if cached is None or cached[0] is not provider:
        cached = _tracer = (provider, provider.get_tracer(INSTRUMENTATION_NAME))
    return cached[1]


class active_span:
    """``with active_span(name, attributes, ...) as span``: start a span on the runtime's
    tracer, make it current for the block, end it after. Like
    ``start_as_current_span(..., record_exception=False, set_status_on_exception=False)``
    without its two generator-based context managers; errors are recorded by the caller
    (:func:`record_error`)."""

    __slots__ = ("_context", "_token", "span")

    def __init__(
        self,
        name: str,
        attributes: Mapping[str, Any],
        kind: SpanKind = SpanKind.INTERNAL,
        context: Context | None = None,
    ) -> None:
        self._context = context  # a remote parent: its baggage applies inside the block
        self.span = tracer().start_span(
            name,
            context=context,
            kind=kind,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        )

    def __enter__(self) -> Span:
        self._token = context_api.attach(trace.set_span_in_context(self.span, self._context))
        return self.span

    def __exit__(self, *exc_info: object) -> None:
        context_api.detach(self._token)
        self.span.end()


class _Instruments:
    def __init__(self, provider: metrics.MeterProvider) -> None:
        meter = provider.get_meter(INSTRUMENTATION_NAME)
        self.provider = provider
        self.histograms = {
            key: meter.create_histogram(
                name,
                unit="ms",
                description=description,
                explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS_MS),
            )
            for key, (name, description) in _HISTOGRAMS.items()
        }
        self.errors = meter.create_counter(
            "lucent.errors",
            unit="{error}",
            description="Failed operations, steps, commands and handlings, by business domain",
        )


_instruments: _Instruments | None = None


def instruments() -> _Instruments:
    """The histograms and the error counter of the current global meter provider."""
    global _instruments  # noqa: PLW0603 - one cache per process, renewed with the provider
    provider = metrics.get_meter_provider()
    if _instruments is None or _instruments.provider is not provider:
        _instruments = _Instruments(provider)
    return _instruments


class Timer:
    """Measures one unit of work and records its duration (ms) and, if failed, an error.

    ``attributes`` are the data point's attributes (from :func:`metric_attributes`); they
    are shared with later timers of the same work, so nobody may modify them.
    """

    __slots__ = ("attributes", "kind", "start")

    def __init__(self, kind: str, attributes: MetricAttributes) -> None:
        self.kind = kind
        self.attributes = attributes
        self.start = time.perf_counter()

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000.0

    def finish(self, error: BaseException | None = None) -> float:
        elapsed = self.elapsed_ms()
        inst = instruments()
        if error is None:
            inst.histograms[self.kind].record(elapsed, self.attributes.success)
            return elapsed
        inst.histograms[self.kind].record(elapsed, self.attributes.failure)
        inst.errors.add(
            1,
            {**self.attributes.base, "lucent.kind": self.kind, "error.type": _type(error)},
        )
        return elapsed


def _type(error: BaseException) -> str:
    return type(error).__qualname__


def work_attributes(service_name: str, operation: str, ctx: RequestContext) -> dict[str, Any]:
    """The span attributes of a unit of work: business context, service, request ids.

    Only the business part can hold secret-looking keys (its metadata); it comes redacted
    from the context, the names added here are fixed and never secret.
    """
    attributes: dict[str, Any] = {
        **ctx.business_context._span_attributes(),
        "service.name": service_name,
        "service.operation": operation,
        "request.id": ctx.request_id,
        "request.source": ctx.source,
        "event.correlation_id": ctx.correlation_id,
    }
    if ctx.causation_id:
        attributes["event.causation_id"] = ctx.causation_id
    return attributes


class MetricAttributes:
    """The attributes of a duration or error data point (low cardinality: no ids): the
    ``base`` set, and it with ``outcome`` success / error, built once per kind of work."""

    __slots__ = ("base", "failure", "success")

    def __init__(self, base: dict[str, str]) -> None:
        self.base = base
        self.success = {**base, "outcome": "success"}
        self.failure = {**base, "outcome": "error"}


_METRIC_ATTRIBUTES: dict[tuple[str, ...], MetricAttributes] = {}
_METRIC_ATTRIBUTES_CACHED = 4096


def metric_attributes(
    business_context: BusinessContext, service_name: str, operation: str, *extra: str
) -> MetricAttributes:
    """The data point attributes of ``operation``; ``extra`` are further attribute names
    and values, alternating (``"command.target_service", "risk"``)."""
    key = (business_context.domain, business_context.bounded_context, service_name, operation)
    key += extra
    cached = _METRIC_ATTRIBUTES.get(key)
    if cached is None:
        base = {
            "business.domain": key[0],
            "business.bounded_context": key[1],
            "service.name": service_name,
            "service.operation": operation,
        }
        base.update(zip(extra[::2], extra[1::2], strict=True))
        if len(_METRIC_ATTRIBUTES) >= _METRIC_ATTRIBUTES_CACHED:
            _METRIC_ATTRIBUTES.clear()
        cached = _METRIC_ATTRIBUTES[key] = MetricAttributes(base)
    return cached


def record_error(span: Span, error: BaseException, attributes: Mapping[str, Any]) -> None:
    """Record ``error`` on ``span`` with the business attributes, and mark it failed."""
    span.record_exception(error, attributes=redact_attributes(attributes), escaped=True)
    span.set_attribute("error.type", _type(error))
    span.set_status(Status(StatusCode.ERROR, f"{_type(error)}: {error}"))


def inject_headers(extra: Mapping[str, str] | None = None, **entries: str) -> dict[str, str]:
    """Message headers carrying the current trace context (``traceparent``,
    ``tracestate``) and baggage, plus ``entries`` as baggage members."""
    ctx: Context | None = None  # None: the current context, with its active span
    for key, value in entries.items():
        ctx = baggage.set_baggage(key, value, context=ctx)
    headers: dict[str, str] = dict(extra or {})
    propagate.inject(headers, context=ctx)
    return headers


def extract_context(carrier: Mapping[str, str]) -> Context:
    """The trace context and baggage carried by message headers or event metadata."""
    return propagate.extract(dict(carrier))


def configure_otlp(env: Mapping[str, str]) -> trace.TracerProvider | None:
    """Install an SDK tracer provider exporting over OTLP when
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set and the application has not installed one.

    Returns the installed provider, or None when nothing was done. Raises
    :class:`ConfigurationError` when the endpoint is set but the ``otlp`` extra is missing.
    """
    if not env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as err:
        raise ConfigurationError(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but the OTLP exporter is not installed; "
            "install the extra: pip install 'lucent-lint[otlp]'"
        ) from err
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return None  # the application configured tracing itself
    resource = Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", "lucent")})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


async def traced(
    name: str,
    attributes: Mapping[str, Any],
    timer: Timer,
    work: Callable[[], Awaitable[Any]],
    ctx: RequestContext | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Context | None = None,
) -> Any:
    """Await ``work()`` as one traced unit: inside a span (a child of ``parent`` when
    given, else of the current span), with ``ctx`` as the current request context. An
    error is recorded on the span (with ``attributes``) and in the metrics, then re-raised
    unchanged; the duration is recorded either way. Every operation, process step,
    publish, handling and command goes through here."""
    with active_span(name, attributes, kind, parent) as span:
        token = None if ctx is None else _CURRENT.set(ctx)
        try:
            result = await work()
        except Exception as error:
            record_error(span, error, attributes)
            timer.finish(error)
            raise
        finally:
            if token is not None:
                _CURRENT.reset(token)
    timer.finish()
    return result


def messaging_attributes(
    system: str, subject: str, message_id: str, conversation_id: str, operation: str
) -> dict[str, Any]:
    """The OpenTelemetry messaging attributes of a publish, send or handling."""
    return {
        "messaging.system": system,
        "messaging.destination.name": subject,
        "messaging.operation.type": operation,
        "messaging.message.id": message_id,
        "messaging.message.conversation_id": conversation_id,
    }
