"""Parse a file once with libcst and walk it once with every selected rule.

The costly half of :func:`lucent_lint.engine.check.check_source`, imported only for files that
may contain service code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from lucent_lint.config import Settings
from lucent_lint.engine import positions
from lucent_lint.engine._libcst import parse_module
from lucent_lint.engine.context import FileContext, dotted_name
from lucent_lint.engine.framework import not_a_service_by_itself
from lucent_lint.engine.project import NOT_A_SERVICE, ORM_BASE, ORM_BASE_FACTORIES
from lucent_lint.engine.registry import GLOBAL_RULES, Selection
from lucent_lint.engine.results import Deferred, FileResult, Finding
from lucent_lint.engine.rule import Report, Rule
from lucent_lint.engine.source import DEEP, is_generated, unparsable
from lucent_lint.engine.suppress import parse_noqa, source_lines
from lucent_lint.engine.walk import TooDeep, Walker
from lucent_runtime.framework import is_runtime_module

#: a line holding only whitespace and a continuation backslash, which libcst drops
_BACKSLASH_LINE = re.compile(r"^[ \t\f]*\\\r?\n", re.M)


def parse(text: str, path: str) -> tuple[cst.Module | None, str | None]:
    """The libcst tree of ``text``, which CPython has already compiled (see
    :func:`lucent_lint.engine.source.compile_problem`), or why libcst cannot represent it: the file
    is then skipped with that warning, not reported as a syntax error."""
    try:
        module = parse_module(text)
    except cst.ParserSyntaxError as exc:
        where = f"line {exc.raw_line}, column {exc.raw_column + 1}"
        return None, unparsable(path, f"libcst's parser rejects valid Python at {where}")
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        return None, unparsable(path, f"libcst's parser failed: {type(exc).__name__}")
    if _BACKSLASH_LINE.search(text) is not None and module.code != text:
        return None, unparsable(
            path, "libcst cannot represent a whitespace-only line ending in a backslash"
        )
    return module, None


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
                if is_runtime_module(name):
                    self.ctx.imports_runtime = True

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted_name(node.module) if node.module is not None else ""
        source = self.ctx.absolute_module(len(node.relative), module or "")
        if isinstance(node.names, cst.ImportStar):
            self.ctx.star_imports.append(source)
            if is_runtime_module(source):
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
        if is_runtime_module(source):
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
        if self.ctx.is_service_class(node) and not_a_service_by_itself(node, self.ctx):
            bases.append(NOT_A_SERVICE)  # its subclasses are judged on their own
        module = self.ctx.module_name
        self.ctx.classes[f"{module}.{node.name.value}" if module else node.name.value] = bases

    def visit_Assign(self, node: cst.Assign) -> None:
        # ``Base = declarative_base()``: an ORM base, recorded as a class for the index
        if len(self.ctx.stack) > 3 or not isinstance(node.value, cst.Call):
            return
        qualified = self.ctx.qualified_name(node.value.func) or ""
        if qualified.rpartition(".")[2] not in ORM_BASE_FACTORIES:
            return
        module = self.ctx.module_name
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                name = target.target.value
                self.ctx.classes[f"{module}.{name}" if module else name] = [ORM_BASE]


@dataclass(slots=True)
class Analysis:
    """A parsed and walked file: the tree and the raw reports (used by ``--fix``)."""

    module: cst.Module
    ctx: FileContext
    reports: list[Report]
    #: libcst's statements and except clauses in source order, as the walk met them
    order: tuple[list[cst.CSTNode], list[cst.CSTNode]]


def analyze(
    text: str,
    path: str,
    module_name: str,
    is_package: bool,
    settings: Settings,
    rules: Sequence[type[Rule]],
    module: cst.Module | None = None,
) -> tuple[Analysis | None, str | None]:
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
    order: tuple[list[cst.CSTNode], list[cst.CSTNode]] = ([], [])
    for found, classes in zip(order, _STATEMENT_CLASSES, strict=True):
        for node_cls in classes:  # a list's own append: no Python call per statement
            walker.visitors.setdefault(node_cls, []).append(found.append)
    walker.walk(module)
    return Analysis(module, ctx, in_scope(ctx, text), order), None


#: statement and except-clause classes, whose nodes the walk records for positions
_STATEMENT_CLASSES = positions.statement_classes()


def in_scope(ctx: FileContext, text: str) -> list[Report]:
    """The reports of a walked file that fall in service code.

    Every line of a module importing the runtime is service code (``lucent_runtime``
    itself is exempt from LUC301). Elsewhere only the body of a module-level class can be,
    once the project index shows it reaches a runtime service base: such a report waits
    for the index with the class's bases (see :meth:`Rule.resolve`). Generated files are
    never service code. LUC101/LUC102 decide their classes themselves."""
    generated = is_generated(ctx.path, text)
    reports = []
    for report in ctx.reports:
        rule = report.rule
        if rule.code in GLOBAL_RULES:
            reports.append(report)
        elif generated or (ctx.in_runtime_package and rule.code == "LUC301"):
            continue
        elif ctx.imports_runtime or rule.own_scope:
            reports.append(report)
        elif report.service_class is not None and report.deferred is None:
            bases = ctx.class_bases(report.service_class)
            if bases:
                report.deferred = {"gate": bases, "message": report.message}
                reports.append(report)
    return reports


def _span(analysis: Analysis, text: str, reports: list[Report]) -> dict[int, positions.Span]:
    spans = positions.report_spans(
        analysis.module, text, [(r.node, r.stack) for r in reports], order=analysis.order
    )
    # once per node: several rules may report the same ``def`` (LUC201 and LUC501)
    functions = {id(r.node): r.node for r in reports if isinstance(r.node, cst.FunctionDef)}
    for key, node in functions.items():
        line, column, end_line, end_column = spans[key]
        spans[key] = (line, column + positions.def_keyword_offset(node), end_line, end_column)
    return spans


def walk_into(
    result: FileResult,
    text: str,
    module_name: str,
    is_package: bool,
    settings: Settings,
    selection: Selection,
    analysis: Analysis | None = None,
) -> None:
    """Parse ``text``, walk it and fill ``result`` (findings, deferred ones, noqa, lines);
    with ``analysis`` (of ``text`` with ``selection``'s rules: ``--fix`` made one) only the
    filling is left."""
    path = result.path
    result.parsed = True
    result.noqa = parse_noqa(text)
    problem = None
    try:
        if analysis is None:
            analysis, problem = analyze(
                text, path, module_name, is_package, settings, selection.rules
            )
    except (TooDeep, RecursionError) as exc:  # a deep chain of a kind the walk keeps flat
        result.warning = unparsable(path, str(exc) if isinstance(exc, TooDeep) else DEEP)
        return
    except Exception as exc:  # a rule must never take the run down
        result.error = f"{path}: internal error: {type(exc).__name__}: {exc}"
        return
    if analysis is None:
        result.warning = problem
        return
    result.classes = analysis.ctx.classes
    reports = analysis.reports
    if not reports and not result.noqa:
        return
    lines_of = source_lines(text)
    for line in result.noqa:
        result.lines[line] = lines_of[line - 1]
    spans = _span(analysis, text, reports)
    for report in reports:
        line, column, end_line, end_column = spans[id(report.node)]
        if 0 < line <= len(lines_of):
            result.lines[line] = lines_of[line - 1]
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
                    fixable=report.fix is not None,
                    fix_title=report.rule.fix_title if report.fix is not None else None,
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
