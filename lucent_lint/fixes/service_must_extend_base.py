"""LUC101 (unsafe): a service class gains the base its business contexts call for.

Only a class with no base at all is fixed (one with bases, even ``object``, is judged
across files and left to its author), and only when every
context it builds points the same way: crypto-trading or yield-farming contexts give
``CryptoTradingServiceBase``, user-management ones ``UserServiceBase``, other domains
(``for_domain(...)``) ``LucentServiceBase``. A class that builds none, or a mix, is left
alone. ``from lucent_runtime import ...`` is added when the name is not imported yet.

Unsafe: the class now runs the base's ``__init__`` and gains its methods, so how it is
constructed and what its attributes mean can change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from lucent_lint.engine.context import RUNTIME, call_argument, string_value
from lucent_lint.engine.framework import builder_chain, crypto_context_start
from lucent_lint.engine.rule import Fix
from lucent_lint.engine.walk import iter_tree
from lucent_lint.fixes import Fixer

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext

_STARTS = frozenset(
    {"for_crypto_trading", "for_yield_farming", "for_user_management", "for_domain"}
)
_BASE_FOR = {
    "crypto": "CryptoTradingServiceBase",
    "user": "UserServiceBase",
    "other": "LucentServiceBase",
}


def make_fix(node: cst.CSTNode, ctx: FileContext) -> Fix | None:
    if not isinstance(node, cst.ClassDef) or node.keywords:
        return None
    if node.bases:
        return None
    kinds = _context_kinds(node, ctx)
    if len(kinds) != 1:
        return None
    base = _BASE_FOR[kinds.pop()]
    reference, imports = _reference(base, ctx)
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


FIXERS = (
    Fixer(
        "LUC101",
        "unsafe",
        "Extend the base class that fits the contexts the service builds",
        make_fix,
    ),
)
