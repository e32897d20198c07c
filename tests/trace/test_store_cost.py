"""The span store's cost, measured by benchmarks/span_store_bench.py (slow: run with
``pytest -m slow``). The guard is looser than the README's figure, which is at the edge of
10% on a shared machine: it catches a regression like queuing span objects (+25-60%)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.slow
def test_store_cost_on_execute_business_operation() -> None:
    done = subprocess.run(
        [sys.executable, "span_store_bench.py", "--n", "1000", "--rounds", "15"],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr
    cpu = re.search(r"CPU .* per pair: \+\s*(-?[\d.]+)%", done.stdout)
    assert cpu, done.stdout
    assert float(cpu.group(1)) <= 25.0, done.stdout
    stored = re.search(r"spans stored: (\d+) of (\d+)", done.stdout)
    assert stored and stored.group(1) == stored.group(2), done.stdout
