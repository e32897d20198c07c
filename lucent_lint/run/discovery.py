"""Which files a run checks: Python files under the given paths, minus excluded and
git-ignored ones. A file named explicitly on the command line is always checked."""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
import subprocess
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from lucent_lint.config import DEFAULT_EXCLUDE, Settings


class MissingPathError(FileNotFoundError):
    """A path given on the command line does not exist."""


def is_excluded(relative: str, settings: Settings) -> bool:
    """Does the configuration (``exclude``, ``extend-exclude`` and the defaults) exclude
    the file at ``relative``, as discovery would?"""
    return _excluder(_exclude_patterns(settings))(relative)


def _exclude_patterns(settings: Settings) -> tuple[str, ...]:
    return (*DEFAULT_EXCLUDE, *settings.exclude, *settings.extend_exclude)


@lru_cache(maxsize=16)
def _excluder(patterns: tuple[str, ...]) -> _Excluder:
    return _Excluder(patterns)


class _Excluder:
    """The exclude patterns compiled once: a pattern with a ``/`` matches the relative path
    (or a directory above it); one without matches any path component."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        whole, part = [], []
        for pattern in patterns:
            pattern = pattern.rstrip("/")
            if "/" in pattern:
                whole += [fnmatch.translate(pattern), fnmatch.translate(pattern + "/*")]
            else:
                part.append(fnmatch.translate(pattern))
        self._whole = re.compile("|".join(whole)).match if whole else None
        self._part = re.compile("|".join(part)).match if part else None

    def __call__(self, relative: str) -> bool:
        if self._whole is not None and self._whole(relative):
            return True
        part = self._part
        return part is not None and any(part(item) for item in relative.split("/"))


def _link_problem(link: str) -> str | None:
    """Why the symbolic link ``link`` cannot be followed (a loop, a missing target), or
    None when it can."""
    try:
        os.stat(link)
    except OSError as exc:
        shown = _relative(link, os.getcwd())
        if exc.errno == errno.ELOOP:
            return f"{shown}: symbolic link loop"
        try:
            target = os.readlink(link)
        except OSError:  # pragma: no cover - replaced between the two calls
            target = "?"
        return f"{shown}: broken symbolic link (to {target})"
    return None


def _git_visible(directory: Path) -> set[str] | None:
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
    base = os.path.realpath(directory)
    return {os.path.join(base, name) for name in out.decode().split("\0") if name}


def relative_to_root(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def _relative(resolved: str, base: str) -> str:
    """``relative_to_root`` for a path that is already resolved (no file system calls)."""
    if resolved.startswith(base) and resolved[len(base) : len(base) + 1] == "/":
        return resolved[len(base) + 1 :]
    if resolved == base:
        return "."
    return resolved


def relative_paths(files: Iterable[Path], base: Path) -> list[str]:
    """Resolved ``files`` relative to ``base`` (resolved once), as posix strings; paths
    outside ``base`` stay absolute."""
    base_str = str(base.resolve())
    return [_relative(str(file), base_str) for file in files]


def _from_git(
    visible: set[str], top: str, root_str: str, excluded: _Excluder, warnings: list[str]
) -> Iterator[Path]:
    """The Python files among git's listing that a walk of ``top`` would keep: present in
    the work tree, not below an excluded directory, not excluded themselves. Walking every
    directory (a django checkout has thousands) is what this saves."""
    allowed: dict[str, bool] = {top: True}

    def directory_allowed(directory: str) -> bool:
        known = allowed.get(directory)
        if known is None:
            parent, _, name = directory.rpartition(os.sep)
            known = (
                directory_allowed(parent or os.sep)
                and not excluded(_relative(directory, root_str))
                and not excluded(name)
            )
            allowed[directory] = known
        return known

    for file in visible:
        if not file.endswith(".py") or not directory_allowed(os.path.dirname(file)):
            continue
        try:
            mode = os.lstat(file).st_mode
        except OSError:  # tracked, but deleted from the work tree
            continue
        if stat.S_ISDIR(mode):
            continue
        if stat.S_ISLNK(mode):
            problem = _link_problem(file)
            if problem is not None:
                warnings.append(f"{problem}, skipped")
                continue
            if os.path.isdir(file):
                continue
            file = os.path.realpath(file)
        if not excluded(_relative(file, root_str)):
            yield Path(file)


def discover_files(
    paths: Iterable[Path], settings: Settings, root: Path, warnings: list[str] | None = None
) -> list[Path]:
    """Sorted, de-duplicated Python files to check. A symbolic link in a tree that cannot
    be followed (broken, or a loop) is skipped with a warning added to ``warnings``; one
    given on the command line is an error."""
    if warnings is None:
        warnings = []
    excluded = _excluder(_exclude_patterns(settings))
    root_str = str(root)
    found: dict[Path, None] = {}
    for given in paths:
        if not given.exists():
            problem = _link_problem(str(given)) if given.is_symlink() else None
            raise MissingPathError(problem or f"{given}: no such file or directory")
        if given.is_file():
            found[given.resolve()] = None
            continue
        visible = _git_visible(given)
        top = os.path.realpath(given)
        if visible is not None:
            found.update(dict.fromkeys(_from_git(visible, top, root_str, excluded, warnings)))
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(
                d
                for d in dirnames
                if not excluded(_relative(os.path.join(dirpath, d), root_str)) and not excluded(d)
            )
            for name in sorted(filenames):
                if not name.endswith(".py"):
                    continue
                file = os.path.join(dirpath, name)
                if visible is not None and file not in visible:
                    continue
                if os.path.islink(file):
                    problem = _link_problem(file)
                    if problem is not None:
                        warnings.append(f"{problem}, skipped")
                        continue
                    file = os.path.realpath(file)
                if excluded(_relative(file, root_str)):
                    continue
                found[Path(file)] = None
    return sorted(found)
