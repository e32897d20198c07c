"""lucent_runtime: the framework of the Lucent EDA standard.

Services extend :class:`CryptoTradingServiceBase`, :class:`UserServiceBase` or
:class:`LucentServiceBase`; every operation carries a :class:`BusinessContext` built with
:class:`BusinessContextBuilder`; domain events, event handling, commands and multi-step
processes go through the base class, which traces them (OpenTelemetry), measures them and
logs with context. :class:`InfrastructureFactory` picks the back-ends: embedded (SQLite +
in-process bus) by default, NATS + JetStream when ``NATS_URL`` is set.
"""

from __future__ import annotations

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
from ._logging import StructuredLogger
from ._process import ProcessStep
from ._service import CryptoTradingServiceBase, LucentServiceBase, UserServiceBase
from ._telemetry import DURATION_BUCKETS_MS

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
    "StructuredLogger",
    "UserServiceBase",
    "command_handler",
    "current_request_context",
    "event_handler",
]
