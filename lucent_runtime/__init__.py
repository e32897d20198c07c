"""lucent_runtime: the framework of the Lucent EDA standard.

Services extend :class:`CryptoTradingServiceBase`, :class:`UserServiceBase` or
:class:`LucentServiceBase`; every operation carries a :class:`BusinessContext` built with
:class:`BusinessContextBuilder`; domain events, event handling, commands and multi-step
processes go through the base class, which traces them (OpenTelemetry), measures them and
logs with context. :class:`InfrastructureFactory` picks the back-ends: embedded (SQLite +
in-process bus) by default, NATS + JetStream when ``NATS_URL`` is set.
"""

from __future__ import annotations

import typing as _typing
from importlib import import_module as _import_module

if _typing.TYPE_CHECKING:
    from ._context import (
        BusinessContext,
        BusinessContextBuilder,
        RequestContext,
        current_request_context,
    )
    from ._errors import (
        BusinessContextError,
        CommandError,
        CommandTimeoutError,
        ConcurrencyError,
        ConfigurationError,
        LucentError,
        NamingError,
        NoHandlerError,
        PayloadError,
        ProcessDefinitionError,
        ProcessStepError,
        RemoteCommandError,
    )
    from ._events import DomainEvent, NewEvent
    from ._handlers import command_handler, event_handler
    from ._infrastructure import Infrastructure, InfrastructureFactory
    from ._logging import StructuredLogger, configure_logging
    from ._process import ProcessStep
    from ._redact import configure_redaction
    from ._service import CryptoTradingServiceBase, LucentServiceBase, UserServiceBase
    from ._telemetry import DURATION_BUCKETS_MS, ServiceTelemetry, configure_telemetry

# name -> private module defining it. Imported on first use (PEP 562), so that light users
# such as the linter (which needs only ``lucent_runtime.naming``) do not load
# OpenTelemetry, nats-py and the back-ends.
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
    "LucentError": "._errors",
    "NamingError": "._errors",
    "NoHandlerError": "._errors",
    "PayloadError": "._errors",
    "ProcessDefinitionError": "._errors",
    "ProcessStepError": "._errors",
    "RemoteCommandError": "._errors",
    "DomainEvent": "._events",
    "NewEvent": "._events",
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
    "DURATION_BUCKETS_MS": "._telemetry",
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


__all__ = [
    "DURATION_BUCKETS_MS",
    "BusinessContext",
    "BusinessContextBuilder",
    "BusinessContextError",
    "CommandError",
    "CommandTimeoutError",
    "ConcurrencyError",
    "ConfigurationError",
    "CryptoTradingServiceBase",
    "DomainEvent",
    "Infrastructure",
    "InfrastructureFactory",
    "LucentError",
    "LucentServiceBase",
    "NamingError",
    "NewEvent",
    "NoHandlerError",
    "PayloadError",
    "ProcessDefinitionError",
    "ProcessStep",
    "ProcessStepError",
    "RemoteCommandError",
    "RequestContext",
    "ServiceTelemetry",
    "StructuredLogger",
    "UserServiceBase",
    "command_handler",
    "configure_logging",
    "configure_redaction",
    "configure_telemetry",
    "current_request_context",
    "event_handler",
]
