"""lucent_runtime: the framework of the Lucent EDA standard.

Services extend :class:`CryptoTradingServiceBase`, :class:`UserServiceBase` or
:class:`LucentServiceBase`; every operation carries a :class:`BusinessContext` built with
:class:`BusinessContextBuilder`; domain events, event handling, commands and multi-step
processes go through the base class, which traces them (OpenTelemetry), measures them and
logs with context. :class:`InfrastructureFactory` picks the back-ends: embedded (SQLite +
in-process bus) by default, NATS + JetStream when ``NATS_URL`` is set.
"""

from __future__ import annotations

from importlib import import_module as _import_module

# The public API, the one table: name -> private module defining it. Imported on first use
# (PEP 562), so that light users such as the linter (which needs only
# ``lucent_runtime.naming``) do not load OpenTelemetry, nats-py and the back-ends.
_EXPORTS = {
    "BusinessContext": "._context",
    "BusinessContextBuilder": "._context",
    "RequestContext": "._context",
    "current_request_context": "._context",
    "BusinessContextError": "._errors",
    "CommandError": "._errors",
    "CommandTimeoutError": "._errors",
    "ConcurrencyError": "._errors",
    "ConfigurationError": "._errors",
    "EventStoreError": "._errors",
    "LucentError": "._errors",
    "MessageDecodeError": "._errors",
    "MessagingError": "._errors",
    "NamingError": "._errors",
    "NoHandlerError": "._errors",
    "PayloadError": "._errors",
    "PayloadTooLargeError": "._errors",
    "ProcessDefinitionError": "._errors",
    "ProcessStepError": "._errors",
    "RemoteCommandError": "._errors",
    "StoreUnavailableError": "._errors",
    "DomainEvent": "._events",
    "command_handler": "._handlers",
    "event_handler": "._handlers",
    "Infrastructure": "._infrastructure",
    "InfrastructureFactory": "._infrastructure",
    "StructuredLogger": "._logging",
    "configure_logging": "._logging",
    "configure_redaction": "._redact",
    "ProcessStep": "._process",
    "CryptoTradingServiceBase": "._service",
    "LucentServiceBase": "._service",
    "UserServiceBase": "._service",
    "ServiceTelemetry": "._telemetry",
    "configure_telemetry": "._telemetry",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


def _order(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: constants, then classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


__all__ = sorted(_EXPORTS, key=_order)  # noqa: PLE0605 - computed from the one table
