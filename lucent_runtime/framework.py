"""The framework's own facts, for tools that read code written against it.

The linter judges service code by what the runtime offers: which classes are service bases,
which methods take a business context and where, which decorators mark handlers, which
builder methods start and complete a context. Those facts live here, once, as plain data,
so that reading them loads nothing else of the runtime (no OpenTelemetry, no back-ends);
the runtime's tests check every one of them against the real classes.
"""

from __future__ import annotations

__all__ = [
    "BUILDER",
    "BUILDER_BUILD",
    "BUILDER_STARTS",
    "BUILDER_STEPS",
    "BUSINESS_CONTEXT",
    "BUSINESS_CONTEXT_PARAMETER",
    "CALL_PARAMETERS",
    "CONTEXT_WRAPPERS",
    "CRYPTO_CONTEXTS",
    "CRYPTO_STARTS",
    "HANDLER_DECORATORS",
    "PACKAGE",
    "SERVICE_BASES",
    "is_runtime_module",
]

#: the importable name of the runtime
PACKAGE = "lucent_runtime"

#: the service base classes a service extends
SERVICE_BASES: frozenset[str] = frozenset(
    {"LucentServiceBase", "CryptoTradingServiceBase", "UserServiceBase"}
)

#: the name of the business-context parameter of every framework call
BUSINESS_CONTEXT = "business_context"

#: framework method of a service -> its parameters, in order, up to and including the
#: business context (the ones a call must give before it can be said to pass one)
CALL_PARAMETERS: dict[str, tuple[str, ...]] = {
    "publish_domain_event": ("event_type", "stream_id", "data", BUSINESS_CONTEXT),
    "send_command": ("target_service", "command_type", "data", BUSINESS_CONTEXT),
    "execute_business_operation": ("operation", BUSINESS_CONTEXT, "fn"),
    "execute_business_process": ("process_name", BUSINESS_CONTEXT, "steps"),
}

#: framework method -> (0-based position after ``self``, keyword) of its business context
BUSINESS_CONTEXT_PARAMETER: dict[str, tuple[int, str]] = {
    method: (parameters.index(BUSINESS_CONTEXT), BUSINESS_CONTEXT)
    for method, parameters in CALL_PARAMETERS.items()
}

#: the framework calls whose callback runs inside a business context
CONTEXT_WRAPPERS: frozenset[str] = frozenset(
    {"execute_business_operation", "execute_business_process", "handle_domain_event"}
)

#: handler decorator -> the parameter naming what it handles
HANDLER_DECORATORS: dict[str, str] = {
    "event_handler": "event_type",
    "command_handler": "command_type",
}

#: the builder of business contexts and its methods
BUILDER = "BusinessContextBuilder"
#: class methods that start a builder with a domain and bounded context
BUILDER_STARTS: frozenset[str] = frozenset(
    {"for_crypto_trading", "for_yield_farming", "for_user_management", "for_domain"}
)
#: methods that add one fact to a builder
BUILDER_STEPS: frozenset[str] = frozenset(
    {
        "with_aggregate",
        "with_user",
        "with_trading_pair",
        "with_exchange",
        "with_protocol",
        "with_amount",
        "with_workflow",
        "with_priority",
        "with_risk_level",
        "with_strategy_type",
        "with_metadata",
    }
)
#: the method that validates and freezes the context
BUILDER_BUILD = "build"
#: the starts that build a context of the crypto-trading domain (CryptoTradingServiceBase)
CRYPTO_STARTS: frozenset[str] = frozenset({"for_crypto_trading", "for_yield_farming"})
#: the domains / bounded contexts of those starts, as ``for_domain`` names them
CRYPTO_CONTEXTS: frozenset[str] = frozenset({"crypto-trading", "yield-farming"})


def is_runtime_module(qualified: str) -> bool:
    """``lucent_runtime`` itself or one of its modules / names (``lucent_runtime.x``)."""
    return qualified == PACKAGE or qualified.startswith(PACKAGE + ".")
