"""LUC102: a service whose base class does not fit the business contexts it builds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import libcst as cst

from lucent_lint.engine.framework import builder_chain, crypto_context_start
from lucent_lint.engine.project import ProjectIndex
from lucent_lint.engine.rule import Rule
from lucent_lint.rules.service_must_extend_base import direct_runtime_base

_STARTS = frozenset({"for_crypto_trading", "for_yield_farming", "for_domain"})
_CRYPTO_BASE = "CryptoTradingServiceBase"
_MISFITS = ("UserServiceBase", "LucentServiceBase")


def mismatch(found: Iterable[str]) -> str | None:
    """The runtime base that conflicts with crypto-trading contexts, if that is the one
    the class inherits (CryptoTradingServiceBase anywhere in its bases makes it fit)."""
    found = set(found)
    if _CRYPTO_BASE in found:
        return None
    for base in _MISFITS:
        if base in found:
            return base
    return None


class ServiceBaseMismatch(Rule):
    code = "LUC102"
    slug = "service-base-mismatch"
    checklist = "appropriate base class"
    own_scope = True
    message = (
        "`{name}` extends {base} but builds crypto-trading contexts ({starts}); "
        "extend CryptoTradingServiceBase"
    )

    def __init__(self, ctx: Any) -> None:
        super().__init__(ctx)
        #: one entry per open class: the crypto context starts found in its body
        self._classes: list[list[str]] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append([])

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not self._classes or not isinstance(func, cst.Attribute):
            return
        if func.attr.value not in _STARTS:
            return
        chain = builder_chain(node, self.ctx)
        if chain is None:
            return
        start = crypto_context_start(chain)
        if start is not None and start not in self._classes[-1]:
            self._classes[-1].append(start)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        starts = self._classes.pop()
        if not starts:
            return
        extra = frozenset(self.ctx.settings.extra_base_classes)
        bases = self.ctx.class_bases(node)
        if not bases:
            return  # no base, or a computed one
        direct = [d for d in (direct_runtime_base(b, extra) for b in bases) if d is not None]
        name = node.name.value
        if len(direct) == len(bases):
            base = mismatch(direct)
            if base is not None:
                self.report(node, name=name, base=base, starts=", ".join(starts))
            return
        self.defer(node, {"name": name, "bases": bases, "starts": starts})

    @classmethod
    def resolve(cls, payload: Mapping[str, Any], index: ProjectIndex) -> str | None:
        base = mismatch(index.runtime_bases(payload["bases"]))
        if base is None:
            return None
        return cls.message.format(
            name=payload["name"], base=base, starts=", ".join(payload["starts"])
        )
