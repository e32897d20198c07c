"""Where services get their event store and message bus.

``InfrastructureFactory.create_default()`` reads the environment, like every Lucent service:

- ``NATS_URL`` set: NATS (core request/reply for commands, one JetStream stream as event
  store and event bus), from :mod:`lucent_runtime.backends.nats`.
- otherwise the embedded default, which needs no server: a SQLite event store in
  ``LUCENT_DATA_DIR`` (default ``.lucent/``) and the in-process bus.
- ``OTEL_EXPORTER_OTLP_ENDPOINT`` (and the other standard ``OTEL_*`` variables): traces and
  metrics are exported over OTLP, one ``service.name`` per service (the ``otlp`` extra),
  unless the application installed its own tracer provider
  (:func:`lucent_runtime._telemetry.configure_telemetry`).
- finished spans are recorded to ``LUCENT_DATA_DIR/traces.sqlite3`` for ``lucent-trace``:
  on the embedded default, and on NATS with ``LUCENT_TRACE_STORE=1``
  (:mod:`lucent_runtime._span_store`).

``create_in_memory()`` gives a store and bus in memory, for tests.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

from ._errors import ConfigurationError
from ._span_store import configure_span_store
from ._telemetry import configure_otlp
from .backends.base import EventStore, MessageBus
from .backends.memory import InMemoryEventStore, InProcessMessageBus
from .backends.sqlite import SqliteEventStore

__all__ = ["DEFAULT_DATA_DIR", "EVENT_STORE_FILE", "Infrastructure", "InfrastructureFactory"]

DEFAULT_DATA_DIR = ".lucent"
EVENT_STORE_FILE = "events.sqlite3"


class Infrastructure:
    """The event store and bus shared by the services of a process.

    ``kind`` is ``"nats"``, ``"embedded"`` or ``"memory"``. ``close()`` drains the bus and
    closes the store; ``async with`` does it too.
    """

    def __init__(self, event_store: EventStore, bus: MessageBus, kind: str) -> None:
        self.event_store = event_store
        self.bus = bus
        self.kind = kind
        self._closed = False

    def __repr__(self) -> str:
        return f"Infrastructure(kind={self.kind!r})"

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.bus.close()
        finally:
            await self.event_store.close()

    async def __aenter__(self) -> Infrastructure:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __await__(self) -> Generator[Any, None, Infrastructure]:
        """``await InfrastructureFactory.create_in_memory()`` works like the other
        factories, though no I/O is needed."""
        if False:  # pragma: no cover - makes this a generator
            yield
        return self


class InfrastructureFactory:
    """Builds :class:`Infrastructure` from the environment or explicitly."""

    @staticmethod
    async def create_default(env: Mapping[str, str] | None = None) -> Infrastructure:
        """NATS when ``NATS_URL`` is set, else the embedded SQLite + in-process default.
        ``env`` defaults to ``os.environ``."""
        env = os.environ if env is None else env
        configure_otlp(env)
        url = (env.get("NATS_URL") or "").strip()
        data_dir = env.get("LUCENT_DATA_DIR") or DEFAULT_DATA_DIR
        if url:
            infrastructure = await InfrastructureFactory.create_nats(url, env)
        else:
            infrastructure = InfrastructureFactory.create_embedded(data_dir)
        configure_span_store(env, data_dir, embedded=not url)  # for lucent-trace
        return infrastructure

    @staticmethod
    def create_embedded(data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR) -> Infrastructure:
        """A SQLite event store in ``data_dir`` and the in-process bus; no server."""
        path = Path(data_dir)
        if path.exists() and not path.is_dir():
            raise ConfigurationError(f"LUCENT_DATA_DIR {str(path)!r} is not a directory")
        store = SqliteEventStore(path / EVENT_STORE_FILE)
        return Infrastructure(store, InProcessMessageBus(), "embedded")

    @staticmethod
    async def create_nats(url: str, env: Mapping[str, str] | None = None) -> Infrastructure:
        """The NATS back-ends connected to ``url``."""
        try:
            from .backends.nats import create_nats_backends
        except ImportError as err:
            raise ConfigurationError(f"NATS back-end unavailable: {err}") from err
        store, bus = await create_nats_backends(url, env=dict(env or os.environ))
        return Infrastructure(store, bus, "nats")

    @staticmethod
    def create_in_memory(**bus_options: Any) -> Infrastructure:
        """An in-memory store and an in-process bus (``max_deliver``, ``backoff``,
        ``max_backoff`` tune its redelivery), for tests."""
        return Infrastructure(InMemoryEventStore(), InProcessMessageBus(**bus_options), "memory")
