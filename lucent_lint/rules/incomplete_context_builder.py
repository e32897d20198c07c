"""LUC203: a BusinessContextBuilder chain without a ``for_*`` start, an aggregate or
``build()``.

A chain is read from its outermost call. One that is built there is judged at once. One
assigned to a local variable stays open while the function continues it
(``builder = builder.with_user(u)``, ``builder.with_aggregate(...)``,
``context = builder.build()``) and is judged when the function ends. A builder that leaves
the function unbuilt (returned, passed to a helper, stored on ``self``) may be completed
elsewhere and is not judged.

Fix (safe): a chain that only lacks ``build()`` gains it, when it starts with ``for_*`` and
sets its aggregate but is never built, where it is used (passed as a business context, or a
statement of its own), or where it is assigned to a variable that the function only ever
passes on (never continues with ``name.with_...()``, never reassigns). ``.build()`` goes
after the chain's last call, on a line of its own when the chain is laid out one call per
line. Anything else (a builder continued through its variable, a chain without aggregate
or ``for_*`` start) is left to its author: what it should become is not obvious.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from lucent_lint.engine.framework import BuilderChain, builder_chain, business_context_argument
from lucent_lint.engine.rule import Fix, Rule
from lucent_lint.engine.walk import iter_tree
from lucent_lint.rules._tree import scope_of


@dataclass(eq=False, slots=True)
class _Builder:
    """A builder held in local variables, not yet judged."""

    start: cst.CSTNode
    has_start: bool
    aggregate: bool
    built: bool = False
    #: left the function unbuilt (returned, passed on, stored): not judged
    escaped: bool = False
    #: passed unbuilt where a business context goes
    passed_unbuilt: bool = False
    #: when the chain assigned lacks only ``build()``: its call, the assignment and the
    #: scope the variable lives in (what its fix needs), else None
    fix_site: tuple[cst.Call, cst.Assign | cst.AnnAssign, cst.CSTNode | None] | None = None


@dataclass(slots=True)
class _Frame:
    names: dict[str, _Builder]
    created: list[_Builder]


#: parents of a Name that are not a use of a builder variable's value
_NOT_A_USE = (
    cst.Attribute,
    cst.AssignTarget,
    cst.Param,
    cst.FunctionDef,
    cst.ClassDef,
    cst.ImportAlias,
    cst.AsName,
    cst.NameItem,
)


def _problems(has_start: bool, aggregate: bool, built: bool) -> str | None:
    missing = []
    if not has_start:
        missing.append("has no for_* start")
    if not aggregate:
        missing.append("sets no aggregate (with_aggregate)")
    if not built:
        missing.append("is never built (build())")
    return "; ".join(missing) or None


class IncompleteContextBuilder(Rule):
    code = "LUC203"
    slug = "incomplete-context-builder"
    checklist = "business context for all operations"
    message = "business context builder chain {problems}"
    fix_safety = "safe"
    fix_title = "Add the missing `.build()`"

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        self._frames: list[_Frame] = [_Frame({}, [])]
        #: every variable name holding an open builder, in any frame
        self._live: set[str] = set()

    # -- frames ------------------------------------------------------------------------
    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._frames.append(_Frame({}, []))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._close(self._frames.pop())

    def leave_Module(self, node: cst.Module) -> None:
        while self._frames:
            self._close(self._frames.pop())

    def _close(self, frame: _Frame) -> None:
        for builder in frame.created:
            if builder.escaped:
                continue
            problems = _problems(
                builder.has_start, builder.aggregate, builder.built and not builder.passed_unbuilt
            )
            if problems:
                fix = None
                if builder.fix_site is not None and self.fixing:
                    call, assign, scope = builder.fix_site
                    if _only_passed_on(assign, scope):
                        fix = self.fix(call)
                self.report(builder.start, fix=fix, problems=problems)
        self._live = {name for f in self._frames for name in f.names}

    def _lookup(self, name: str) -> _Builder | None:
        for frame in reversed(self._frames):
            if name in frame.names:
                return frame.names[name]
        return None

    def _bind(self, name: str, builder: _Builder | None) -> None:
        names = self._frames[-1].names
        if builder is None:
            names.pop(name, None)
            self._live = {n for f in self._frames for n in f.names}
        else:
            names[name] = builder
            self._live.add(name)

    # -- chains ------------------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        stack = self.ctx.stack
        parent = stack[-2]
        if isinstance(parent, cst.Attribute) and parent.value is node:
            self._uncalled_build(node, parent, stack)
            return  # not the outermost call of its chain
        chain = builder_chain(node, self.ctx, self._live)
        if chain is None:
            return
        use, targets = self._use_of(node)
        if chain.variable is not None:
            self._continue(chain, use, targets)
            return
        has_start = chain.has_start
        aggregate = "with_aggregate" in chain.methods
        if chain.built or use in ("statement", "context"):
            problems = _problems(has_start, aggregate, chain.built)
            if problems:
                fix = self.fix(node) if self.fixing and _only_unbuilt(chain, node) else None
                self.report(chain.start, fix=fix, problems=problems)
            return
        if use == "assigned" and targets:
            builder = _Builder(chain.start, has_start, aggregate)
            if _only_unbuilt(chain, node) and isinstance(parent, cst.Assign | cst.AnnAssign):
                builder.fix_site = (node, parent, scope_of(stack))
            self._frames[-1].created.append(builder)
            for name in targets:
                self._bind(name, builder)
        # anything else (returned, passed on, stored on an attribute): not judged here

    def _uncalled_build(
        self, node: cst.Call, parent: cst.Attribute, stack: list[cst.CSTNode]
    ) -> None:
        """``BusinessContextBuilder.for_x().with_aggregate(...).build``: the chain ends in
        a ``build`` that is never called, so what it gives is a method, not a context."""
        if parent.attr.value != "build":
            return
        grand = stack[-3] if len(stack) > 2 else None
        if isinstance(grand, cst.Call) and grand.func is parent:
            return
        chain = builder_chain(node, self.ctx, self._live)
        if chain is None or chain.variable is not None:
            return
        problems = _problems(chain.has_start, "with_aggregate" in chain.methods, False)
        fix = None
        if self.fixing and _only_unbuilt(chain, node):
            fix = self.fix_uncalled(parent)
        self.report(chain.start, fix=fix, problems=problems)

    def _continue(self, chain: BuilderChain, use: str, targets: list[str]) -> None:
        builder = self._lookup(chain.variable or "")
        if builder is None:
            return
        builder.has_start = builder.has_start or chain.has_start
        builder.aggregate = builder.aggregate or "with_aggregate" in chain.methods
        if chain.built:
            builder.built = True
            for name in targets:  # they hold a context now
                self._bind(name, None)
            return
        if use == "assigned":
            for name in targets:
                self._bind(name, builder)
        elif use == "context":
            builder.passed_unbuilt = True
        elif use != "statement":
            builder.escaped = True

    def _use_of(self, node: cst.BaseExpression) -> tuple[str, list[str]]:
        """How the value of ``node`` is used: ``assigned`` (to the local names returned),
        ``statement``, ``context`` (the business context of a framework call) or
        ``other``."""
        stack = self.ctx.stack
        index = len(stack) - 2
        parent = stack[index]
        if isinstance(parent, cst.Assign) and parent.value is node:
            names = [t.target.value for t in parent.targets if isinstance(t.target, cst.Name)]
            if len(names) == len(parent.targets):
                return "assigned", names
            return "other", []
        if isinstance(parent, cst.AnnAssign) and parent.value is node:
            if isinstance(parent.target, cst.Name):
                return "assigned", [parent.target.value]
            return "other", []
        if isinstance(parent, cst.Expr):
            return "statement", []
        if isinstance(parent, cst.Arg) and index > 0:
            call = stack[index - 1]
            if isinstance(call, cst.Call) and business_context_argument(call) is node:
                return "context", []
        return "other", []

    # -- other uses of a builder variable ------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        if not self._live:
            return
        rebound = [
            t.target.value
            for t in node.targets
            if isinstance(t.target, cst.Name) and t.target.value in self._live
        ]
        if not rebound or builder_chain(node.value, self.ctx, self._live) is not None:
            return
        for name in rebound:  # now holds something else: what became of the builder?
            builder = self._lookup(name)
            if builder is not None and not builder.built:
                builder.escaped = True
            self._bind(name, None)

    def visit_Name(self, node: cst.Name) -> None:
        if node.value not in self._live:
            return
        stack = self.ctx.stack
        parent = stack[-2]
        if isinstance(parent, _NOT_A_USE):
            return  # a chain (builder.with_x()), an attribute name, a target, a parameter
        if isinstance(parent, cst.AnnAssign) and parent.target is node:
            return
        if isinstance(parent, cst.Arg) and parent.keyword is node:
            return
        builder = self._lookup(node.value)
        if builder is None or builder.built:
            return
        if isinstance(parent, cst.Arg) and len(stack) > 2:
            call = stack[-3]
            if isinstance(call, cst.Call) and business_context_argument(call) is node:
                builder.passed_unbuilt = True
                return
        builder.escaped = True

    # -- fix -----------------------------------------------------------------------------
    def fix(self, outer: cst.Call) -> Fix:
        """The chain whose outermost call is ``outer`` followed by ``.build()``."""
        before_dot, rpar = _layout(outer)
        built = cst.Call(
            func=cst.Attribute(
                value=outer.with_changes(lpar=(), rpar=()),
                attr=cst.Name("build"),
                dot=cst.Dot(whitespace_before=before_dot),
            ),
            lpar=outer.lpar,
            rpar=rpar,
        )
        return Fix(replacements={outer: built})

    def fix_uncalled(self, build: cst.Attribute) -> Fix:
        """The chain's uncalled ``.build`` (``build``) called: ``.build()``."""
        called = cst.Call(
            func=build.with_changes(lpar=(), rpar=()), lpar=build.lpar, rpar=build.rpar
        )
        return Fix(replacements={build: called})


def _only_unbuilt(chain: BuilderChain, outer: cst.Call) -> bool:
    """Does the chain read from ``outer`` lack only ``build()``, which its fix adds?"""
    return (
        chain.has_start
        and "with_aggregate" in chain.methods
        and not chain.built
        and isinstance(outer.func, cst.Attribute)
    )


def _layout(outer: cst.Call) -> tuple[cst.BaseParenthesizableWhitespace, Sequence[cst.RightParen]]:
    """The whitespace before ``.build()`` and the chain's closing parentheses.

    ``.build()`` takes the line break and indentation of the chain's last call, never its
    comments: a comment at the end of the line before belongs there, not also after
    ``.build()``. A comment after the last call (before the closing parenthesis) stays on
    the last call's line, with ``.build()`` on the next one."""
    before = outer.func.dot.whitespace_before  # type: ignore[attr-defined]
    rpar = outer.rpar
    if not isinstance(before, cst.ParenthesizedWhitespace):
        return before, rpar
    bare = cst.TrailingWhitespace(newline=before.first_line.newline)
    before = before.with_changes(first_line=bare, empty_lines=())
    closing = rpar[0].whitespace_before if rpar else None
    if isinstance(closing, cst.ParenthesizedWhitespace) and closing.first_line.comment:
        before = before.with_changes(first_line=closing.first_line)
        plain = cst.TrailingWhitespace(newline=closing.first_line.newline)
        rpar = [rpar[0].with_changes(whitespace_before=closing.with_changes(first_line=plain))]
        rpar += outer.rpar[1:]
    return before, rpar


def _only_passed_on(assign: cst.Assign | cst.AnnAssign, scope: cst.CSTNode | None) -> bool:
    """True when ``assign`` binds one plain name that ``scope`` never continues as a
    builder (``name.with_x()``, ``name.build()``) nor binds again."""
    if isinstance(assign, cst.Assign):
        if len(assign.targets) != 1:
            return False
        target = assign.targets[0].target
    else:
        target = assign.target
    if not isinstance(target, cst.Name) or scope is None:
        return False
    name = target.value
    for item in iter_tree(scope):
        kind = type(item)  # exact types: isinstance on libcst's ABCs costs a Python call
        if kind is cst.Attribute and _is(item.value, name):  # type: ignore[attr-defined]
            return False
        if item is assign:
            continue
        if kind is cst.Assign and any(_is(t.target, name) for t in item.targets):  # type: ignore[attr-defined]
            return False
        if kind in _TARGETED and _is(item.target, name):  # type: ignore[attr-defined]
            return False
    return True


#: the statements and expressions whose ``target`` binds a name
_TARGETED = (cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For)


def _is(expr: cst.CSTNode, name: str) -> bool:
    return type(expr) is cst.Name and expr.value == name  # type: ignore[attr-defined]
