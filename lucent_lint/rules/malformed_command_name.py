"""LUC306: a command type that is not PascalCase imperative, or a target service that is
not kebab-case."""

from __future__ import annotations

from lucent_lint.rules._named_arguments import NamedArgumentRule
from lucent_runtime.naming import (
    PLACEHOLDER,
    command_type_problem,
    is_kebab_case,
    is_pascal_case,
    to_kebab_case,
    to_pascal_case,
)


class MalformedCommandName(NamedArgumentRule):
    code = "LUC306"
    slug = "malformed-command-name"
    checklist = "naming conventions"
    message = "target service {name!r} is not kebab-case (e.g. {suggestion!r})"
    parameters = ("target_service", "command_type")
    decorators = {"command_handler": "command_type"}

    def problem(self, parameter: str, value: str) -> str | None:
        if PLACEHOLDER in value:
            return None
        if parameter == "command_type":
            extra = self.ctx.settings.extra_past_tense
            if is_pascal_case(value):
                return command_type_problem(value, extra)
            suggestion = to_pascal_case(value)
            if command_type_problem(suggestion, extra) is not None:
                suggestion = "ExecuteSwap"
            return f"command type {value!r} is not PascalCase (e.g. {suggestion!r})"
        if is_kebab_case(value):
            return None
        suggestion = to_kebab_case(value)
        if not is_kebab_case(suggestion):
            suggestion = "risk-assessment"
        return self.message.format(name=value, suggestion=suggestion)
