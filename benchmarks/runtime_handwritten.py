"""The hand-written equivalents the runtime benchmark compares against, besides the bare
calls the targets are set on.

Each one is what a careful engineer writes to get the same telemetry without the
framework: a span with the same attributes, the error recorded on it, the duration
histogram recorded with the same low-cardinality attributes, W3C trace headers on
messages, a JSON envelope carrying the business context. Attribute dicts that do not
change between calls are built once, as such an engineer would.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from nats.aio.client import Client
from nats.js.client import JetStreamContext
from opentelemetry import metrics, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from lucent_runtime import BusinessContext

Op = Callable[[], Awaitable[Any]]

_TRACER = "handwritten"


class Telemetry:
    """The histograms and error counter a service would create for itself."""

    def __init__(self) -> None:
        self.tracer = trace.get_tracer(_TRACER)
        meter = metrics.get_meter(_TRACER)
        self.duration = {
            kind: meter.create_histogram(f"handwritten.{kind}.duration", unit="ms")
            for kind in ("operation", "command", "command_handling", "publish")
        }
        self.errors = meter.create_counter("handwritten.errors", unit="{error}")

    def fail(self, span: trace.Span, error: Exception, attributes: Mapping[str, Any]) -> None:
        span.record_exception(error, attributes=attributes, escaped=True)
        span.set_attribute("error.type", type(error).__qualname__)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__qualname__}: {error}"))


def _metric(
    context: BusinessContext, service: str, operation: str, extra: Mapping[str, str] | None = None
) -> dict[str, dict]:
    base = {
        "business.domain": context.domain,
        "business.bounded_context": context.bounded_context,
        "service.name": service,
        "service.operation": operation,
        **(extra or {}),
    }
    return {
        "success": {**base, "outcome": "success"},
        "error": {**base, "outcome": "error"},
        "base": base,
    }


def _ids() -> tuple[str, str]:
    return str(uuid.uuid4()), str(uuid.uuid4())


def operation(
    telemetry: Telemetry,
    context: BusinessContext,
    service: str,
    name: str,
    body: Callable[[Any], Awaitable[Any]],
) -> Op:
    """A traced business operation written by hand."""
    business = context.to_attributes()
    metric = _metric(context, service, name)
    histogram = telemetry.duration["operation"]

    async def run() -> Any:
        request_id, correlation_id = _ids()
        attributes = {
            **business,
            "service.name": service,
            "service.operation": name,
            "request.id": request_id,
            "request.source": service,
            "event.correlation_id": correlation_id,
        }
        start = time.perf_counter()
        with telemetry.tracer.start_as_current_span(
            name, attributes=attributes, record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                result = await body(None)
            except Exception as error:
                telemetry.fail(span, error, attributes)
                histogram.record((time.perf_counter() - start) * 1000, metric["error"])
                telemetry.errors.add(1, metric["base"])
                raise
        histogram.record((time.perf_counter() - start) * 1000, metric["success"])
        return result

    return run


async def command_pair(
    nc: Client,
    telemetry: Telemetry,
    context: BusinessContext,
    subject: str,
    handler: Callable[[dict], dict],
) -> Op:
    """A traced command by hand: CLIENT span, trace headers, a JSON envelope with the
    business context; the server side extracts the trace, runs a SERVER span and records
    its duration. Returns the sending side; the serving side is subscribed on ``nc``."""
    business = context.to_attributes()
    as_dict = context.to_dict()
    command = subject.rsplit(".", 1)[1]
    sent = _metric(context, "trading", command, {"command.target_service": "risk-assessment"})
    handled = _metric(context, "risk-assessment", command)

    async def serve(msg: Any) -> None:
        envelope = json.loads(msg.data)
        attributes = {
            **business,
            "service.name": "risk-assessment",
            "service.operation": command,
            "request.id": str(uuid.uuid4()),
            "request.source": envelope["source"],
            "event.correlation_id": envelope["correlation_id"],
            "event.causation_id": envelope["request_id"],
            "messaging.system": "nats",
            "messaging.destination.name": subject,
            "messaging.message.id": envelope["request_id"],
            "messaging.message.conversation_id": envelope["correlation_id"],
            "messaging.operation.type": "process",
            "command.type": command,
        }
        start = time.perf_counter()
        with telemetry.tracer.start_as_current_span(
            f"handle {command}",
            context=propagate.extract(msg.headers or {}),
            kind=SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ):
            reply = {"ok": True, "result": handler(envelope["data"])}
        telemetry.duration["command_handling"].record(
            (time.perf_counter() - start) * 1000, handled["success"]
        )
        await msg.respond(json.dumps(reply).encode())

    await nc.subscribe(subject, queue="handwritten", cb=serve)

    async def send(data: dict) -> Any:
        request_id, correlation_id = _ids()
        attributes = {
            **business,
            "service.name": "trading",
            "service.operation": command,
            "request.id": request_id,
            "request.source": "trading",
            "event.correlation_id": correlation_id,
            "messaging.system": "nats",
            "messaging.destination.name": subject,
            "messaging.message.id": request_id,
            "messaging.message.conversation_id": correlation_id,
            "messaging.operation.type": "send",
            "command.type": command,
            "command.target_service": "risk-assessment",
        }
        start = time.perf_counter()
        with telemetry.tracer.start_as_current_span(
            f"send {command}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                headers = {"Lucent-Correlation-Id": correlation_id}
                propagate.inject(headers)
                envelope = {
                    "command_type": command,
                    "data": data,
                    "business_context": as_dict,
                    "request_id": request_id,
                    "correlation_id": correlation_id,
                    "causation_id": None,
                    "source": "trading",
                }
                msg = await nc.request(
                    subject, json.dumps(envelope).encode(), timeout=5, headers=headers
                )
                reply = json.loads(msg.data)
                if not reply["ok"]:
                    raise RuntimeError(reply["error"])
            except Exception as error:
                telemetry.fail(span, error, attributes)
                telemetry.duration["command"].record(
                    (time.perf_counter() - start) * 1000, sent["error"]
                )
                raise
        telemetry.duration["command"].record((time.perf_counter() - start) * 1000, sent["success"])
        return reply["result"]

    async def op() -> Any:
        return await send({"n": 1})

    return op


def publish(
    js: JetStreamContext,
    telemetry: Telemetry,
    context: BusinessContext,
    store_subject: str,
    stream_id: str,
    payload: dict,
) -> Op:
    """A traced domain event by hand: PRODUCER span, trace context in the event, one
    acknowledged JetStream write with the expected last subject sequence and the event id
    for de-duplication."""
    business = context.to_attributes()
    as_dict = context.to_dict()
    metric = _metric(context, "trading", "TradeExecuted")
    last = {"seq": 0, "version": 0}
    event_subject = "lucent.events.domain.crypto_trading.TradeExecuted"

    async def run() -> None:
        event_id, correlation_id = _ids()
        attributes = {
            **business,
            "service.name": "trading",
            "service.operation": "publish TradeExecuted",
            "messaging.system": "nats",
            "messaging.destination.name": event_subject,
            "messaging.operation.type": "publish",
            "messaging.message.id": event_id,
            "messaging.message.conversation_id": correlation_id,
            "event.type": "TradeExecuted",
            "event.stream_id": stream_id,
            "event.correlation_id": correlation_id,
        }
        start = time.perf_counter()
        with telemetry.tracer.start_as_current_span(
            "publish TradeExecuted",
            kind=SpanKind.PRODUCER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                headers: dict[str, str] = {}
                propagate.inject(headers)
                version = last["version"] + 1
                event = {
                    "event_id": event_id,
                    "stream_id": stream_id,
                    "version": version,
                    "type": "TradeExecuted",
                    "data": payload,
                    "metadata": {
                        "correlation_id": correlation_id,
                        "source": "trading",
                        "business_context": as_dict,
                        **headers,
                    },
                }
                ack = await js.publish(
                    store_subject,
                    json.dumps(event).encode(),
                    headers={
                        "Nats-Msg-Id": event_id,
                        "Nats-Expected-Last-Subject-Sequence": str(last["seq"]),
                    },
                )
                last["seq"], last["version"] = ack.seq, version
                span.set_attribute("event.version", version)
            except Exception as error:
                telemetry.fail(span, error, attributes)
                telemetry.duration["publish"].record(
                    (time.perf_counter() - start) * 1000, metric["error"]
                )
                raise
        telemetry.duration["publish"].record(
            (time.perf_counter() - start) * 1000, metric["success"]
        )

    return run
