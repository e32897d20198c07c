"""The ``@command_handler`` and ``@event_handler`` markers and their discovery.

The decorators only mark a method (names and the method's parameters are checked at once,
so a misnamed or mis-declared handler fails at import, not at its first message);
``service.start()`` finds the marks and subscribes.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from . import naming
from ._errors import NamingError

__all__ = [
    "CommandHandlerSpec",
    "EventHandlerSpec",
    "command_handler",
    "command_handlers",
    "durable_name",
    "event_handler",
    "event_handlers",
]

F = TypeVar("F", bound=Callable[..., Any])

_COMMAND_MARK = "__lucent_command_handler__"
_EVENT_MARK = "__lucent_event_handler__"


@dataclass(frozen=True, slots=True)
class CommandHandlerSpec:
    command_type: str


@dataclass(frozen=True, slots=True)
class EventHandlerSpec:
    event_type: str
    bounded_context: str | None

    def subject(self) -> str:
        """The subject to consume: the named bounded context, or any (``*``)."""
        if self.bounded_context is None:
            return f"lucent.events.domain.*.{self.event_type}"
        return naming.event_subject(self.bounded_context, self.event_type)


def command_handler(command_type: str) -> Callable[[F], F]:
    """Mark ``async def x(self, data, ctx)`` as the handler of ``command_type``; its return
    value is the reply. ``data`` is a dict, or a pydantic model when annotated as one."""
    problem = naming.command_type_problem(command_type) if isinstance(command_type, str) else None
    if not isinstance(command_type, str) or problem:
        raise NamingError(problem or f"command type must be a string, got {command_type!r}")

    def mark(fn: F) -> F:
        _check_parameters(fn, f"@command_handler({command_type!r})", ("self", "data", "ctx"))
        setattr(fn, _COMMAND_MARK, CommandHandlerSpec(command_type))
        return fn

    return mark


def event_handler(event_type: str, *, bounded_context: str | None = None) -> Callable[[F], F]:
    """Mark ``async def handle_x(self, event)`` as the handler of ``event_type`` events
    (from any bounded context unless one is given); it must delegate to
    ``self.handle_domain_event``."""
    problem = naming.event_type_problem(event_type) if isinstance(event_type, str) else None
    if not isinstance(event_type, str) or problem:
        raise NamingError(problem or f"event type must be a string, got {event_type!r}")
    if bounded_context is not None and not naming.is_kebab_case(bounded_context):
        raise NamingError(f"bounded context {bounded_context!r} is not kebab-case")

    def mark(fn: F) -> F:
        _check_parameters(fn, f"@event_handler({event_type!r})", ("self", "event"))
        setattr(fn, _EVENT_MARK, EventHandlerSpec(event_type, bounded_context))
        return fn

    return mark


def _check_parameters(fn: Any, decorator: str, wanted: tuple[str, ...]) -> None:
    """``TypeError`` unless ``fn`` can be called with one argument per name in ``wanted``."""
    if not callable(fn):
        raise TypeError(f"{decorator} marks a method, got {fn!r}")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return  # a callable without a signature to read (a builtin): its call will tell
    try:
        signature.bind(*wanted)
    except TypeError:
        name = getattr(fn, "__qualname__", repr(fn))
        called = f"({', '.join(wanted)})"
        raise TypeError(
            f"{decorator} needs a method called as {called}; {name}{signature} is not"
        ) from None


def _marked(cls: type, mark: str) -> Iterator[tuple[str, Any]]:
    seen: set[str] = set()
    for klass in cls.__mro__:
        for name, value in vars(klass).items():
            if name in seen:
                continue
            seen.add(name)
            spec = getattr(value, mark, None)
            if spec is not None:
                yield name, spec


def command_handlers(cls: type) -> list[tuple[str, CommandHandlerSpec]]:
    """``(method name, spec)`` of every command handler of a service class."""
    return sorted(_marked(cls, _COMMAND_MARK), key=lambda item: item[0])


def event_handlers(cls: type) -> list[tuple[str, EventHandlerSpec]]:
    """``(method name, spec)`` of every event handler of a service class."""
    return sorted(_marked(cls, _EVENT_MARK), key=lambda item: item[0])


def durable_name(service_name: str, method_name: str) -> str:
    """The durable consumer of a handler: ``portfolio-handle-trade-executed``."""
    method = re.sub(r"[^a-z0-9]+", "-", method_name.lower()).strip("-")
    return f"{service_name}-{method}"
