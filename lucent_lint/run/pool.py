"""Check many files: cache look-ups, the text pre-filter, then parsing over a process pool.

Every file goes through the engine's one per-file step,
:func:`~lucent_lint.engine.check.check_source`, split here where the cache and the pool
come in. The main process reads every file once (to hash it for the cache and to run the
step's cheap first half, :func:`~lucent_lint.engine.check.source_text` and the pre-filter).
Only files that may contain service code are parsed, and only those go to the worker
processes -- as paths, in chunks of similar total size, biggest first, so the pool stays
busy to the end. A run with little to parse never starts the pool.

Per-file results are pure data (:class:`~lucent_lint.engine.results.FileResult`), independent of the
other files, so they come back in any order and are put back in the order of the input:
the output of ``--jobs 4`` is identical to that of ``--jobs 1``.

Files that are not parsed still belong to the repository class index, through a text scan
(:func:`~lucent_lint.engine.check.scan_text`). That scan is only needed when some finding
waits for the index; :func:`complete_index` runs it on demand.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lucent_lint.engine.check import check_source, scan_text, source_text
from lucent_lint.engine.results import FileResult
from lucent_lint.engine.source import may_contain_service_code, read_source
from lucent_lint.run.cache import content_digest

if TYPE_CHECKING:
    import multiprocessing.context

    from lucent_lint.config import Settings
    from lucent_lint.engine.registry import Selection
    from lucent_lint.run.cache import Cache
    from lucent_lint.run.progress import Progress

#: below this much source to parse, a pool costs more (fork, pickling) than it saves
POOL_MIN_BYTES = 120_000
#: from this much source to parse on, the parser's plain constructors pay for their
#: building (see lucent_lint/engine/_libcst.py)
PREPARE_MIN_BYTES = 400_000
#: sets the smallest chunk (see :func:`chunked`): small enough to balance the load at the
#: end of a run, big enough to amortise the IPC
CHUNKS_PER_WORKER = 6

Advance = Callable[[int], None]


@dataclass(slots=True)
class _Item:
    index: int
    path: str
    display: str
    module: str
    is_package: bool
    size: int
    #: the file's bytes, read once by the main process; ``None`` for the workers, which
    #: get paths and read the files themselves
    data: bytes | None = None


@dataclass
class Checked:
    """The per-file results of a run, in input order, and which unparsed files still owe
    their classes to the index."""

    results: list[FileResult]
    #: index -> file whose classes are not scanned yet (its result has none)
    unscanned: dict[int, _Item] = field(default_factory=dict)
    #: the files parsed in this run (cache misses that may hold service code), as shown
    parsed: list[str] = field(default_factory=list)
    #: worker processes the run started (0: it parsed in this process)
    workers: int = 0


class ModuleNames:
    """``module_name_for`` of resolved paths, each directory's package looked up once (a
    directory's package is its parent's plus its name, when it has an ``__init__.py``)."""

    def __init__(self) -> None:
        self._packages: dict[str, str] = {}

    def package(self, directory: str) -> str:
        known = self._packages.get(directory)
        if known is None:
            known = ""
            if os.path.isfile(os.path.join(directory, "__init__.py")):
                parent, _, name = directory.rpartition(os.sep)
                parent = parent or os.sep
                head = self.package(parent) if parent != directory else ""
                known = f"{head}.{name}" if head else name
            self._packages[directory] = known
        return known

    def __call__(self, path: Path) -> tuple[str, bool]:
        directory, _, name = str(path).rpartition(os.sep)
        package = self.package(directory or os.sep)
        if name == "__init__.py":
            return package, True
        stem = name[:-3] if name.endswith(".py") else name.rpartition(".")[0] or name
        return (f"{package}.{stem}" if package else stem), False


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def check_files(
    files: Sequence[Path],
    displays: Sequence[str],
    settings: Settings,
    selection: Selection,
    *,
    jobs: int = 1,
    cache: Cache | None = None,
    progress: Progress | None = None,
) -> Checked:
    """Check ``files`` (shown as ``displays``); see the module docstring. ``progress``
    counts the files checked, as a stage of its own."""
    if progress is None:
        return _check_files(files, displays, settings, selection, jobs, cache, None)
    progress.start(len(files))
    try:
        return _check_files(files, displays, settings, selection, jobs, cache, progress.advance)
    finally:
        progress.close()


def _check_files(
    files: Sequence[Path],
    displays: Sequence[str],
    settings: Settings,
    selection: Selection,
    jobs: int,
    cache: Cache | None,
    advance: Advance | None,
) -> Checked:
    results: list[FileResult | None] = [None] * len(files)
    checked = Checked(results=results)  # type: ignore[arg-type]
    names = ModuleNames()
    to_parse: list[_Item] = []
    #: cache misses and their digests, to store once they are checked
    misses: list[tuple[_Item, str]] = []
    done_here = 0
    for index, (path, display) in enumerate(zip(files, displays, strict=True)):
        data, error = read_source(path, display)
        if data is None:
            results[index] = FileResult(path=display, error=error)
            done_here += 1
            continue
        module, is_package = names(path)
        item = _Item(index, str(path), display, module, is_package, len(data))
        if cache is not None:
            digest = content_digest(data)
            hit = cache.get(item.path, digest, module, is_package, display)
            if hit is not None:
                results[index], scanned = hit
                if not scanned:
                    checked.unscanned[index] = item
                done_here += 1
                continue
            misses.append((item, digest))
        # check_source's first steps: the workers parse what may hold service code; the
        # scan of the other files for their classes waits for complete_index
        text, result = source_text(data, display, settings)
        if text is not None and may_contain_service_code(text, settings):
            item.data = data
            to_parse.append(item)
            continue
        results[index] = result
        if text is not None:
            checked.unscanned[index] = item
        done_here += 1
    if advance is not None and done_here:
        advance(done_here)

    checked.parsed = [item.display for item in to_parse]
    total = sum(item.size for item in to_parse)
    if total >= PREPARE_MIN_BYTES:
        from lucent_lint.engine._libcst import prepare  # before the fork: workers inherit it

        prepare()
    if jobs > 1 and len(to_parse) > 1 and total >= POOL_MIN_BYTES:
        for item in to_parse:
            item.data = None  # paths, not contents, go to the workers
        checked.workers = _check_in_pool(to_parse, results, settings, selection, jobs, advance)
    else:
        for item in to_parse:
            results[item.index] = _check_item(item, settings, selection)
            if advance is not None:
                advance(1)

    if cache is not None:
        for item, digest in misses:
            result = results[item.index]
            if result is not None and result.error is None and result.warning is None:
                scanned = item.index not in checked.unscanned
                cache.put(item.path, digest, item.module, item.is_package, result, scanned)
    return checked


def complete_index(checked: Checked, settings: Settings, cache: Cache | None = None) -> int:
    """Give every unparsed file its classes (the text scan), for the repository index;
    returns how many files it scanned."""
    scanned = len(checked.unscanned)
    for index, item in checked.unscanned.items():
        result = checked.results[index]
        data, _ = read_source(item.path, item.display)
        if data is None:
            continue
        text, _ = source_text(data, item.display, settings)
        if text is not None:
            result.classes = scan_text(
                text, item.path, item.module, item.is_package, settings
            ).classes
        if cache is not None:
            cache.update_classes(item.path, result.classes)
    checked.unscanned.clear()
    return scanned


# -- the pool ----------------------------------------------------------------------------------

#: what a worker process does with each item (set in the worker by ``_init_worker``)
_WORK: Callable[[Any], Any] | None = None


def _init_worker(work: Callable[[Any], Any], automatic_gc: bool) -> None:
    global _WORK  # noqa: PLW0603 - one task per worker process
    _WORK = work
    if not automatic_gc:
        # A checked file's tree dies by reference counting once its result is made (the
        # per-file step leaves no reference cycle: tests/perf/test_parallel.py checks
        # it), so the automatic collections would only traverse live trees again and
        # again; one collection per chunk frees whatever cycle a file may still leave.
        gc.disable()


def _check_item(item: _Item, settings: Settings, selection: Selection) -> FileResult:
    """Check one file: from the bytes the main process read, else read by its path."""
    data, item.data = item.data, None
    if data is None:
        data, error = read_source(item.path, item.display)
        if data is None:
            return FileResult(path=item.display, error=error)
    try:
        return check_source(data, item.display, item.module, item.is_package, settings, selection)
    except Exception as exc:  # a broken file must never take the run down
        result = FileResult(path=item.display)
        result.error = f"{item.display}: internal error: {type(exc).__name__}: {exc}"
        return result


def _run_chunk(chunk: list[Any]) -> list[Any]:
    assert _WORK is not None
    try:
        return [_WORK(item) for item in chunk]
    finally:
        gc.collect()


def chunked(items: Sequence[_Item], workers: int) -> list[list[_Item]]:
    """Chunks of decreasing total size, biggest files first (guided scheduling): each
    chunk holds about a ``2 * workers``-th of the bytes still unassigned, down to a
    ``CHUNKS_PER_WORKER * workers``-th of the whole divided by 4. Workers take the next
    chunk when they finish one, so the big early chunks keep the IPC small and the small
    late ones let every worker finish at about the same time."""
    ordered = sorted(items, key=lambda item: (-item.size, item.index))
    remaining = sum(item.size for item in ordered)
    smallest = max(1, remaining // (workers * CHUNKS_PER_WORKER * 4))
    chunks: list[list[_Item]] = []
    current: list[_Item] = []
    size = 0
    target = max(smallest, remaining // (2 * workers))
    for item in ordered:
        current.append(item)
        size += item.size
        if size >= target:
            chunks.append(current)
            remaining -= size
            current, size = [], 0
            target = max(smallest, remaining // (2 * workers))
    if current:
        chunks.append(current)
    return chunks


def _pool_context() -> multiprocessing.context.BaseContext:
    import multiprocessing

    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()  # pragma: no cover - no fork on this platform


class Sized(Protocol):
    """An item of work for the pool: its place in the input and its size in bytes."""

    index: int
    size: int


def run_in_pool(
    items: Sequence[Sized],
    work: Callable[[Any], Any],
    jobs: int,
    done: Callable[[Any, Any], None],
    *,
    automatic_gc: bool = True,
) -> int:
    """``work(item)`` for every item over up to ``jobs`` forked worker processes, in
    chunks (see :func:`chunked`); ``done(item, outcome)`` in this process as chunks come
    back. ``work`` reaches the workers by the fork, not pickled; items and outcomes are
    pickled. Returns how many workers it started. A worker that dies (killed, out of
    memory) loses nothing: the chunks not yet back are worked here, one item at a time."""
    # imported here: a run with little to do never pays for the pool machinery
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    chunks = chunked(items, jobs)  # type: ignore[arg-type]
    workers = min(jobs, len(chunks))
    pending_chunks = {id(chunk): chunk for chunk in chunks}
    # Objects the workers inherit (modules, settings) are frozen before the fork: the
    # workers' collections never traverse them, nor copy their pages on write.
    gc.freeze()
    try:
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=_pool_context(),
            initializer=_init_worker,
            initargs=(work, automatic_gc),
        ) as pool:
            try:
                futures = {pool.submit(_run_chunk, chunk): chunk for chunk in chunks}
            finally:
                gc.unfreeze()  # the workers are forked by now (all at the first submit)
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    chunk = futures[future]
                    for item, outcome in zip(chunk, future.result(), strict=True):
                        done(item, outcome)
                    del pending_chunks[id(chunk)]
    except BrokenProcessPool:
        for chunk in pending_chunks.values():
            for item in chunk:
                done(item, work(item))
    return workers


def _check_in_pool(
    items: list[_Item],
    results: list[FileResult | None],
    settings: Settings,
    selection: Selection,
    jobs: int,
    advance: Advance | None,
) -> int:
    """Check ``items`` over up to ``jobs`` worker processes; returns how many it started."""
    from lucent_lint.engine import analysis  # noqa: F401 - libcst and the rules, imported once before the

    # fork so that every worker inherits them instead of importing them again
    selection.rules  # noqa: B018 - loads the rule classes

    def done(item: _Item, result: FileResult) -> None:
        results[item.index] = result
        if advance is not None:
            advance(1)

    work = functools.partial(_check_item, settings=settings, selection=selection)
    return run_in_pool(items, work, jobs, done, automatic_gc=False)
