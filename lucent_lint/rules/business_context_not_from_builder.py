"""LUC202: None, a dict or a hand-made BusinessContext where a business context goes."""

from __future__ import annotations

import libcst as cst

from ..api import business_context_argument, framework_method
from ..bindings import resolve
from ..context import dotted_name
from ..rule import Rule


class BusinessContextNotFromBuilder(Rule):
    code = "LUC202"
    slug = "business-context-not-from-builder"
    checklist = "business context for all operations"
    message = (
        "`{method}` gets {what} as its business context, not one built by BusinessContextBuilder"
    )

    def visit_Call(self, node: cst.Call) -> None:
        method = framework_method(node)
        if method is None:
            return
        argument = business_context_argument(node)
        if argument is None:
            return
        what = self._not_built(argument)
        if what is None and isinstance(argument, cst.Name | cst.Attribute):
            value = resolve(argument, self.ctx.stack)
            if value is not None:
                what = self._not_built(value)
                if what is not None:
                    what = f"{what} (through `{dotted_name(argument)}`)"
        if what is not None:
            self.report(node, method=method, what=what)

    def _not_built(self, expr: cst.BaseExpression) -> str | None:
        if isinstance(expr, cst.Name) and expr.value == "None":
            return "None"
        if isinstance(expr, cst.Dict | cst.DictComp):
            return "a dict literal"
        if isinstance(expr, cst.Call):
            func = expr.func
            if isinstance(func, cst.Name) and func.value == "dict":
                return "a dict"
            if self.ctx.is_runtime_name(func, "BusinessContext"):
                return "a BusinessContext(...) made by hand"
        return None
