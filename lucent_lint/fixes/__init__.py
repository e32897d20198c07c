"""The fixer registry: which rules ``--fix`` can repair, how safely, and how.

One module per fixed rule (``bare_except.py`` fixes LUC604...), each defining ``FIXERS``,
a tuple of :class:`Fixer`. Rule modules stay free of fix code: the engine asks
:func:`fixer_for` when a rule reports a node (``FileContext.add_report``), so every
finding knows whether it is fixable, and :func:`attach` copies safety and title onto the
rule classes (``lucent-lint rules``, the rule docs' "Fix safety" section).

A fixer only describes the change (a :class:`~lucent_lint.engine.rule.Fix`); building fixed code
is :mod:`lucent_lint.run.fix`'s job and happens only under ``--fix`` / ``--diff``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import libcst as cst

from lucent_lint.engine.rule import Fix, FixSafety

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext
    from lucent_lint.engine.rule import Rule

MakeFix = Callable[[cst.CSTNode, "FileContext"], "Fix | None"]


@dataclass(frozen=True, slots=True)
class Fixer:
    """How findings of one rule are fixed.

    ``make_fix(node, ctx)`` gets the reported node while the engine's walk is at it
    (``ctx.stack`` holds the ancestors) and returns the change, or None when this
    occurrence has no obvious fix. Rules whose findings are not nodes (LUC002) have no
    ``make_fix``; :mod:`lucent_lint.run.fix` handles them as text.
    """

    code: str
    safety: FixSafety
    title: str
    make_fix: MakeFix | None = None

    def build(self, node: cst.CSTNode, ctx: FileContext) -> Fix | None:
        if self.make_fix is None:
            return None
        fix = self.make_fix(node, ctx)
        if fix is not None:
            fix.safety = self.safety
        return fix


@cache
def fixers() -> dict[str, Fixer]:
    """Every fixer under ``lucent_lint.fixes``, by rule code."""
    found: dict[str, Fixer] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for fixer in getattr(module, "FIXERS", ()):
            if fixer.code in found:
                raise RuntimeError(f"two fixers for {fixer.code}")
            found[fixer.code] = fixer
    return dict(sorted(found.items()))


def fixer_for(code: str) -> Fixer | None:
    return fixers().get(code)


def attach(rules: Mapping[str, type[Rule]]) -> None:
    """Copy each fixer's safety and title onto its rule class."""
    for code, fixer in fixers().items():
        rule = rules.get(code)
        if rule is not None:
            rule.fix_safety = fixer.safety
            rule.fix_title = fixer.title
