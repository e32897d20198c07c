"""LUC306: a command type that is not PascalCase imperative, or a target service that is
not kebab-case."""

from __future__ import annotations

import re

from lucent_runtime.naming import (
    PLACEHOLDER,
    command_type_problem,
    is_kebab_case,
    is_pascal_case,
    to_pascal_case,
)

from ..named_arguments import NamedArgumentRule


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
        return self.message.format(name=value, suggestion=_kebab(value) or "risk-assessment")


def _kebab(name: str) -> str:
    """``RiskAssessment`` / ``risk_assessment`` / ``Risk Assessment`` -> ``risk-assessment``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name.strip())
    kebab = re.sub(r"[^a-z0-9]+", "-", spaced.lower()).strip("-")
    return kebab if is_kebab_case(kebab) else ""
