"""LUC301: events appended to the store by hand instead of through the framework."""

from __future__ import annotations

import libcst as cst

from ..context import dotted_name
from ..rule import Rule

_APPEND_METHODS = frozenset({"append", "append_to_stream", "appendToStream", "append_events"})
_STORE_NAMES = ("event_store", "eventstore", "eventStore", "store")


class RawEventStoreAppend(Rule):
    code = "LUC301"
    slug = "raw-event-store-append"
    checklist = "events through the framework"
    message = "`{call}` appends to the event store directly; events carry no business context"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) and func.value in ("append_to_stream", "appendToStream"):
            self.report(node, call=func.value + "(...)")
            return
        if not isinstance(func, cst.Attribute) or func.attr.value not in _APPEND_METHODS:
            return
        target = dotted_name(func.value)
        if target is None:
            return
        owner = target.rpartition(".")[2]
        if func.attr.value != "append" or any(
            owner == name or owner.lower().endswith(name.lower()) for name in _STORE_NAMES
        ):
            if func.attr.value == "append" and owner == "store" and "event" not in target.lower():
                return
            self.report(node, call=f"{target}.{func.attr.value}(...)")
