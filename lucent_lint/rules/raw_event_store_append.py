"""LUC301: events appended to the store by hand instead of through the framework."""

from __future__ import annotations

import libcst as cst

from lucent_lint.engine.framework import event_store_append
from lucent_lint.engine.rule import Rule


class RawEventStoreAppend(Rule):
    code = "LUC301"
    slug = "raw-event-store-append"
    checklist = "events through the framework"
    message = "`{call}` appends to the event store directly; events carry no business context"

    def visit_Call(self, node: cst.Call) -> None:
        call = event_store_append(node, self.ctx.stack)
        if call is not None:
            self.report(node, call=call)
