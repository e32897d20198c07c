"""The runtime benchmark runs end to end (with its own nats-server), prints every target
with MET or MISSED, and its exit status says whether all were met."""

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
    out = done.stdout
    verdicts = []
    for label in (
        "execute_business_operation vs hand-written, same telemetry",
        "send_command vs hand-written, same telemetry",
        "publish_domain_event (NATS) vs one raw JetStream publish",
        "embedded publish_domain_event (16 publishers) vs raw SQLite",
    ):
        (line,) = [x for x in out.splitlines() if x.startswith(label)]
        found = re.search(r"= +\d+\.\d\dx  target ≤ \d\.\dx  (MET|MISSED)$", line)
        assert found, line
        verdicts.append(found.group(1))
    # the exit status follows the verdicts
    assert done.returncode == (1 if "MISSED" in verdicts else 0), (out, done.stderr)
    assert ("all targets MET" in out) == ("MISSED" not in verdicts)
    bad = subprocess.run(
        [sys.executable, str(BENCH), "--rounds", "0"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "--rounds must be at least 1" in bad.stderr
