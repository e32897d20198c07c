"""LUC203: a builder chain that only lacks ``build()`` gains it.

Fixed: a chain that starts with ``for_*`` and sets its aggregate but is never built, where
it is used (passed as a business context, or a statement of its own), or where it is
assigned to a variable that the function only ever passes on (never continues with
``name.with_...()``, never reassigns). ``.build()`` goes after the chain's last call, on a
line of its own when the chain is laid out one call per line. Anything else (a builder
continued through its variable, a chain without aggregate or ``for_*`` start) is left to
its author: what it should become is not obvious.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst

from lucent_lint.engine.framework import builder_chain
from lucent_lint.engine.rule import Fix
from lucent_lint.engine.walk import iter_tree
from lucent_lint.fixes import Fixer
from lucent_lint.rules._tree import ancestors, scope_of

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext


def make_fix(node: cst.CSTNode, ctx: FileContext) -> Fix | None:
    path = ancestors(node, ctx.stack)
    outer, parent = _chain_top(node, path)
    if not isinstance(outer, cst.Call) or not isinstance(outer.func, cst.Attribute):
        return None
    chain = builder_chain(outer, ctx)
    if chain is None or chain.start is not node or chain.variable is not None:
        return None
    if not chain.has_start or "with_aggregate" not in chain.methods or chain.built:
        return None
    assigned = isinstance(parent, cst.Assign | cst.AnnAssign) and parent.value is outer
    if assigned and not _only_passed_on(parent, scope_of(path)):  # type: ignore[arg-type]
        return None
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


def _chain_top(
    node: cst.CSTNode, path: list[cst.CSTNode]
) -> tuple[cst.CSTNode, cst.CSTNode | None]:
    """The outermost call of the chain that starts at ``node``, and its parent."""
    current = node
    for parent in reversed(path):
        if (isinstance(parent, cst.Attribute) and parent.value is current) or (
            isinstance(parent, cst.Call) and parent.func is current
        ):
            current = parent
            continue
        return current, parent
    return current, None


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
        if isinstance(item, cst.Attribute) and _is(item.value, name):
            return False
        if item is assign:
            continue
        if isinstance(item, cst.Assign) and any(_is(t.target, name) for t in item.targets):
            return False
        targeted = isinstance(item, cst.AnnAssign | cst.AugAssign | cst.NamedExpr | cst.For)
        if targeted and _is(item.target, name):  # type: ignore[union-attr]
            return False
    return True


def _is(expr: cst.CSTNode, name: str) -> bool:
    return isinstance(expr, cst.Name) and expr.value == name


FIXERS = (Fixer("LUC203", "safe", "Add the missing `.build()`", make_fix),)
