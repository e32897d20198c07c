"""The framework's call signatures as the rules see them.

Helpers shared by several rules: where the business context goes in a framework call, the
callback given to ``handle_domain_event``, builder chains, logger calls. Each one reads a
single node (or a small subtree), never the whole module.
"""

from __future__ import annotations

from collections.abc import Container, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import libcst as cst

from lucent_lint.engine.bindings import resolve_scoped
from lucent_lint.engine.context import call_argument, call_name, dotted_name, string_value
from lucent_runtime import framework

if TYPE_CHECKING:
    from lucent_lint.engine.context import FileContext

#: framework method -> (0-based position, keyword) of its business-context parameter
BUSINESS_CONTEXT_PARAMETER = framework.BUSINESS_CONTEXT_PARAMETER

#: logger methods that record a problem (``info``/``debug`` do not): the standard
#: library's, structlog's and loguru's levels, and twisted's ``log.err`` /
#: ``Logger.failure`` (which log the error being handled)
PROBLEM_LOG_METHODS = frozenset(
    {"error", "exception", "warning", "warn", "critical", "fatal", "log", "err", "failure"}
)
#: every logger method a call may use
LOG_METHODS = PROBLEM_LOG_METHODS | {"info", "debug", "msg", "success", "trace"}
_LOGGER_NAMES = frozenset({"logger", "log", "logging", "_logger", "_log", "structlog"})
_GET_LOGGER = frozenset({"getLogger", "get_logger"})
#: loguru's ``logger.opt(exception=e)`` / ``logger.bind(...)``: still the logger
_LOGGER_VIEWS = frozenset({"opt", "bind", "patch", "new"})
#: twisted's module-level logging functions, called by themselves (``err(failure)``)
_LOG_FUNCTIONS = {"twisted.python.log.err": "err", "twisted.python.log.msg": "msg"}
#: the runtime's service base classes
SERVICE_BASES = framework.SERVICE_BASES


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


def logger_method(
    call: cst.Call, stack: Sequence[cst.CSTNode] | None = None, ctx: FileContext | None = None
) -> str | None:
    """``error`` for ``self.logger.error(...)``, ``logger.error``, ``log.error``,
    ``logging.error``, ``logging.getLogger(__name__).error``, ``self._logger.error``,
    loguru's ``logger.opt(exception=e).error``, twisted's ``log.err(e)`` and
    ``self.log.failure(...)``...; None when the call is not a logger call. Given the
    ``stack`` of ancestors, a receiver with another name counts when it was assigned a
    logger (``slog = structlog.get_logger()``); given ``ctx``, twisted's ``err`` imported
    by itself counts too."""
    func = call.func
    if isinstance(func, cst.Name):
        if ctx is None or func.value not in ("err", "msg"):
            return None
        return _LOG_FUNCTIONS.get(ctx.qualified_name(func) or "")
    if not isinstance(func, cst.Attribute) or func.attr.value not in LOG_METHODS:
        return None
    receiver = func.value
    while (
        isinstance(receiver, cst.Call)
        and isinstance(receiver.func, cst.Attribute)
        and receiver.func.attr.value in _LOGGER_VIEWS
    ):
        receiver = receiver.func.value
    if isinstance(receiver, cst.Call):
        return func.attr.value if call_name(receiver) in _GET_LOGGER else None
    dotted = dotted_name(receiver)
    if dotted is None:
        return None
    last = dotted.rpartition(".")[2]
    if last in _LOGGER_NAMES or last.lower().endswith("logger"):
        return func.attr.value
    if stack is not None and _assigned_logger(receiver, stack):
        return func.attr.value
    return None


def _assigned_logger(receiver: cst.BaseExpression, stack: Sequence[cst.CSTNode]) -> bool:
    """``receiver`` holds the one value ``getLogger(...)``, ``get_logger(...)`` or
    ``StructuredLogger(...)`` (``.bind(...)`` / ``.getChild(...)`` on one included)."""
    found = resolve_scoped(receiver, stack)
    value = found[0] if found is not None else None
    while (
        isinstance(value, cst.Call)
        and isinstance(value.func, cst.Attribute)
        and value.func.attr.value in ("bind", "new", "getChild")
    ):
        value = value.func.value
    if not isinstance(value, cst.Call):
        return False
    name = call_name(value)
    return name in _GET_LOGGER or name == "StructuredLogger"


def service_like_class(node: cst.ClassDef, ctx: FileContext) -> bool:
    """A class whose methods are judged as a service's (see
    :meth:`FileContext.service_like`)."""
    return ctx.service_like(node)


# -- classes that are no service, whatever their name --------------------------------------

#: direct bases that make a class an interface: its implementations are judged instead
INTERFACE_BASES = frozenset({"Protocol", "Interface"})
_ABSTRACT_BASES = frozenset({"ABC"})
_NON_SERVICE_METACLASSES = frozenset({"EnumMeta", "EnumType", "ModelMetaclass"})
#: decorators that make a class a record type (dataclasses, attrs, pydantic dataclasses)
_RECORD_DECORATORS = frozenset({"dataclass", "dataclasses.dataclass"})
_RECORD_MODULES = ("attr.", "attrs.", "pydantic.", "msgspec.")


def not_a_service_by_itself(node: cst.ClassDef, ctx: FileContext) -> bool:
    """What the class statement alone shows to be no service: an interface (a
    ``Protocol``, a zope ``Interface``, an abstract base whose methods are all abstract), a
    dataclass / attrs / pydantic record, an enum, an exception or a data model among its
    direct bases. Ancestors further up are the project index's to follow."""
    from lucent_lint.engine.project import (
        NON_SERVICE_ROOTS,  # the index's roots, read by the class alone
    )

    for decorator in node.decorators:
        expr = decorator.decorator
        func = expr.func if isinstance(expr, cst.Call) else expr
        qualified = ctx.qualified_name(func) or ""
        if (
            dotted_name(func) in _RECORD_DECORATORS
            or qualified.rpartition(".")[2] == "dataclass"
            or qualified.startswith(_RECORD_MODULES)
        ):
            return True
    abstract = False
    for arg in node.bases:
        value = arg.value.value if isinstance(arg.value, cst.Subscript) else arg.value
        last = (dotted_name(value) or "").rpartition(".")[2]
        if last in INTERFACE_BASES or last in NON_SERVICE_ROOTS:
            return True
        if last.endswith(("Error", "Exception", "Warning")):
            return True
        abstract = abstract or last in _ABSTRACT_BASES
    for keyword in node.keywords:
        if keyword.keyword.value == "metaclass":
            last = (dotted_name(keyword.value) or "").rpartition(".")[2]
            if last in _NON_SERVICE_METACLASSES:
                return True
            abstract = abstract or last == "ABCMeta"
    return _only_abstract_methods(node, required=not abstract)


def _only_abstract_methods(node: cst.ClassDef, *, required: bool) -> bool:
    """Every method of the class is an ``@abstractmethod`` (an interface). With
    ``required`` false (an ``ABC``), a class with no method at all counts too."""
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    methods = [s for s in body if isinstance(s, cst.FunctionDef)]
    if not methods:
        return not required and not any(isinstance(s, cst.ClassDef) for s in body)
    return all(
        any(
            (dotted_name(d.decorator) or "").rpartition(".")[2].startswith("abstract")
            for d in method.decorators
        )
        for method in methods
    )


# -- framework calls: is the business context there at all? -----------------------------

#: framework method -> its parameters up to and including the business context (the ones
#: a call must give before it can be said to pass one)
REQUIRED_PARAMETERS = framework.CALL_PARAMETERS

#: the framework calls whose callback runs inside a business context
CONTEXT_WRAPPERS = framework.CONTEXT_WRAPPERS

ContextPresence = Literal["given", "missing", "unknown"]


def framework_method(call: cst.Call) -> str | None:
    """``publish_domain_event`` for ``self.publish_domain_event(...)`` (any receiver: a
    method call, never a plain function of that name); None for other calls."""
    func = call.func
    if type(func) is cst.Attribute and func.attr.value in REQUIRED_PARAMETERS:
        return func.attr.value
    return None


def _looks_like_context(expr: cst.BaseExpression) -> bool:
    if isinstance(expr, cst.Call):
        return call_name(expr) == "build"
    dotted = dotted_name(expr)
    if dotted is None:
        return False
    last = dotted.rpartition(".")[2].lower()
    return "context" in last or last in ("ctx", "bctx", "business_ctx")


def business_context_presence(call: cst.Call) -> ContextPresence:
    """Whether a framework call (see :func:`framework_method`) passes its business context.

    ``unknown`` when ``*args``/``**kwargs`` hide it. A call that gives fewer positional
    arguments than the parameters it leaves to position is missing one; that one is taken
    to be the business context (the argument people forget), unless the argument in the
    context's place plainly is a context (``context``, ``ctx``, ``....build()``). A number,
    a string, a lambda or a list in the context's place is never one: the context is
    missing.
    """
    name = framework_method(call)
    if name is None:
        return "given"
    required = REQUIRED_PARAMETERS[name]
    keywords = {arg.keyword.value for arg in call.args if arg.keyword is not None}
    if framework.BUSINESS_CONTEXT in keywords:
        return "given"
    if any(arg.star for arg in call.args):
        return "unknown"
    positional = [arg.value for arg in call.args if arg.keyword is None]
    index = required.index(framework.BUSINESS_CONTEXT)
    if len(positional) <= index:
        return "missing"
    by_position = [p for p in required if p not in keywords]
    if len(positional) < len(by_position) and not _looks_like_context(positional[index]):
        return "missing"
    if isinstance(positional[index], _NEVER_A_CONTEXT):
        return "missing"  # a timeout, a name or a callback slid into the context's place
    return "given"


_NEVER_A_CONTEXT = (
    cst.Integer,
    cst.Float,
    cst.SimpleString,
    cst.FormattedString,
    cst.ConcatenatedString,
    cst.Lambda,
    cst.List,
    cst.Tuple,
)


# -- business context builder chains ------------------------------------------------------

BUILDER = framework.BUILDER
#: the ``for_*`` starts that build a context of the crypto-trading domain
CRYPTO_STARTS = framework.CRYPTO_STARTS
CRYPTO_CONTEXTS = framework.CRYPTO_CONTEXTS


@dataclass(frozen=True, slots=True)
class BuilderChain:
    """A chain of calls on ``BusinessContextBuilder`` (or on a builder held in a local
    variable), read from the outermost call of the chain."""

    #: the ``BusinessContextBuilder`` name, its constructor call, or the variable's Name
    start: cst.BaseExpression
    #: method names in call order: ``("for_crypto_trading", "with_aggregate", "build")``
    methods: tuple[str, ...]
    #: the calls, in the same order
    calls: tuple[cst.Call, ...]
    #: a builder variable's name when the chain continues one, else None
    variable: str | None = None
    #: the chain starts with ``BusinessContextBuilder(...)``, not a ``for_*`` class method
    constructed: bool = False

    @property
    def has_start(self) -> bool:
        if self.constructed or self.variable is not None:
            return any(m.startswith("for_") for m in self.methods)
        return bool(self.methods) and self.methods[0].startswith("for_")

    @property
    def built(self) -> bool:
        return "build" in self.methods


def builder_chain(
    expr: cst.BaseExpression, ctx: FileContext, variables: Container[str] = ()
) -> BuilderChain | None:
    """Read ``expr`` as a builder chain: ``BusinessContextBuilder.for_x().with_y().build()``
    (aliases and module attributes resolved through the imports),
    ``BusinessContextBuilder().with_y()``, or ``builder.with_y()`` for a name in
    ``variables``. None for anything else."""
    methods: list[str] = []
    calls: list[cst.Call] = []
    node: cst.BaseExpression = expr
    while True:
        if type(node) is cst.Call:  # exact types: isinstance on libcst's ABCs costs a call
            func = node.func
            if dotted_name(func) is not None and ctx.is_runtime_name(func, BUILDER):
                return BuilderChain(
                    node, tuple(reversed(methods)), tuple(reversed(calls)), None, True
                )
            if type(func) is not cst.Attribute:
                return None
            methods.append(func.attr.value)
            calls.append(node)
            node = func.value
            continue
        if not calls:
            return None
        if type(node) is cst.Name and node.value in variables:
            return BuilderChain(node, tuple(reversed(methods)), tuple(reversed(calls)), node.value)
        if ctx.is_runtime_name(node, BUILDER):
            return BuilderChain(node, tuple(reversed(methods)), tuple(reversed(calls)))
        return None


def crypto_context_start(chain: BuilderChain) -> str | None:
    """The ``for_*`` call of ``chain`` when it builds a crypto-trading or yield-farming
    context (``for_crypto_trading()``, ``for_yield_farming()``,
    ``for_domain("crypto-trading", ...)``), as it is written; else None."""
    for method, call in zip(chain.methods, chain.calls, strict=True):
        if method in CRYPTO_STARTS:
            return f"{method}()"
        if method == "for_domain":
            domain = string_value(call_argument(call, 0, "domain"))
            bounded = string_value(call_argument(call, 1, "bounded_context"))
            if domain in CRYPTO_CONTEXTS or bounded in CRYPTO_CONTEXTS:
                return f'for_domain("{domain if domain is not None else bounded}", ...)'
    return None


# -- raw event-store appends ---------------------------------------------------------------

#: methods that append to whatever store they are called on
_STORE_APPEND_METHODS = frozenset({"append", "append_event", "append_events", "appendEvents"})
#: methods that only an event store has: flagged on any receiver, and as plain functions
_STREAM_APPEND_FUNCTIONS = frozenset({"append_to_stream", "appendToStream"})
#: clients of EventStoreDB / KurrentDB
_STORE_CLIENTS = frozenset({"EventStoreDBClient", "KurrentDBClient", "AsyncKurrentDBClient"})


def _last_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Call):
        return call_name(expr)
    return None


def is_event_store(
    expr: cst.BaseExpression, stack: Sequence[cst.CSTNode] = (), depth: int = 0
) -> bool:
    """``expr`` names an event store: its last name is ``event_store`` in any spelling
    (``eventStore``, ``_event_store``, ``get_event_store()``), an EventStoreDB client
    (``esdb``, ``EventStoreDBClient(...)``), or, given the ancestors ``stack``, a name or
    ``self`` attribute assigned one of those (``store = self.infrastructure.event_store``)."""
    if isinstance(expr, cst.Await):
        return is_event_store(expr.expression, stack, depth)
    last = _last_name(expr)
    if last is None:
        return False
    normal = last.lower().replace("_", "")
    if normal.endswith(("eventstore", "eventsstore")) or normal in ("esdb", "esdbclient"):
        return True
    if last in _STORE_CLIENTS:
        return isinstance(expr, cst.Call)
    if stack and depth < 3 and isinstance(expr, cst.Name | cst.Attribute) and _may_hold(normal):
        found = resolve_scoped(expr, stack)
        return found is not None and is_event_store(found[0], found[1], depth + 1)
    return False


def _may_hold(normal: str) -> bool:
    """Names worth following to their value: ``store``, ``es``, ``client``, ``db``...
    (``events``, ``results`` and other lists are not)."""
    return normal in ("es", "db") or any(
        word in normal for word in ("store", "esdb", "kurrent", "client")
    )


#: every called name :func:`event_store_append` can accept (a cheap first test)
APPEND_NAMES = _STREAM_APPEND_FUNCTIONS | _STORE_APPEND_METHODS


def event_store_append(call: cst.Call, stack: Sequence[cst.CSTNode] = ()) -> str | None:
    """``event_store.append(...)`` for a call that appends to an event store by hand
    (``x.event_store.append``, ``eventStore.append``, ``append_to_stream(...)``,
    ``store.append_events`` where ``store`` was assigned an event store, given the
    ancestors ``stack``), as it is written; None for anything else (``list.append``)."""
    func = call.func
    kind = type(func)  # exact types: isinstance on libcst's ABCs costs a Python call
    if kind is cst.Name and func.value in _STREAM_APPEND_FUNCTIONS:  # type: ignore[attr-defined]
        return func.value + "(...)"  # type: ignore[attr-defined]
    if kind is not cst.Attribute:
        return None
    method = func.attr.value
    if method not in _STREAM_APPEND_FUNCTIONS and not (
        method in _STORE_APPEND_METHODS and is_event_store(func.value, stack)
    ):
        return None
    target = dotted_name(func.value) or f"{_last_name(func.value) or '...'}(...)"
    return f"{target}.{method}(...)"


# -- arguments of framework calls and handler decorators ----------------------------------

#: handler decorators of the runtime -> the parameter naming what they handle
HANDLER_DECORATORS = framework.HANDLER_DECORATORS


def framework_argument(call: cst.Call, parameter: str) -> cst.BaseExpression | None:
    """The argument a framework call (see :func:`framework_method`) gives for
    ``parameter`` (a name from :data:`REQUIRED_PARAMETERS`: ``event_type``, ``stream_id``,
    ``target_service``, ``command_type``...), by position or keyword; else None."""
    name = framework_method(call)
    if name is None:
        return None
    parameters = REQUIRED_PARAMETERS[name]
    if parameter not in parameters:
        return None
    return call_argument(call, parameters.index(parameter), parameter)


def handler_decorator(
    decorator: cst.Decorator, ctx: FileContext
) -> tuple[str, cst.BaseExpression | None] | None:
    """``("event_handler", <the "TradeExecuted" node>)`` for ``@event_handler("TradeExecuted")``
    (``@lr.event_handler``, aliases resolved); the same for ``command_handler``. The second
    item is None when the decorator passes no name. None for other decorators."""
    expr = decorator.decorator
    call = expr if isinstance(expr, cst.Call) else None
    func = call.func if call is not None else expr
    for name, key in HANDLER_DECORATORS.items():
        if ctx.is_runtime_name(func, name):
            if call is None:
                return name, None
            return name, call_argument(call, 0, key)
    return None
