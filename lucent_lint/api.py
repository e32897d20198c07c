"""The framework's call signatures (SPEC §1) as the rules see them.

Helpers shared by several rules: where the business context goes in a framework call, the
callback given to ``handle_domain_event``, builder chains, logger calls. Each one reads a
single node (or a small subtree), never the whole module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from .context import call_argument, call_name, dotted_name

if TYPE_CHECKING:
    from .context import FileContext

#: framework method -> (0-based position, keyword) of its business-context parameter
BUSINESS_CONTEXT_PARAMETER: dict[str, tuple[int, str]] = {
    "publish_domain_event": (3, "business_context"),
    "send_command": (3, "business_context"),
    "execute_business_operation": (1, "business_context"),
    "execute_business_process": (1, "business_context"),
}

#: logger methods that record a problem (``info``/``debug`` do not)
PROBLEM_LOG_METHODS = frozenset(
    {"error", "exception", "warning", "warn", "critical", "fatal", "log"}
)
#: every logger method a call may use
LOG_METHODS = PROBLEM_LOG_METHODS | {"info", "debug", "msg"}
_LOGGER_NAMES = frozenset({"logger", "log", "logging", "_logger", "_log", "structlog"})
_GET_LOGGER = frozenset({"getLogger", "get_logger"})


def business_context_argument(call: cst.Call) -> cst.BaseExpression | None:
    """The business-context argument of a framework call (None when the call is not one of
    :data:`BUSINESS_CONTEXT_PARAMETER` or the argument is absent)."""
    name = call_name(call)
    parameter = BUSINESS_CONTEXT_PARAMETER.get(name or "")
    if parameter is None:
        return None
    return call_argument(call, *parameter)


def domain_event_callback(call: cst.Call) -> cst.BaseExpression | None:
    """The handler given to ``handle_domain_event(event, handler)``, else None."""
    if call_name(call) != "handle_domain_event":
        return None
    return call_argument(call, 1, "handler")


def builder_chain_root(expr: cst.BaseExpression | None, ctx: FileContext) -> cst.Call | None:
    """For ``BusinessContextBuilder.for_x().with_y(...).build()`` (any prefix of such a
    chain, aliases and module attributes resolved through the imports), the innermost
    call on ``BusinessContextBuilder``; None for anything else."""
    root: cst.Call | None = None
    while True:
        if isinstance(expr, cst.Call):
            root = expr
            expr = expr.func
        elif isinstance(expr, cst.Attribute):
            if ctx.is_runtime_name(expr.value, "BusinessContextBuilder"):
                return root
            expr = expr.value
        else:
            return None


def logger_method(call: cst.Call) -> str | None:
    """``error`` for ``self.logger.error(...)``, ``logger.error``, ``log.error``,
    ``logging.error``, ``logging.getLogger(__name__).error``, ``self._logger.error``...;
    None when the call is not a logger call."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_METHODS:
        return None
    receiver = func.value
    if isinstance(receiver, cst.Call):
        return func.attr.value if call_name(receiver) in _GET_LOGGER else None
    dotted = dotted_name(receiver)
    if dotted is None:
        return None
    last = dotted.rpartition(".")[2]
    if last in _LOGGER_NAMES or last.lower().endswith("logger"):
        return func.attr.value
    return None
