"""LUC101: a service class that inherits from none of the runtime's service base classes.

Fix (unsafe): the class gains the base its business contexts call for. Only a class with
no base at all is fixed (one with bases, even ``object``, is judged across files and left
to its author), and only when every context it builds points the same way: crypto-trading
or yield-farming contexts give ``CryptoTradingServiceBase``, user-management ones
``UserServiceBase``, other domains (``for_domain(...)``) ``LucentServiceBase``. A class that
builds none, or a mix, is left alone. ``from lucent_runtime import ...`` is added when the
name is not imported yet.

Unsafe: the class now runs the base's ``__init__`` and gains its methods, so how it is
constructed and what its attributes mean can change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import libcst as cst

from lucent_lint.engine.context import RUNTIME, call_argument, string_value
from lucent_lint.engine.framework import (
    builder_chain,
    crypto_context_start,
    not_a_service_by_itself,
)
from lucent_lint.engine.project import RUNTIME_BASES, ProjectIndex
from lucent_lint.engine.rule import Fix, Rule
from lucent_lint.engine.walk import iter_tree
from lucent_runtime.framework import is_runtime_module

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext

#: a zope interface's conventional name (``IService``): with ``Interface`` up its
#: hierarchy, an interface too
_INTERFACE_NAME = re.compile(r"I[A-Z]")

_STARTS = frozenset(
    {"for_crypto_trading", "for_yield_farming", "for_user_management", "for_domain"}
)
_BASE_FOR = {
    "crypto": "CryptoTradingServiceBase",
    "user": "UserServiceBase",
    "other": "LucentServiceBase",
}


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
    fix_safety = "unsafe"
    fix_title = "Extend the base class that fits the contexts the service builds"

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
            self.report(node, fix=self.fix(node) if self.fixing else None, name=node.name.value)
            return
        self.defer(node, {"name": node.name.value, "bases": bases})

    @classmethod
    def resolve(cls, payload: Mapping[str, Any], index: ProjectIndex) -> str | None:
        name = payload["name"]
        if index.judge_unadopted(payload["bases"], interface=bool(_INTERFACE_NAME.match(name))):
            return None
        return cls.message.format(name=name)

    def fix(self, node: cst.ClassDef) -> Fix | None:
        """The base-less class ``node`` extending the base its contexts call for."""
        if node.keywords:
            return None
        kinds = _context_kinds(node, self.ctx)
        if len(kinds) != 1:
            return None
        base = _BASE_FOR[kinds.pop()]
        reference, imports = _reference(base, self.ctx)
        if reference is None:
            return None
        fixed = node.with_changes(
            bases=[cst.Arg(value=reference)],
            lpar=node.lpar if isinstance(node.lpar, cst.LeftParen) else cst.LeftParen(),
            rpar=node.rpar if isinstance(node.rpar, cst.RightParen) else cst.RightParen(),
        )
        return Fix(replacements={node: fixed}, imports=imports)


def _context_kinds(node: cst.ClassDef, ctx: FileContext) -> set[str]:
    kinds: set[str] = set()
    for item in iter_tree(node.body):
        if not isinstance(item, cst.Call) or not isinstance(item.func, cst.Attribute):
            continue
        method = item.func.attr.value
        if method not in _STARTS:
            continue
        chain = builder_chain(item, ctx)
        if chain is None:
            continue
        if crypto_context_start(chain) is not None:
            kinds.add("crypto")
        elif method == "for_user_management":
            kinds.add("user")
        elif method == "for_domain":
            domain = string_value(call_argument(item, 0, "domain"))
            if domain is None:
                return set()  # a computed domain: no telling
            kinds.add("user" if domain == "user-management" else "other")
    return kinds


def _reference(base: str, ctx: FileContext) -> tuple[cst.BaseExpression | None, list[str]]:
    """How this module names ``base``, and the import to add when it does not yet."""
    for local, qualified in ctx.imports.items():
        if qualified.startswith(RUNTIME) and qualified.rpartition(".")[2] == base:
            return cst.Name(local), []
    for local, qualified in ctx.imports.items():
        if qualified == RUNTIME:
            return cst.Attribute(value=cst.Name(local), attr=cst.Name(base)), []
    defined = f"{ctx.module_name}.{base}" if ctx.module_name else base
    if base in ctx.imports or defined in ctx.classes or ctx.star_imports:
        return None, []
    return cst.Name(base), [f"from {RUNTIME} import {base}"]
