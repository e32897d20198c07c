"""LUC302 (unsafe): ``"trade_executed"`` becomes ``"TradeExecuted"``.

Only when the intended name is obvious: the literal's words joined in PascalCase
(:func:`lucent_runtime.naming.to_pascal_case`, an all-capitals name read as lower case
words) make a valid event type, past tense included (``"trade_execute"`` is left alone).
A name that is PascalCase but not past tense is LUC303's, fixed by its own fixer.

Unsafe: an event type is a wire name. Stored events, NATS subjects and the handlers of
other services still use the old one until they are changed too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lucent_lint.fixes import Fixer
from lucent_lint.rules._literal import literal_name, renamed
from lucent_runtime.naming import event_type_problem, is_pascal_case, to_pascal_case

if TYPE_CHECKING:
    import libcst as cst

    from lucent_lint.engine.context import FileContext
    from lucent_lint.engine.rule import Fix


def make_fix(node: cst.CSTNode, ctx: FileContext) -> Fix | None:
    value = literal_name(node, ctx)
    if value is None:
        return None
    # SCREAMING_CASE words are words too: "PORTFOLIO_UNCHANGED" -> "PortfolioUnchanged"
    name = to_pascal_case(value.lower() if value.upper() == value else value)
    if name == value or not is_pascal_case(name):
        return None
    if event_type_problem(name, ctx.settings.extra_past_tense) is not None:
        return None
    return renamed(node, name)


FIXERS = (Fixer("LUC302", "unsafe", "Rename the event type in PascalCase", make_fix),)
