"""One read-only pass over a libcst tree, dispatching to every selected rule.

libcst's own ``module.visit()`` rebuilds every node on the way back up, which costs more
than the parse itself. Rules here only read, so the walker follows the dataclass fields of
each node directly and skips the whitespace and punctuation nodes no rule looks at.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import libcst as cst

# deepest nesting of nodes the engine accepts: the walk recurses one frame per level, and
# libcst's code generation (positions, fixes) a few frames per level, all well inside the
# interpreter's recursion limit (1,000 by default) at this depth
from lucent_lint.engine.source import MAX_DEPTH

Handler = Callable[[Any], None]

# Fields holding only whitespace, comments or punctuation: never walked.
_SKIPPED_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "comma",
        "semicolon",
        "colon",
        "equal",
        "dot",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "trailing_whitespace",
        "newline",
        "asynchronous",
        "star",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "whitespace",
        "operator",
        "arrow",
        "indent",
    }
)

_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields_of(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
        _FIELDS[cls] = names
    return names


#: node class -> is it a CSTNode? (``isinstance`` against libcst's ABC-based classes costs
#: a Python-level ``__instancecheck__`` call; a dict look-up by exact type does not)
_IS_NODE: dict[type, bool] = {}


def _is_node(cls: type) -> bool:
    known = _IS_NODE.get(cls)
    if known is None:
        known = _IS_NODE[cls] = issubclass(cls, cst.CSTNode)
    return known


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The non-whitespace children of ``node``, in field order."""
    is_node = _IS_NODE
    for name in _fields_of(type(node)):
        value = getattr(node, name)
        cls = type(value)
        if cls is tuple or cls is list:
            for item in value:
                known = is_node.get(type(item))
                if known or (known is None and _is_node(type(item))):
                    yield item
        else:
            known = is_node.get(cls)
            if known or (known is None and _is_node(cls)):
                yield value


def iter_tree(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and all its descendants (pre-order), for rules that search a subtree."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


class TooDeep(Exception):
    """The tree nests deeper than the linter walks (see :data:`MAX_DEPTH`)."""


class Walker:
    """Walks a tree once, calling ``visit_<Node>`` before and ``leave_<Node>`` after the
    children of each node, and keeps ``stack`` (the ancestors, the current node last).

    The walk recurses one Python call per level (the fastest way through a tree), so its
    depth is guarded: a tree deeper than ``max_depth`` raises :class:`TooDeep` before any
    handler sees a node below that depth, far from the interpreter's recursion limit. Its
    cost is linear in the size of the tree."""

    def __init__(
        self,
        visitors: dict[type, list[Handler]],
        leavers: dict[type, list[Handler]],
        max_depth: int = MAX_DEPTH,
    ) -> None:
        self.visitors = visitors
        self.leavers = leavers
        self.max_depth = max_depth
        self.stack: list[cst.CSTNode] = []

    def walk(self, node: cst.CSTNode) -> None:
        stack = self.stack
        visitors = self.visitors
        leavers = self.leavers
        fields = _FIELDS
        fields_of = _fields_of
        is_node = _IS_NODE
        check = _is_node
        max_depth = self.max_depth

        def walk(node: cst.CSTNode) -> None:
            cls = type(node)
            stack.append(node)
            if len(stack) > max_depth:
                raise TooDeep(f"nested more than {max_depth} levels deep")
            handlers = visitors.get(cls)
            if handlers:
                for handler in handlers:
                    handler(node)
            names = fields.get(cls)
            if names is None:
                names = fields_of(cls)
            for name in names:
                value = getattr(node, name)
                kind = type(value)
                if kind is tuple or kind is list:
                    for item in value:
                        known = is_node.get(type(item))
                        if known or (known is None and check(type(item))):
                            walk(item)
                else:
                    known = is_node.get(kind)
                    if known or (known is None and check(kind)):
                        walk(value)
            handlers = leavers.get(cls)
            if handlers:
                for handler in handlers:
                    handler(node)
            stack.pop()

        walk(node)
