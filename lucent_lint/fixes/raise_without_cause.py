"""LUC602: ``raise NewError(...)`` in an except block gains ``from err``.

When the handler binds no name, ``as err`` is added to it, with a name that nothing in the
surrounding function (or module) uses: Python deletes the name at the end of the block, so
an existing variable of that name must not be shadowed. A bare ``except:`` has no type to
bind a name to; LUC604's fix gives it one first, and this fix follows in the next round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from ..rule import Fix
from ..scopes import enclosing_handler, iter_scope
from . import Fixer
from ._tree import ancestors, fresh_name, names_in, scope_of

if TYPE_CHECKING:
    from ..context import FileContext

PREFERRED_NAMES = ("err", "error", "exc")


def make_fix(node: cst.CSTNode, ctx: FileContext) -> Fix | None:
    if not isinstance(node, cst.Raise) or node.exc is None or node.cause is not None:
        return None
    path = ancestors(node, ctx.stack)
    handler = enclosing_handler([*path, node])
    if handler is None or handler.type is None:
        return None
    bound = handler.name.name if handler.name is not None else None
    if bound is not None:
        if not isinstance(bound, cst.Name) or _rebound(handler, bound.value):
            return None
        return Fix(replacements={node: _with_cause(node, bound.value)})
    scope = scope_of(path)
    taken = names_in([scope] if scope is not None else [handler])
    name = fresh_name(PREFERRED_NAMES, taken)
    fixed = handler.with_changes(
        name=cst.AsName(
            name=cst.Name(name),
            whitespace_before_as=cst.SimpleWhitespace(" "),
            whitespace_after_as=cst.SimpleWhitespace(" "),
        ),
        body=handler.body.deep_replace(node, _with_cause(node, name)),
    )
    return Fix(replacements={handler: fixed})


def _with_cause(node: cst.Raise, name: str) -> cst.Raise:
    return node.with_changes(
        cause=cst.From(item=cst.Name(name), whitespace_before_from=cst.SimpleWhitespace(" "))
    )


def _rebound(handler: cst.ExceptHandler | cst.ExceptStarHandler, name: str) -> bool:
    """True when the block assigns ``name`` (the caught error is then no longer it)."""
    for item in iter_scope(handler.body):
        targets: list[cst.CSTNode] = []
        if isinstance(item, cst.Assign):
            targets = [t.target for t in item.targets]
        elif isinstance(item, cst.AnnAssign | cst.AugAssign | cst.NamedExpr):
            targets = [item.target]
        elif isinstance(item, cst.For | cst.AsName):
            targets = [item.target] if isinstance(item, cst.For) else [item.name]
        if any(isinstance(t, cst.Name) and t.value == name for t in targets):
            return True
    return False


FIXERS = (Fixer("LUC602", "safe", "Chain the caught error with `from err`", make_fix),)
