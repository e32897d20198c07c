"""The class index of a whole repository, for runs that lint only part of it.

``lucent-lint check --changed-since REF`` and the flake8 plugin check a few files, but
LUC101/LUC102 follow base classes through every file of the repository. This module lists
the project's Python files (the same discovery as a full run: excludes and ``.gitignore``
honoured), learns each file's classes exactly as the engine does (parsed when the file may
hold service code, else the cheap text scan), and keeps them on disk under
``.lucent_lint_cache/`` keyed by each file's mtime and size, so a repeated call re-reads
only the files that changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lucent_lint.config import Settings
from lucent_lint.engine.project import _project_root, scan_classes, source_root_aliases
from lucent_lint.engine.results import FileResult
from lucent_lint.engine.source import decode, may_contain_service_code
from lucent_lint.run.cache import CACHE_DIR, build_fingerprint
from lucent_lint.run.discovery import discover_files
from lucent_lint.run.pool import ModuleNames

_FORMAT = 1


def project_root(path: Path) -> Path | None:
    """The project a path belongs to: the directory of the nearest ``pyproject.toml``, else
    the top of its git work tree; None outside both (no index beyond the files checked)."""
    start = path.resolve()
    if not start.is_dir():
        start = start.parent
    found = _project_root(str(start))
    return None if found is None else Path(found)


def classes_of(
    data: bytes,
    path: str,
    module: str,
    is_package: bool,
    settings: Settings,
    location: str | None = None,
) -> dict:
    """Qualified class name -> qualified bases, as :func:`engine.check_source` finds them
    (``location``: where the file is on disk, when ``path`` is relative to elsewhere)."""
    text, _ = decode(data, path)
    if text is None:
        return {}
    if not may_contain_service_code(text, settings):
        classes = scan_classes(text, module, is_package)
    else:
        from lucent_lint.engine.analysis import (
            analyze,  # libcst only for files that may hold service code
        )

        analysis, _ = analyze(text, path, module, is_package, settings, ())
        classes = analysis.ctx.classes if analysis is not None else {}
    return source_root_aliases(classes, location or path, module, settings)


def _cache_file(root: Path, settings: Settings) -> Path:
    # Only the service-class pattern (it decides whether the file is parsed or scanned)
    # and the source roots (the names of namespace-package modules) change which classes
    # a file yields.
    key = f"{build_fingerprint()}|{_FORMAT}|{settings.service_class_pattern}|{settings.src}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return root / CACHE_DIR / f"class-index-{digest}.json"


def _load(file: Path) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    return files if isinstance(files, dict) else {}


def _store(file: Path, entries: dict[str, Any]) -> None:
    """Write atomically; a read-only tree just goes without a cache."""
    try:
        file.parent.mkdir(exist_ok=True)
        ignore = file.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Automatically created by lucent-lint.\n*\n", encoding="utf-8")
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".tmp-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            json.dump({"format": _FORMAT, "files": entries}, stream, separators=(",", ":"))
        os.replace(tmp, file)
        for old in file.parent.glob("class-index-*.json"):
            if old != file:  # written by another lucent-lint build
                old.unlink(missing_ok=True)
    except OSError:
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)


def repository_files(root: Path, settings: Settings) -> list[Path]:
    """Every Python file of the project a full ``lucent-lint check`` of ``root`` would see."""
    return discover_files([root], settings, root)


def index_results(
    root: Path,
    settings: Settings,
    exclude: Iterable[Path] = (),
    *,
    use_cache: bool = True,
) -> list[FileResult]:
    """One class-only :class:`FileResult` per project file not in ``exclude``, for
    :func:`run.runner.finalize_results`'s ``index_results``. Files are in discovery order."""
    root = root.resolve()
    skip = {p.resolve() for p in exclude}
    cache_file = _cache_file(root, settings)
    cached = _load(cache_file) if use_cache else {}
    entries: dict[str, Any] = {}
    out: list[FileResult] = []
    changed = False
    names = ModuleNames()
    for path in repository_files(root, settings):
        key = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        try:
            stat = path.stat()
        except OSError:
            continue
        module, is_package = names(path)
        stamp = [stat.st_mtime_ns, stat.st_size, module, is_package]
        entry = cached.get(key)
        if not (
            isinstance(entry, dict)
            and entry.get("stamp") == stamp
            and isinstance(entry.get("classes"), dict)
        ):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            entry = {
                "stamp": stamp,
                "classes": classes_of(data, key, module, is_package, settings, str(path)),
            }
            changed = True
        entries[key] = entry
        if path not in skip:
            out.append(FileResult(path=key, classes=entry["classes"]))
    if use_cache and (changed or entries.keys() != cached.keys()):
        _store(cache_file, entries)
    return out


def outside_index(
    targets: Iterable[Path],
    settings: Settings,
    root: Path,
    *,
    exclude: Iterable[Path] = (),
    use_cache: bool = True,
) -> list[FileResult]:
    """The index entries a run over ``targets`` needs beyond the files it checks: the
    whole project's (less ``exclude``), unless a target already covers the project."""
    project = project_root(root)
    if project is None:
        return []
    for target in targets:
        resolved = target.resolve()
        if resolved == project or (resolved.is_dir() and project.is_relative_to(resolved)):
            return []
    return index_results(project, settings, exclude, use_cache=use_cache)
