"""OpenTelemetry plumbing: the global tracer and meter, duration histograms, error
counters, W3C trace context in message headers, and the optional OTLP exporter.

The runtime never installs providers behind an application's back: it uses whatever global
``TracerProvider`` / ``MeterProvider`` is set (an app's SDK setup, a test's in-memory
exporters). Only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set and no SDK provider is
installed does :func:`configure_otlp` install one that exports over OTLP.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import baggage, metrics, propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode

from ._errors import ConfigurationError
from ._redact import redact_attributes

if TYPE_CHECKING:
    from ._context import BusinessContext, RequestContext

__all__ = [
    "DURATION_BUCKETS_MS",
    "INSTRUMENTATION_NAME",
    "Timer",
    "configure_otlp",
    "extract_context",
    "inject_headers",
    "instruments",
    "metric_attributes",
    "record_error",
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


def tracer() -> trace.Tracer:
    """The runtime's tracer from the global provider."""
    return trace.get_tracer(INSTRUMENTATION_NAME)


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
    """Measures one unit of work and records its duration (ms) and, if failed, an error."""

    def __init__(self, kind: str, attributes: Mapping[str, Any]) -> None:
        self.kind = kind
        self.attributes = dict(attributes)
        self.start = time.perf_counter()

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000.0

    def finish(self, error: BaseException | None = None) -> float:
        elapsed = self.elapsed_ms()
        inst = instruments()
        attributes = {**self.attributes, "outcome": "error" if error else "success"}
        inst.histograms[self.kind].record(elapsed, attributes)
        if error is not None:
            inst.errors.add(
                1, {**self.attributes, "lucent.kind": self.kind, "error.type": _type(error)}
            )
        return elapsed


def _type(error: BaseException) -> str:
    return type(error).__qualname__


def work_attributes(service_name: str, operation: str, ctx: RequestContext) -> dict[str, Any]:
    """The span attributes of a unit of work: business context, service, request ids."""
    attributes: dict[str, Any] = {
        **ctx.business_context.to_attributes(),
        "service.name": service_name,
        "service.operation": operation,
        "request.id": ctx.request_id,
        "request.source": ctx.source,
        "event.correlation_id": ctx.correlation_id,
    }
    if ctx.causation_id:
        attributes["event.causation_id"] = ctx.causation_id
    return redact_attributes(attributes)


def metric_attributes(
    business_context: BusinessContext, service_name: str, operation: str
) -> dict[str, str]:
    """The attributes of a duration or error data point (low cardinality: no ids)."""
    return {
        "business.domain": business_context.domain,
        "business.bounded_context": business_context.bounded_context,
        "service.name": service_name,
        "service.operation": operation,
    }


def record_error(span: Span, error: BaseException, attributes: Mapping[str, Any]) -> None:
    """Record ``error`` on ``span`` with the business attributes, and mark it failed."""
    span.record_exception(error, attributes=redact_attributes(attributes), escaped=True)
    span.set_attribute("error.type", _type(error))
    span.set_status(Status(StatusCode.ERROR, f"{_type(error)}: {error}"))


@contextmanager
def span_error_guard(span: Span, attributes: Mapping[str, Any]) -> Iterator[None]:
    """Record any error leaving the block on ``span``; the error propagates unchanged."""
    try:
        yield
    except BaseException as error:
        record_error(span, error, attributes)
        raise


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
