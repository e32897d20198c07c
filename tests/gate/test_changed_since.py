"""``--changed-since REF``: only files changed against a git ref are linted, while the
class index still covers the whole repository (a base in an unchanged file resolves)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lucent_lint.engine.registry import RULES
from lucent_lint.run.changed import ChangedFilesError, changed_files

from .helpers import PLATFORM_BASE, git, lucent, make_project, write

OLD = """
from lucent_runtime import CryptoTradingServiceBase


class OldService(CryptoTradingServiceBase):
    async def record(self, stream_id, event):
        await self.infrastructure.event_store.append(stream_id, [event])
"""

NEW = """
from platform_base import PlatformService


class PricingService(PlatformService):
    async def record(self, stream_id, event):
        await self.infrastructure.event_store.append(stream_id, [event])


class RogueService:
    pass
"""

SELECT = ("--select", "LUC101,LUC301")
needs_luc101 = pytest.mark.skipif("LUC101" not in RULES, reason="LUC101 is not in the catalogue")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "repo", {"platform_base.py": PLATFORM_BASE, "old.py": OLD})
    git(root, "checkout", "--quiet", "-b", "feature")
    return root


def _run(repo: Path, *args: str) -> tuple[int, list[tuple[str, int, str]], str]:
    done = lucent("check", "--format", "json", *SELECT, *args, cwd=repo)
    assert done.returncode in (0, 1), done.stderr
    found = sorted((f["path"], f["line"], f["code"]) for f in json.loads(done.stdout))
    return done.returncode, found, done.stderr


@needs_luc101
def test_only_changed_files_are_linted_and_bases_resolve_across_the_repo(repo: Path) -> None:
    write(repo, {"pricing.py": NEW})
    git(repo, "add", "pricing.py")
    git(repo, "commit", "--quiet", "-m", "pricing")
    code, found, _ = _run(repo, "--changed-since", "main")
    assert code == 1
    # old.py's LUC301 is not reported; PricingService extends a base from an unchanged file
    assert found == [("pricing.py", 6, "LUC301"), ("pricing.py", 9, "LUC101")]
    # a whole run sees both files
    _, everything, _ = _run(repo)
    assert ("old.py", 6, "LUC301") in everything
    assert ("pricing.py", 4, "LUC101") not in everything


def test_uncommitted_and_untracked_files_count_as_changed(repo: Path) -> None:
    write(repo, {"draft.py": OLD})  # untracked
    old = repo / "old.py"
    old.write_text(old.read_text() + "\n# touched\n")  # modified, not committed
    _, found, _ = _run(repo, "--changed-since", "main")
    assert found == [("draft.py", 6, "LUC301"), ("old.py", 6, "LUC301")]


def test_ignored_and_deleted_files_are_left_out(repo: Path) -> None:
    write(repo, {".gitignore": "generated/\n", "generated/gen.py": OLD})
    (repo / "old.py").unlink()
    code, found, _ = _run(repo, "--changed-since", "main")
    assert (code, found) == (0, [])


def test_paths_restrict_the_changed_files(repo: Path) -> None:
    write(repo, {"a/one.py": OLD, "b/two.py": OLD})
    _, found, _ = _run(repo, "a", "--changed-since", "main")
    assert found == [("a/one.py", 6, "LUC301")]


def test_nothing_changed_is_clean(repo: Path) -> None:
    done = lucent("check", *SELECT, "--changed-since", "main", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert "0 files" in done.stdout


def test_changed_since_follows_the_merge_base(repo: Path) -> None:
    write(repo, {"feature.py": OLD})
    git(repo, "add", "feature.py")
    git(repo, "commit", "--quiet", "-m", "feature work")
    git(repo, "checkout", "--quiet", "main")
    write(repo, {"mainline.py": OLD})
    git(repo, "add", "mainline.py")
    git(repo, "commit", "--quiet", "-m", "mainline work")
    git(repo, "checkout", "--quiet", "feature")
    _, found, _ = _run(repo, "--changed-since", "main")
    assert found == [("feature.py", 6, "LUC301")]


def test_changed_files_lists_absolute_paths(repo: Path) -> None:
    write(repo, {"pkg/new.py": "x = 1\n"})
    assert changed_files("main", repo / "pkg") == [(repo / "pkg/new.py").resolve()]
    with pytest.raises(ChangedFilesError, match="unknown git ref"):
        changed_files("no-such-branch", repo)


def test_bad_ref_is_a_usage_error(repo: Path) -> None:
    done = lucent("check", "--changed-since", "no-such-branch", cwd=repo)
    assert done.returncode == 2
    assert "unknown git ref 'no-such-branch'" in done.stderr
    assert "Traceback" not in done.stderr


def test_outside_a_git_repository_is_a_usage_error(tmp_path: Path) -> None:
    root = make_project(tmp_path / "plain", {"old.py": OLD}, use_git=False)
    done = lucent("check", "--changed-since", "main", cwd=root)
    assert done.returncode == 2
    assert "needs a git repository" in done.stderr
    assert "Traceback" not in done.stderr
