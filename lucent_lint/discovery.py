"""Which files a run checks: Python files under the given paths, minus excluded and
git-ignored ones. A file named explicitly on the command line is always checked."""

from __future__ import annotations

import fnmatch
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path

from .config import DEFAULT_EXCLUDE, Settings


class MissingPathError(FileNotFoundError):
    """A path given on the command line does not exist."""


def _excluded(relative: str, patterns: Iterable[str]) -> bool:
    parts = relative.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if "/" in pattern:
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, pattern + "/*"):
                return True
        elif any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


def _git_visible(directory: Path) -> set[Path] | None:
    """Files under ``directory`` that git does not ignore (None outside a work tree)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
            cwd=directory,
            capture_output=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {(directory / name).resolve() for name in out.decode().split("\0") if name}


def display_path(path: Path) -> str:
    """The path as findings show it: relative to the working directory when below it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def relative_to_root(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def discover_files(paths: Iterable[Path], settings: Settings, root: Path) -> list[Path]:
    """Sorted, de-duplicated Python files to check."""
    patterns = (*DEFAULT_EXCLUDE, *settings.exclude, *settings.extend_exclude)
    found: dict[Path, None] = {}
    for given in paths:
        if not given.exists():
            raise MissingPathError(f"{given}: no such file or directory")
        if given.is_file():
            found[given.resolve()] = None
            continue
        visible = _git_visible(given)
        for dirpath, dirnames, filenames in os.walk(given):
            base = Path(dirpath)
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not _excluded(relative_to_root(base / d, root), patterns)
                and not _excluded(d, patterns)
            )
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                file = (base / name).resolve()
                if visible is not None and file not in visible:
                    continue
                if _excluded(relative_to_root(file, root), patterns):
                    continue
                found[file] = None
    return sorted(found)
