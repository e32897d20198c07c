"""What a name or attribute was assigned, looked up only when a rule asks.

Rules that found a candidate (a framework call whose event type is a name, a ``.append``
on something called ``store``) ask what that name holds: the one value assigned to it in
the nearest enclosing function that binds it (closures see their outer functions), else at
module level; ``self.x`` / ``cls.x`` in the enclosing class (its body or any method);
``Events.X`` (and ``EventType.X.value``) in a class defined at module level. A name bound
more than once, or bound by a parameter, loop, ``with`` or walrus, holds no known value.

No state is kept during the walk: the first look-up in a scope indexes the names it binds
(skipping nested functions and classes; cached per scope node), and only candidates look
anything up, so files without them pay nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

import libcst as cst

from lucent_lint.engine.context import dotted_name, string_value
from lucent_lint.engine.scopes import parameters
from lucent_lint.engine.walk import children
from lucent_runtime.naming import PLACEHOLDER

__all__ = [
    "format_template",
    "percent_template",
    "resolve",
    "resolve_scoped",
    "string_literals",
    "string_templates",
]

_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")
_PERCENT_FIELD = re.compile(r"%[-#0 +]*\d*(?:\.\d+)?[sdirf]")

_SCOPES = (cst.FunctionDef, cst.Lambda)
_LITERALS = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)
_UNKNOWN = object()


Scoped = tuple[cst.BaseExpression, tuple[cst.CSTNode, ...]]


def resolve(expr: cst.BaseExpression, stack: Sequence[cst.CSTNode]) -> cst.BaseExpression | None:
    """The single value assigned to ``expr`` (a Name or an attribute of ``self``/``cls``/a
    module-level class), as seen from the innermost node of ``stack``; None if unknown.
    ``with X as name`` binds ``name`` to ``X`` (what clients and sessions do)."""
    found = resolve_scoped(expr, stack)
    return found[0] if found is not None else None


def resolve_scoped(expr: cst.BaseExpression, stack: Sequence[cst.CSTNode]) -> Scoped | None:
    """Like :func:`resolve`, with the ancestors of the value's own scope (to resolve the
    names *it* uses: ``self.x = x`` in ``__init__`` is ``__init__``'s ``x``)."""
    if isinstance(expr, cst.Name):
        return _resolve_name(expr.value, stack)
    if not isinstance(expr, cst.Attribute):
        return None
    owner, attr = expr.value, expr.attr.value
    if attr == "value" and isinstance(owner, cst.Attribute):  # EventType.TRADE_EXECUTED.value
        owner, attr = owner.value, owner.attr.value
    if not isinstance(owner, cst.Name):
        return None
    if owner.value in ("self", "cls"):
        for depth in range(len(stack) - 1, -1, -1):
            cls = stack[depth]
            if isinstance(cls, cst.ClassDef):
                entries = _class_index(cls, owner.value).get(attr, [])
                if len(entries) != 1 or not isinstance(entries[0][0], cst.BaseExpression):
                    return None
                value, method = entries[0]
                scope = (*stack[: depth + 1], method) if method is not None else stack[: depth + 1]
                return value, tuple(scope)
        return None
    module = stack[0] if stack else None
    if not isinstance(module, cst.Module):
        return None
    for statement in module.body:
        if isinstance(statement, cst.ClassDef) and statement.name.value == owner.value:
            value = _single(_scope_index(statement).get(attr, []))
            return (value, (module,)) if value is not None else None
    return None


def string_literals(
    expr: cst.BaseExpression | None, stack: Sequence[cst.CSTNode], depth: int = 0
) -> Iterator[cst.BaseExpression]:
    """The string literals (plain, f-string or implicitly concatenated) ``expr`` evaluates
    to: itself, both branches of ``a if c else b``, or what a name was assigned."""
    if expr is None or depth > 3:
        return
    if isinstance(expr, _LITERALS):
        yield expr
        return
    for value, scope in _followed(expr, stack):
        yield from string_literals(value, scope, depth + 1)


def string_templates(
    expr: cst.BaseExpression | None, stack: Sequence[cst.CSTNode], depth: int = 0
) -> Iterator[tuple[cst.BaseExpression, str]]:
    """Like :func:`string_literals`, with the value each literal stands for as a template
    (:data:`~lucent_runtime.naming.PLACEHOLDER` for what is filled in at run time): also
    ``"trade-" + trade_id``, ``"trade-%s" % trade_id`` and ``"trade-{}".format(trade_id)``,
    reported at their literal."""
    if expr is None or depth > 3:
        return
    if isinstance(expr, cst.BinaryOperation):
        if isinstance(expr.operator, cst.Add):
            parts = _added(expr)
            first = parts[0]
            if isinstance(first, _LITERALS):
                values = [string_value(part) if part is not None else None for part in parts]
                yield first, "".join(PLACEHOLDER if v is None else v for v in values)
        elif isinstance(expr.operator, cst.Modulo) and isinstance(expr.left, cst.SimpleString):
            value = string_value(expr.left)
            if value is not None:
                yield expr.left, percent_template(value)
        return
    if (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value == "format"
        and isinstance(expr.func.value, cst.SimpleString)
    ):
        value = string_value(expr.func.value)
        if value is not None:
            yield expr.func.value, format_template(value)
        return
    if isinstance(expr, _LITERALS):
        value = string_value(expr)
        if value is not None:
            yield expr, value
        return
    for value, scope in _followed(expr, stack):
        yield from string_templates(value, scope, depth + 1)


def _followed(
    expr: cst.BaseExpression, stack: Sequence[cst.CSTNode]
) -> Iterator[tuple[cst.BaseExpression, Sequence[cst.CSTNode]]]:
    """What a string argument may stand for, each with the scope to read it in: both
    branches of ``a if c else b``, or the single value a name was assigned."""
    if isinstance(expr, cst.IfExp):
        yield expr.body, stack
        yield expr.orelse, stack
    elif isinstance(expr, cst.Name | cst.Attribute):
        found = resolve_scoped(expr, stack)
        if found is not None:
            yield found


def format_template(value: str) -> str:
    """``"trade-{}"`` (a ``str.format`` pattern) as a template."""
    return _FORMAT_FIELD.sub(PLACEHOLDER, value)


def percent_template(value: str) -> str:
    """``"trade-%s"`` (a ``%`` pattern) as a template."""
    return _PERCENT_FIELD.sub(PLACEHOLDER, value)


def _added(expr: cst.BaseExpression) -> list[cst.BaseExpression | None]:
    """The operands of ``a + b + c``, None for those that are not string literals (the
    first is kept as it is, for the caller to check)."""
    if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
        left = _added(expr.left)
        right = expr.right
        return [*left, right if isinstance(right, _LITERALS) else None]
    return [expr]


# -- scopes -----------------------------------------------------------------------------------


def _single(values: list[object]) -> cst.BaseExpression | None:
    if len(values) == 1 and isinstance(values[0], cst.BaseExpression):
        return values[0]
    return None


def _resolve_name(name: str, stack: Sequence[cst.CSTNode]) -> Scoped | None:
    for depth in range(len(stack) - 1, -1, -1):
        node = stack[depth]
        if isinstance(node, _SCOPES):
            values = _scope_index(node).get(name)
            if values:
                value = _single(values)
                return (value, tuple(stack[: depth + 1])) if value is not None else None
    module = stack[0] if stack else None
    if isinstance(module, cst.Module):
        value = _single(_scope_index(module).get(name, []))
        return (value, (module,)) if value is not None else None
    return None


@lru_cache(maxsize=512)
def _scope_index(scope: cst.CSTNode) -> dict[str, list[object]]:
    """Every name a scope (a module, function, lambda or class body; nested scopes left
    out) binds, with the values: the assigned value, or an unknown marker for parameters,
    loops, augmented assignment, imports, defs. Built once per scope (nodes hash by
    identity), so many look-ups in one function cost one search."""
    index: dict[str, list[object]] = {}
    todo: list[cst.CSTNode]
    if isinstance(scope, cst.FunctionDef | cst.Lambda):
        for param in parameters(scope):
            index.setdefault(param.name.value, []).append(_UNKNOWN)
        todo = [scope.body]
    elif isinstance(scope, cst.Module):
        todo = list(scope.body)
    elif isinstance(scope, cst.ClassDef):
        todo = [scope.body]
    else:
        return index
    while todo:
        node = todo.pop()
        if isinstance(node, cst.FunctionDef | cst.ClassDef):
            index.setdefault(node.name.value, []).append(_UNKNOWN)
            continue  # a nested scope
        if isinstance(
            node, cst.Lambda | cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp
        ):
            continue
        if isinstance(node, cst.Assign):
            for target in node.targets:
                _bind(target.target, node.value, index)
        elif isinstance(node, cst.AnnAssign):
            _bind(node.target, node.value or _UNKNOWN, index)
        elif isinstance(node, cst.AugAssign | cst.NamedExpr | cst.For | cst.CompFor):
            _bind(node.target, _UNKNOWN, index)
        elif isinstance(node, cst.WithItem):
            # ``with httpx.Client() as client``: clients and sessions enter as themselves
            if node.asname is not None:
                _bind(node.asname.name, node.item, index)
            todo.append(node.item)
            continue
        elif isinstance(node, cst.AsName):
            _bind(node.name, _UNKNOWN, index)
        elif isinstance(node, cst.ImportAlias) and node.asname is None:
            head = (dotted_name(node.name) or "").split(".")[0]
            index.setdefault(head, []).append(_UNKNOWN)
        todo.extend(children(node))
    return index


def _bind(target: cst.CSTNode, value: object, index: dict[str, list[object]]) -> None:
    if isinstance(target, cst.Name):
        index.setdefault(target.value, []).append(value)
    elif isinstance(target, cst.Tuple | cst.List):
        for element in target.elements:
            _bind(element.value, _UNKNOWN, index)
    elif isinstance(target, cst.StarredElement):
        _bind(target.value, _UNKNOWN, index)


@lru_cache(maxsize=128)
def _class_index(
    cls: cst.ClassDef, owner: str
) -> dict[str, list[tuple[object, cst.FunctionDef | None]]]:
    """``attr = v`` in the class body and ``self.attr = v`` (``owner.attr``) in its
    methods, by attribute name, each with the method it is in (None for the body)."""
    index: dict[str, list[tuple[object, cst.FunctionDef | None]]] = {
        name: [(value, None) for value in values] for name, values in _scope_index(cls).items()
    }
    for statement in cls.body.body:
        if not isinstance(statement, cst.FunctionDef):
            continue
        todo: list[cst.CSTNode] = [statement.body]
        while todo:
            node = todo.pop()
            if isinstance(node, cst.Assign):
                values = [(target.target, node.value) for target in node.targets]
            elif isinstance(node, cst.AnnAssign):
                values = [(node.target, node.value or _UNKNOWN)]
            elif isinstance(node, cst.AugAssign):
                values = [(node.target, _UNKNOWN)]
            else:
                values = []
            for target, value in values:
                if _is_attribute(target, owner):
                    name = target.attr.value  # type: ignore[attr-defined]
                    index.setdefault(name, []).append((value, statement))
            todo.extend(children(node))
    return index


def _is_attribute(target: cst.CSTNode, owner: str) -> bool:
    return (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value in ("self", owner)
    )
