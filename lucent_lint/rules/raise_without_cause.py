"""LUC602: a new error raised inside an except block without ``from err``.

Fix (safe): the ``raise`` gains ``from err``. When the handler binds no name, ``as err`` is
added to it, with a name that nothing in the surrounding function (or module) uses: Python
deletes the name at the end of the block, so an existing variable of that name must not be
shadowed. A bare ``except:`` has no type to bind a name to; LUC604's fix gives it one
first, and this fix follows in the next round.
"""

from __future__ import annotations

import libcst as cst

from lucent_lint.engine.context import dotted_name
from lucent_lint.engine.rule import Fix, Rule
from lucent_lint.engine.scopes import caught_names, enclosing_handler, iter_scope
from lucent_lint.rules._tree import fresh_name, names_in, scope_of

PREFERRED_NAMES = ("err", "error", "exc")


class RaiseWithoutCause(Rule):
    code = "LUC602"
    slug = "raise-without-cause"
    checklist = "error handling keeps context"
    message = (
        "`raise {name}` inside an except block does not chain the caught error; add `from {cause}`"
    )
    fix_safety = "safe"
    fix_title = "Chain the caught error with `from err`"

    def visit_Raise(self, node: cst.Raise) -> None:
        if node.exc is None or node.cause is not None:
            return
        name = _new_error_name(node.exc)
        if name is None:
            return
        stack = self.ctx.stack
        handler = enclosing_handler(stack)
        if handler is None:
            return
        if isinstance(node.exc, cst.Name):
            # ``raise err``: the caught error re-raised is fine; a lower-case name is an
            # error object, flagged only when built in this block
            if name in caught_names(stack):
                return
            if name[:1].islower() and not _built_here(handler, name):
                return
        bound = handler.name.name if handler.name is not None else None
        cause = bound.value if isinstance(bound, cst.Name) else "err"
        fix = self.fix(node, handler, stack) if self.fixing else None
        self.report(node, fix=fix, name=name, cause=cause)

    def fix(
        self,
        node: cst.Raise,
        handler: cst.ExceptHandler | cst.ExceptStarHandler,
        stack: list[cst.CSTNode],
    ) -> Fix | None:
        """``node`` (raised in ``handler``, ``stack`` its ancestors and itself) with
        ``from`` the caught error, binding it in the handler when it is not yet; None for
        a bare ``except:`` or a bound name that may no longer hold the caught error."""
        if handler.type is None:
            return None
        bound = handler.name.name if handler.name is not None else None
        if bound is not None:  # ``as err``: only while ``err`` is still the caught error
            if not isinstance(bound, cst.Name) or _rebound(handler, bound.value):
                return None
            return Fix(replacements={node: _with_cause(node, bound.value)})
        scope = scope_of(stack)
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


def _new_error_name(exc: cst.BaseExpression) -> str | None:
    """The class name of ``NewError(...)`` / ``NewError`` / ``errors.NewError(...)``; the
    bare name for ``raise err`` (checked by the caller); None for anything else (an error
    returned by a call such as ``self._wrap(err)``, ``errors[0]``)."""
    if isinstance(exc, cst.Name):
        return exc.value
    target = exc.func if isinstance(exc, cst.Call) else exc
    dotted = dotted_name(target)
    if dotted is None:
        return None
    last = dotted.rpartition(".")[2]
    return last if last[:1].isupper() else None


def _built_here(handler: cst.ExceptHandler | cst.ExceptStarHandler, name: str) -> bool:
    """``name = NewError(...)`` in the except block, with no ``name.__cause__ = ...``."""
    built = False
    for node in iter_scope(handler.body):
        if not isinstance(node, cst.Assign):
            continue
        for target in node.targets:
            t = target.target
            if isinstance(t, cst.Name) and t.value == name:
                new = _new_error_name(node.value)
                built = new is not None and new[:1].isupper()
            elif (
                isinstance(t, cst.Attribute)
                and t.attr.value == "__cause__"
                and dotted_name(t.value) == name
            ):
                return False
    return built


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
