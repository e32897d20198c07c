"""The pre-commit hook, through real ``pre-commit try-repo`` in throwaway repositories.

try-repo installs the hook from a commit, so the hook repository is a clone of this one:
the committed code is what gets installed, exactly as users get it from a tag.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .helpers import GIT_ENV, REPO, git, write

pytestmark = pytest.mark.slow

VIOLATING = """
from lucent_runtime import CryptoTradingServiceBase


class LedgerService(CryptoTradingServiceBase):
    async def record(self, stream_id, event):
        await self.infrastructure.event_store.append(stream_id, [event])
"""

# the example services kept compliant by the fixture tests
COMPLIANT = REPO / "fixtures" / "services" / "compliant"


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO / ".git").exists():
        pytest.skip("the hook is installed from a git commit; this checkout has no .git")
    clone = tmp_path_factory.mktemp("hooks") / "lucent-lint"
    git(REPO, "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone))
    return clone


def try_repo(hook_repo: Path, work: Path, hook: str = "lucent-lint") -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            *(sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook),
            *("--all-files", "--color", "never"),
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **GIT_ENV},
    )


def throwaway(root: Path, files: dict[str, str]) -> Path:
    root.mkdir()
    git(root, "init", "--quiet")
    write(root, {**files, "README.md": "not python\n"})
    git(root, "add", "-A")
    return root


def test_manifest_declares_the_hook() -> None:
    manifest = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    ids = [hook["id"] for hook in manifest]
    assert sorted(ids) == ["lucent-lint", "lucent-lint-fix"]  # each once
    hooks = {hook["id"]: hook for hook in manifest}
    assert hooks["lucent-lint"]["entry"] == "lucent-lint check"
    assert hooks["lucent-lint-fix"]["entry"] == "lucent-lint check --fix"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types"] == ["python"]
        assert hook["require_serial"] is True


def test_hook_fails_on_a_violating_service(hook_repo: Path, tmp_path: Path) -> None:
    work = throwaway(tmp_path / "bad", {"svc/ledger.py": VIOLATING})
    done = try_repo(hook_repo, work)
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stdout + done.stderr, done.stdout
    assert "svc/ledger.py:6:15: LUC301" in done.stdout, done.stdout
    assert "lucent-lint" in done.stdout and "Failed" in done.stdout


def test_hook_passes_a_compliant_service(hook_repo: Path, tmp_path: Path) -> None:
    files = {f"svc/{p.name}": p.read_text("utf-8") for p in COMPLIANT.glob("*.py")}
    assert files
    work = throwaway(tmp_path / "good", files)
    done = try_repo(hook_repo, work)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_fix_hook_fixes_then_passes(hook_repo: Path, tmp_path: Path) -> None:
    source = "from lucent_runtime import CryptoTradingServiceBase\n\nLIMIT = 3  # noqa: LUC301\n"
    work = throwaway(tmp_path / "fixable", {"settings.py": source})
    first = try_repo(hook_repo, work, "lucent-lint-fix")
    assert first.returncode != 0, first.stdout
    assert "files were modified by this hook" in first.stdout
    assert (work / "settings.py").read_text() == source.replace("  # noqa: LUC301", "")
    git(work, "add", "-A")
    second = try_repo(hook_repo, work, "lucent-lint-fix")
    assert second.returncode == 0, second.stdout + second.stderr
