"""LUC604: ``except:`` becomes ``except Exception:``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from ..rule import Fix
from . import Fixer

if TYPE_CHECKING:
    from ..context import FileContext


def _handler(node: cst.CSTNode, ctx: FileContext) -> cst.ExceptHandler | None:
    if isinstance(node, cst.ExceptHandler):
        return node
    for parent in reversed(ctx.stack):
        if isinstance(parent, cst.ExceptHandler):
            return parent
    return None


def make_fix(node: cst.CSTNode, ctx: FileContext) -> Fix | None:
    handler = _handler(node, ctx)
    if handler is None or handler.type is not None:
        return None
    if "Exception" in ctx.imports:  # rebound by an import: the builtin is not meant
        return None
    fixed = handler.with_changes(
        type=cst.Name("Exception"),
        whitespace_after_except=cst.SimpleWhitespace(" "),
    )
    return Fix(replacements={handler: fixed})


FIXERS = (Fixer("LUC604", "safe", "Catch `Exception` instead of everything", make_fix),)
