"""The README's lucent-trace commands, run on the example flow's own data, answer."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from .conftest import lucent_trace

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "fixtures" / "example_flow" / "complete_event_flow.py"


def readme_commands() -> list[list[str]]:
    """The commands of the README's block that starts by running the example."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\nexport LUCENT_DATA_DIR=\.lucent\n(.*?)```", readme, re.S)
    assert block, "the README lost its lucent-trace example block"
    lines = [line for line in block.group(1).splitlines() if line.startswith("lucent-trace ")]
    return [shlex.split(line)[1:] for line in lines]


def test_readme_commands_answer_on_the_example(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("NATS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT")
    }
    env["LUCENT_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    commands = readme_commands()
    assert [c[0] for c in commands] == ["find", "show", "find", "find", "journey", "stats"]
    outputs = []
    for command in commands:
        result = lucent_trace(*command, "--data-dir", str(tmp_path))
        assert result.exit_code == 0, (command, result.output)
        outputs.append(result.stdout)
    assert "2 traces match" in outputs[0]
    assert "Step 3/3: execute_trades ❌" in outputs[1]
    assert "↳ Error details: InsufficientLiquidityError" in outputs[1]
    assert "1 trace matches" in outputs[3]
    assert "4 domain events" in outputs[4]
    assert "2 spans, 1 failed" in outputs[5]
