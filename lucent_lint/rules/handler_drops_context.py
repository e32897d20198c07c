"""LUC502: a handle_domain_event callback that publishes or sends with a fresh context."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import libcst as cst

from lucent_lint.engine.context import call_name, dotted_name
from lucent_lint.engine.framework import (
    builder_chain_root,
    business_context_argument,
    domain_event_callback,
)
from lucent_lint.engine.rule import Rule
from lucent_lint.engine.scopes import (
    assigned_values,
    body_of,
    iter_scope,
    parameter,
    positional_parameters,
)
from lucent_lint.engine.walk import children

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext

Scope = cst.FunctionDef | cst.Lambda


class HandlerDropsContext(Rule):
    code = "LUC502"
    slug = "handler-drops-context"
    checklist = "handlers use handle_domain_event"
    message = (
        "`{call}` inside a handle_domain_event callback uses a freshly built business "
        "context; pass the propagated `{ctx}.business_context`"
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._reported: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        callback = domain_event_callback(node)
        if callback is None:
            return
        outer = [n for n in reversed(self.ctx.stack) if isinstance(n, Scope)]
        if isinstance(callback, cst.Lambda):
            self._check(callback, outer)
        elif isinstance(callback, cst.Name):
            for index, scope in enumerate(outer):
                found = _nested_def(scope, callback.value)
                if found is not None:
                    self._check(found, outer[index:])
                    break
        elif isinstance(callback, cst.Attribute) and dotted_name(callback.value) == "self":
            self._check_method(callback.attr.value)

    def _check_method(self, name: str) -> None:
        cls = self.ctx.enclosing_class()
        if cls is None:
            return
        for statement in cls.body.body:
            if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
                # report with the method as the innermost scope, as if walking inside it
                stack = self.ctx.stack
                saved = stack[:]
                depth = stack.index(cls) + 1
                stack[depth:] = [cls.body, statement]
                try:
                    self._check(statement, [])
                finally:
                    stack[:] = saved
                return

    def _check(self, callback: Scope, outer: list[Scope]) -> None:
        ctx_name = _context_parameter(callback)
        for call, scopes in _calls(callback, [callback]):
            if id(call) in self._reported:
                continue
            argument = business_context_argument(call)
            if argument is None or not self._fresh(argument, [*scopes, *outer]):
                continue
            self._reported.add(id(call))
            # report with the functions around the call as its scope, as if walking there
            stack = self.ctx.stack
            inner = [s for s in reversed(scopes) if isinstance(s, cst.FunctionDef)]
            if inner and inner[0] is stack[-1]:
                inner = inner[1:]
            stack.extend(inner)
            try:
                self.report(call, call=call_name(call), ctx=ctx_name)
            finally:
                del stack[len(stack) - len(inner) :]

    def _fresh(self, expr: cst.BaseExpression, scopes: list[Scope]) -> bool:
        """A builder chain (or a call of a helper method that returns one), or a name the
        nearest scope binding it assigns only from one."""
        if self._built(expr):
            return True
        if not isinstance(expr, cst.Name):
            return False
        for scope in scopes:
            values = assigned_values(scope, expr.value)
            if values:
                return all(self._built(v) for v in values)
            if parameter(scope, expr.value) is not None:
                return False
        return False

    def _built(self, expr: cst.BaseExpression) -> bool:
        """A builder chain, or ``self._helper(...)`` where ``_helper`` is a method of this
        class whose every ``return`` gives a builder chain."""
        if builder_chain_root(expr, self.ctx) is not None:
            return True
        if not (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and dotted_name(expr.func.value) == "self"
        ):
            return False
        cls = self.ctx.enclosing_class()
        if cls is None:
            return False
        name = expr.func.attr.value
        method = next(
            (s for s in cls.body.body if isinstance(s, cst.FunctionDef) and s.name.value == name),
            None,
        )
        if method is None:
            return False
        returned = [
            node.value for node in iter_scope(body_of(method)) if isinstance(node, cst.Return)
        ]
        return bool(returned) and all(
            value is not None and self._chain_in(value, method) for value in returned
        )

    def _chain_in(self, value: cst.BaseExpression, method: cst.FunctionDef) -> bool:
        """A builder chain, or a name ``method`` assigns only from builder chains."""
        if builder_chain_root(value, self.ctx) is not None:
            return True
        if not isinstance(value, cst.Name):
            return False
        values = assigned_values(method, value.value)
        return bool(values) and all(builder_chain_root(v, self.ctx) is not None for v in values)


def _context_parameter(callback: Scope) -> str:
    params = positional_parameters(callback)
    if params and params[0].name.value in ("self", "cls") and isinstance(callback, cst.FunctionDef):
        params = params[1:]
    return params[1].name.value if len(params) > 1 else "ctx"


def _nested_def(scope: Scope, name: str) -> cst.FunctionDef | None:
    """The function ``name`` defined in ``scope`` itself (the last definition wins)."""
    if isinstance(scope, cst.Lambda):
        return None
    found = None
    for node in iter_scope(body_of(scope)):
        if isinstance(node, cst.FunctionDef) and node.name.value == name:
            found = node
    return found


def _calls(node: cst.CSTNode, scopes: list[Scope]) -> Iterator[tuple[cst.Call, list[Scope]]]:
    """Every call below ``node`` with the functions around it, innermost first."""
    for child in children(node):
        kind = type(child)  # exact types: isinstance on libcst's ABCs costs a Python call
        if kind is cst.Call:
            yield child, scopes  # type: ignore[misc]
        inner = [child, *scopes] if kind is cst.FunctionDef or kind is cst.Lambda else scopes
        yield from _calls(child, inner)
