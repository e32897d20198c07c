"""LUC303: a literal event type whose last word is not past tense."""

from __future__ import annotations

from lucent_runtime.naming import event_type_problem, is_pascal_case

from lucent_lint.rules._named_arguments import EventTypeRule


class EventTypeNotPastTense(EventTypeRule):
    code = "LUC303"
    slug = "event-type-not-past-tense"
    message = "event type {name!r} does not end in a past-tense verb"

    def event_type_problem(self, event_type: str) -> str | None:
        # a name that is not PascalCase is LUC302's: one finding per literal
        if not is_pascal_case(event_type):
            return None
        return event_type_problem(event_type, self.ctx.settings.extra_past_tense)
