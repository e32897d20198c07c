"""One read-only pass over a libcst tree, dispatching to every selected rule.

libcst's own ``module.visit()`` rebuilds every node on the way back up, which costs more
than the parse itself. Rules here only read, so the walker follows the dataclass fields of
each node directly. Which fields it follows is decided once per node class: those whose
type annotation can hold a node, less the whitespace and punctuation fields no rule looks
at. A node with no such field (a Name, a string, a number) is a leaf: the walk visits it
from its parent's loop, without a call of its own.
"""

from __future__ import annotations

import dataclasses
import typing
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


def _holds_node(annotation: object) -> bool:
    """Whether a field annotated ``annotation`` can hold a libcst node (directly, in a
    sequence, or as one member of a union)."""
    if isinstance(annotation, type):
        return issubclass(annotation, cst.CSTNode)
    return any(_holds_node(arg) for arg in typing.get_args(annotation))


#: node class -> the names of its fields that can hold a node, in field order, the
#: whitespace and punctuation fields left out
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields_of(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        hints = typing.get_type_hints(cls)
        names = tuple(
            f.name
            for f in dataclasses.fields(cls)
            if f.name not in _SKIPPED_FIELDS
            and not f.name.startswith("whitespace")
            and _holds_node(hints.get(f.name, cst.CSTNode))
        )
        _FIELDS[cls] = names
    return names


#: value class -> 0 (not a node), 1 (a node with children), 2 (a leaf: a node none of whose
#: fields can hold a node, such as Name or SimpleString). An exact-type look-up:
#: ``isinstance`` against libcst's ABC-based classes costs a Python-level
#: ``__instancecheck__`` call.
_KIND: dict[type, int] = {}


def _kind(cls: type) -> int:
    known = _KIND.get(cls)
    if known is None:
        known = (1 if _fields_of(cls) else 2) if issubclass(cls, cst.CSTNode) else 0
        _KIND[cls] = known
    return known


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The non-whitespace children of ``node``, in field order."""
    kinds = _KIND
    names = _FIELDS.get(type(node))
    if names is None:
        names = _fields_of(type(node))
    for name in names:
        value = getattr(node, name)
        cls = type(value)
        if cls is tuple or cls is list:
            for item in value:
                known = kinds.get(type(item))
                if known or (known is None and _kind(type(item))):
                    yield item
        else:
            known = kinds.get(cls)
            if known or (known is None and _kind(cls)):
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

    def _plan(self, cls: type) -> tuple[Any, tuple[str, ...], Any]:
        """For nodes of class ``cls``: their visit handlers, the fields to follow, their
        leave handlers (handlers None when there are none), in one look-up per node."""
        return (
            self.visitors.get(cls) or None,
            _FIELDS.get(cls) or _fields_of(cls),
            self.leavers.get(cls) or None,
        )

    def walk(self, node: cst.CSTNode) -> None:
        stack = self.stack
        plans: dict[type, tuple[Any, tuple[str, ...], Any]] = {}
        make_plan = self._plan
        kinds = _KIND
        kind_of = _kind
        max_depth = self.max_depth
        too_deep = f"nested more than {max_depth} levels deep"

        def walk(node: cst.CSTNode) -> None:
            cls = type(node)
            stack.append(node)
            if len(stack) > max_depth:
                raise TooDeep(too_deep)
            plan = plans.get(cls)
            if plan is None:
                plan = plans[cls] = make_plan(cls)
            handlers, names, leave = plan
            if handlers:
                for handler in handlers:
                    handler(node)
            for name in names:
                value = getattr(node, name)
                kind = type(value)
                for item in value if kind is tuple or kind is list else (value,):
                    kind = type(item)
                    known = kinds.get(kind)
                    if known is None:
                        known = kind_of(kind)
                    if known == 1:
                        walk(item)
                    elif known:  # a leaf (Name, SimpleString...): visited here, no call
                        if len(stack) >= max_depth:
                            raise TooDeep(too_deep)
                        plan = plans.get(kind)
                        if plan is None:
                            plan = plans[kind] = make_plan(kind)
                        if plan[0] or plan[2]:
                            stack.append(item)
                            if plan[0]:
                                for handler in plan[0]:
                                    handler(item)
                            if plan[2]:
                                for handler in plan[2]:
                                    handler(item)
                            stack.pop()
            if leave:
                for handler in leave:
                    handler(node)
            stack.pop()

        try:
            walk(node)
        finally:
            # the closure refers to itself: a reference cycle that would keep the handlers,
            # the rules and through them the whole tree alive until a collection
            walk = None  # type: ignore[assignment]
