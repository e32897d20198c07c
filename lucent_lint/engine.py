"""Check files: read, pre-filter, parse once, walk once with every selected rule.

The per-file step (:func:`check_file`) is a pure function of the file's bytes, its module
name and the settings; its :class:`FileResult` is plain data, so it can come from a worker
process or a cache. Cross-file decisions (LUC101/LUC102) are deferred to :func:`finalize`,
which runs once the repository index is complete, followed by suppression and selection.
"""

from __future__ import annotations

import ast
import codecs
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import libcst as cst

from . import positions
from .config import Settings
from .context import FileContext, dotted_name
from .project import ProjectIndex, module_name_for, scan_classes
from .registry import RULES, Selection
from .rule import Finding, Report, Rule
from .suppress import NoqaMap, noqa_span, parse_noqa, suppresses
from .walk import Walker

SYNTAX_ERROR = "LUC001"
UNUSED_NOQA = "LUC002"

_CLASS_NAMES = re.compile(r"^[ \t]*class[ \t]+(\w+)", re.M)


@dataclass(slots=True)
class Deferred:
    """A finding that waits for the repository index (see :meth:`Rule.defer`)."""

    code: str
    payload: dict[str, Any]
    line: int
    column: int
    end_line: int
    end_column: int
    scope: str


@dataclass(slots=True)
class FileResult:
    """Everything the engine learned from one file; plain, picklable data."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    deferred: list[Deferred] = field(default_factory=list)
    noqa: NoqaMap = field(default_factory=dict)
    #: qualified class name -> qualified bases, for the project index
    classes: dict[str, list[str]] = field(default_factory=dict)
    #: the text of every line a finding (or a deferred one) is on
    lines: dict[int, str] = field(default_factory=dict)
    parsed: bool = False
    #: an internal problem (a rule crashed); the run reports it and exits 2
    error: str | None = None


# -- scope pre-filter ------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _required_literal(pattern: str) -> str | None:
    """The word every class name matching ``pattern`` contains, when the pattern is just a
    word with anchors (``Service$``, the default): a text without it needs no class scan."""
    core = pattern.removeprefix("^").removesuffix("$")
    return core if core.isidentifier() else None


def may_contain_service_code(text: str, settings: Settings) -> bool:
    """Cheap text test: does the module import lucent_runtime or define a service class?"""
    if "lucent_runtime" in text:
        return True
    literal = _required_literal(settings.service_class_pattern)
    if literal is not None and literal not in text:
        return False
    pattern = settings.service_class_regex
    return any(pattern.search(name) for name in _CLASS_NAMES.findall(text))


# -- decoding and parsing --------------------------------------------------------------------


def _position_of(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1)
    return line, column + 1


def _syntax_finding(path: str, message: str, line: int, column: int) -> Finding:
    rule = RULES[SYNTAX_ERROR]
    return Finding(
        code=SYNTAX_ERROR,
        slug=rule.slug,
        message=message,
        path=path,
        line=max(line, 1),
        column=max(column, 1),
        end_line=max(line, 1),
        end_column=max(column, 1),
    )


def decode(data: bytes, path: str) -> tuple[str | None, Finding | None]:
    """Text of a source file (BOM and PEP 263 cookie honoured), or a LUC001 finding."""
    nul = data.find(b"\0")
    if nul >= 0:
        line, column = _position_of(data, nul)
        return None, _syntax_finding(path, "source contains a null byte", line, column)
    encoding = "utf-8"
    bom = data.startswith(codecs.BOM_UTF8)
    head = data[3 if bom else 0 : 400].split(b"\n", 2)[:2]
    for raw in head:
        match = re.match(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", raw)
        if match:
            encoding = match.group(1).decode("ascii")
            break
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        return None, _syntax_finding(path, f"unknown source encoding {encoding!r}", 1, 1)
    if bom and codec != "utf-8":  # as CPython: a UTF-8 BOM contradicts another cookie
        return None, _syntax_finding(path, f"encoding problem: {encoding} with BOM", 1, 1)
    try:
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as exc:
        line, column = _position_of(data, exc.start)
        return None, _syntax_finding(
            path, f"source is not valid {encoding}: {exc.reason}", line, column
        )
    return text, None


try:  # libcst validates every node it builds, though its parser only builds valid ones
    from libcst._nodes.base import CSTNode as _CSTNode

    _VALIDATE = _CSTNode.__dict__["__post_init__"]
except (ImportError, KeyError):  # pragma: no cover - another libcst layout: validate
    _CSTNode = None


def _no_validation(self: cst.CSTNode) -> None:
    return None


def parse_module(text: str) -> cst.Module:
    """``cst.parse_module`` without the per-node validation (a fifth of the parse time;
    libcst's own comment on ``CSTNode.__post_init__`` suggests skipping it when parsing).
    Validation is off only while this call parses, in this thread's process."""
    if _CSTNode is None:  # pragma: no cover
        return cst.parse_module(text)
    _CSTNode.__post_init__ = _no_validation
    try:
        return cst.parse_module(text)
    finally:
        _CSTNode.__post_init__ = _VALIDATE


def parse(text: str, path: str) -> tuple[cst.Module | None, Finding | None]:
    try:
        return parse_module(text), None
    except cst.ParserSyntaxError as exc:
        # libcst's native parser often places the error a line or two late; CPython's
        # compiler (asked only now, on failure) knows the line and column users expect
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(text, path, "exec", ast.PyCF_ONLY_AST)
        except SyntaxError as cpython:
            if cpython.lineno:
                return None, _syntax_finding(
                    path, f"syntax error: {cpython.msg}", cpython.lineno, cpython.offset or 1
                )
        except (RecursionError, MemoryError, ValueError):
            pass
        message = " ".join(str(exc.message).split())
        return None, _syntax_finding(
            path, f"syntax error: {message}", exc.raw_line, exc.raw_column + 1
        )
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        return None, _syntax_finding(path, f"cannot parse: {type(exc).__name__}: {exc}", 1, 1)


# -- the walk ----------------------------------------------------------------------------------


class _ModuleFacts(Rule):
    """The engine's own visitor: imports and class bases for names and the index."""

    code = ""
    slug = ""
    message = ""

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.ctx.add_import(alias.asname.name.value, name)
            else:
                self.ctx.add_import(name.split(".")[0], name.split(".")[0])
                if name.startswith("lucent_runtime"):
                    self.ctx.imports_runtime = True

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted_name(node.module) if node.module is not None else ""
        source = self.ctx.absolute_module(len(node.relative), module or "")
        if isinstance(node.names, cst.ImportStar):
            self.ctx.star_imports.append(source)
            if source.startswith("lucent_runtime"):
                self.ctx.imports_runtime = True
            return
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.ctx.add_import(local, f"{source}.{name}" if source else name)
            if local[:1].isupper() and self.ctx.enclosing(cst.ClassDef, cst.FunctionDef) is None:
                # a re-export link for the project index (see project.py)
                module_name = self.ctx.module_name
                link = f"{module_name}.{local}" if module_name else local
                self.ctx.classes[link] = [self.ctx.imports[local]]
        if source == "lucent_runtime" or source.startswith("lucent_runtime."):
            self.ctx.imports_runtime = True

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if self.ctx.enclosing(cst.ClassDef, cst.FunctionDef) is not None:
            return
        bases = []
        for arg in node.bases:
            value = arg.value.value if isinstance(arg.value, cst.Subscript) else arg.value
            qualified = self.ctx.qualified_name(value)
            if qualified is not None:
                bases.append(qualified)
        module = self.ctx.module_name
        self.ctx.classes[f"{module}.{node.name.value}" if module else node.name.value] = bases


@dataclass(slots=True)
class Analysis:
    """A parsed and walked file: the tree and the raw reports (used by ``--fix``)."""

    module: cst.Module
    ctx: FileContext
    reports: list[Report]


def analyze(
    text: str,
    path: str,
    module_name: str,
    is_package: bool,
    settings: Settings,
    rules: Sequence[type[Rule]],
    module: cst.Module | None = None,
) -> tuple[Analysis | None, Finding | None]:
    """Parse ``text`` (unless ``module`` is given) and walk it once with ``rules``."""
    if module is None:
        module, error = parse(text, path)
        if module is None:
            return None, error
    walker = Walker({}, {})
    ctx = FileContext(
        path=path,
        module_name=module_name,
        is_package=is_package,
        settings=settings,
        stack=walker.stack,
    )
    for rule_cls in (_ModuleFacts, *rules):
        rule = rule_cls(ctx)
        handlers = rule_cls.handler_names()
        for node_cls, name in handlers["visit"]:
            walker.visitors.setdefault(node_cls, []).append(getattr(rule, name))
        for node_cls, name in handlers["leave"]:
            walker.leavers.setdefault(node_cls, []).append(getattr(rule, name))
    walker.walk(module)
    keep = ctx.imports_runtime
    reports = [
        r
        for r in ctx.reports
        if r.rule.global_scope
        or (
            (keep or r.in_service_class)
            and not (ctx.in_runtime_package and r.rule.code == "LUC301")
        )
    ]
    return Analysis(module, ctx, reports), None


def _span(module: cst.Module, reports: list[Report]) -> dict[int, positions.Span]:
    spans = positions.spans(module, (r.node for r in reports))
    # once per node: several rules may report the same ``def`` (LUC201 and LUC501)
    functions = {id(r.node): r.node for r in reports if isinstance(r.node, cst.FunctionDef)}
    for key, node in functions.items():
        line, column, end_line, end_column = spans[key]
        spans[key] = (line, column + positions.def_keyword_offset(node), end_line, end_column)
    return spans


def check_source(
    data: bytes,
    path: str,
    module_name: str,
    is_package: bool,
    settings: Settings,
    selection: Selection,
) -> FileResult:
    """Check one file's bytes. The result still holds deferred findings and the noqa map:
    :func:`finalize` completes it."""
    result = FileResult(path=path)
    text, problem = decode(data, path)
    if text is None:
        result.findings.append(problem)  # type: ignore[arg-type]
        return result
    if not may_contain_service_code(text, settings):
        result.classes = scan_classes(text, module_name, is_package)
        return result
    result.parsed = True
    result.noqa = parse_noqa(text)
    try:
        analysis, problem = analyze(text, path, module_name, is_package, settings, selection.rules)
    except Exception as exc:  # a rule must never take the run down
        result.error = f"{path}: internal error: {type(exc).__name__}: {exc}"
        return result
    if analysis is None:
        result.findings.append(problem)  # type: ignore[arg-type]
        return result
    result.classes = analysis.ctx.classes
    reports = analysis.reports
    if not reports and not result.noqa:
        return result
    source_lines = text.splitlines()
    for line in result.noqa:
        result.lines[line] = source_lines[line - 1]
    spans = _span(analysis.module, reports)
    for report in reports:
        line, column, end_line, end_column = spans[id(report.node)]
        if 0 < line <= len(source_lines):
            result.lines[line] = source_lines[line - 1]
        if report.deferred is not None:
            result.deferred.append(
                Deferred(
                    report.rule.code,
                    report.deferred,
                    line,
                    column + 1,
                    end_line,
                    end_column + 1,
                    report.scope,
                )
            )
            continue
        result.findings.append(
            Finding(
                code=report.rule.code,
                slug=report.rule.slug,
                message=report.message,
                path=path,
                line=line,
                column=column + 1,
                end_line=end_line,
                end_column=end_column + 1,
                fixable=report.fix is not None,
                fix_title=report.rule.fix_title if report.fix is not None else None,
                scope=report.scope,
            )
        )
    return result


def check_file(path: Path, display: str, settings: Settings, selection: Selection) -> FileResult:
    """Read and check one file from disk."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        result = FileResult(path=display)
        result.error = f"{display}: cannot read: {exc.strerror or exc}"
        return result
    module_name, is_package = module_name_for(path)
    return check_source(data, display, module_name, is_package, settings, selection)


# -- completing results ----------------------------------------------------------------------


def build_index(results: Iterable[FileResult], settings: Settings) -> ProjectIndex:
    index = ProjectIndex(extra_bases=frozenset(settings.extra_base_classes))
    for result in results:
        index.add(result.classes)
    return index


def finalize(
    result: FileResult, index: ProjectIndex, selection: Selection, ignored: frozenset[str]
) -> list[Finding]:
    """Resolve deferred findings, apply ``# noqa`` and selection, add LUC002.

    ``ignored`` holds codes switched off for this file by per-file-ignores.
    """
    findings = list(result.findings)
    for item in result.deferred:
        rule = RULES[item.code]
        message = rule.resolve(item.payload, index)
        if message is None:
            continue
        findings.append(
            Finding(
                code=item.code,
                slug=rule.slug,
                message=message,
                path=result.path,
                line=item.line,
                column=item.column,
                end_line=item.end_line,
                end_column=item.end_column,
                scope=item.scope,
            )
        )
    findings = [f for f in findings if selection.enabled(f.code) and f.code not in ignored]
    kept: list[Finding] = []
    used: dict[int, set[str]] = {}
    for finding in findings:
        entry = result.noqa.get(finding.line, False)
        if entry is not False:
            by = suppresses(entry, finding.code)  # type: ignore[arg-type]
            if by is not None:
                used.setdefault(finding.line, set()).add(by)
                continue
        kept.append(finding)
    if selection.enabled(UNUSED_NOQA) and UNUSED_NOQA not in ignored:
        kept.extend(_unused_noqa(result, used, selection))
    kept.sort(key=Finding.sort_key)
    return kept


def _unused_noqa(
    result: FileResult, used: dict[int, set[str]], selection: Selection
) -> list[Finding]:
    rule = RULES[UNUSED_NOQA]
    out = []
    for line, codes in result.noqa.items():
        if codes is None:
            continue
        unused = [
            code
            for code in codes
            if code.startswith("LUC")
            and code not in used.get(line, ())
            and selection.enabled_prefix(code)
        ]
        if not unused:
            continue
        text = result.lines.get(line, "")
        span = noqa_span(text)  # the comment itself, not a "#" inside a string before it
        column = span[0] + 1 if span is not None else 1
        out.append(
            Finding(
                code=UNUSED_NOQA,
                slug=rule.slug,
                message=rule.message.format(codes=", ".join(unused)),
                path=result.path,
                line=line,
                column=column,
                end_line=line,
                end_column=max(column, len(text) + 1),
                fixable=rule.fix_safety is not None,
                fix_title=rule.fix_title,
            )
        )
    return out
