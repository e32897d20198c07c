"""OpenTelemetry plumbing: the global tracer and meter, duration histograms, error
counters, W3C trace context in message headers, and OTLP export from the standard
``OTEL_*`` variables.

The runtime never replaces an application's providers: it uses whatever global SDK
``TracerProvider`` / ``MeterProvider`` is set (an app's SDK setup, a test's in-memory
exporters). When none is set, :func:`configure_telemetry` (called by
``InfrastructureFactory.create_default()``, or by the application to add its own span
processors) installs providers that export over OTLP when asked to:

- ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` /
  ``..._METRICS_ENDPOINT``, or ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` set to
  ``otlp``) turns export on; ``none`` as the exporter turns a signal off;
- ``OTEL_EXPORTER_OTLP_PROTOCOL`` (or the per-signal ``..._TRACES_PROTOCOL`` /
  ``..._METRICS_PROTOCOL``): ``http/protobuf`` (default, the ``otlp`` extra) or ``grpc``
  (the ``otlp-grpc`` extra); headers, timeout, compression and certificates are read by
  the exporter from their usual ``OTEL_EXPORTER_OTLP_*`` variables;
- ``OTEL_METRIC_EXPORT_INTERVAL`` (ms, default 60000), ``OTEL_RESOURCE_ATTRIBUTES``.

Each service's spans and metrics carry its own ``service.name`` resource, even when one
process runs several services; ``OTEL_SERVICE_NAME`` wins when set. A missing exporter
package is a :class:`ConfigurationError` only when export is requested.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from opentelemetry import baggage, metrics, propagate, trace
from opentelemetry import context as context_api
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from ._context import _CURRENT
from ._errors import ConfigurationError
from ._redact import format_traceback, is_secret_key, redact_attributes, redact_text

if TYPE_CHECKING:
    from ._context import BusinessContext, RequestContext

__all__ = [
    "DURATION_BUCKETS_MS",
    "INSTRUMENTATION_NAME",
    "MetricAttributes",
    "ServiceTelemetry",
    "Timer",
    "active_span",
    "configure_otlp",
    "configure_telemetry",
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


def tracer(service_name: str | None = None) -> trace.Tracer:
    """The runtime's tracer: the one of ``service_name`` when the runtime installed the
    providers (:func:`configure_telemetry`, one ``service.name`` resource per service),
    else the global provider's (cached while that provider stays the global one)."""
    global _tracer  # noqa: PLW0603 - one cache per process, renewed with the provider
    provider = trace.get_tracer_provider()
    installed = _installed
    if service_name and installed is not None and installed.tracer_provider is provider:
        return installed.tracer(service_name)
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
        service = attributes.get("service.name")
        self.span = tracer(service if isinstance(service, str) else None).start_span(
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


def instruments(service_name: str | None = None) -> _Instruments:
    """The histograms and the error counter: those of ``service_name`` when the runtime
    installed the providers and exports metrics, else the global meter provider's."""
    global _instruments  # noqa: PLW0603 - one cache per process, renewed with the provider
    provider = metrics.get_meter_provider()
    installed = _installed
    if service_name and installed is not None and installed.meter_provider is provider:
        return installed.instruments(service_name)
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
        inst = instruments(self.attributes.base.get("service.name"))
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
    """Record ``error`` on ``span`` with the business attributes, and mark it failed. The
    exception event (message, stack trace) and the status are scrubbed of secrets."""
    event = redact_attributes(attributes)
    event.update(
        {
            "exception.type": _type(error),
            "exception.message": redact_text(str(error)),
            "exception.stacktrace": format_traceback(error),
            "exception.escaped": "True",
        }
    )
    span.add_event("exception", event)
    span.set_attribute("error.type", _type(error))
    span.set_status(Status(StatusCode.ERROR, redact_text(f"{_type(error)}: {error}")))


#: the W3C trace-context headers, which an event keeps in its metadata
TRACE_HEADERS = ("traceparent", "tracestate")


def inject_headers(extra: Mapping[str, str] | None = None, **entries: str) -> dict[str, str]:
    """Message headers carrying the current trace context (``traceparent``,
    ``tracestate``) and baggage, plus ``entries`` as baggage members. Baggage members
    with secret-looking keys are not forwarded."""
    headers: dict[str, str] = dict(extra or {})
    if not entries and _w3c_propagation():
        # the usual case (W3C propagators, no baggage) written out: what they would write
        current = context_api.get_current()
        if not baggage.get_all(current):
            span_context = trace.get_current_span(current).get_span_context()
            if span_context != trace.INVALID_SPAN_CONTEXT:
                headers["traceparent"] = (
                    f"00-{span_context.trace_id:032x}-{span_context.span_id:016x}"
                    f"-{span_context.trace_flags:02x}"
                )
                if span_context.trace_state:
                    headers["tracestate"] = span_context.trace_state.to_header()
            return headers
    ctx: Context | None = None  # None: the current context, with its active span
    for key, value in entries.items():
        ctx = baggage.set_baggage(key, value, context=ctx)
    for key in baggage.get_all(ctx):
        if is_secret_key(key):
            ctx = baggage.remove_baggage(key, context=ctx)
    propagate.inject(headers, context=ctx)
    return headers


#: the global propagator last looked at, and whether it is the default W3C pair
_w3c: tuple[object, bool] = (None, False)


def _w3c_propagation() -> bool:
    """True while the global propagator is OpenTelemetry's default: W3C trace context,
    then W3C baggage."""
    global _w3c  # noqa: PLW0603 - a one-entry cache, renewed with the global propagator
    textmap = propagate.get_global_textmap()
    cached = _w3c
    if cached[0] is not textmap:
        from opentelemetry.baggage.propagation import W3CBaggagePropagator
        from opentelemetry.propagators.composite import CompositePropagator
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        inner = getattr(textmap, "_propagators", None)
        default = (
            type(textmap) is CompositePropagator
            and isinstance(inner, list | tuple)
            and [type(p) for p in inner] == [TraceContextTextMapPropagator, W3CBaggagePropagator]
        )
        cached = _w3c = (textmap, default)
    return cached[1]


def extract_context(carrier: Mapping[str, str]) -> Context:
    """The trace context and baggage carried by message headers or event metadata."""
    return propagate.extract(dict(carrier))


_DEFAULT_SERVICE_NAME = "lucent"
_PROTOCOLS = {
    "http/protobuf": ("http", "otlp"),
    "grpc": ("grpc", "otlp-grpc"),
}


def _exporter_class(signal: str, protocol: str) -> Any:
    """The OTLP exporter class of ``signal`` (``trace`` or ``metric``) for ``protocol``."""
    if protocol not in _PROTOCOLS:
        raise ConfigurationError(
            f"OTEL_EXPORTER_OTLP_PROTOCOL {protocol!r} is not supported; use http/protobuf or grpc"
        )
    kind, extra = _PROTOCOLS[protocol]
    module = f"opentelemetry.exporter.otlp.proto.{kind}.{signal}_exporter"
    name = "OTLPSpanExporter" if signal == "trace" else "OTLPMetricExporter"
    try:
        from importlib import import_module

        return getattr(import_module(module), name)
    except ImportError as err:
        raise ConfigurationError(
            f"OTLP export is requested (OTEL_EXPORTER_OTLP_*) but the {protocol} exporter is "
            f"not installed; install the extra: pip install 'lucent-lint[{extra}]'"
        ) from err


class _Export:
    """What the environment asks of one signal: exporter class and endpoint, or None."""

    def __init__(self, env: Mapping[str, str], signal: str) -> None:
        upper = "TRACES" if signal == "trace" else "METRICS"
        chosen = (env.get(f"OTEL_{upper}_EXPORTER") or "").strip().lower()
        base = (env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or "").strip()
        specific = (env.get(f"OTEL_EXPORTER_OTLP_{upper}_ENDPOINT") or "").strip()
        self.wanted = chosen != "none" and bool(base or specific or chosen == "otlp")
        if chosen not in ("", "none", "otlp"):
            raise ConfigurationError(
                f"OTEL_{upper}_EXPORTER {chosen!r} is not supported; use otlp or none"
            )
        protocol = (
            env.get(f"OTEL_EXPORTER_OTLP_{upper}_PROTOCOL")
            or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf"
        ).strip()
        self.exporter = _exporter_class(signal, protocol) if self.wanted else None
        self.endpoint: str | None = specific or None
        if self.endpoint is None and base:
            if protocol == "grpc":
                self.endpoint = base
            else:
                self.endpoint = f"{base.rstrip('/')}/v1/{upper.lower()}"

    def create(self) -> Any:
        assert self.exporter is not None
        return self.exporter(endpoint=self.endpoint) if self.endpoint else self.exporter()


def _resource_attributes(env: Mapping[str, str]) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for item in (env.get("OTEL_RESOURCE_ATTRIBUTES") or "").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            attributes[key.strip()] = value.strip()
    return attributes


class ServiceTelemetry:
    """The tracer and meter providers the runtime installed: one global pair (resource
    ``service.name`` = ``OTEL_SERVICE_NAME`` or ``lucent``) and, per service, a tracer
    provider sharing the global one's span processors and, when metrics are exported, a
    meter provider of its own, each with that service's ``service.name``."""

    def __init__(
        self,
        env: Mapping[str, str],
        traces: _Export,
        metrics_export: _Export,
        span_processors: Iterable[Any],
    ) -> None:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        self._attributes = _resource_attributes(env)
        self._fixed_name = (env.get("OTEL_SERVICE_NAME") or "").strip() or None
        self._metrics = metrics_export
        self._interval_ms = float(env.get("OTEL_METRIC_EXPORT_INTERVAL") or 60_000)
        self._resource = Resource.create
        self.tracer_provider = TracerProvider(resource=self._resource_of(None))
        for processor in span_processors:
            self.tracer_provider.add_span_processor(processor)
        if traces.wanted:
            self.tracer_provider.add_span_processor(BatchSpanProcessor(traces.create()))
        self.meter_provider = MeterProvider(
            metric_readers=self._readers(), resource=self._resource_of(None)
        )
        self._tracers: dict[str, trace.Tracer] = {}
        self._service_tracer_providers: list[Any] = []
        self._meter_providers: dict[str, Any] = {}
        self._instruments: dict[str, _Instruments] = {}

    def _resource_of(self, service_name: str | None) -> Any:
        name = self._fixed_name or service_name or _DEFAULT_SERVICE_NAME
        return self._resource({**self._attributes, "service.name": name})

    def _readers(self) -> list[Any]:
        if not self._metrics.wanted:
            return []
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

        return [
            PeriodicExportingMetricReader(
                self._metrics.create(), export_interval_millis=self._interval_ms
            )
        ]

    def tracer(self, service_name: str) -> trace.Tracer:
        """The tracer whose spans carry ``service_name`` as their resource."""
        found = self._tracers.get(service_name)
        if found is None:
            from opentelemetry.sdk.trace import TracerProvider

            provider = TracerProvider(
                resource=self._resource_of(service_name),
                active_span_processor=self.tracer_provider._active_span_processor,
                shutdown_on_exit=False,
            )
            self._service_tracer_providers.append(provider)
            found = self._tracers[service_name] = provider.get_tracer(INSTRUMENTATION_NAME)
        return found

    def instruments(self, service_name: str) -> _Instruments:
        """The instruments whose data points carry ``service_name`` as their resource."""
        found = self._instruments.get(service_name)
        if found is None:
            provider = self.meter_provider
            if self._metrics.wanted:
                from opentelemetry.sdk.metrics import MeterProvider

                provider = self._meter_providers[service_name] = MeterProvider(
                    metric_readers=self._readers(), resource=self._resource_of(service_name)
                )
            found = self._instruments[service_name] = _Instruments(provider)
        return found

    def shutdown(self) -> None:
        """Export what is pending and stop the exporters, all providers at once (an
        unreachable collector then costs one exporter timeout, not one per service)."""
        import threading

        providers = [*self._meter_providers.values(), self.meter_provider, self.tracer_provider]
        threads = [threading.Thread(target=provider.shutdown) for provider in providers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


_installed: ServiceTelemetry | None = None


def configure_telemetry(
    env: Mapping[str, str] | None = None, span_processors: Iterable[Any] = ()
) -> ServiceTelemetry | None:
    """Install the runtime's tracer and meter providers as the global ones, exporting
    over OTLP as the ``OTEL_*`` variables of ``env`` (default ``os.environ``) ask, plus
    the application's ``span_processors`` (an in-memory exporter, say).

    Returns the installed :class:`ServiceTelemetry`, or None when nothing was done: no
    export requested and no processors given, or the application installed its own SDK
    tracer provider (which the runtime then uses as it is). Calling it again adds the
    processors to what is installed. Raises :class:`ConfigurationError` for an
    unsupported setting, or when export is requested but the exporter is not installed.
    """
    global _installed  # noqa: PLW0603 - the global providers are set once per process
    env = os.environ if env is None else env
    processors = list(span_processors)
    traces, metrics_export = _Export(env, "trace"), _Export(env, "metric")
    if _installed is not None and _installed.tracer_provider is trace.get_tracer_provider():
        for processor in processors:
            _installed.tracer_provider.add_span_processor(processor)
        return _installed
    if not (traces.wanted or metrics_export.wanted or processors):
        return None
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return None  # the application configured tracing itself
    installed = ServiceTelemetry(env, traces, metrics_export, processors)
    trace.set_tracer_provider(installed.tracer_provider)
    if trace.get_tracer_provider() is not installed.tracer_provider:
        return None  # a non-SDK provider was set before: the API refuses a second one
    if not isinstance(metrics.get_meter_provider(), MeterProvider):
        metrics.set_meter_provider(installed.meter_provider)
    _installed = installed
    return installed


def configure_otlp(env: Mapping[str, str]) -> trace.TracerProvider | None:
    """:func:`configure_telemetry` without processors of the application: the installed
    tracer provider, or None."""
    installed = configure_telemetry(env)
    return None if installed is None else installed.tracer_provider


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
