"""LUC202: None, a dict or a hand-made BusinessContext where a business context goes.

A name (or ``self.x``) given as the context is followed to its value with
:func:`lucent_lint.engine.bindings.resolve`, but only when the file has already assigned such a
value to a name of that spelling: the lookup searches whole functions, and most contexts
are built properly.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from lucent_lint.engine.bindings import resolve
from lucent_lint.engine.context import dotted_name
from lucent_lint.engine.framework import business_context_argument, framework_method
from lucent_lint.engine.rule import Rule


class BusinessContextNotFromBuilder(Rule):
    code = "LUC202"
    slug = "business-context-not-from-builder"
    checklist = "business context for all operations"
    message = (
        "`{method}` gets {what} as its business context, not one built by BusinessContextBuilder"
    )

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        #: names (and attribute names) assigned None, a dict or a BusinessContext(...)
        self._suspects: set[str] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._not_built(node.value) is not None:
            for target in node.targets:
                self._suspect(target.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and self._not_built(node.value) is not None:
            self._suspect(node.target)

    def _suspect(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._suspects.add(target.value)
        elif isinstance(target, cst.Attribute):
            self._suspects.add(target.attr.value)

    def visit_Call(self, node: cst.Call) -> None:
        method = framework_method(node)
        if method is None:
            return
        argument = business_context_argument(node)
        if argument is None:
            return
        what = self._not_built(argument)
        if what is None and self._may_hold_one(argument):
            value = resolve(argument, self.ctx.stack)
            if value is not None:
                what = self._not_built(value)
                if what is not None:
                    what = f"{what} (through `{dotted_name(argument)}`)"
        if what is not None:
            self.report(node, method=method, what=what)

    def _may_hold_one(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.Name):
            return expr.value in self._suspects
        return isinstance(expr, cst.Attribute) and expr.attr.value in self._suspects

    def _not_built(self, expr: cst.BaseExpression) -> str | None:
        if isinstance(expr, cst.Name):
            return "None" if expr.value == "None" else None
        if isinstance(expr, cst.Dict | cst.DictComp):
            return "a dict literal"
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Name) and func.value == "dict":
                return "a dict"
            if self.ctx.is_runtime_name(func, "BusinessContext"):
                return "a BusinessContext(...) made by hand"
        return None
