"""Helpers for the runtime tests: find spans, wait for asynchronous handlers, run the
example flow in a subprocess."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lucent_runtime import BusinessContext, BusinessContextBuilder


def trading_context(**extra: str) -> BusinessContext:
    builder = (
        BusinessContextBuilder.for_crypto_trading()
        .with_aggregate("Trade", "trade-abc123")
        .with_user("user-456")
        .with_trading_pair("ETH-USDC")
        .with_amount(50_000)
        .with_workflow("workflow-789")
    )
    for key, value in extra.items():
        builder.with_metadata(key, value)
    return builder.build()


def span(exporter: InMemorySpanExporter, name: str) -> ReadableSpan:
    found = [s for s in exporter.get_finished_spans() if s.name == name]
    assert len(found) == 1, f"expected one span {name!r}, got {[s.name for s in found]}"
    return found[0]


def parent_id(item: ReadableSpan) -> int | None:
    return item.parent.span_id if item.parent else None


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


EXAMPLE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "example_flow" / "complete_event_flow.py"
)

# runs the example as ``python EXAMPLE`` does, with the modules named after it unimportable
_WITHOUT_MODULES = """\
import os, runpy, sys
script, blocked = sys.argv[1], sys.argv[2:]
sys.modules.update(dict.fromkeys(blocked))  # None: importing it raises ModuleNotFoundError
sys.argv[:] = [script]
sys.path[0] = os.path.dirname(script)
runpy.run_path(script, run_name="__main__")
"""


def example_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    """The environment of an example run: this one without the ``OTEL_*``, ``NATS_*`` and
    ``LUCENT_*`` settings, data in ``tmp_path/data``, loopback never proxied, then
    ``variables``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "NATS_", "LUCENT_")) and k.upper() != "NO_PROXY"
    }
    env["LUCENT_DATA_DIR"] = str(tmp_path / "data")
    env["NO_PROXY"] = "127.0.0.1"
    env.update(variables)
    return env


def run_example(
    tmp_path: Path, *, without: Iterable[str] = (), **variables: str
) -> subprocess.CompletedProcess[str]:
    """Run the example flow in ``tmp_path`` with :func:`example_env`; ``without`` names
    modules that it must find not installed."""
    blocked = list(without)
    command = [sys.executable, str(EXAMPLE)]
    if blocked:
        command = [sys.executable, "-c", _WITHOUT_MODULES, str(EXAMPLE), *blocked]
    return subprocess.run(
        command,
        cwd=tmp_path,
        env=example_env(tmp_path, **variables),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
