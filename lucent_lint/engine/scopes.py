"""Searches inside one function or block that stop at nested scopes.

A ``raise`` inside a nested ``def`` does not re-raise for the block around it, and a name
assigned inside a nested ``def`` is not the outer function's variable. These helpers walk a
subtree with :func:`lucent_lint.engine.walk.children` but do not enter nested functions, lambdas or
classes; rules call them only once a candidate node has been found.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import libcst as cst

from lucent_lint.engine.walk import children

NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
EXCEPT_HANDLERS = (cst.ExceptHandler, cst.ExceptStarHandler)


def iter_scope(nodes: cst.CSTNode | Iterable[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """``nodes`` and their descendants (pre-order), not entering nested scopes (a nested
    scope node itself is yielded, its inside is not)."""
    stack = [nodes] if isinstance(nodes, cst.CSTNode) else list(nodes)
    stack.reverse()
    while stack:
        current = stack.pop()
        yield current
        if type(current) not in NESTED_SCOPES:  # exact: isinstance on libcst's ABCs is slow
            stack.extend(reversed(list(children(current))))


def body_of(node: cst.FunctionDef | cst.Lambda | cst.BaseSuite) -> list[cst.CSTNode]:
    """The statements (or the expression, for a lambda) of a function or suite."""
    if isinstance(node, cst.Lambda):
        return [node.body]
    suite = node.body if isinstance(node, cst.FunctionDef) else node
    if isinstance(suite, cst.IndentedBlock | cst.SimpleStatementSuite):
        return list(suite.body)
    return []


def assigned_values(scope: cst.FunctionDef | cst.Lambda, name: str) -> list[cst.BaseExpression]:
    """The values a plain ``name = value`` / ``name: T = value`` assigns in ``scope`` itself
    (walrus included), in source order."""
    out: list[cst.BaseExpression] = []
    for node in iter_scope(body_of(scope)):
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, cst.AnnAssign | cst.NamedExpr) and node.value is not None:
            targets = [node.target]
        else:
            continue
        if any(isinstance(t, cst.Name) and t.value == name for t in targets):
            out.append(node.value)
    return out


def parameters(scope: cst.FunctionDef | cst.Lambda) -> list[cst.Param]:
    """Every parameter of ``scope``: positional, keyword-only, ``*args`` and ``**kwargs``."""
    params = scope.params
    return [
        *params.posonly_params,
        *params.params,
        *params.kwonly_params,
        *(p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param)),
    ]


def parameter(scope: cst.FunctionDef | cst.Lambda, name: str) -> cst.Param | None:
    """The parameter ``name`` of ``scope``, if it has one."""
    return next((param for param in parameters(scope) if param.name.value == name), None)


def positional_parameters(scope: cst.FunctionDef | cst.Lambda) -> list[cst.Param]:
    params = scope.params
    return [*params.posonly_params, *params.params]


def caught_names(stack: Iterable[cst.CSTNode]) -> set[str]:
    """Names bound by the ``except ... as name`` blocks around the innermost scope of
    ``stack`` (an ancestor list, outermost first)."""
    names: set[str] = set()
    for node in reversed(list(stack)):
        if isinstance(node, NESTED_SCOPES):
            break
        if isinstance(node, EXCEPT_HANDLERS) and node.name is not None:
            target = node.name.name
            if isinstance(target, cst.Name):
                names.add(target.value)
    return names


def enclosing_handler(stack: list[cst.CSTNode]) -> cst.ExceptHandler | cst.ExceptStarHandler | None:
    """The innermost except block around the current node (the last of ``stack``) within
    its own scope, or None."""
    for node in reversed(stack[:-1]):
        kind = type(node)  # exact types: isinstance on libcst's ABCs costs a Python call
        if kind in NESTED_SCOPES:
            return None
        if kind in EXCEPT_HANDLERS:
            return node  # type: ignore[return-value]
    return None
