"""LUC303: a literal event type whose last word is not past tense.

Fix (unsafe): ``"TradeExecute"`` becomes ``"TradeExecuted"``, only when the intended name
is obvious: :func:`lucent_runtime.naming.past_tense_of` inflects the last word only when it
is a verb of its curated table and its participle is spelled one way (``"OrderCancel"``,
``"FundsDeposit"``, ``"PriceFeed"`` and ``"ExecuteTrade"`` get no fix).

Unsafe: an event type is a wire name. Stored events, NATS subjects and the handlers of
other services still use the old one until they are changed too.
"""

from __future__ import annotations

import libcst as cst

from lucent_lint.engine.rule import Fix
from lucent_lint.rules._literal import literal_name, renamed
from lucent_lint.rules._named_arguments import EventTypeRule
from lucent_runtime.naming import event_type_problem, is_pascal_case, past_tense_of


class EventTypeNotPastTense(EventTypeRule):
    code = "LUC303"
    slug = "event-type-not-past-tense"
    message = "event type {name!r} does not end in a past-tense verb"
    fix_safety = "unsafe"
    fix_title = "Rename the event type in the past tense"

    def event_type_problem(self, event_type: str) -> str | None:
        # a name that is not PascalCase is LUC302's: one finding per literal
        if not is_pascal_case(event_type):
            return None
        return event_type_problem(event_type, self.ctx.settings.extra_past_tense)

    def fix(self, literal: cst.BaseExpression) -> Fix | None:
        value = literal_name(literal, self.ctx)
        if value is None:
            return None
        name = past_tense_of(value, self.ctx.settings.extra_past_tense)
        if name is None or name == value:
            return None
        return renamed(literal, name)
