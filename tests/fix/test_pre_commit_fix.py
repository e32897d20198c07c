"""The ``lucent-lint-fix`` pre-commit hook, through real ``pre-commit try-repo``.

try-repo installs the hook from a commit of a clone of this repository, so what is tested
is the committed hook, as users get it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ..gate.helpers import GIT_ENV, REPO, git, write
from .test_fix_cli import BROKEN, FIXED

pytestmark = pytest.mark.slow


def test_manifest_declares_the_fix_hook() -> None:
    manifest = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hooks = {hook["id"]: hook for hook in manifest}
    hook = hooks["lucent-lint-fix"]
    assert hook["entry"] == "lucent-lint check --fix"
    assert hook["language"] == "python"
    assert hook["types"] == ["python"]
    assert hook["require_serial"] is True


def test_fix_hook_fixes_then_passes(tmp_path: Path) -> None:
    if not (REPO / ".git").exists():
        pytest.skip("the hook is installed from a git commit; this checkout has no .git")
    clone = tmp_path / "lucent-lint"
    git(REPO, "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone))
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "--quiet")
    write(work, {"svc/trading.py": BROKEN, "README.md": "not python\n"})
    git(work, "add", "-A")

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                *(sys.executable, "-m", "pre_commit", "try-repo", str(clone), "lucent-lint-fix"),
                *("--all-files", "--color", "never"),
            ],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=900,
            env={**os.environ, **GIT_ENV},
        )

    first = run()
    assert first.returncode != 0, first.stdout  # pre-commit fails a hook that changed files
    assert "files were modified by this hook" in first.stdout, first.stdout
    assert "Fixed 2 findings." in first.stdout, first.stdout
    assert "Traceback" not in first.stdout + first.stderr
    assert (work / "svc" / "trading.py").read_text(encoding="utf-8") == FIXED
    git(work, "add", "-A")
    second = run()
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Passed" in second.stdout
