"""The runtime benchmark runs end to end (with its own nats-server) and prints every ratio."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "runtime_bench.py"


@pytest.mark.slow
def test_runtime_benchmark_quick_run_prints_every_measure() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--rounds", "1"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in (
        "execute_business_operation vs bare span",
        "send_command vs raw nats-py request",
        "publish_domain_event (NATS) vs raw JetStream publish",
        "embedded SQLite append throughput",
    ):
        (line,) = [x for x in out.splitlines() if x.startswith(label)]
        assert re.search(r"= +\d+\.\d\dx|\d+ events/s", line), line
    bad = subprocess.run(
        [sys.executable, str(BENCH), "--rounds", "0"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "--rounds must be at least 1" in bad.stderr
