"""LUC204: a framework call that does not pass the business context at all."""

from __future__ import annotations

import libcst as cst

from lucent_lint.engine.framework import business_context_presence, framework_method
from lucent_lint.engine.rule import Rule


class MissingBusinessContextArgument(Rule):
    code = "LUC204"
    slug = "missing-business-context-argument"
    checklist = "business context for all operations"
    message = "`{method}` is called without its business context"

    def visit_Call(self, node: cst.Call) -> None:
        method = framework_method(node)
        if method is not None and business_context_presence(node) == "missing":
            self.report(node, method=method)
