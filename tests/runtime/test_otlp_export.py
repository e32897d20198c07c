"""OTLP export out of the box: the runnable example, with only the standard ``OTEL_*``
variables set, sends its traces and metrics to a real OTLP receiver on 127.0.0.1, over
HTTP and over gRPC (decoded with opentelemetry-proto): one trace per flow with correct
parents, PRODUCER and CONSUMER spans with messaging and business attributes, one
``service.name`` resource per service (``OTEL_SERVICE_NAME`` wins), and the millisecond
histograms with their buckets."""

from __future__ import annotations

import gzip
import threading
from collections import defaultdict
from collections.abc import Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from lucent_runtime._telemetry import DURATION_BUCKETS_MS
from tests.runtime.helpers import run_example


class Receiver:
    """What an OTLP receiver got: the export requests of each signal (``traces``,
    ``metrics``), decoded."""

    endpoint: str

    def __init__(self) -> None:
        self.traces: list[ExportTraceServiceRequest] = []
        self.metrics: list[ExportMetricsServiceRequest] = []

    def spans(self) -> list[tuple[str, Span]]:
        """(resource service.name, span) of every exported span."""
        out = []
        for request in self.traces:
            for resource_spans in request.resource_spans:
                service = _attributes(resource_spans.resource.attributes)["service.name"]
                for scope in resource_spans.scope_spans:
                    out.extend((service, item) for item in scope.spans)
        return out

    def histograms(self) -> dict[tuple[str, str], list]:
        """(resource service.name, metric name) -> the metric's histogram data points."""
        out: dict[tuple[str, str], list] = defaultdict(list)
        for request in self.metrics:
            for resource_metrics in request.resource_metrics:
                service = _attributes(resource_metrics.resource.attributes)["service.name"]
                for scope in resource_metrics.scope_metrics:
                    for metric in scope.metrics:
                        if metric.HasField("histogram"):
                            assert metric.unit == "ms", metric.name
                            out[service, metric.name].extend(metric.histogram.data_points)
        return out


class HttpReceiver(Receiver):
    """An OTLP/HTTP receiver (``POST /v1/traces``, ``/v1/metrics``, protobuf bodies)."""

    def __init__(self) -> None:
        super().__init__()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                if self.path == "/v1/traces":
                    receiver.traces.append(ExportTraceServiceRequest.FromString(body))
                elif self.path == "/v1/metrics":
                    receiver.metrics.append(ExportMetricsServiceRequest.FromString(body))
                self.send_response(200 if self.path in ("/v1/traces", "/v1/metrics") else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> HttpReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class GrpcReceiver(Receiver):
    """An OTLP/gRPC receiver: the collector's TraceService and MetricsService ``Export``."""

    def __init__(self) -> None:
        super().__init__()
        receiver = self

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request, context):
                receiver.traces.append(request)
                return ExportTraceServiceResponse()

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
            def Export(self, request, context):
                receiver.metrics.append(request)
                return ExportMetricsServiceResponse()

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), self.server)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.endpoint = f"http://127.0.0.1:{port}"

    def __enter__(self) -> GrpcReceiver:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop(grace=None)


def _attributes(pairs) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        kind = pair.value.WhichOneof("value")
        out[pair.key] = getattr(pair.value, kind) if kind else None
    return out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with HttpReceiver() as found:
        yield found


@pytest.fixture
def grpc_receiver() -> Iterator[Receiver]:
    with GrpcReceiver() as found:
        yield found


def test_example_exports_traces_and_metrics_per_service(tmp_path: Path, receiver) -> None:
    done = run_example(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint)
    assert done.returncode == 0, done.stderr
    assert "Trace " in done.stdout  # the trees are printed too
    assert_flows_exported(receiver)


def test_example_exports_over_grpc(tmp_path: Path, grpc_receiver) -> None:
    done = run_example(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT=grpc_receiver.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
    )
    assert done.returncode == 0, done.stderr
    assert "Trace " in done.stdout
    assert_flows_exported(grpc_receiver)


def assert_flows_exported(receiver: Receiver) -> None:
    """The example's two flows, as the receiver got them."""
    exported = receiver.spans()
    assert exported, "no span was exported"

    # one service.name resource per service, matching the spans' own service attribute
    services = {service for service, _ in exported}
    assert services == {"trading", "risk-assessment", "portfolio"}
    for service, item in exported:
        own = _attributes(item.attributes).get("service.name")
        assert own in (None, service), (item.name, own, service)

    # one trace per flow, each with one root and every parent inside the trace
    by_trace: dict[bytes, list[Span]] = defaultdict(list)
    for _, item in exported:
        by_trace[item.trace_id].append(item)
    assert len(by_trace) == 2
    for members in by_trace.values():
        ids = {item.span_id for item in members}
        roots = [item for item in members if not item.parent_span_id]
        assert [root.name for root in roots] == ["arbitrage_execution"]
        assert all(item.parent_span_id in ids for item in members if item.parent_span_id)
    names = {item.span_id: item.name for _, item in exported}

    publishes = [item for _, item in exported if item.name.startswith("publish ")]
    handlings = [item for _, item in exported if item.name.startswith("process ")]
    assert publishes and handlings
    for item in publishes:
        assert item.kind == Span.SPAN_KIND_PRODUCER, item.name
    for item in handlings:
        assert item.kind == Span.SPAN_KIND_CONSUMER, item.name
        # the handling continues the publisher's trace under its PRODUCER span
        assert names[item.parent_span_id] == item.name.replace("process ", "publish ")
    for item in publishes + handlings:
        attributes = _attributes(item.attributes)
        assert attributes["messaging.system"]
        assert str(attributes["messaging.destination.name"]).startswith("lucent.events.")
        assert attributes["messaging.message.id"]
        assert attributes["messaging.message.conversation_id"]
        assert attributes["business.domain"] == "crypto-trading"
        assert str(attributes["business.workflow_id"]).startswith("arbitrage-workflow-")

    # the millisecond histograms, per service, with the custom buckets
    histograms = receiver.histograms()
    assert ("trading", "lucent.operation.duration") in histograms
    assert ("portfolio", "lucent.event.handling.duration") in histograms
    assert ("risk-assessment", "lucent.command.handling.duration") in histograms
    for points in histograms.values():
        for point in points:
            assert list(point.explicit_bounds) == [float(b) for b in DURATION_BUCKETS_MS]
            assert point.count >= 1
    (operation,) = [
        p
        for p in histograms["trading", "lucent.operation.duration"]
        if _attributes(p.attributes).get("outcome") == "success"
    ]
    assert operation.count == 1
    assert _attributes(operation.attributes)["service.name"] == "trading"


def test_otel_service_name_wins(tmp_path: Path, receiver) -> None:
    done = run_example(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        OTEL_SERVICE_NAME="arbitrage-app",
        OTEL_METRICS_EXPORTER="none",
    )
    assert done.returncode == 0, done.stderr
    assert {service for service, _ in receiver.spans()} == {"arbitrage-app"}
    assert receiver.metrics == []  # metrics were turned off


def test_without_the_endpoint_nothing_is_exported(tmp_path: Path, receiver) -> None:
    done = run_example(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Trace " in done.stdout
    assert receiver.traces == receiver.metrics == []


@pytest.mark.parametrize(
    ("protocol", "module", "extra"),
    [
        ("grpc", "opentelemetry.exporter.otlp.proto.grpc", "otlp-grpc"),
        ("http/protobuf", "opentelemetry.exporter.otlp.proto.http", "otlp"),
    ],
    ids=["grpc", "http"],
)
def test_missing_exporter_is_a_one_line_error_only_when_export_is_asked(
    tmp_path: Path, protocol: str, module: str, extra: str
) -> None:
    # a base install: the exporter package (the extra) is not there
    done = run_example(
        tmp_path,
        without=[module],
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4317",
        OTEL_EXPORTER_OTLP_PROTOCOL=protocol,
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, done.stderr
    assert f"the {protocol} exporter is not installed" in errors[0]
    assert f"pip install 'lucent-lint[{extra}]'" in errors[0]
    assert "Traceback" not in done.stderr
    # the same protocol without an endpoint asks for no export: the example runs
    unasked = run_example(tmp_path, without=[module], OTEL_EXPORTER_OTLP_PROTOCOL=protocol)
    assert unasked.returncode == 0, unasked.stderr
    assert "Trace " in unasked.stdout


# -- what the variables select (no provider installed) -------------------------------------


def test_endpoints_and_signals_from_the_standard_variables() -> None:
    from lucent_runtime._telemetry import _Export

    base = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"}
    traces, metrics = _Export(base, "trace"), _Export(base, "metric")
    assert (traces.wanted, traces.endpoint) == (True, "http://collector:4318/v1/traces")
    assert (metrics.wanted, metrics.endpoint) == (True, "http://collector:4318/v1/metrics")
    specific = {**base, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://tempo:4318/custom"}
    assert _Export(specific, "trace").endpoint == "http://tempo:4318/custom"
    assert not _Export({**base, "OTEL_METRICS_EXPORTER": "none"}, "metric").wanted
    assert not _Export({}, "trace").wanted
    chosen = _Export({"OTEL_TRACES_EXPORTER": "otlp"}, "trace")
    assert chosen.wanted and chosen.endpoint is None  # the exporter's own default


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "http/json' is not supported"),
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER 'zipkin' is not supported"),
    ],
)
def test_unsupported_settings_are_configuration_errors(env: dict[str, str], message: str):
    from lucent_runtime import ConfigurationError
    from lucent_runtime._telemetry import _Export

    with pytest.raises(ConfigurationError, match=message):
        _Export({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", **env}, "trace")
