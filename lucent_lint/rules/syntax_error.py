"""LUC001: the engine reports files that do not decode or parse."""

from __future__ import annotations

from lucent_lint.engine.rule import Rule


class SyntaxErrorRule(Rule):
    code = "LUC001"
    slug = "syntax-error"
    message = "{detail}"
