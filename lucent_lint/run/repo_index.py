"""The class index of a whole repository, for runs that lint only part of it.

``lucent-lint check --changed-since REF`` and the flake8 plugin check a few files, but
LUC101/LUC102 follow base classes through every file of the repository. This module lists
the project's Python files (the same discovery as a full run: excludes and ``.gitignore``
honoured) and learns each file's classes with the engine's own per-file step
(:func:`~lucent_lint.engine.check.check_source`, with no rule selected: parsed when the
file may hold service code, else the cheap text scan). The classes are kept in the run
cache (:mod:`lucent_lint.run.cache`) under ``.lucent_lint_cache/``, next to the results of
full runs, so a repeated call re-reads only the files that changed, and a file a full run
has already scanned is not scanned again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lucent_lint.config import Settings
from lucent_lint.engine.check import check_source
from lucent_lint.engine.project import _project_root
from lucent_lint.engine.registry import Selection
from lucent_lint.engine.results import FileResult
from lucent_lint.engine.source import read_source
from lucent_lint.run.cache import Cache, content_digest
from lucent_lint.run.discovery import discover_files
from lucent_lint.run.pool import ModuleNames

#: the index needs a file's classes, not its findings: no rule runs
_CLASSES_ONLY = Selection((), ())


@dataclass
class Indexed:
    """The class index of a project's files: one class-only :class:`FileResult` per file,
    and the files whose classes this call had to find (read and checked) because the
    cache did not hold them."""

    results: list[FileResult] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)


def project_root(path: Path) -> Path | None:
    """The project a path belongs to: the directory of the nearest ``pyproject.toml``, else
    the top of its git work tree; None outside both (no index beyond the files checked)."""
    start = path.resolve()
    if not start.is_dir():
        start = start.parent
    found = _project_root(str(start))
    return None if found is None else Path(found)


def repository_files(root: Path, settings: Settings) -> list[Path]:
    """Every Python file of the project a full ``lucent-lint check`` of ``root`` would see."""
    return discover_files([root], settings, root)


def index_results(
    root: Path,
    settings: Settings,
    exclude: Iterable[Path] = (),
    *,
    use_cache: bool = True,
) -> Indexed:
    """One class-only :class:`FileResult` per project file not in ``exclude``, for
    :func:`run.runner.finalize_results`'s ``index_results``. Files are in discovery order."""
    root = root.resolve()
    skip = {p.resolve() for p in exclude}
    cache = None
    if use_cache:
        selection = Selection(settings.select, settings.ignore, settings.extend_select)
        cache = Cache.open(root, settings, selection)  # the one a full run of ``root`` uses
    out = Indexed()
    names = ModuleNames()
    for path in repository_files(root, settings):
        key = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
        location = str(path)
        try:
            stat = path.stat()
        except OSError:
            continue
        module, is_package = names(path)
        stamp = [stat.st_mtime_ns, stat.st_size]
        classes = cache.classes(location, module, is_package, stamp) if cache else None
        if classes is None:
            data, _ = read_source(path, key)
            if data is None:
                continue
            digest = content_digest(data)
            if cache is not None:
                classes = cache.classes(location, module, is_package, stamp, digest)
            if classes is None:
                result = check_source(data, location, module, is_package, settings, _CLASSES_ONLY)
                classes = result.classes
                out.checked.append(key)
                if cache is not None and result.error is None:
                    cache.put_classes(location, digest, stamp, module, is_package, classes)
        if path not in skip:
            out.results.append(FileResult(path=key, classes=classes))
    if cache is not None:
        cache.save()
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
    return index_results(project, settings, exclude, use_cache=use_cache).results
