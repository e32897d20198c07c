"""InfrastructureFactory: embedded SQLite by default, NATS with NATS_URL, OTLP checks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from lucent_runtime import ConfigurationError, CryptoTradingServiceBase, InfrastructureFactory
from lucent_runtime._infrastructure import EVENT_STORE_FILE
from lucent_runtime._telemetry import configure_otlp
from lucent_runtime.backends.memory import InMemoryEventStore, InProcessMessageBus
from lucent_runtime.backends.sqlite import SqliteEventStore

from .helpers import trading_context


class TradingService(CryptoTradingServiceBase):
    pass


async def test_default_without_nats_url_is_sqlite_under_the_data_dir(tmp_path: Path, telemetry):
    data_dir = tmp_path / "lucent-data"
    env = {"LUCENT_DATA_DIR": str(data_dir)}
    infrastructure = await InfrastructureFactory.create_default(env)
    assert infrastructure.kind == "embedded"
    assert isinstance(infrastructure.event_store, SqliteEventStore)
    assert isinstance(infrastructure.bus, InProcessMessageBus)
    service = TradingService(infrastructure, "trading")
    stored = await service.publish_domain_event("TradeExecuted", "trade-1", {}, trading_context())
    await infrastructure.close()
    assert (data_dir / EVENT_STORE_FILE).is_file()
    again = await InfrastructureFactory.create_default(env)
    assert await again.event_store.read_stream("trade-1") == [stored]
    await again.close()


async def test_default_data_dir_is_dot_lucent(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NATS_URL", raising=False)
    monkeypatch.delenv("LUCENT_DATA_DIR", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    infrastructure = await InfrastructureFactory.create_default()
    await infrastructure.close()
    assert (tmp_path / ".lucent" / EVENT_STORE_FILE).is_file()


async def test_data_dir_that_is_a_file_is_refused(tmp_path: Path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    with pytest.raises(ConfigurationError, match="not a directory"):
        await InfrastructureFactory.create_default({"LUCENT_DATA_DIR": str(blocker)})


async def test_in_memory_can_be_awaited_or_not():
    plain = InfrastructureFactory.create_in_memory()
    awaited = await InfrastructureFactory.create_in_memory()
    for infrastructure in (plain, awaited):
        assert isinstance(infrastructure.event_store, InMemoryEventStore)
        assert infrastructure.kind == "memory"
        await infrastructure.close()


async def test_nats_url_selects_the_nats_back_ends(nats_server: str, telemetry):
    infrastructure = await InfrastructureFactory.create_default({"NATS_URL": nats_server})
    try:
        assert infrastructure.kind == "nats"
        assert infrastructure.bus.messaging_system == "nats"
        service = TradingService(infrastructure, "trading")
        stored = await service.publish_domain_event(
            "TradeExecuted", "trade-nats1", {"usd": 1}, trading_context()
        )
        assert await infrastructure.event_store.read_stream("trade-nats1") == [stored]
    finally:
        await infrastructure.close()


def test_otlp_endpoint_without_the_extra_is_a_clear_error(monkeypatch):
    module = "opentelemetry.exporter.otlp.proto.http.trace_exporter"
    monkeypatch.setitem(sys.modules, module, None)  # as if the extra were not installed
    with pytest.raises(ConfigurationError, match=r"lucent-lint\[otlp\]"):
        configure_otlp({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"})


def test_otlp_leaves_an_application_provider_alone(telemetry):
    # the test session installed an SDK provider, as an application would
    assert configure_otlp({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}) is None
    assert configure_otlp({}) is None
