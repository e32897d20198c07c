"""LUC604: a bare ``except:``."""

from __future__ import annotations

import libcst as cst

from lucent_lint.engine.rule import Rule


class BareExcept(Rule):
    code = "LUC604"
    slug = "bare-except"
    checklist = "error handling keeps context"
    message = (
        "bare `except:` also catches cancellation, KeyboardInterrupt and SystemExit; "
        "name the errors this block handles"
    )

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.type is None:
            self.report(node)
