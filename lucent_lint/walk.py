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


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The non-whitespace children of ``node``, in field order."""
    for name in _fields_of(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, tuple | list):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def iter_tree(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and all its descendants (pre-order), for rules that search a subtree."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))


class Walker:
    """Walks a tree once, calling ``visit_<Node>`` before and ``leave_<Node>`` after the
    children of each node, and keeps ``stack`` (the ancestors, the current node last)."""

    def __init__(
        self,
        visitors: dict[type, list[Handler]],
        leavers: dict[type, list[Handler]],
    ) -> None:
        self.visitors = visitors
        self.leavers = leavers
        self.stack: list[cst.CSTNode] = []

    def walk(self, node: cst.CSTNode) -> None:
        stack = self.stack
        visitors = self.visitors
        leavers = self.leavers
        fields_of = _fields_of
        node_type = cst.CSTNode

        def walk(node: cst.CSTNode) -> None:
            cls = type(node)
            stack.append(node)
            handlers = visitors.get(cls)
            if handlers:
                for handler in handlers:
                    handler(node)
            for name in fields_of(cls):
                value = getattr(node, name)
                if isinstance(value, node_type):
                    walk(value)
                elif type(value) is tuple or type(value) is list:
                    for item in value:
                        if isinstance(item, node_type):
                            walk(item)
            handlers = leavers.get(cls)
            if handlers:
                for handler in handlers:
                    handler(node)
            stack.pop()

        walk(node)
