"""LUC101: a service class that inherits from none of the runtime's service base classes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import libcst as cst

from lucent_runtime.framework import is_runtime_module

from lucent_lint.engine.framework import not_a_service_by_itself
from lucent_lint.engine.project import RUNTIME_BASES, ProjectIndex
from lucent_lint.engine.rule import Rule

#: a zope interface's conventional name (``IService``): with ``Interface`` up its
#: hierarchy, an interface too
_INTERFACE_NAME = re.compile(r"I[A-Z]")


def direct_runtime_base(qualified: str, extra: frozenset[str]) -> str | None:
    """The runtime (or configured) base ``qualified`` names by itself, without the index."""
    module, _, last = qualified.rpartition(".")
    if qualified in extra or last in extra:
        return qualified
    if last in RUNTIME_BASES and is_runtime_module(module):
        return last
    return None


class ServiceMustExtendBase(Rule):
    code = "LUC101"
    slug = "service-must-extend-base"
    checklist = "extends base class"
    message = (
        "service class `{name}` does not extend LucentServiceBase, CryptoTradingServiceBase "
        "or UserServiceBase"
    )
    own_scope = True

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        ctx = self.ctx
        if not ctx.is_service_class(node) or ctx.enclosing_function() is not None:
            return  # not named like a service, or defined inside a function
        if not_a_service_by_itself(node, ctx):
            return
        bases = ctx.class_bases(node)
        if bases is None:
            return  # a computed base (``make_base()``): unknowable
        extra = frozenset(ctx.settings.extra_base_classes)
        if any(direct_runtime_base(base, extra) is not None for base in bases):
            return
        if not bases:
            self.report(node, name=node.name.value)
            return
        self.defer(node, {"name": node.name.value, "bases": bases})

    @classmethod
    def resolve(cls, payload: Mapping[str, Any], index: ProjectIndex) -> str | None:
        name = payload["name"]
        if index.judge_unadopted(payload["bases"], interface=bool(_INTERFACE_NAME.match(name))):
            return None
        return cls.message.format(name=name)
