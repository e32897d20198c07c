"""Domain events out: check the names, then one durable write, in one PRODUCER span.

The event is appended to the event store; the stored event is the published event, on
``lucent.events.domain.{bounded_context}.{EventType}``. Where the store is the event bus
(JetStream), the append is the publish: one acknowledged write. Otherwise (the embedded
and in-memory back-ends) the stored event is handed to the in-process bus after the
append. Either way an event whose append was refused (stale ``expected_version``, a racing
writer, an error) is neither stored nor published.

Everything that can refuse an event (names, sizes, payload) is checked before the append,
so an error leaves nothing behind.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind

from . import naming
from ._context import (
    BusinessContext,
    RequestContext,
    current_request_context,
    new_event_id,
    new_id,
)
from ._errors import NamingError
from ._events import DomainEvent, NewEvent, event_body
from ._payload import to_jsonable
from ._telemetry import (
    TRACE_HEADERS,
    Timer,
    inject_headers,
    messaging_attributes,
    metric_attributes,
    traced,
)

if TYPE_CHECKING:
    from ._service import LucentServiceBase

__all__ = [
    "MAX_SUBJECT_BYTES",
    "check_event_names",
    "check_subject",
    "event_json",
    "publish_domain_event",
]


#: the longest subject the runtime sends (with room left in the NATS server's 4 KB control
#: line for the reply subject and sizes); the limit is the same on every back-end
MAX_SUBJECT_BYTES = 2048


def check_subject(subject: str, what: str) -> None:
    """:class:`NamingError` when ``subject`` (what the names make) is too long to send."""
    size = len(subject.encode())
    if size > MAX_SUBJECT_BYTES:
        raise NamingError(
            f"{what} make a subject of {size} bytes, over the limit of {MAX_SUBJECT_BYTES}"
        )


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
    if any(c in stream_id for c in ".*>"):
        raise NamingError(
            f"stream id {stream_id!r} cannot hold '.', '*' or '>' (it is one subject token)"
        )


def event_json(stored: DomainEvent, new: NewEvent) -> bytes:
    """The body for the bus: ``stored.to_json()``, encoded from the appended event's plain
    data when the store kept it as given (no freeze/thaw round trip)."""
    if stored.event_id != new.event_id or stored.timestamp != new.timestamp:
        return stored.to_json()  # the store answered with an earlier copy of the event
    return event_body(
        stored.event_id,
        stored.stream_id,
        stored.version,
        stored.type,
        new.data,
        stored.timestamp,
        new.metadata,
    )


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
    check_subject(f"{subject}.{stream_id}", "the bounded context, event type and stream id")
    event_id = new_event_id()
    infrastructure = service.infrastructure
    store, bus = infrastructure.event_store, infrastructure.bus
    # the business part comes redacted; the names added here are never secret
    attributes: dict[str, Any] = {
        **business_context._span_attributes(),
        **messaging_attributes(
            infrastructure.bus.messaging_system, subject, event_id, correlation_id, "publish"
        ),
        "service.name": service.service_name,
        "service.operation": f"publish {event_type}",
        "event.type": event_type,
        "event.stream_id": stream_id,
        "event.correlation_id": correlation_id,
    }
    if causation_id:
        attributes["event.causation_id"] = causation_id
    timer = Timer("publish", metric_attributes(business_context, service.service_name, event_type))

    async def publish() -> DomainEvent:
        trace_headers = inject_headers()
        metadata = {
            "correlation_id": correlation_id,
            "causation_id": causation_id,
            "request_id": rc.request_id if rc else None,
            "source": service.service_name,
            **{k: v for k, v in trace_headers.items() if k in TRACE_HEADERS},
            # last: the event's JSON takes the context's text, made once (event_body)
            "business_context": business_context._event_dict(),
        }
        new = NewEvent(
            event_id,
            event_type,
            payload,
            metadata,
            subject=subject,
            headers=trace_headers,
            fresh=True,  # its id was made above: no earlier append can have stored it
        )
        (stored,) = await store.append(stream_id, [new], expected_version)
        trace.get_current_span().set_attribute("event.version", stored.version)
        if not store.publishes and bus.has_subscribers(subject):
            headers = {
                **trace_headers,
                "Lucent-Event-Type": event_type,
                "Lucent-Correlation-Id": correlation_id,
            }
            await bus.publish(subject, event_json(stored, new), headers, message_id=stored.event_id)
        return stored

    return await traced(f"publish {event_type}", attributes, timer, publish, kind=SpanKind.PRODUCER)
