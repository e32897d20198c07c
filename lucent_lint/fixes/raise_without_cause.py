"""LUC602: ``raise NewError(...)`` in an except block gains ``from err``.

When the handler binds no name, ``as err`` is added to it, with a name that nothing in the
surrounding function (or module) uses: Python deletes the name at the end of the block, so
an existing variable of that name must not be shadowed. A bare ``except:`` has no type to
bind a name to; LUC604's fix gives it one first, and this fix follows in the next round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from lucent_lint.engine.rule import Fix
from lucent_lint.engine.scopes import enclosing_handler, iter_scope
from lucent_lint.fixes import Fixer
from lucent_lint.rules._tree import ancestors, fresh_name, names_in, scope_of

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext

PREFERRED_NAMES = ("err", "error", "exc")


def make_fix(node: cst.CSTNode, ctx: FileContext) -> Fix | None:
    if not isinstance(node, cst.Raise) or node.exc is None or node.cause is not None:
        return None
    path = ancestors(node, ctx.stack)
    handler = enclosing_handler([*path, node])
    if handler is None or handler.type is None:
        return None
    bound = handler.name.name if handler.name is not None else None
    if bound is not None:  # ``as err``: only while ``err`` is still the caught error
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
    """True unless ``name`` provably still holds the caught error wherever the block
    raises: any statement of the block that binds, deletes or re-scopes it (an assignment,
    ``del``, ``def``/``class``, an import, ``for``/``with``/``except ... as``, a walrus, a
    ``match`` capture, ``global``/``nonlocal``) makes ``from name`` unsafe."""
    return any(name in _bound_by(item) for item in iter_scope(handler.body))


def _bound_by(node: cst.CSTNode) -> set[str]:
    """The names ``node`` itself binds, deletes or declares in its scope."""
    targets: list[cst.CSTNode] = []
    if isinstance(node, cst.Assign):
        targets = [t.target for t in node.targets]
    elif isinstance(node, cst.AnnAssign | cst.AugAssign | cst.NamedExpr | cst.For):
        targets = [node.target]
    elif isinstance(node, cst.CompFor):
        return set()  # comprehension variables stay in the comprehension
    elif isinstance(node, cst.AsName):
        targets = [node.name]
    elif isinstance(node, cst.Del):
        targets = [node.target]
    elif isinstance(node, cst.FunctionDef | cst.ClassDef):
        return {node.name.value}
    elif isinstance(node, cst.ImportAlias):
        if node.asname is None:
            dotted = node.name
            while isinstance(dotted, cst.Attribute):
                dotted = dotted.value
            return {dotted.value} if isinstance(dotted, cst.Name) else set()
        return set()  # the ``as`` name is an AsName, seen on its own
    elif isinstance(node, cst.Global | cst.Nonlocal):
        return {item.name.value for item in node.names}
    elif isinstance(node, cst.MatchAs | cst.MatchStar):
        return {node.name.value} if node.name is not None else set()
    elif isinstance(node, cst.MatchMapping):
        return {node.rest.value} if node.rest is not None else set()
    names: set[str] = set()
    while targets:
        target = targets.pop()
        if isinstance(target, cst.Name):
            names.add(target.value)
        elif isinstance(target, cst.Tuple | cst.List):
            targets.extend(element.value for element in target.elements)
        elif isinstance(target, cst.StarredElement):
            targets.append(target.value)
        elif isinstance(target, cst.Del):  # pragma: no cover - not a target
            continue
    return names


FIXERS = (Fixer("LUC602", "safe", "Chain the caught error with `from err`", make_fix),)
