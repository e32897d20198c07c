"""Helpers for the gate tests: run the real command line, make throwaway projects."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from tests.cli import lucent

REPO = Path(__file__).resolve().parents[2]

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Lucent Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Lucent Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}

# A service with three raw appends (LUC301), two of them in one method.
LEDGER = """
from lucent_runtime import CryptoTradingServiceBase


class LedgerService(CryptoTradingServiceBase):
    async def record(self, stream_id, event):
        await self.infrastructure.event_store.append(stream_id, [event])

    async def record_twice(self, stream_id, event):
        await self.infrastructure.event_store.append(stream_id, [event])
        await self.infrastructure.event_store.append(stream_id, [event])
"""

# A service base in its own module, for subclasses found through the class index.
PLATFORM_BASE = """
from lucent_runtime import CryptoTradingServiceBase


class PlatformService(CryptoTradingServiceBase):
    pass
"""

PYPROJECT = '[project]\nname = "throwaway"\nversion = "0"\n\n[tool.lucent-lint]\n'


def json_findings(*args: str, cwd: Path) -> list[dict[str, Any]]:
    done = lucent("check", "--format", "json", *args, cwd=cwd)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **GIT_ENV},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def make_project(
    root: Path, files: dict[str, str], *, config: str = "", use_git: bool = True
) -> Path:
    """A project with a ``pyproject.toml`` (``config`` goes into ``[tool.lucent-lint]``)
    and ``files``; with ``use_git``, a git repository whose first commit holds them."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT + config, encoding="utf-8")
    write(root, files)
    if use_git:
        git(root, "init", "--quiet", "--initial-branch=main")
        git(root, "add", "-A")
        git(root, "commit", "--quiet", "-m", "start")
    return root


def located(findings: list[dict[str, Any]]) -> set[tuple[str, int, str]]:
    return {(Path(f["path"]).as_posix(), f["line"], f["code"]) for f in findings}
