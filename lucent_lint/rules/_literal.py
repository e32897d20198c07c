"""Renaming a string literal that holds a name (an event type): the fixes of LUC302 and
LUC303 rewrite the literal's text and keep its quotes and prefix."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from lucent_lint.engine.rule import Fix
from lucent_lint.rules._tree import parent

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext

# A literal under one of these is only part of the name that was reported:
# "Trade" + "Execute", "Trade%s" % x, "Trade{}".format(x), "Trade" "Execute".
_PART_OF = (cst.BinaryOperation, cst.Attribute, cst.ConcatenatedString)


def literal_name(node: cst.CSTNode, ctx: FileContext) -> str | None:
    """The name the literal ``node`` stands for on its own: a plain string, or an f-string
    without an interpolated part; None for anything else or a literal that is only part of
    a longer name."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if not isinstance(value, str):
            return None
    elif isinstance(node, cst.FormattedString) and all(
        isinstance(part, cst.FormattedStringText) for part in node.parts
    ):
        value = "".join(
            part.value for part in node.parts if isinstance(part, cst.FormattedStringText)
        )
    else:
        return None
    if isinstance(parent(node, ctx.stack), _PART_OF):
        return None
    return value


def renamed(node: cst.CSTNode, name: str) -> Fix:
    """The fix giving the literal ``node`` (one :func:`literal_name` accepted) the text
    ``name``: letters and digits, nothing to escape."""
    if isinstance(node, cst.SimpleString):
        fixed: cst.CSTNode = node.with_changes(value=f"{node.prefix}{node.quote}{name}{node.quote}")
    elif isinstance(node, cst.FormattedString):
        fixed = node.with_changes(parts=[cst.FormattedStringText(name)])
    else:
        raise TypeError(f"not a string literal: {type(node).__name__}")
    return Fix(replacements={node: fixed})
