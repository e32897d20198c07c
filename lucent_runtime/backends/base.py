"""The back-end interfaces: an event store and a message bus.

Each implementation lives in its own module: ``memory`` (tests), ``sqlite`` + the
in-process bus (the embedded default) and ``nats`` (core NATS for commands, one JetStream
stream as event store and event bus).
"""

from __future__ import annotations

import abc
import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from .._errors import MessageDecodeError, NamingError
from .._events import DomainEvent, NewEvent
from .._redact import redact_headers, redact_text


@dataclass(slots=True)
class Message:
    """A message as a handler sees it: subject, raw payload, headers, delivery attempt."""

    subject: str
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)
    attempt: int = 1


#: Dead letters of the durable consumer ``d`` are published on ``lucent.dlq.{d}``, with the
#: original payload and headers plus the headers below.
DEAD_LETTER_PREFIX = "lucent.dlq."
#: the subject the message was originally published on
HEADER_DLQ_SUBJECT = "Lucent-Dlq-Subject"
#: the last error, ``"{type}: {message}"``
HEADER_DLQ_ERROR = "Lucent-Dlq-Error"
#: how many deliveries were attempted
HEADER_DLQ_ATTEMPTS = "Lucent-Dlq-Attempts"
#: the longest error text a dead letter carries (a header value; JetStream refuses a
#: message whose headers exceed 64 KB)
MAX_DLQ_ERROR = 1024
#: how many commands a service handles at once unless it says otherwise
DEFAULT_COMMAND_CONCURRENCY = 32


@functools.lru_cache(maxsize=4096)
def check_stream_id(stream_id: str) -> str:
    """``stream_id``, or :class:`NamingError` when it cannot name a stream on every back-end:
    it must be one NATS subject token (a non-empty string without spaces, '.', '*' or
    '>'). Every event store checks it the same way, on append and on read."""
    if not isinstance(stream_id, str) or not stream_id or any(c in stream_id for c in ".*> \t\r\n"):
        raise NamingError(
            f"stream id {stream_id!r} cannot be a NATS subject token (no spaces, '.', '*' or '>')"
        )
    return stream_id


def command_names(subject: str) -> tuple[str, str]:
    """``(target service, command type)`` of a ``lucent.commands.{service}.{Command}``
    subject (empty strings for any other subject): what command errors report."""
    tokens = subject.split(".")
    if len(tokens) == 4 and tokens[:2] == ["lucent", "commands"]:
        return tokens[2].replace("_", "-"), tokens[3]
    return "", ""


def dead_letter_subject(durable: str) -> str:
    """``lucent.dlq.{durable}``: where a message goes after its last failed delivery."""
    return DEAD_LETTER_PREFIX + durable


def dead_letter_headers(message: Message, error: BaseException, attempts: int) -> dict[str, str]:
    """The headers of a dead letter: the original ones plus subject, error and attempts,
    with secrets redacted (secret-looking headers and baggage members, the error text)."""
    return {
        **redact_headers(message.headers),
        HEADER_DLQ_SUBJECT: message.subject,
        HEADER_DLQ_ERROR: _header_text(
            redact_text(f"{type(error).__name__}: {error}"), MAX_DLQ_ERROR
        ),
        HEADER_DLQ_ATTEMPTS: str(attempts),
    }


def _header_text(text: str, limit: int) -> str:
    """``text`` as one header line of at most ``limit`` characters."""
    text = " ".join(text.split()) if any(c in text for c in "\r\n") else text
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_permanent(error: BaseException) -> bool:
    """True for a failure that no redelivery can cure (the message cannot be decoded):
    the message is dead-lettered at once."""
    return isinstance(error, MessageDecodeError)


MessageHandler = Callable[[Message], Awaitable[None]]
RequestHandler = Callable[[Message], Awaitable[bytes]]


class Subscription(abc.ABC):
    """A live subscription; ``stop()`` drains in-flight messages and unsubscribes."""

    @abc.abstractmethod
    async def stop(self) -> None: ...


class EventStore(abc.ABC):
    """Append-only streams of domain events with dense per-stream versions from 1."""

    #: True when an appended event reaches the bus's subscribers by itself (the store is
    #: the event bus, as on JetStream); otherwise the publisher puts it on the bus after
    #: the append.
    publishes: bool = False

    @abc.abstractmethod
    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None = None,
    ) -> list[DomainEvent]:
        """Append ``events``; with ``expected_version`` (0 = empty stream) refuse a stale
        writer with :class:`lucent_runtime.ConcurrencyError`. Appending an event whose id is
        already stored returns the stored event (idempotent retry)."""

    @abc.abstractmethod
    async def read_stream(self, stream_id: str) -> list[DomainEvent]:
        """The stream's events in version order (empty list for an unknown stream)."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and files."""


class MessageBus(abc.ABC):
    """Publish/subscribe for events, request/reply for commands."""

    #: the ``messaging.system`` attribute of the spans around this bus
    messaging_system: str = "nats"

    @abc.abstractmethod
    async def publish(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str],
        *,
        message_id: str | None = None,
    ) -> None:
        """Publish an event message; a back-end that de-duplicates drops a second message
        with the same ``message_id``."""

    def has_subscribers(self, subject: str) -> bool:
        """False when a message published on ``subject`` now would reach nobody (the
        publisher may then skip encoding it); True when it may reach someone."""
        return True

    @abc.abstractmethod
    async def subscribe(self, subject: str, durable: str, handler: MessageHandler) -> Subscription:
        """Deliver messages on ``subject`` to ``handler``. A message counts as handled only
        when the handler returns; if it raises the message is redelivered (bounded, with
        backoff) and finally dead-lettered on ``lucent.dlq.{durable}`` (see
        :func:`dead_letter_headers`); one that can never succeed (:func:`is_permanent`) is
        dead-lettered at once. Subscribing again with the same ``durable`` resumes
        the same consumer. ``subject`` may use the NATS wildcards ``*`` and ``>``."""

    @abc.abstractmethod
    async def request(
        self, subject: str, data: bytes, headers: dict[str, str], timeout: float
    ) -> Message:
        """Send a request and wait for the reply. Raises
        :class:`lucent_runtime.CommandTimeoutError` or :class:`lucent_runtime.NoHandlerError`."""

    @abc.abstractmethod
    async def serve(
        self,
        subject: str,
        queue: str,
        handler: RequestHandler,
        *,
        limit: asyncio.Semaphore | None = None,
    ) -> Subscription:
        """Answer requests on ``subject`` (one member of ``queue`` per request), several at
        once: at most ``limit``'s value at a time (a semaphore shared by the serve calls of
        one service), :data:`DEFAULT_COMMAND_CONCURRENCY` when None."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Drain and close connections."""
