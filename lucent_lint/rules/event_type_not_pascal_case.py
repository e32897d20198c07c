"""LUC302: a literal event type that is not PascalCase."""

from __future__ import annotations

from lucent_runtime.naming import PLACEHOLDER, is_pascal_case, to_pascal_case

from ..named_arguments import NamedArgumentRule


class EventTypeNotPascalCase(NamedArgumentRule):
    code = "LUC302"
    slug = "event-type-not-pascal-case"
    checklist = "naming conventions"
    message = "event type {name!r} is not PascalCase (e.g. {suggestion!r})"
    parameters = ("event_type",)
    decorators = {"event_handler": "event_type"}

    def problem(self, parameter: str, value: str) -> str | None:
        if PLACEHOLDER in value or is_pascal_case(value):
            return None
        suggestion = to_pascal_case(value)
        if not is_pascal_case(suggestion):
            suggestion = "TradeExecuted"
        return self.message.format(name=value, suggestion=suggestion)
