"""The README's lucent-trace commands, run on the example flow's own data, answer."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from ..runtime.helpers import run_example
from .conftest import lucent_trace

REPO = Path(__file__).resolve().parents[2]


def readme_commands() -> list[list[str]]:
    """The commands of the README's block that starts by running the example."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\nexport LUCENT_DATA_DIR=\.lucent\n(.*?)```", readme, re.S)
    assert block, "the README lost its lucent-trace example block"
    lines = [line for line in block.group(1).splitlines() if line.startswith("lucent-trace ")]
    return [shlex.split(line)[1:] for line in lines]


def test_readme_commands_answer_on_the_example(tmp_path: Path) -> None:
    done = run_example(tmp_path, LUCENT_DATA_DIR=str(tmp_path))
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
