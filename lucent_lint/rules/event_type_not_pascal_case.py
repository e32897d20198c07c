"""LUC302: a literal event type that is not PascalCase.

Fix (unsafe): ``"trade_executed"`` becomes ``"TradeExecuted"``, only when the intended name
is obvious: the literal's words joined in PascalCase
(:func:`lucent_runtime.naming.to_pascal_case`, an all-capitals name read as lower case
words) make a valid event type, past tense included (``"trade_execute"`` is left alone).
A name that is PascalCase but not past tense is LUC303's, fixed by that rule.

Unsafe: an event type is a wire name. Stored events, NATS subjects and the handlers of
other services still use the old one until they are changed too.
"""

from __future__ import annotations

import libcst as cst

from lucent_lint.engine.rule import Fix
from lucent_lint.rules._literal import literal_name, renamed
from lucent_lint.rules._named_arguments import EventTypeRule
from lucent_runtime.naming import event_type_problem, is_pascal_case, to_pascal_case


class EventTypeNotPascalCase(EventTypeRule):
    code = "LUC302"
    slug = "event-type-not-pascal-case"
    message = "event type {name!r} is not PascalCase (e.g. {suggestion!r})"
    fix_safety = "unsafe"
    fix_title = "Rename the event type in PascalCase"

    def event_type_problem(self, event_type: str) -> str | None:
        if is_pascal_case(event_type):
            return None
        suggestion = to_pascal_case(event_type)
        if not is_pascal_case(suggestion):
            suggestion = "TradeExecuted"
        return self.message.format(name=event_type, suggestion=suggestion)

    def fix(self, literal: cst.BaseExpression) -> Fix | None:
        value = literal_name(literal, self.ctx)
        if value is None:
            return None
        # SCREAMING_CASE words are words too: "PORTFOLIO_UNCHANGED" -> "PortfolioUnchanged"
        name = to_pascal_case(value.lower() if value.upper() == value else value)
        if name == value or not is_pascal_case(name):
            return None
        if event_type_problem(name, self.ctx.settings.extra_past_tense) is not None:
            return None
        return renamed(literal, name)
