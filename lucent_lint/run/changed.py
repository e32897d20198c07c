"""``--changed-since REF``: the Python files changed against a git ref.

Changed means: differing between the merge base of REF and HEAD and the working tree
(committed, staged or not), plus untracked files that are not ignored -- a superset of
``git diff --name-only REF...``. Deleted files are left out.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from lucent_lint.config import Settings
from lucent_lint.engine.registry import Selection
from lucent_lint.run.discovery import discover_files
from lucent_lint.run.repo_index import index_results, project_root
from lucent_lint.run.runner import RunResult, run_check

_TIMEOUT = 60


class ChangedFilesError(Exception):
    """Not a git work tree, git missing, or a ref git does not know."""


def _git(args: list[str], cwd: Path) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise ChangedFilesError("--changed-since needs git, which is not installed") from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise ChangedFilesError(f"git {args[0]} failed: {exc}") from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        raise ChangedFilesError(detail[-1] if detail else f"git {args[0]} failed")
    return done.stdout


def work_tree(directory: Path) -> Path:
    """The top of the git work tree holding ``directory``."""
    try:
        top = _git(["rev-parse", "--show-toplevel"], directory).strip()
    except ChangedFilesError:
        raise ChangedFilesError(
            f"--changed-since needs a git repository, and {directory} is not in one"
        ) from None
    return Path(top).resolve()


def changed_files(ref: str, directory: Path) -> list[Path]:
    """Existing files changed since ``ref`` in the work tree holding ``directory``."""
    top = work_tree(directory)
    try:
        _git(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], top)
    except ChangedFilesError:
        raise ChangedFilesError(f"--changed-since: unknown git ref {ref!r}") from None
    try:
        base = _git(["merge-base", ref, "HEAD"], top).strip()
    except ChangedFilesError as exc:
        raise ChangedFilesError(
            f"--changed-since: no common ancestor of {ref!r} and HEAD ({exc})"
        ) from None
    diff = _git(
        [
            "-c",
            "core.quotePath=false",
            "-c",
            "diff.relative=false",
            "diff",
            "--name-only",
            "-z",
            "--no-renames",
            base,
            "--",
        ],
        top,
    )
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard"], top)
    names = {name for name in (diff + untracked).split("\0") if name}
    return sorted(p for p in ((top / name).resolve() for name in names) if p.is_file())


def run_changed(
    targets: Sequence[Path],
    settings: Settings,
    root: Path,
    selection: Selection,
    ref: str,
    *,
    use_cache: bool = True,
    jobs: int = 1,
) -> RunResult:
    """Check the files under ``targets`` changed since ``ref``; every other file of the
    project still feeds the class index (LUC101/LUC102 see the whole repository)."""
    candidates = discover_files(targets, settings, root)
    changed = set(changed_files(ref, root))
    selected = [path for path in candidates if path in changed]
    project = project_root(root) or work_tree(root)
    others = index_results(project, settings, selected, use_cache=use_cache).results
    return run_check(selected, settings, root, selection, others, jobs=jobs, use_cache=use_cache)
