"""LUC604: a bare ``except:``.

Fix (safe): ``except:`` becomes ``except Exception:``, or ``except BaseException:`` when
the block re-raises. A block that ends in a bare ``raise`` is cleanup (a rollback, a log
line) meant to run for every exception, KeyboardInterrupt and task cancellation included:
``except Exception:`` would skip it for those, so it catches ``BaseException`` instead,
which behaves exactly as ``except:``. A block that does not re-raise gets ``Exception``:
the rule's point is that it must not swallow KeyboardInterrupt and cancellation.
"""

from __future__ import annotations

import libcst as cst

from lucent_lint.engine.rule import Fix, Rule
from lucent_lint.engine.scopes import iter_scope


class BareExcept(Rule):
    code = "LUC604"
    slug = "bare-except"
    checklist = "error handling keeps context"
    message = (
        "bare `except:` also catches cancellation, KeyboardInterrupt and SystemExit; "
        "name the errors this block handles"
    )
    fix_safety = "safe"
    fix_title = "Catch `Exception` (`BaseException` when the block re-raises)"

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is None:
            self.report(node, fix=self.fix(node) if self.fixing else None)

    def fix(self, handler: cst.ExceptHandler) -> Fix | None:
        """The bare ``handler`` catching ``Exception`` (``BaseException`` when it
        re-raises); None when that name is rebound by an import here."""
        caught = "BaseException" if _reraises(handler) else "Exception"
        if caught in self.ctx.imports:  # rebound by an import: the builtin is not meant
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
