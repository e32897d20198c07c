"""LUC303 (unsafe): ``"TradeExecute"`` becomes ``"TradeExecuted"``.

Only when the intended name is obvious: :func:`lucent_runtime.naming.past_tense_of`
inflects the last word only when it is a verb of its curated table and its participle is
spelled one way (``"OrderCancel"``, ``"FundsDeposit"``, ``"PriceFeed"`` and
``"ExecuteTrade"`` get no fix).

Unsafe: an event type is a wire name. Stored events, NATS subjects and the handlers of
other services still use the old one until they are changed too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lucent_lint.fixes import Fixer
from lucent_lint.rules._literal import literal_name, renamed
from lucent_runtime.naming import past_tense_of

if TYPE_CHECKING:
    import libcst as cst

    from lucent_lint.engine.context import FileContext
    from lucent_lint.engine.rule import Fix


def make_fix(node: cst.CSTNode, ctx: FileContext) -> Fix | None:
    value = literal_name(node, ctx)
    if value is None:
        return None
    name = past_tense_of(value, ctx.settings.extra_past_tense)
    if name is None or name == value:
        return None
    return renamed(node, name)


FIXERS = (Fixer("LUC303", "unsafe", "Rename the event type in the past tense", make_fix),)
