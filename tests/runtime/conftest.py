"""Runtime test fixtures: the real OpenTelemetry SDK with in-memory exporters, installed
once as the global providers (the runtime uses the global tracer and meter), and a fresh
in-memory infrastructure per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lucent_runtime import Infrastructure, InfrastructureFactory


class Telemetry:
    """The process-wide span exporter and metric reader."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        current = trace.get_tracer_provider()
        if isinstance(current, TracerProvider):
            current.add_span_processor(SimpleSpanProcessor(self.exporter))
        else:
            provider = TracerProvider()
            provider.add_span_processor(SimpleSpanProcessor(self.exporter))
            trace.set_tracer_provider(provider)
        self.reader = InMemoryMetricReader()
        metrics.set_meter_provider(MeterProvider(metric_readers=[self.reader]))


_TELEMETRY: Telemetry | None = None


@pytest.fixture(scope="session")
def telemetry() -> Telemetry:
    global _TELEMETRY  # noqa: PLW0603 - the global providers can be set once per process
    if _TELEMETRY is None:
        _TELEMETRY = Telemetry()
    return _TELEMETRY


@pytest.fixture
def spans(telemetry: Telemetry) -> InMemorySpanExporter:
    """The span exporter, emptied for this test."""
    telemetry.exporter.clear()
    return telemetry.exporter


@pytest.fixture
def metric_reader(telemetry: Telemetry) -> InMemoryMetricReader:
    return telemetry.reader


@pytest.fixture
async def infrastructure(telemetry: Telemetry) -> AsyncIterator[Infrastructure]:
    """In-memory store and in-process bus with fast redelivery."""
    infra = InfrastructureFactory.create_in_memory(max_deliver=3, backoff=0.01)
    try:
        yield infra
    finally:
        await infra.close()


@pytest.fixture(params=["memory", "embedded", "nats"])
async def every_infrastructure(
    request: pytest.FixtureRequest, tmp_path: Path, telemetry: Telemetry
) -> AsyncIterator[Infrastructure]:
    """Each back-end in turn: in-memory, embedded (SQLite), NATS on a real nats-server."""
    if request.param == "memory":
        infra = InfrastructureFactory.create_in_memory()
    elif request.param == "embedded":
        infra = InfrastructureFactory.create_embedded(tmp_path)
    else:
        infra = await InfrastructureFactory.create_nats(request.getfixturevalue("nats_server"))
    try:
        yield infra
    finally:
        await infra.close()
