"""LUC302: a literal event type that is not PascalCase."""

from __future__ import annotations

from lucent_runtime.naming import is_pascal_case, to_pascal_case

from lucent_lint.rules._named_arguments import EventTypeRule


class EventTypeNotPascalCase(EventTypeRule):
    code = "LUC302"
    slug = "event-type-not-pascal-case"
    message = "event type {name!r} is not PascalCase (e.g. {suggestion!r})"

    def event_type_problem(self, event_type: str) -> str | None:
        if is_pascal_case(event_type):
            return None
        suggestion = to_pascal_case(event_type)
        if not is_pascal_case(suggestion):
            suggestion = "TradeExecuted"
        return self.message.format(name=event_type, suggestion=suggestion)
