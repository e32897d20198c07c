"""LUC002: the engine reports ``# noqa: LUC###`` comments that suppress nothing."""

from __future__ import annotations

from lucent_lint.engine.rule import Rule


class UnusedNoqa(Rule):
    code = "LUC002"
    slug = "unused-noqa"
    message = "unused `noqa` for {codes}"
    fix_title = "Remove the unused code from the `noqa` comment"
