"""LUC604: ``except:`` becomes ``except Exception:``, or ``except BaseException:`` when the
block re-raises.

A block that ends in a bare ``raise`` is cleanup (a rollback, a log line) meant to run for
every exception, KeyboardInterrupt and task cancellation included: ``except Exception:``
would skip it for those, so it catches ``BaseException`` instead, which behaves exactly as
``except:``. A block that does not re-raise gets ``Exception``: the rule's point is that it
must not swallow KeyboardInterrupt and cancellation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from lucent_lint.engine.rule import Fix
from lucent_lint.engine.scopes import iter_scope
from lucent_lint.fixes import Fixer

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext


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
    caught = "BaseException" if _reraises(handler) else "Exception"
    if caught in ctx.imports:  # rebound by an import: the builtin is not meant
        return None
    fixed = handler.with_changes(
        type=cst.Name(caught),
        whitespace_after_except=cst.SimpleWhitespace(" "),
    )
    return Fix(replacements={handler: fixed})


def _reraises(handler: cst.ExceptHandler) -> bool:
    """Does the block re-raise the caught exception (a bare ``raise`` in its own scope)?"""
    return any(
        isinstance(node, cst.Raise) and node.exc is None for node in iter_scope(handler.body)
    )


FIXERS = (
    Fixer(
        "LUC604", "safe", "Catch `Exception` (`BaseException` when the block re-raises)", make_fix
    ),
)
