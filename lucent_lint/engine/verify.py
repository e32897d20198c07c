"""Checking a fix before it is written: outside the nodes it replaces, the fixed module must
be the same program as the original.

Both texts are compiled by CPython to their abstract syntax trees, which are compared node
by node without positions; a node of the original that lies inside a fixed site (by line
and column) is not compared. Top-level ``from x import ...`` statements of the modules a fix
imports from may gain names, never lose any. Anything else that differs -- a statement
moved into another block because libcst did not reproduce a line, a replacement that merges
with its neighbours -- fails the check, and the fix is not applied.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Sequence

from lucent_lint.engine.suppress import source_lines

#: (line, column, end line, end column) of a fixed site: 1-based lines, 0-based columns
#: counted in characters, as :func:`lucent_lint.engine.positions.spans` gives them
Site = tuple[int, int, int, int]


def syntax_tree(text: str) -> ast.Module | None:
    """CPython's tree of ``text``, or None when it does not compile."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = compile(text, "<fix>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return tree  # type: ignore[no-any-return]


def same_outside(
    before: str,
    after: str,
    sites: Iterable[Site],
    import_sources: Sequence[str] = (),
    *,
    old: ast.Module | None = None,
) -> bool:
    """Is ``after`` the program ``before`` is, except inside ``sites`` (of ``before``) and
    for names added to imports from ``import_sources``? ``old``: CPython's tree of
    ``before``, when the caller has it (it is not changed)."""
    if old is None:
        old = syntax_tree(before)
    new = syntax_tree(after)
    if old is None or new is None:
        return False
    boxes = _byte_boxes(before, sites)
    if import_sources and not _imports_kept(old, new, frozenset(import_sources)):
        return False
    stack: list[tuple[object, object]] = [(old, new)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, ast.AST):
            if type(x) is not type(y):
                if not _inside(x, boxes):
                    return False
                continue
            if boxes and _inside(x, boxes):
                continue
            for name in x._fields:
                stack.append((getattr(x, name, None), getattr(y, name, None)))
        elif isinstance(x, list):
            if not isinstance(y, list) or len(x) != len(y):
                return False
            stack.extend(zip(x, y, strict=True))
        elif type(x) is not type(y) or (x != y and x == x):  # noqa: PLR0124 - NaN is NaN
            return False
    return True


def _byte_boxes(text: str, sites: Iterable[Site]) -> list[tuple[int, int, int, int]]:
    """``sites`` with columns in UTF-8 bytes, as CPython's tree counts them."""
    lines = source_lines(text)

    def column(line: int, characters: int) -> int:
        if 0 < line <= len(lines):
            return len(lines[line - 1][:characters].encode("utf-8"))
        return characters

    return [(a, column(a, b), c, column(c, d)) for a, b, c, d in sites]


def _inside(node: ast.AST, boxes: list[tuple[int, int, int, int]]) -> bool:
    start = (getattr(node, "lineno", None), getattr(node, "col_offset", None))
    end = (getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))
    if start[0] is None or end[0] is None:
        return False
    return any(
        (line, col) <= start and end <= (end_line, end_col)  # type: ignore[operator]
        for line, col, end_line, end_col in boxes
    )


def _imports_kept(old: ast.Module, new: ast.Module, sources: frozenset[str]) -> bool:
    """Take the top-level ``from <source> import ...`` of ``sources`` out of both modules;
    True when the fixed module still imports every name the original did."""

    def split(module: ast.Module) -> set[tuple[str, str, str | None]]:
        kept, names = [], set()
        for statement in module.body:
            if (
                isinstance(statement, ast.ImportFrom)
                and not statement.level
                and statement.module in sources
            ):
                names.update((statement.module, a.name, a.asname) for a in statement.names)
            else:
                kept.append(statement)
        module.body = kept
        return names

    return split(old) <= split(new)
