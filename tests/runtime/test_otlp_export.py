"""OTLP export out of the box: the runnable example, with only the standard ``OTEL_*``
variables set, sends its traces and metrics to a real OTLP/HTTP receiver on 127.0.0.1
(decoded with opentelemetry-proto): one trace per flow with correct parents, PRODUCER and
CONSUMER spans with messaging and business attributes, one ``service.name`` resource per
service (``OTEL_SERVICE_NAME`` wins), and the millisecond histograms with their buckets."""

from __future__ import annotations

import gzip
import importlib.util
import os
import subprocess
import sys
import threading
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from lucent_runtime._telemetry import DURATION_BUCKETS_MS

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "fixtures" / "example_flow" / "complete_event_flow.py"


class Receiver:
    """An OTLP/HTTP receiver: keeps the decoded export requests by path."""

    def __init__(self) -> None:
        self.requests: dict[str, list[bytes]] = defaultdict(list)
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                received[self.path].append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"

    def spans(self) -> list[tuple[str, Span]]:
        """(resource service.name, span) of every exported span."""
        out = []
        for body in self.requests["/v1/traces"]:
            request = ExportTraceServiceRequest.FromString(body)
            for resource_spans in request.resource_spans:
                service = _attributes(resource_spans.resource.attributes)["service.name"]
                for scope in resource_spans.scope_spans:
                    out.extend((service, item) for item in scope.spans)
        return out

    def histograms(self) -> dict[tuple[str, str], list]:
        """(resource service.name, metric name) -> the metric's histogram data points."""
        out: dict[tuple[str, str], list] = defaultdict(list)
        for body in self.requests["/v1/metrics"]:
            request = ExportMetricsServiceRequest.FromString(body)
            for resource_metrics in request.resource_metrics:
                service = _attributes(resource_metrics.resource.attributes)["service.name"]
                for scope in resource_metrics.scope_metrics:
                    for metric in scope.metrics:
                        if metric.HasField("histogram"):
                            assert metric.unit == "ms", metric.name
                            out[service, metric.name].extend(metric.histogram.data_points)
        return out


def _attributes(pairs) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        kind = pair.value.WhichOneof("value")
        out[pair.key] = getattr(pair.value, kind) if kind else None
    return out


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield found
    finally:
        found.server.shutdown()
        found.server.server_close()


def run_example(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "NATS_", "LUCENT_")) and k != "NO_PROXY"
    }
    env.update(variables)
    env["LUCENT_DATA_DIR"] = str(tmp_path / "data")
    env["NO_PROXY"] = "127.0.0.1"
    return subprocess.run(
        [sys.executable, str(EXAMPLE)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_example_exports_traces_and_metrics_per_service(tmp_path: Path, receiver) -> None:
    done = run_example(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint)
    assert done.returncode == 0, done.stderr
    assert "Trace " in done.stdout  # the trees are printed too
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
    assert receiver.requests["/v1/metrics"] == []  # metrics were turned off


def test_without_the_endpoint_nothing_is_exported(tmp_path: Path, receiver) -> None:
    done = run_example(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Trace " in done.stdout
    assert receiver.requests == {}


@pytest.mark.skipif(
    importlib.util.find_spec("opentelemetry.exporter.otlp.proto.grpc") is not None,
    reason="the gRPC exporter is installed here",
)
def test_missing_exporter_is_a_one_line_error_only_when_export_is_asked(tmp_path: Path) -> None:
    done = run_example(
        tmp_path,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4317",
        OTEL_EXPORTER_OTLP_PROTOCOL="grpc",
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1, done.stderr
    assert "pip install 'lucent-lint[otlp-grpc]'" in errors[0]
    assert "Traceback" not in done.stderr
    # the same protocol without an endpoint asks for no export: the example runs
    assert run_example(tmp_path, OTEL_EXPORTER_OTLP_PROTOCOL="grpc").returncode == 0


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
