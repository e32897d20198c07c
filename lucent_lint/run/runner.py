"""A whole run: discover files, check each, build the index, finalize every result.

:func:`run_check` checks the files under some paths (through the cache and the process
pool of :mod:`lucent_lint.run.pool`), :func:`run_stdin` one text read from stdin; both end in
:func:`finalize_results`, which turns per-file results into a :class:`RunResult` against
the project index. A :class:`RunResult` is what every output format and the exit code read;
``--fix`` and ``--changed-since`` (:mod:`lucent_lint.run.fix`, :mod:`lucent_lint.run.changed`)
produce one too.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lucent_lint.config import Settings
from lucent_lint.engine.check import build_index, check_source, finalize
from lucent_lint.engine.project import ProjectIndex, module_name_for
from lucent_lint.engine.registry import Selection
from lucent_lint.engine.results import FileResult, Finding
from lucent_lint.engine.source import read_source
from lucent_lint.run.discovery import discover_files, relative_paths, relative_to_root

if TYPE_CHECKING:
    from lucent_lint.run.progress import Progress


@dataclass
class RunResult:
    """The findings of a run (file by file, each in position order) and what the outputs
    need besides them."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: files skipped unchecked and why (too large, beyond libcst, a broken symlink):
    #: shown, but they do not fail the run
    warnings: list[str] = field(default_factory=list)
    files: int = 0
    #: the text of the lines findings are on, by path (for text output and baselines)
    lines: dict[str, dict[int, str]] = field(default_factory=dict)
    #: the checked files, relative to the project root (baselines tell stale entries)
    checked: list[str] = field(default_factory=list)
    #: findings fixed by ``--fix`` before these were found
    fixed: int = 0
    #: what the run did, for measurements: the files it parsed (the others came from the
    #: cache, had no service code or did not decode), the worker processes it started, and
    #: how many unparsed files it scanned for classes because a finding needed the index
    parsed: list[str] = field(default_factory=list)
    workers: int = 0
    scanned: int = 0


def per_file_ignored(relative: str, settings: Settings) -> frozenset[str]:
    """Codes and prefixes, as configured, that per-file-ignores switch off (see
    :func:`ignored_codes`)."""
    out: set[str] = set()
    name = relative.rpartition("/")[2]
    for pattern, codes in settings.per_file_ignores.items():
        if fnmatch.fnmatch(relative, pattern) or (
            "/" not in pattern and fnmatch.fnmatch(name, pattern)
        ):
            out.update(codes)
    return frozenset(out)


def ignored_codes(relative: str, settings: Settings, selection: Selection) -> frozenset[str]:
    """The selected codes that per-file-ignores switch off for the file at ``relative``."""
    prefixes = per_file_ignored(relative, settings)
    if not prefixes:
        return prefixes
    return frozenset(c for c in selection.codes if any(c.startswith(p) for p in prefixes))


def finalize_results(
    results: Sequence[FileResult],
    relatives: Sequence[str],
    settings: Settings,
    selection: Selection,
    index_results: Sequence[FileResult] = (),
) -> RunResult:
    """Finalize per-file results against an index built from them (and ``index_results``,
    the files outside this run that the index must still see)."""
    index = build_index([*results, *index_results], settings)
    run = RunResult(files=len(results), checked=list(relatives))
    for result, relative in zip(results, relatives, strict=True):
        if result.error:
            run.errors.append(result.error)
        if result.warning:
            run.warnings.append(result.warning)
        ignored = ignored_codes(relative, settings, selection)
        findings = finalize(result, index, selection, ignored)
        run.findings.extend(findings)
        if findings:
            run.lines[result.path] = result.lines
    return run


def extends_runtime(results: Sequence[FileResult], settings: Settings) -> bool:
    """Some class of the run extends a runtime service base (or a configured extra base)
    directly: only then can a project base carry the runtime into other files."""
    if settings.extra_base_classes:
        return True
    return any(
        base.startswith("lucent_runtime.")
        for result in results
        for bases in result.classes.values()
        for base in bases
    )


def _unwalked(result: FileResult) -> bool:
    """A file the text test skipped (its classes scanned, its body not walked)."""
    return not (result.parsed or result.error or result.findings) and bool(result.classes)


def _reaches_runtime(result: FileResult, module: str, index: ProjectIndex) -> bool:
    """Some class of the file (``module``) reaches a runtime service base through
    project classes."""
    prefix = f"{module}." if module else ""
    return any(
        index.runtime_bases(bases)
        for name, bases in result.classes.items()
        if name.startswith(prefix) and name[len(prefix) :].isidentifier()
    )


def walk_adopted(
    results: list[FileResult],
    files: Sequence[Path],
    settings: Settings,
    selection: Selection,
    index_results: Sequence[FileResult] = (),
) -> None:
    """Check the files the text test skipped whose classes reach a runtime service base
    through the project index (``class Book(Base)``, ``Base`` a project base extending
    one): their bodies are service code too. ``files``: the paths of ``results``;
    ``index_results``: the rest of the project, when the run covers part of it."""
    from lucent_lint.run.pool import ModuleNames

    if not any(_unwalked(result) for result in results):
        return
    if not extends_runtime([*results, *index_results], settings):
        return
    index = build_index([*results, *index_results], settings)
    names = ModuleNames()
    for position, result in enumerate(results):
        if not _unwalked(result):
            continue
        path = files[position]
        module, is_package = names(path)
        if not _reaches_runtime(result, module, index):
            continue
        data, _ = read_source(path, result.path)
        if data is None:
            continue
        results[position] = check_source(
            data, result.path, module, is_package, settings, selection, walk=True
        )


def adopted(
    result: FileResult,
    data: bytes,
    module: str,
    is_package: bool,
    settings: Settings,
    selection: Selection,
    index: Callable[[], ProjectIndex],
) -> FileResult:
    """One file's ``result`` (from ``data``, read from stdin or given by flake8), checked
    again with its body walked when the text test skipped it but its classes reach a
    runtime service base through the project index, as :func:`walk_adopted` does for a
    run over paths. ``index`` makes the index; it is called only for such a file."""
    if not _unwalked(result) or not _reaches_runtime(result, module, index()):
        return result
    return check_source(data, result.path, module, is_package, settings, selection, walk=True)


def check_one(
    data: bytes,
    display: str,
    module: str,
    is_package: bool,
    settings: Settings,
    selection: Selection,
    index_results: Sequence[FileResult],
) -> FileResult:
    """One file checked apart from its project (stdin): :func:`check_source`, walked
    again when its classes reach a runtime base through ``index_results``."""
    result = check_source(data, display, module, is_package, settings, selection)
    return adopted(
        result, data, module, is_package, settings, selection,
        lambda: build_index([result, *index_results], settings),
    )  # fmt: skip


def run_check(
    paths: Sequence[Path],
    settings: Settings,
    root: Path,
    selection: Selection,
    index_results: Sequence[FileResult] = (),
    *,
    jobs: int = 1,
    use_cache: bool = False,
    progress: Progress | None = None,
) -> RunResult:
    """Check every file under ``paths``: over ``jobs`` processes, reusing the results
    cached under ``root`` when ``use_cache`` (see :mod:`lucent_lint.run.pool`)."""
    from lucent_lint.run.pool import check_files, complete_index

    skipped: list[str] = []
    files = discover_files(paths, settings, root, skipped)
    cache = None
    if use_cache:
        from lucent_lint.run.cache import Cache

        cache = Cache.open(root, settings, selection)
    checked = check_files(
        files,
        relative_paths(files, Path.cwd()),
        settings,
        selection,
        jobs=jobs,
        cache=cache,
        progress=progress,
    )
    scanned = 0
    adopting = extends_runtime([*checked.results, *index_results], settings)
    if checked.unscanned and (adopting or any(result.deferred for result in checked.results)):
        # the index serves deferred findings only
        scanned = complete_index(checked, settings, cache)
    if adopting:
        walk_adopted(checked.results, files, settings, selection, index_results)
    if cache is not None:
        cache.save()
    relatives = relative_paths(files, root)
    run = finalize_results(checked.results, relatives, settings, selection, index_results)
    run.parsed, run.workers, run.scanned = checked.parsed, checked.workers, scanned
    run.warnings[:0] = skipped
    return run


def run_stdin(
    data: bytes,
    filename: str,
    settings: Settings,
    root: Path,
    selection: Selection,
    index_results: Sequence[FileResult] = (),
) -> RunResult:
    """Check ``data``, read from stdin, as the file ``filename`` (which need not exist)."""
    module_name, is_package = stdin_module(filename)
    result = check_one(data, filename, module_name, is_package, settings, selection, index_results)
    relatives = [relative_to_root(Path(filename), root)]
    return finalize_results([result], relatives, settings, selection, index_results)


def stdin_module(filename: str) -> tuple[str, bool]:
    """The module text read from stdin stands for: that of ``filename`` when the file
    exists, else a plain module named after its stem."""
    path = Path(filename)
    return module_name_for(path) if path.exists() else (path.stem, False)
