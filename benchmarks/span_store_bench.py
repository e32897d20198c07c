"""What the local span store adds to ``execute_business_operation`` (target ≤ 10%).

Same setup as ``runtime_bench.py`` (an SDK tracer provider whose processor drops spans,
in-memory metrics), then rounds alternate between the provider without and with the span
store's batch processor. A round with the store ends by writing what it still queued (its
flush), so every span of the round is stored within the round.

Two figures per operation, the median over the pairs of rounds of each pair's ratio (so
a change of the machine's load between pairs cancels out):

- CPU: the process's CPU time over all its threads, so the store's background thread is
  counted; it does not move when other processes load the machine;
- wall: elapsed time, as ``runtime_bench.py`` measures (noisier on a shared machine).

The target applies to CPU.

    python benchmarks/span_store_bench.py [--n N] [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time

from opentelemetry import trace
from runtime_bench import CONTEXT, TradingService, install_telemetry

from lucent_runtime import InfrastructureFactory
from lucent_runtime._span_store import ingest_batches, install_span_store, open_database

TARGET = 1.10


async def run(n: int, rounds: int) -> int:
    install_telemetry()
    provider = trace.get_tracer_provider()
    # the provider's processors, as a tuple the SDK iterates on every span end; swapping
    # it attaches and detaches the store between rounds (no public API removes one)
    multi = provider._active_span_processor  # type: ignore[attr-defined]
    without = multi._span_processors
    with tempfile.TemporaryDirectory(prefix="lucent-span-bench-") as data_dir:
        store = install_span_store(data_dir, {})
        store_path = store.path
        with_store = multi._span_processors
        service = TradingService(InfrastructureFactory.create_in_memory(), "trading")

        async def body(ctx: object) -> int:
            return 1

        async def measured(processors: tuple) -> tuple[float, float]:
            multi._span_processors = processors
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(n):
                await service.execute_business_operation("execute_trade", CONTEXT, body)
            if processors is with_store:
                store.flush()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            multi._span_processors = without
            return cpu / n, wall / n

        await measured(without)  # warm up both
        await measured(with_store)
        ours, theirs = [], []
        for _ in range(rounds):
            ours.append(await measured(with_store))
            theirs.append(await measured(without))
        store.detach()
        db = open_database(store_path)
        stored = ingest_batches(db)  # what lucent-trace does first: every span is there
        db.close()
    expected = (rounds + 1) * n
    print(f"execute_business_operation, {rounds} alternating pairs of rounds of {n}")
    ratios = {}
    for index, label in enumerate(("CPU", "wall")):
        without_store = statistics.median(r[index] for r in theirs)
        with_it = statistics.median(r[index] for r in ours)
        # the median of each pair's ratio: a load change between pairs cancels out
        ratios[label] = statistics.median(
            a[index] / b[index] for a, b in zip(ours, theirs, strict=True)
        )
        print(
            f"  {label:<4} {without_store * 1e6:7.1f} µs without the store, "
            f"{with_it * 1e6:7.1f} µs with it (medians); per pair: "
            f"+{(ratios[label] - 1) * 100:.1f}%"
        )
    verdict = "ok" if ratios["CPU"] <= TARGET else "MISSED"
    print(f"  target: CPU ≤ +{(TARGET - 1) * 100:.0f}%  {verdict}")
    print(f"  spans stored: {stored} of {expected}" + ("" if stored == expected else " (LOST)"))
    return 0 if ratios["CPU"] <= TARGET and stored == expected else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="operations per round (2000)")
    parser.add_argument("--rounds", type=int, default=25, help="pairs of rounds (25)")
    args = parser.parse_args()
    if args.n < 1 or args.rounds < 1:
        parser.error("--n and --rounds must be at least 1")
    sys.exit(asyncio.run(run(args.n, args.rounds)))


if __name__ == "__main__":
    main()
