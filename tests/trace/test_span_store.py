"""The span store: what it records of a span, retention by age and size, its bounded
queue, its settings, and where it is hooked in (the embedded default, NATS when asked, a
process without an SDK provider, beside the OTLP exporter)."""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from lucent_runtime import ConfigurationError, InfrastructureFactory
from lucent_runtime._span_store import (
    SPAN_STORE_FILE,
    SpanStoreProcessor,
    SpanStoreSettings,
    SpanStoreWriter,
    configure_span_store,
    current_span_store,
    enforce_retention,
    ingest_batches,
    open_database,
    parse_duration,
    span_store_wanted,
)
from lucent_runtime.trace import TraceStore

from .conftest import as_json, lucent_trace, record

REPO = Path(__file__).resolve().parents[2]


def private_provider(settings: SpanStoreSettings, **options: int) -> tuple:
    """A provider of its own (not the global one) feeding a store processor."""
    provider = TracerProvider(resource=Resource.create({"service.name": "resource-svc"}))
    processor = SpanStoreProcessor(SpanStoreWriter(settings), **options)
    provider.add_span_processor(processor)
    return provider, processor


def test_a_span_is_recorded_with_everything(tmp_path: Path) -> None:
    provider, processor = private_provider(SpanStoreSettings(tmp_path / SPAN_STORE_FILE))
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("parent", kind=SpanKind.SERVER) as parent:
        parent.set_attribute("service.name", "attribute-svc")
        parent.set_attribute("business.tags", ("a", "b"))
        linked = parent.get_span_context()
        child = tracer.start_span(
            "child",
            kind=SpanKind.PRODUCER,
            attributes={"business.user_id": "user-1", "crypto.amount_usd": 12.5},
            links=[Link(linked, {"link.reason": "retry"})],
        )
        child.add_event("checkpoint", {"step": 2})
        child.record_exception(ValueError("boom"))
        child.set_status(Status(StatusCode.ERROR, "ValueError: boom"))
        child.end()
    processor.force_flush()

    store = TraceStore(tmp_path)
    spans = {span.name: span for span in store.trace(f"{linked.trace_id:032x}")}
    assert set(spans) == {"parent", "child"}
    parent_span, child_span = spans["parent"], spans["child"]
    assert parent_span.parent_id is None
    assert child_span.parent_id == parent_span.span_id == f"{linked.span_id:016x}"
    assert (parent_span.kind, child_span.kind) == ("server", "producer")
    assert parent_span.service == "attribute-svc"  # the span's own service.name wins
    assert child_span.service == "resource-svc"  # else the resource's
    assert parent_span.attributes["business.tags"] == ["a", "b"]
    assert child_span.attributes == {"business.user_id": "user-1", "crypto.amount_usd": 12.5}
    assert (child_span.status, child_span.status_message) == ("error", "ValueError: boom")
    assert parent_span.status == "unset"
    assert [e["name"] for e in child_span.events] == ["checkpoint", "exception"]
    assert child_span.events[0]["attributes"] == {"step": 2}
    assert child_span.events[1]["attributes"]["exception.message"] == "boom"
    assert child_span.links == [
        {
            "trace_id": f"{linked.trace_id:032x}",
            "span_id": f"{linked.span_id:016x}",
            "attributes": {"link.reason": "retry"},
        }
    ]
    assert parent_span.start_ns <= child_span.start_ns <= child_span.end_ns <= parent_span.end_ns
    assert child_span.duration_ms == pytest.approx((child_span.end_ns - child_span.start_ns) / 1e6)
    store.close()
    provider.shutdown()


def test_spans_are_written_in_batches_off_the_caller(tmp_path: Path) -> None:
    settings = SpanStoreSettings(tmp_path / SPAN_STORE_FILE)
    provider, processor = private_provider(settings, batch_size=10)
    tracer = provider.get_tracer("test")
    for number in range(25):
        tracer.start_span(f"span-{number}").end()
    db = open_database(settings.path)
    deadline = time.monotonic() + 10
    # the thread writes full batches by itself; the rest waits for the timer or a flush
    while db.execute("SELECT COUNT(*) FROM batches").fetchone()[0] < 2:
        assert time.monotonic() < deadline, "no batch written by the processor's thread"
        time.sleep(0.01)
    processor.force_flush()
    sizes = [len(blob) for (blob,) in db.execute("SELECT spans FROM batches")]
    assert len(sizes) == 3
    assert ingest_batches(db) == 25
    assert db.execute("SELECT COUNT(*) FROM batches").fetchone()[0] == 0
    db.close()
    provider.shutdown()


def test_a_full_queue_drops_and_counts(tmp_path: Path) -> None:
    provider, processor = private_provider(
        SpanStoreSettings(tmp_path / SPAN_STORE_FILE), max_queue=5, batch_size=100
    )
    processor.delay_s = 60.0  # no timed write during the test
    tracer = provider.get_tracer("test")
    for _ in range(8):
        tracer.start_span("x").end()
    assert processor.dropped == 3
    processor.force_flush()
    db = open_database(tmp_path / SPAN_STORE_FILE)
    assert ingest_batches(db) == 5
    db.close()
    provider.shutdown()


def test_retention_by_age(tmp_path: Path) -> None:
    settings = SpanStoreSettings(tmp_path / SPAN_STORE_FILE, max_age_s=3600)
    provider, processor = private_provider(settings)
    tracer = provider.get_tracer("test")
    now = time.time_ns()
    old = tracer.start_span("old", start_time=now - 2 * 3600 * 10**9)
    old.end(end_time=now - 2 * 3600 * 10**9 + 1000)
    processor.force_flush()  # the first write enforces retention: the old batch goes
    tracer.start_span("new").end()
    processor.force_flush()
    db = open_database(settings.path)
    ingest_batches(db)
    names = [name for (name,) in db.execute("SELECT name FROM spans")]
    assert names == ["new"]
    # unpacked spans age out too
    db.execute("UPDATE spans SET start_ns = ?", (now - 2 * 3600 * 10**9,))
    assert enforce_retention(db, settings) == 1
    assert db.execute("SELECT COUNT(*) FROM spans").fetchone()[0] == 0
    db.close()
    provider.shutdown()


def test_retention_by_size(tmp_path: Path) -> None:
    settings = SpanStoreSettings(tmp_path / SPAN_STORE_FILE, max_bytes=256 * 1024)
    provider, processor = private_provider(settings, batch_size=50)
    tracer = provider.get_tracer("test")
    for number in range(3000):
        tracer.start_span(f"span-{number:04d}", attributes={"payload": "x" * 200}).end()
    processor.force_flush()
    db = open_database(settings.path)
    ingest_batches(db)
    enforce_retention(db, settings)
    pages, free, size = (
        db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("page_count", "freelist_count", "page_size")
    )
    assert (pages - free) * size <= settings.max_bytes
    names = [name for (name,) in db.execute("SELECT name FROM spans ORDER BY start_ns")]
    assert 0 < len(names) < 3000
    assert names[-1] == "span-2999"  # the newest are kept
    assert names == [f"span-{n:04d}" for n in range(3000 - len(names), 3000)]
    db.close()
    provider.shutdown()


def test_settings_from_the_environment(tmp_path: Path) -> None:
    settings = SpanStoreSettings.from_env(
        tmp_path, {"LUCENT_TRACE_MAX_AGE": "12h", "LUCENT_TRACE_MAX_MB": "1.5"}
    )
    assert settings.path == tmp_path / SPAN_STORE_FILE
    assert settings.max_age_s == 12 * 3600
    assert settings.max_bytes == int(1.5 * 1024 * 1024)
    default = SpanStoreSettings.from_env(tmp_path, {})
    assert (default.max_age_s, default.max_bytes) == (7 * 86400, 256 << 20)
    for env in ({"LUCENT_TRACE_MAX_AGE": "soon"}, {"LUCENT_TRACE_MAX_MB": "0"}):
        with pytest.raises(ConfigurationError, match="LUCENT_TRACE_MAX"):
            SpanStoreSettings.from_env(tmp_path, env)
    assert [parse_duration(text) for text in ("250ms", "15s", "30m", "1.5h", "7d", "90")] == [
        0.25,
        15,
        1800,
        5400,
        604800,
        90,
    ]


def test_when_the_store_is_wanted() -> None:
    assert span_store_wanted({}, embedded=True)
    assert not span_store_wanted({}, embedded=False)
    assert span_store_wanted({"LUCENT_TRACE_STORE": "1"}, embedded=False)
    assert not span_store_wanted({"LUCENT_TRACE_STORE": "0"}, embedded=True)
    with pytest.raises(ConfigurationError, match="LUCENT_TRACE_STORE must be 1 or 0"):
        span_store_wanted({"LUCENT_TRACE_STORE": "maybe"}, embedded=True)


async def test_embedded_default_can_opt_out(tmp_path: Path) -> None:
    env = {"LUCENT_DATA_DIR": str(tmp_path), "LUCENT_TRACE_STORE": "0"}
    infrastructure = await InfrastructureFactory.create_default(env)
    await infrastructure.close()
    assert not (tmp_path / SPAN_STORE_FILE).exists()
    assert configure_span_store(env, tmp_path, embedded=True) is None


async def test_nats_records_only_when_asked(nats_server: str, tmp_path: Path) -> None:
    env = {"NATS_URL": nats_server, "LUCENT_DATA_DIR": str(tmp_path)}
    infrastructure = await InfrastructureFactory.create_default(env)
    await infrastructure.close()
    assert not (tmp_path / SPAN_STORE_FILE).exists()


def test_on_nats_with_the_flag(nats_server: str, tmp_path: Path) -> None:
    """The scenario on a real nats-server with LUCENT_TRACE_STORE=1, then lucent-trace."""
    record({"NATS_URL": nats_server, "LUCENT_DATA_DIR": str(tmp_path), "LUCENT_TRACE_STORE": "1"})
    journey = as_json(
        lucent_trace("journey", "user-123", "--format", "json", "--data-dir", str(tmp_path))
    )
    assert [e["event_type"] for e in journey["events"]] == [
        "UserCreated",
        "ArbitrageOpportunityDetected",
        "ArbitrageTradeExecuted",
        "PortfolioUpdated",
        "ArbitrageOpportunityDetected",
    ]
    # the handling ran in a JetStream consumer and still joined the publisher's trace
    assert journey["events"][2]["handled_by"] == [{"service": "portfolio", "status": "ok"}]
    shown = lucent_trace(
        "show", "--workflow", "arbitrage-workflow-789", "--data-dir", str(tmp_path)
    )
    assert "Step 3/3: execute_trades ❌" in shown.stdout
    assert "handle AssessArbitrageRisk [risk-assessment] ✅" in shown.stdout


def test_the_store_follows_the_latest_data_dir(tmp_path: Path) -> None:
    async def run(data_dir: Path) -> None:
        infrastructure = await InfrastructureFactory.create_default(
            {"LUCENT_DATA_DIR": str(data_dir)}
        )
        await infrastructure.close()

    asyncio.run(run(tmp_path / "first"))
    store = current_span_store()
    assert store is not None and store.path == tmp_path / "first" / SPAN_STORE_FILE
    asyncio.run(run(tmp_path / "second"))
    assert current_span_store() is store  # one processor per provider, moved
    assert store.path == tmp_path / "second" / SPAN_STORE_FILE
    store.detach()
    assert store.path is None


# -- a fresh process: no SDK provider installed, OTLP configured beside the store ----------


class _Collector(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, int]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Collector.received.append((self.path, len(body)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def otlp_collector() -> Iterator[str]:
    """An HTTP endpoint on 127.0.0.1 that accepts OTLP posts and remembers them."""
    _Collector.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


SERVICE_SCRIPT = textwrap.dedent(
    """
    import asyncio
    from opentelemetry import trace
    from lucent_runtime import BusinessContextBuilder, CryptoTradingServiceBase
    from lucent_runtime import InfrastructureFactory

    class Trading(CryptoTradingServiceBase):
        pass

    async def main():
        infrastructure = await InfrastructureFactory.create_default()
        service = Trading(infrastructure, "trading")
        context = (
            BusinessContextBuilder.for_crypto_trading()
            .with_aggregate("Trade", "trade-42")
            .with_user("user-42")
            .build()
        )

        async def work(ctx):
            return 1

        await service.execute_business_operation("execute_trade", context, work)
        await infrastructure.close()
        print(type(trace.get_tracer_provider()).__module__)

    asyncio.run(main())
    """
)


def run_service(tmp_path: Path, **env: str) -> str:
    """The script above in a new interpreter; it exits without flushing anything itself."""
    result = subprocess.run(
        [sys.executable, "-c", SERVICE_SCRIPT],
        env={**os.environ, "LUCENT_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_process_without_an_sdk_provider_gets_one(tmp_path: Path) -> None:
    module = run_service(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT="")
    assert module == "opentelemetry.sdk.trace"
    # the spans still queued at exit were written by the provider's shutdown
    found = as_json(lucent_trace("find", "business.user_id=user-42", "--format", "json",
                                 "--data-dir", str(tmp_path)))  # fmt: skip
    assert [t["operation"] for t in found["traces"]] == ["execute_trade"]


def test_otlp_export_keeps_working_beside_the_store(tmp_path: Path, otlp_collector: str) -> None:
    run_service(tmp_path, OTEL_EXPORTER_OTLP_ENDPOINT=otlp_collector)
    # traces (and, with the standard variables, metrics) still reach the collector
    assert "/v1/traces" in {path for path, size in _Collector.received if size}
    found = as_json(lucent_trace("find", "business.user_id=user-42", "--format", "json",
                                 "--data-dir", str(tmp_path)))  # fmt: skip
    assert found["traces"][0]["operation"] == "execute_trade"
    assert json.dumps(found)  # plain data


def test_a_shut_down_store_is_replaced(tmp_path: Path) -> None:
    """After the provider's shutdown (an application's exit path), a later
    create_default records again, with a new processor."""
    install = configure_span_store({}, tmp_path / "first", embedded=True)
    assert install is not None
    install.processor.shutdown()
    again = configure_span_store({}, tmp_path / "second", embedded=True)
    assert again is not None and again is not install
    assert not again.processor.is_shut_down
    again.detach()
