"""LUC303: a literal event type whose last word is not past tense."""

from __future__ import annotations

from lucent_runtime.naming import PLACEHOLDER, event_type_problem, is_pascal_case

from ..named_arguments import NamedArgumentRule


class EventTypeNotPastTense(NamedArgumentRule):
    code = "LUC303"
    slug = "event-type-not-past-tense"
    checklist = "naming conventions"
    message = "event type {name!r} does not end in a past-tense verb"
    parameters = ("event_type",)
    decorators = {"event_handler": "event_type"}

    def problem(self, parameter: str, value: str) -> str | None:
        # a name that is not PascalCase is LUC302's: one finding per literal
        if PLACEHOLDER in value or not is_pascal_case(value):
            return None
        return event_type_problem(value, self.ctx.settings.extra_past_tense)
