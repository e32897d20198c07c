"""Running the linter as users do (a fresh process), and linting bytes in memory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lucent_lint.config import Settings, settings_from_mapping
from lucent_lint.engine.check import check_source
from lucent_lint.engine.registry import Selection
from lucent_lint.run.runner import RunResult, finalize_results

REPO = Path(__file__).resolve().parents[2]
HEADER = "from lucent_runtime import CryptoTradingServiceBase\n"
#: a service whose bare ``except:`` swallows: LUC601 and LUC604 on line 5 of it
SWALLOWING = (
    "class TradingService(CryptoTradingServiceBase):\n"
    "    async def quote(self, pair):\n"
    "        try:\n"
    "            return await self.fetch(pair)\n"
    "        except:\n"
    "            pass\n"
)


def run_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m lucent_lint ARGS`` in ``cwd``, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "lucent_lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_flake8(cwd: Path, *paths: str) -> subprocess.CompletedProcess:
    """``flake8 --select LUC PATHS`` in ``cwd``: the plugin as an editor runs it."""
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "LUC", *paths],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def lint(source: str | bytes, config: dict | None = None) -> RunResult:
    """A finalized run over one in-memory service module (``svc.py``)."""
    settings = settings_from_mapping(config) if config else Settings()
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    data = source.encode() if isinstance(source, str) else source
    result = check_source(data, "svc.py", "svc", False, settings, selection)
    assert result.error is None, result.error
    return finalize_results([result], ["svc.py"], settings, selection)


def found(source: str | bytes, config: dict | None = None) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.code) for f in lint(source, config).findings]
