"""Commands: request/reply between services on ``lucent.commands.{service}.{CommandType}``.

The request body is an envelope ``{"command_type", "data", "business_context",
"request_id", "correlation_id", "causation_id", "source"}``; the reply is
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {"type", "message"},
"business_context", "correlation_id"}``. The sender's span is a CLIENT span, the handler's a
SERVER span continuing the sender's trace (W3C ``traceparent`` in the headers).
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import SpanKind
from pydantic import BaseModel

from . import naming
from ._context import BusinessContext, RequestContext, current_request_context, new_id
from ._errors import (
    CommandTimeoutError,
    LucentError,
    NamingError,
    NoHandlerError,
    RemoteCommandError,
)
from ._invoke import invoke
from ._payload import decode, encode, to_jsonable
from ._publishing import check_subject
from ._redact import redact_text
from ._telemetry import (
    Timer,
    extract_context,
    inject_headers,
    messaging_attributes,
    metric_attributes,
    traced,
    work_attributes,
)
from .backends.base import Message, RequestHandler

if TYPE_CHECKING:
    from ._service import LucentServiceBase

__all__ = ["command_responder", "send_command"]


def check_command_names(target_service: str, command_type: str) -> str:
    """The command's subject; :class:`NamingError` for a bad service or command name."""
    if not isinstance(target_service, str):
        raise NamingError(
            f"target service {target_service!r} is not kebab-case (e.g. 'risk-assessment')"
        )
    if not isinstance(command_type, str):
        raise NamingError(f"command type must be a string, got {command_type!r}")
    return _checked_subject(target_service, command_type)


@functools.lru_cache(maxsize=4096)
def _checked_subject(target_service: str, command_type: str) -> str:
    """:func:`check_command_names` for two strings (cached: services send the same few
    commands again and again; a refused name raises and is not cached)."""
    if not naming.is_kebab_case(target_service):
        raise NamingError(
            f"target service {target_service!r} is not kebab-case (e.g. 'risk-assessment')"
        )
    problem = naming.command_type_problem(command_type)
    if problem:
        raise NamingError(problem)
    subject = naming.command_subject(target_service, command_type)
    check_subject(subject, "the target service and command type")
    return subject


async def send_command(
    service: LucentServiceBase,
    target_service: str,
    command_type: str,
    data: Any,
    business_context: BusinessContext,
    timeout: float,
) -> Any:
    """Send a command and return the handler's reply (see the module docstring)."""
    subject = check_command_names(target_service, command_type)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    payload = to_jsonable(data, f"data of command {command_type}")
    ctx = RequestContext.start(business_context, service.service_name, current_request_context())
    names = {"target_service": target_service, "command_type": command_type, "subject": subject}
    system = service.infrastructure.bus.messaging_system
    attributes = {
        **work_attributes(service.service_name, command_type, ctx),
        **messaging_attributes(system, subject, ctx.request_id, ctx.correlation_id, "send"),
        "command.type": command_type,
        "command.target_service": target_service,
    }
    metric = metric_attributes(
        business_context,
        service.service_name,
        command_type,
        "command.target_service",
        target_service,
    )
    timer = Timer("command", metric)
    envelope = {
        "command_type": command_type,
        "data": payload,
        "business_context": business_context.to_dict(),
        "request_id": ctx.request_id,
        "correlation_id": ctx.correlation_id,
        "causation_id": ctx.causation_id,
        "source": service.service_name,
    }
    body = encode(envelope, f"data of command {command_type}")

    async def send() -> Any:
        headers = inject_headers({"Lucent-Correlation-Id": ctx.correlation_id})
        reply = await _request(service, subject, body, headers, timeout, names)
        return _unwrap(reply, business_context, ctx.correlation_id, names)

    return await traced(f"send {command_type}", attributes, timer, send, kind=SpanKind.CLIENT)


async def _request(
    service: LucentServiceBase,
    subject: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    names: dict[str, str],
) -> Message:
    target, command = names["target_service"], names["command_type"]
    try:
        return await service.infrastructure.bus.request(subject, body, headers, timeout)
    except NoHandlerError as err:
        raise NoHandlerError(
            f"no handler for command {command} at service {target!r} (nothing serves {subject})",
            **names,
        ) from err
    except (CommandTimeoutError, TimeoutError) as err:
        raise CommandTimeoutError(
            f"command {command} to service {target!r} got no reply within {timeout:g}s",
            **names,
        ) from err


def _unwrap(
    reply: Message,
    business_context: BusinessContext,
    correlation_id: str,
    names: dict[str, str],
) -> Any:
    answer = decode(reply.data, f"reply to command {names['command_type']}")
    if not isinstance(answer, dict) or "ok" not in answer:
        raise RemoteCommandError(
            f"command {names['command_type']} got a malformed reply from "
            f"{names['target_service']!r}",
            remote_error={"type": "MalformedReply", "message": repr(answer)[:200]},
            business_context=business_context.to_dict(),
            correlation_id=correlation_id,
            **names,
        )
    if answer["ok"]:
        return answer.get("result")
    remote = answer.get("error") or {}
    raise RemoteCommandError(
        f"command {names['command_type']} failed at service {names['target_service']!r}: "
        f"{remote.get('type', 'Error')}: {remote.get('message', '')}",
        remote_error=remote,
        business_context=answer.get("business_context") or business_context.to_dict(),
        correlation_id=answer.get("correlation_id") or correlation_id,
        **names,
    )


def _data_model(method: Callable[..., Any]) -> type[BaseModel] | None:
    """The pydantic model the handler's ``data`` parameter is annotated with, if any."""
    try:
        hints = typing.get_type_hints(method)
    except Exception:  # unresolvable annotations: hand over plain JSON
        return None
    code = getattr(method, "__code__", None)
    if code is None:
        return None
    names = code.co_varnames[: code.co_argcount]
    names = names[1:] if names and names[0] == "self" else names
    hint = hints.get(names[0]) if names else None
    return hint if isinstance(hint, type) and issubclass(hint, BaseModel) else None


def command_responder(
    service: LucentServiceBase, command_type: str, method: Callable[..., Any]
) -> RequestHandler:
    """The request handler serving ``method`` as the handler of ``command_type``."""
    model = _data_model(method)
    subject = naming.command_subject(service.service_name, command_type)

    async def respond(message: Message) -> bytes:
        try:
            envelope = decode(message.data, f"command {command_type}")
            business_context = BusinessContext.from_dict(envelope["business_context"])
        except (LucentError, KeyError, TypeError) as err:
            service.logger.warning(  # noqa: PLE1205 - a StructuredLogger, not logging
                "malformed command refused", {"command_type": command_type}, err
            )
            error = {"type": type(err).__name__, "message": f"malformed command: {err}"}
            return encode({"ok": False, "error": error})
        correlation = envelope.get("correlation_id") or new_id()
        ctx = RequestContext(
            new_id(),
            correlation,
            envelope.get("request_id"),
            business_context,
            envelope.get("source") or service.service_name,
        )
        attributes = {
            **work_attributes(service.service_name, command_type, ctx),
            **messaging_attributes(
                service.infrastructure.bus.messaging_system,
                subject,
                envelope.get("request_id") or "",
                correlation,
                "process",
            ),
            "command.type": command_type,
        }
        timer = Timer(
            "command_handling",
            metric_attributes(business_context, service.service_name, command_type),
        )

        async def handle() -> bytes:
            try:
                data = envelope.get("data")
                if model is not None:
                    data = model.model_validate(data)
                result = await invoke(method, data, ctx)
                return encode(
                    {"ok": True, "result": to_jsonable(result, f"reply to {command_type}")}
                )
            except Exception as error:
                service.logger.error(
                    f"command {command_type} failed", {"command_type": command_type}, error
                )
                raise

        try:
            return await traced(
                f"handle {command_type}",
                attributes,
                timer,
                handle,
                ctx,
                SpanKind.SERVER,
                extract_context(message.headers),
            )
        except Exception as error:
            return encode(
                {
                    "ok": False,
                    "error": {"type": type(error).__qualname__, "message": redact_text(str(error))},
                    "business_context": business_context.to_dict(),
                    "correlation_id": correlation,
                }
            )

    return respond
