"""Service base classes: the only place business work, events and commands go through.

``LucentServiceBase`` gives every service traced business operations and processes, domain
events (one durable write), event handling that continues the publisher's trace, commands,
structured logging and ``start()``/``stop()`` of its ``@event_handler`` and
``@command_handler`` methods. ``CryptoTradingServiceBase`` and ``UserServiceBase`` are the
domain-specific bases the standard asks for. A service handles up to
``max_concurrent_commands`` commands at once on every back-end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar

from opentelemetry.trace import SpanKind

from . import naming
from ._commands import command_responder, send_command
from ._context import BusinessContext, RequestContext, current_request_context, new_id
from ._errors import (
    BusinessContextError,
    ConfigurationError,
    LucentError,
    MessageDecodeError,
    NamingError,
    PayloadError,
)
from ._events import DomainEvent, _thaw
from ._handlers import command_handlers, durable_name, event_handlers
from ._invoke import invoke
from ._logging import StructuredLogger
from ._process import ProcessStep, run_process
from ._publishing import check_event_names, publish_domain_event
from ._telemetry import (
    TRACE_HEADERS,
    Timer,
    extract_context,
    messaging_attributes,
    metric_attributes,
    traced,
    work_attributes,
)
from .backends.base import DEFAULT_COMMAND_CONCURRENCY, Message, MessageHandler, Subscription

if TYPE_CHECKING:
    from ._infrastructure import Infrastructure

__all__ = ["CryptoTradingServiceBase", "LucentServiceBase", "UserServiceBase"]

# the message being delivered to an @event_handler (headers carry the trace context)
_DELIVERY: ContextVar[Message | None] = ContextVar("lucent_delivery", default=None)


def _require_context(business_context: Any, where: str) -> BusinessContext:
    if not isinstance(business_context, BusinessContext):
        raise BusinessContextError(
            f"{where} needs a BusinessContext built with BusinessContextBuilder, "
            f"got {type(business_context).__name__}"
        )
    return business_context


def _require_name(name: Any, where: str) -> None:
    if not isinstance(name, str) or not name.strip():
        raise NamingError(f"{where} needs a name (a non-empty string), got {name!r}")


class LucentServiceBase:
    """Base of every Lucent service: ``Service(infrastructure, "service-name")``."""

    #: domains whose contexts this base must not run operations in (the linter's LUC102)
    incompatible_domains: ClassVar[frozenset[str]] = frozenset({"crypto-trading"})
    #: the base class to use instead, named in the error
    _advice: ClassVar[str] = "CryptoTradingServiceBase"
    #: how many commands the service handles at once (more wait their turn)
    max_concurrent_commands: ClassVar[int] = DEFAULT_COMMAND_CONCURRENCY

    def __init__(
        self,
        infrastructure: Infrastructure,
        service_name: str,
        *,
        max_concurrent_commands: int | None = None,
    ) -> None:
        if not isinstance(service_name, str) or not naming.is_kebab_case(service_name):
            raise NamingError(f"service name {service_name!r} is not kebab-case (e.g. 'trading')")
        for part in ("event_store", "bus"):
            if not hasattr(infrastructure, part):
                raise ConfigurationError(
                    f"{type(self).__name__} needs an Infrastructure (from InfrastructureFactory)"
                    f", got {type(infrastructure).__name__} without {part!r}"
                )
        self.infrastructure = infrastructure
        self.service_name = service_name
        self.logger = StructuredLogger(service_name)
        self._subscriptions: list[Subscription] = []
        limit = (
            self.max_concurrent_commands
            if max_concurrent_commands is None
            else max_concurrent_commands
        )
        if not isinstance(limit, int) or limit < 1:
            raise ConfigurationError(f"max_concurrent_commands must be at least 1, got {limit!r}")
        self.max_concurrent_commands = limit

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.service_name!r})"

    def _check_domain(self, business_context: BusinessContext) -> None:
        if business_context.domain in self.incompatible_domains:
            base = next(k.__name__ for k in type(self).__mro__ if "incompatible_domains" in vars(k))
            raise BusinessContextError(
                f"{type(self).__name__} extends {base}, which does not run "
                f"{business_context.domain} operations; extend {self._advice}"
            )

    # -- business operations ------------------------------------------------------------
    async def execute_business_operation(
        self,
        operation: str,
        business_context: BusinessContext,
        fn: Callable[[RequestContext], Awaitable[Any]],
    ) -> Any:
        """Run ``fn(ctx)`` in its own span with the business attributes; an error is
        recorded on the span (with the business context) and re-raised unchanged."""
        _require_name(operation, "execute_business_operation")
        _require_context(business_context, "execute_business_operation")
        self._check_domain(business_context)
        ctx = RequestContext.start(business_context, self.service_name, current_request_context())
        attributes = work_attributes(self.service_name, operation, ctx)
        timer = Timer(
            "operation", metric_attributes(business_context, self.service_name, operation)
        )
        return await traced(operation, attributes, timer, lambda: invoke(fn, ctx), ctx)

    async def execute_business_process(
        self,
        process_name: str,
        business_context: BusinessContext,
        steps: Sequence[ProcessStep | Mapping[str, Any]],
    ) -> Any:
        """Run the steps in order (see :mod:`lucent_runtime._process`); returns the last
        step's result. A failing step raises :class:`ProcessStepError`."""
        _require_name(process_name, "execute_business_process")
        _require_context(business_context, "execute_business_process")
        self._check_domain(business_context)
        return await run_process(self, process_name, business_context, steps)

    # -- domain events ------------------------------------------------------------------
    async def publish_domain_event(
        self,
        event_type: str,
        stream_id: str,
        data: Any,
        business_context: BusinessContext,
        request_context: RequestContext | None = None,
        *,
        expected_version: int | None = None,
    ) -> DomainEvent:
        """Store the event and publish it on
        ``lucent.events.domain.{bounded_context}.{EventType}`` as one durable write;
        returns the stored event."""
        check_event_names(event_type, stream_id)
        _require_context(business_context, "publish_domain_event")
        return await publish_domain_event(
            self,
            event_type,
            stream_id,
            data,
            business_context,
            request_context,
            expected_version,
        )

    async def handle_domain_event(
        self,
        event: DomainEvent | Mapping[str, Any],
        handler: Callable[[DomainEvent, RequestContext], Awaitable[Any]],
    ) -> Any:
        """Run ``handler(event, ctx)`` in a CONSUMER span continuing the publisher's trace;
        ``ctx`` carries the event's business context and correlation id, and the event's id
        as causation id."""
        if isinstance(event, Mapping):
            raw = dict(event)
            event = _decode_event(lambda: DomainEvent.from_dict(raw), "the mapping")
        if not isinstance(event, DomainEvent):
            raise PayloadError(f"expected a DomainEvent, got {type(event).__name__}")
        raw_context = event.metadata.get("business_context")
        if raw_context is None:
            raise BusinessContextError(f"event {event.event_id} carries no business context")
        business_context = BusinessContext.from_dict(_thaw(raw_context))
        delivery = _DELIVERY.get()
        if delivery is not None and delivery.headers.get("traceparent"):
            carrier: Mapping[str, str] = delivery.headers
        else:
            carrier = {k: event.metadata[k] for k in TRACE_HEADERS if event.metadata.get(k)}
        correlation_id = event.correlation_id or new_id()
        ctx = RequestContext(
            new_id(),
            correlation_id,
            event.event_id,
            business_context,
            event.metadata.get("source") or self.service_name,
        )
        subject = (
            delivery.subject
            if delivery is not None
            else naming.event_subject(business_context.bounded_context, event.type)
        )
        attributes = {
            **work_attributes(self.service_name, f"handle {event.type}", ctx),
            **messaging_attributes(
                self.infrastructure.bus.messaging_system,
                subject,
                event.event_id,
                correlation_id,
                "process",
            ),
            "event.type": event.type,
            "event.stream_id": event.stream_id,
            "event.version": event.version,
        }
        if delivery is not None:
            attributes["messaging.message.delivery_count"] = delivery.attempt
        timer = Timer(
            "event_handling", metric_attributes(business_context, self.service_name, event.type)
        )
        return await traced(
            f"process {event.type}",
            attributes,
            timer,
            lambda: invoke(handler, event, ctx),
            ctx,
            SpanKind.CONSUMER,
            extract_context(carrier),
        )

    # -- commands -----------------------------------------------------------------------
    async def send_command(
        self,
        target_service: str,
        command_type: str,
        data: Any,
        business_context: BusinessContext,
        timeout: float = 15.0,
    ) -> Any:
        """Request/reply on ``lucent.commands.{target_service}.{CommandType}``; returns the
        reply. Raises CommandTimeoutError, NoHandlerError or RemoteCommandError."""
        _require_context(business_context, "send_command")
        return await send_command(
            self, target_service, command_type, data, business_context, timeout
        )

    # -- lifecycle ----------------------------------------------------------------------
    @property
    def started(self) -> bool:
        return bool(self._subscriptions)

    async def start(self) -> None:
        """Subscribe the ``@event_handler`` methods (one durable consumer each, named
        ``{service}-{method}``) and serve the ``@command_handler`` methods."""
        if self._subscriptions:
            return
        bus = self.infrastructure.bus
        # one bound for all of the service's command handlers
        limit = asyncio.Semaphore(self.max_concurrent_commands)
        try:
            for name, spec in event_handlers(type(self)):
                subscription = await bus.subscribe(
                    spec.subject(),
                    durable_name(self.service_name, name),
                    _dispatcher(getattr(self, name)),
                )
                self._subscriptions.append(subscription)
            seen: dict[str, str] = {}
            for name, spec in command_handlers(type(self)):
                if spec.command_type in seen:
                    raise LucentError(
                        f"{type(self).__name__} handles command {spec.command_type} twice: "
                        f"{seen[spec.command_type]} and {name}"
                    )
                seen[spec.command_type] = name
                subject = naming.command_subject(self.service_name, spec.command_type)
                responder = command_responder(self, spec.command_type, getattr(self, name))
                self._subscriptions.append(
                    await bus.serve(subject, self.service_name, responder, limit=limit)
                )
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Drain in-flight handlings and unsubscribe."""
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            await subscription.stop()

    async def __aenter__(self) -> LucentServiceBase:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def _decode_event(decode: Callable[[], DomainEvent], what: str) -> DomainEvent:
    """``decode()``, or :class:`MessageDecodeError` naming ``what`` when it is no event."""
    try:
        return decode()
    except (ValueError, KeyError, TypeError, RecursionError) as err:
        raise MessageDecodeError(
            f"{what} is not a domain event: {type(err).__name__}: {err}"
        ) from err


def _dispatcher(method: Callable[[DomainEvent], Awaitable[Any]]) -> MessageHandler:
    async def dispatch(message: Message) -> None:
        event = _decode_event(
            lambda: DomainEvent.from_json(message.data), f"message on {message.subject!r}"
        )
        token = _DELIVERY.set(message)
        try:
            await method(event)
        finally:
            _DELIVERY.reset(token)

    return dispatch


class CryptoTradingServiceBase(LucentServiceBase):
    """Base of trading, yield-farming, risk and portfolio services (domain
    ``crypto-trading``)."""

    incompatible_domains: ClassVar[frozenset[str]] = frozenset()


class UserServiceBase(LucentServiceBase):
    """Base of user-management services; they do not run crypto-trading operations."""

    incompatible_domains: ClassVar[frozenset[str]] = frozenset({"crypto-trading"})
