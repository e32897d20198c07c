"""Domain events out: check the names, append to the event store, then publish the stored
event on ``lucent.events.domain.{bounded_context}.{EventType}``, in one PRODUCER span.

The bus copy is sent only after the store acknowledged the append, so an event whose
append was refused (stale ``expected_version``, a racing writer) is never published.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind

from . import naming
from ._context import BusinessContext, RequestContext, current_request_context, new_id
from ._errors import NamingError
from ._events import DomainEvent, NewEvent
from ._payload import to_jsonable
from ._telemetry import Timer, active_span, inject_headers, metric_attributes, record_error

if TYPE_CHECKING:
    from ._service import LucentServiceBase

__all__ = ["check_event_names", "event_json", "publish_domain_event"]

_TRACE_KEYS = ("traceparent", "tracestate")


@functools.lru_cache(maxsize=1024)
def _event_type_problem(event_type: str) -> str | None:
    return naming.event_type_problem(event_type)


@functools.lru_cache(maxsize=4096)
def _stream_id_problem(stream_id: str) -> str | None:
    return naming.stream_id_problem(stream_id)


def check_event_names(event_type: Any, stream_id: Any) -> None:
    """:class:`NamingError` for an event type or stream id that breaks the naming rules."""
    problem = (
        _event_type_problem(event_type)
        if isinstance(event_type, str)
        else f"event type must be a string, got {event_type!r}"
    )
    if problem:
        raise NamingError(problem)
    problem = (
        _stream_id_problem(stream_id)
        if isinstance(stream_id, str)
        else f"stream id must be a string, got {stream_id!r}"
    )
    if problem:
        raise NamingError(problem)


def event_json(stored: DomainEvent, new: NewEvent) -> bytes:
    """The published body: ``stored.to_json()``, encoded from the appended event's plain
    data when the store kept it as given (no freeze/thaw round trip)."""
    if stored.event_id != new.event_id or stored.timestamp != new.timestamp:
        return stored.to_json()  # the store answered with an earlier copy of the event
    return json.dumps(
        {
            "event_id": stored.event_id,
            "stream_id": stored.stream_id,
            "version": stored.version,
            "type": stored.type,
            "data": new.data,
            "timestamp": stored.timestamp,
            "metadata": new.metadata,
        },
        separators=(",", ":"),
        default=str,
    ).encode()


async def publish_domain_event(
    service: LucentServiceBase,
    event_type: str,
    stream_id: str,
    data: Any,
    business_context: BusinessContext,
    request_context: RequestContext | None,
    expected_version: int | None,
) -> DomainEvent:
    """See :meth:`LucentServiceBase.publish_domain_event`; the caller checked the names
    (:func:`check_event_names`) and the business context."""
    payload = to_jsonable(data, f"data of {event_type}")
    rc = request_context or current_request_context()
    correlation_id = rc.correlation_id if rc else new_id()
    causation_id = rc.cause if rc else None
    subject = naming.event_subject(business_context.bounded_context, event_type)
    event_id = new_id()
    infrastructure = service.infrastructure
    # the business part comes redacted; the names added here are never secret
    attributes: dict[str, Any] = {
        **business_context._span_attributes(),
        "service.name": service.service_name,
        "service.operation": f"publish {event_type}",
        "messaging.system": infrastructure.bus.messaging_system,
        "messaging.destination.name": subject,
        "messaging.operation.type": "publish",
        "messaging.message.id": event_id,
        "messaging.message.conversation_id": correlation_id,
        "event.type": event_type,
        "event.stream_id": stream_id,
        "event.correlation_id": correlation_id,
    }
    if causation_id:
        attributes["event.causation_id"] = causation_id
    timer = Timer("publish", metric_attributes(business_context, service.service_name, event_type))
    with active_span(f"publish {event_type}", attributes, SpanKind.PRODUCER) as span:
        try:
            trace_headers = inject_headers()
            metadata = {
                "correlation_id": correlation_id,
                "causation_id": causation_id,
                "request_id": rc.request_id if rc else None,
                "source": service.service_name,
                "business_context": business_context.to_dict(),
                **{k: v for k, v in trace_headers.items() if k in _TRACE_KEYS},
            }
            new = NewEvent(event_id, event_type, payload, metadata)
            (stored,) = await infrastructure.event_store.append(stream_id, [new], expected_version)
            span.set_attribute("event.version", stored.version)
            headers = {
                **trace_headers,
                "Nats-Msg-Id": stored.event_id,
                "Lucent-Event-Type": event_type,
                "Lucent-Correlation-Id": correlation_id,
            }
            await infrastructure.bus.publish(subject, event_json(stored, new), headers)
        except Exception as error:
            record_error(span, error, attributes)
            timer.finish(error)
            raise
    timer.finish()
    return stored
