"""``--fix`` / ``--diff``: rewrite files so that fixable findings go away.

Fixed code is built only here, never during a plain check. Per file, in rounds: analyse,
take the fixes that the run's options allow (selected, not ignored, not suppressed by
``# noqa``, safe unless ``--unsafe-fixes``) and that do not overlap (a fix whose target
contains or lies inside another chosen target waits for the next round), apply them in one
transformation, re-parse and repeat until nothing fixable remains. Unused ``noqa`` codes
(LUC002) are removed last, as text. A result that no longer parses is discarded: the file
stays as it was and the run reports an error. Files without fixable findings are never
rewritten.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import functools
import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst

from lucent_lint.config import Settings
from lucent_lint.engine import positions
from lucent_lint.engine._libcst import parse_module
from lucent_lint.engine.analysis import Analysis, analyze, parse
from lucent_lint.engine.check import (
    UNUSED_NOQA,
    build_index,
    check_source,
    finalize,
    unused_noqa_codes,
)
from lucent_lint.engine.project import ProjectIndex
from lucent_lint.engine.registry import Selection
from lucent_lint.engine.results import FileResult
from lucent_lint.engine.rule import Fix, Report
from lucent_lint.engine.source import compile_problem, decode, read_source, source_encoding
from lucent_lint.engine.suppress import apply_noqa, parse_noqa, source_lines, suppresses
from lucent_lint.engine.transform import apply, choose, parent_map
from lucent_lint.engine.verify import same_outside, syntax_tree
from lucent_lint.rules.unused_noqa import remove_codes
from lucent_lint.run.discovery import discover_files, relative_paths, relative_to_root
from lucent_lint.run.runner import (
    RunResult,
    check_one,
    finalize_results,
    ignored_codes,
    stdin_module,
    walk_adopted,
)

if TYPE_CHECKING:
    from lucent_lint.run.progress import Progress

MAX_ROUNDS = 10


@dataclass
class FixedFile:
    """One file's fix: its text before and after, and how many findings were fixed."""

    display: str
    original: str
    fixed: str
    count: int = 0
    path: Path | None = None
    encoding: str = "utf-8"
    error: str | None = None
    #: findings whose fix failed the check before writing (see :mod:`lucent_lint.engine.verify`)
    not_applied: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.error is None and self.fixed != self.original

    def output(self, original: bytes) -> bytes:
        """The bytes to write back: the fixed text, or ``original`` untouched."""
        return self.fixed.encode(self.encoding) if self.changed else original

    def diff(self) -> str:
        """A unified diff of the change (empty when there is none)."""
        if not self.changed:
            return ""
        lines = difflib.unified_diff(
            source_lines(self.original, keepends=True),
            source_lines(self.fixed, keepends=True),
            fromfile=f"a/{self.display}",
            tofile=f"b/{self.display}",
        )
        out = []
        for line in lines:
            out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(out)


@dataclass
class FixRun:
    """A ``--fix`` / ``--diff`` run: the findings (what remains after writing, or the
    original ones for a diff) and every file's fix."""

    run: RunResult
    files: list[FixedFile] = field(default_factory=list)

    @property
    def fixed(self) -> int:
        return sum(f.count for f in self.files if f.changed)

    def diff(self) -> str:
        return "".join(f.diff() for f in self.files)


class FileFixer:
    """Fixes one file at a time under a run's settings, selection and index."""

    def __init__(
        self,
        settings: Settings,
        selection: Selection,
        index: ProjectIndex,
    ) -> None:
        self.settings = settings
        self.selection = selection
        self.index = index
        self.unsafe = settings.unsafe_fixes
        #: (code, scope, node text) of fixes that failed the check, not offered again
        self.rejected: set[tuple[str, str, str]] = set()
        #: the last round's text and its analysis
        self._last: tuple[str, Analysis] | None = None
        #: after :meth:`fix`, the analysis of the fixed text when a round made it (the
        #: check of the written file then needs no new parse and walk)
        self.final: Analysis | None = None

    def fix(
        self,
        data: bytes,
        display: str,
        module_name: str,
        is_package: bool,
        ignored: frozenset[str],
    ) -> FixedFile:
        text, _ = decode(data, display)
        encoding = source_encoding(data)
        if text is None:
            return FixedFile(display, "", "", encoding=encoding)
        out = FixedFile(display, text, text, encoding=encoding)
        self.final = self._last = None
        compiled = _compiles(text, display)
        done: set[tuple[str, str]] = set()
        current = text
        self.rejected = set()
        module, _ = parse(text, display)
        if module is None:  # skipped by the check too: nothing to fix
            return out
        try:
            for _ in range(MAX_ROUNDS):
                rejected = len(self.rejected)
                step = self._round(
                    module, current, display, module_name, is_package, ignored, done, out
                )
                if step is None:
                    break
                fixed, count = step
                if not count and len(self.rejected) > rejected:
                    continue  # the others may still apply without the rejected ones
                if fixed == current or not count:
                    break
                module = parse_module(fixed)  # raises when a fix broke the code
                current, out.count = fixed, out.count + count
            before_noqa = current
            current, count = self._noqa(
                current, encoding, display, module_name, is_package, ignored
            )
            if count and not same_outside(before_noqa, current, ()):
                current, count = before_noqa, 0
                out.not_applied.append(f"{display}: {UNUSED_NOQA} not fixed: {_CHANGED}")
            out.count += count
            if compiled and not _compiles(current, display):
                raise SyntaxError("the fixed code does not compile")
        except (cst.ParserSyntaxError, SyntaxError) as exc:
            out.error = f"{display}: fixes left unapplied, they would break the code: {exc}"
            return out
        except Exception as exc:  # a fixer must never take the run down
            out.error = f"{display}: internal error while fixing: {type(exc).__name__}: {exc}"
            return out
        out.fixed = current
        if self._last is not None and self._last[0] == current:
            self.final = self._last[1]
        self._last = None
        return out

    # -- node fixes ------------------------------------------------------------------------
    def _round(
        self,
        module: cst.Module,
        text: str,
        display: str,
        module_name: str,
        is_package: bool,
        ignored: frozenset[str],
        done: set[tuple[str, str]],
        out: FixedFile,
    ) -> tuple[str, int] | None:
        """One round on ``module`` (the tree of ``text``): the fixed text and how many fixes
        it applied, each checked to leave the program unchanged outside its sites. ``text``
        is the module's code: libcst's tree gives back the text it was parsed from."""
        analysis, _ = analyze(
            text, display, module_name, is_package, self.settings, self.selection.rules, module
        )
        if analysis is None:
            return None
        self._last = (text, analysis)
        candidates = [r for r in analysis.reports if self._wanted(r, ignored, done)]
        if self.rejected:
            candidates = [r for r in candidates if _key(r, module) not in self.rejected]
        if not candidates:
            return None
        noqa = parse_noqa(text)
        tree = syntax_tree(text)  # CPython's, for the positions and for every check
        spans = positions.report_spans(
            analysis.module, text, _sites(candidates), tree, analysis.order
        )
        if noqa:
            candidates = [r for r in candidates if not _suppressed(r, spans, noqa)]
        fixes: list[Fix] = [r.fix for r in candidates]  # type: ignore[misc]
        parents = parent_map(analysis.module)
        chosen = choose(fixes, parents) if fixes else []
        if not chosen:
            return None
        fixed = apply(analysis.module, chosen, parents).code
        if not _verified(text, fixed, chosen, spans, tree):
            accepted = []
            for report in candidates:
                fix = report.fix
                if not any(fix is c for c in chosen):
                    continue
                alone = apply(analysis.module, [fix], parents).code  # type: ignore[list-item]
                if _verified(text, alone, [fix], spans, tree):  # type: ignore[list-item]
                    accepted.append(fix)
                    continue
                self.rejected.add(_key(report, module))
                line, column = spans[id(report.node)][:2]
                out.not_applied.append(
                    f"{display}:{line}:{column + 1}: {report.rule.code} not fixed: {_CHANGED}"
                )
            chosen = accepted
            fixed = apply(analysis.module, chosen, parents).code if chosen else text
            if chosen and not _verified(text, fixed, chosen, spans, tree):
                chosen = chosen[:1]
                fixed = apply(analysis.module, chosen, parents).code
            if not chosen:
                return text, 0
        chosen_ids = {id(fix) for fix in chosen}
        for report in candidates:
            if report.deferred is not None and id(report.fix) in chosen_ids:
                done.add((report.rule.code, report.scope))
        return fixed, len(chosen)

    def _wanted(self, report: Report, ignored: frozenset[str], done: set[tuple[str, str]]) -> bool:
        fix, code = report.fix, report.rule.code
        if fix is None or not self.selection.enabled(code) or code in ignored:
            return False
        if fix.safety != "safe" and not self.unsafe:
            return False
        if report.deferred is not None:
            if (code, report.scope) in done:
                return False
            return report.rule.resolve(report.deferred, self.index) is not None
        return True

    # -- unused noqa codes (text) ----------------------------------------------------------
    def _noqa(
        self,
        text: str,
        encoding: str,
        display: str,
        module_name: str,
        is_package: bool,
        ignored: frozenset[str],
    ) -> tuple[str, int]:
        if not self.selection.enabled(UNUSED_NOQA) or UNUSED_NOQA in ignored:
            return text, 0
        if "noqa" not in text.lower():
            return text, 0
        walked = self._last[1] if self._last is not None and self._last[0] == text else None
        result = check_source(
            text.encode(encoding),
            display,
            module_name,
            is_package,
            self.settings,
            self.selection,
            text=text,
            analysis=walked,
        )
        if result.error is not None or not result.noqa:
            return text, 0
        findings = finalize(result, self.index, self.selection, ignored)
        lines_to_fix = {f.line for f in findings if f.code == UNUSED_NOQA}
        if not lines_to_fix:
            return text, 0
        unsuppressed = finalize(
            dataclasses.replace(result, noqa={}), self.index, self.selection, ignored
        )
        _, used = apply_noqa(unsuppressed, result.noqa)
        comments = _comment_columns(text)
        if comments is None:
            return text, 0
        lines = source_lines(text, keepends=True)
        count = 0
        for number in sorted(lines_to_fix):
            codes = result.noqa.get(number) or ()
            unused = unused_noqa_codes(codes, used.get(number, ()), self.selection)
            line = lines[number - 1]
            body = line.rstrip("\r\n")
            for column in comments.get(number, ()):
                new = remove_codes(body, unused, column)
                if new is not None:
                    lines[number - 1] = new + line[len(body) :]
                    count += 1
                    break
        return "".join(lines), count


_CHANGED = "the fixed code would differ from the original outside the fixed site"


def _sites(reports: Sequence[Report]) -> list[tuple[cst.CSTNode, Sequence[cst.CSTNode]]]:
    """The reported nodes and every node a fix replaces, each with the walk's stack of its
    report (see :func:`positions.report_spans`)."""
    nodes: list[tuple[cst.CSTNode, Sequence[cst.CSTNode]]] = []
    for report in reports:
        nodes.append((report.node, report.stack))
        if report.fix is not None:
            nodes.extend((node, report.stack) for node in report.fix.replacements)
    return nodes


def _key(report: Report, module: cst.Module) -> tuple[str, str, str]:
    return (report.rule.code, report.scope, module.code_for_node(report.node))


def _verified(
    before: str,
    after: str,
    fixes: Sequence[Fix],
    spans: dict[int, positions.Span],
    tree: ast.Module | None,
) -> bool:
    """Does ``after`` keep ``before``'s program outside the sites of ``fixes``? ``tree``
    is CPython's tree of ``before``."""
    sites = [spans[id(node)] for fix in fixes for node in fix.replacements if id(node) in spans]
    sources = [line.split()[1] for fix in fixes for line in fix.imports]
    return same_outside(before, after, sites, sources, old=tree)


def _suppressed(
    report: Report, spans: dict[int, positions.Span], noqa: dict[int, tuple[str, ...] | None]
) -> bool:
    line = spans[id(report.node)][0]
    entry = noqa.get(line, False)
    return entry is not False and suppresses(entry, report.rule.code) is not None  # type: ignore[arg-type]


def _comment_columns(text: str) -> dict[int, list[int]] | None:
    """Line -> start columns of its comment tokens; None when the tokenizer's line
    numbers would not match the engine's."""
    if len(source_lines(text)) != len(io.StringIO(text).readlines()):
        return None
    out: dict[int, list[int]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                out.setdefault(token.start[0], []).append(token.start[1])
    except (tokenize.TokenError, SyntaxError):
        return None
    return out


def _compiles(text: str, display: str) -> bool:
    return compile_problem(text, display) is None


# -- whole runs ----------------------------------------------------------------------------------


def fix_paths(
    paths: Sequence[Path],
    settings: Settings,
    root: Path,
    selection: Selection,
    index_results: Sequence[FileResult] = (),
    *,
    write: bool = True,
    jobs: int = 1,
    use_cache: bool = False,
    progress: Progress | None = None,
) -> FixRun:
    """Fix every file under ``paths`` that has fixable findings; with ``write`` the files
    are rewritten and the run holds what remains, else (``--diff``) nothing is written and
    the run holds the findings as they are. The files are first checked as a check run
    checks them (over ``jobs`` processes, through the cache when ``use_cache``); only
    those with fixable findings are read again and fixed."""
    from lucent_lint.run.pool import (
        POOL_MIN_BYTES,
        ModuleNames,
        check_files,
        complete_index,
        run_in_pool,
    )

    skipped: list[str] = []
    files = discover_files(paths, settings, root, skipped)
    displays = relative_paths(files, Path.cwd())
    names = ModuleNames()
    relatives = relative_paths(files, root)
    cache = None
    if use_cache:
        from lucent_lint.run.cache import Cache

        cache = Cache.open(root, settings, selection)
    checked = check_files(
        files,
        displays,
        settings,
        selection,
        jobs=jobs,
        cache=cache,
        progress=progress,
    )
    results = checked.results
    complete_index(checked, settings, cache)  # the fixer's index holds every file's classes
    # files whose classes reach a runtime base through project classes, as a check does
    walk_adopted(results, files, settings, selection, index_results)
    if cache is not None:
        cache.save()
    before = finalize_results(results, relatives, settings, selection, index_results)
    before.warnings[:0] = skipped
    fixable = {f.path for f in before.findings if f.fixable}
    items = [
        _ToFix(
            index,
            path,
            display,
            *names(path),
            ignored_codes(relatives[index], settings, selection),
            results[index].parsed,
            _size(path),
        )
        for index, (path, display) in enumerate(zip(files, displays, strict=True))
        if display in fixable
    ]
    fixer = FileFixer(settings, selection, build_index([*results, *index_results], settings))
    work = functools.partial(
        _fix_item, fixer=fixer, write=write, settings=settings, selection=selection
    )
    outcomes: dict[int, _Fixed] = {}

    def done(item: _ToFix, outcome: _Fixed) -> None:
        outcomes[item.index] = outcome
        if progress is not None:
            progress.advance()

    if progress is not None:
        progress.start(len(items), "fixing")
    try:
        if jobs > 1 and len(items) > 1 and sum(item.size for item in items) >= POOL_MIN_BYTES:
            run_in_pool(items, work, jobs, done)
        else:
            for item in items:
                done(item, work(item))
    finally:
        if progress is not None:
            progress.close()
    out = FixRun(before)
    for item in items:  # in the order of the input, whatever order they came back in
        outcome = outcomes[item.index]
        if outcome.file is not None:
            out.files.append(outcome.file)
            before.warnings.extend(outcome.file.not_applied)
            if outcome.file.error:
                before.errors.append(outcome.file.error)
        if outcome.error:
            before.errors.append(outcome.error)
        if outcome.result is not None:
            results[item.index] = outcome.result
    if write and out.fixed:
        after = finalize_results(results, relatives, settings, selection, index_results)
        out.run = _after_fixing(before, after, out.fixed)
    return out


@dataclass(slots=True)
class _ToFix:
    """A file with fixable findings, as the fixing step needs it (pickled to a worker)."""

    index: int
    path: Path
    display: str
    module: str
    is_package: bool
    ignored: frozenset[str]
    #: the check walked it though its text does not show service code (adopted)
    walk: bool
    size: int


@dataclass(slots=True)
class _Fixed:
    """What fixing one file gave: the fix, the check of the written file, and why the file
    could not be read or written."""

    file: FixedFile | None
    result: FileResult | None = None
    error: str | None = None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _fix_item(
    item: _ToFix, fixer: FileFixer, write: bool, settings: Settings, selection: Selection
) -> _Fixed:
    """Fix one file; with ``write``, write it back and check what was written."""
    data, error = read_source(item.path, item.display)
    if data is None:  # gone or unreadable since it was checked
        return _Fixed(None, error=error or f"{item.display}: cannot read")
    fixed = fixer.fix(data, item.display, item.module, item.is_package, item.ignored)
    fixed.path = item.path
    final, fixer.final = fixer.final, None
    if not (write and fixed.changed):
        return _Fixed(fixed)
    new = fixed.fixed.encode(fixed.encoding)
    try:
        item.path.write_bytes(new)
    except OSError as exc:
        fixed.count = 0
        return _Fixed(fixed, error=f"{item.display}: cannot write: {exc.strerror or exc}")
    result = check_source(
        new,
        item.display,
        item.module,
        item.is_package,
        settings,
        selection,
        walk=item.walk,
        text=fixed.fixed,
        analysis=final,
    )
    return _Fixed(fixed, result)


def _after_fixing(before: RunResult, after: RunResult, fixed: int) -> RunResult:
    """The run over the fixed files, with the errors and warnings of the run before them
    (what fixing said: fixes not applied, files not written) first, each once."""
    after.errors = [*before.errors, *(e for e in after.errors if e not in before.errors)]
    after.warnings = [*before.warnings, *(w for w in after.warnings if w not in before.warnings)]
    after.fixed = fixed
    return after


def fix_stdin(
    data: bytes,
    filename: str,
    settings: Settings,
    root: Path,
    selection: Selection,
    index_results: Sequence[FileResult] = (),
    *,
    write: bool = True,
) -> FixRun:
    """Fix one file read from stdin; the run holds what remains in the fixed text (see
    :meth:`FixedFile.output` for the bytes to write back), or, when the fixed text is not
    the output (``write=False``: ``--diff``), what the original holds, as for paths."""
    module_name, is_package = stdin_module(filename)
    relative = relative_to_root(Path(filename), root)
    result = check_one(data, filename, module_name, is_package, settings, selection, index_results)
    before = finalize_results([result], [relative], settings, selection, index_results)
    text, _ = decode(data, filename)
    if not any(f.fixable for f in before.findings) or text is None:
        fixed = FixedFile(filename, text or "", text or "", encoding=source_encoding(data))
        return FixRun(before, [fixed])
    fixer = FileFixer(settings, selection, build_index([result, *index_results], settings))
    ignored = ignored_codes(relative, settings, selection)
    fixed = fixer.fix(data, filename, module_name, is_package, ignored)
    before.warnings.extend(fixed.not_applied)
    if not (write and fixed.changed):
        if fixed.error:
            before.errors.append(fixed.error)
        return FixRun(before, [fixed])
    new = fixed.fixed.encode(fixed.encoding)
    result = check_source(
        new,
        filename,
        module_name,
        is_package,
        settings,
        selection,
        walk=result.parsed,
        text=fixed.fixed,
        analysis=fixer.final,
    )
    after = finalize_results([result], [relative], settings, selection, index_results)
    return FixRun(_after_fixing(before, after, fixed.count), [fixed])
