"""LUC601: an except block that neither re-raises nor logs the error it caught."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from lucent_lint.engine.context import dotted_name
from lucent_lint.engine.framework import PROBLEM_LOG_METHODS, logger_method
from lucent_lint.engine.rule import Rule
from lucent_lint.engine.scopes import iter_scope

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext

#: import fallbacks (``except ImportError: orjson = None``) are not error handling, nor is
#: catching a control-flow signal: a cancelled task awaited on shutdown, Ctrl-C in
#: ``main()``, the end of an iterator
_NOT_ERRORS = frozenset(
    {
        "ImportError",
        "ModuleNotFoundError",
        "CancelledError",
        "KeyboardInterrupt",
        "SystemExit",
        "GeneratorExit",
        "StopIteration",
        "StopAsyncIteration",
    }
)

#: calls that never return: they raise (a test failure, an exit) in the block's place
_RAISING_CALLS = frozenset(
    {"pytest.fail", "pytest.skip", "pytest.xfail", "pytest.exit", "sys.exit", "os._exit"}
    | {"self.fail", "self.skipTest"}
)


class ExceptionSwallowed(Rule):
    code = "LUC601"
    slug = "exception-swallowed"
    checklist = "error handling keeps context"
    message = "`{clause}` swallows the error: the block neither re-raises nor logs it"

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        self._check(node, "except")

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        self._check(node, "except*")

    def _check(self, node: cst.ExceptHandler | cst.ExceptStarHandler, keyword: str) -> None:
        caught = _caught_types(node.type)
        if caught and set(caught) <= _NOT_ERRORS:
            return
        name = node.name.name.value if node.name and isinstance(node.name.name, cst.Name) else None
        if _handles(node.body, name, self.ctx):
            return
        clause = f"{keyword} {', '.join(caught)}" if caught else "except:"
        self.report(node, clause=clause)


def _caught_types(expr: cst.BaseExpression | None) -> list[str]:
    if expr is None:
        return []
    items = [e.value for e in expr.elements] if isinstance(expr, cst.Tuple) else [expr]
    out = []
    for item in items:
        dotted = dotted_name(item)
        out.append(dotted.rpartition(".")[2] if dotted else "...")
    return out


def _handles(body: cst.BaseSuite, name: str | None, ctx: FileContext) -> bool:
    """True when the block re-raises (any ``raise`` outside nested functions) or logs: a
    logger call at warning level or above, or any logger call given the error."""
    for node in iter_scope(body):
        if isinstance(node, cst.Raise):
            return True
        if isinstance(node, cst.Call):
            if dotted_name(node.func) in _RAISING_CALLS:
                return True
            method = logger_method(node, ctx.stack, ctx)
            if method is None:
                continue
            if method in PROBLEM_LOG_METHODS or _passes_error(node, name):
                return True
    return False


def _passes_error(call: cst.Call, name: str | None) -> bool:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "exc_info":
            return not (isinstance(arg.value, cst.Name) and arg.value.value in ("False", "None"))
        if name is not None and isinstance(arg.value, cst.Name) and arg.value.value == name:
            return True
    return False
