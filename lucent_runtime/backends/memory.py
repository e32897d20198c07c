"""In-memory event store and in-process message bus.

``InMemoryEventStore`` is for tests. ``InProcessMessageBus`` is the embedded default bus
(with the SQLite store): it keeps the ``MessageBus`` contract of the NATS back-end inside
one process — durable consumers that survive a stop/start, redelivery with bounded attempts
and backoff, dead letters on ``lucent.dlq.{durable}``, request/reply with timeout and
no-responders. Handlers run in tasks with a fresh ``contextvars`` context, as if they ran in
another process.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from .._errors import CommandTimeoutError, ConcurrencyError, LucentError, NoHandlerError
from .._events import DomainEvent, NewEvent
from .._redact import redacting_logger
from .base import (
    DEFAULT_COMMAND_CONCURRENCY,
    EventStore,
    Message,
    MessageBus,
    MessageHandler,
    RequestHandler,
    Subscription,
    check_stream_id,
    command_names,
    dead_letter_headers,
    dead_letter_subject,
    is_permanent,
)

__all__ = ["InMemoryEventStore", "InProcessMessageBus", "subject_matches"]

_log = redacting_logger("lucent_runtime.bus")


class InMemoryEventStore(EventStore):
    """Streams in a dict; safe under concurrent async appends."""

    def __init__(self) -> None:
        self._streams: dict[str, list[DomainEvent]] = {}
        self._by_id: dict[str, DomainEvent] = {}
        self._lock = asyncio.Lock()

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None = None,
    ) -> list[DomainEvent]:
        check_stream_id(stream_id)
        async with self._lock:
            stream = self._streams.setdefault(stream_id, [])
            fresh = [e for e in events if e.event_id not in self._by_id]
            for event in events:
                stored = self._by_id.get(event.event_id)
                if stored is not None and stored.stream_id != stream_id:
                    raise LucentError(
                        f"event id {event.event_id!r} is already stored in stream "
                        f"{stored.stream_id!r}"
                    )
            if fresh and expected_version is not None and expected_version != len(stream):
                raise ConcurrencyError(stream_id, expected_version, len(stream))
            for new in fresh:
                stored = DomainEvent.stored(new, stream_id, len(stream) + 1)
                stream.append(stored)
                self._by_id[new.event_id] = stored
            return [self._by_id[e.event_id] for e in events]

    async def read_stream(self, stream_id: str) -> list[DomainEvent]:
        return list(self._streams.get(check_stream_id(stream_id), ()))


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` matches one token, a final ``>`` one or more."""
    want, have = pattern.split("."), subject.split(".")
    for index, token in enumerate(want):
        if token == ">" and index == len(want) - 1:
            return len(have) > index
        if index >= len(have) or (token != "*" and token != have[index]):
            return False
    return len(want) == len(have)


@dataclass(eq=False)
class _Durable:
    """One durable consumer: its pending messages and its active members."""

    name: str
    subject: str
    queue: asyncio.Queue[Message] = field(default_factory=asyncio.Queue)
    members: list[_Member] = field(default_factory=list)
    retries: set[asyncio.TimerHandle] = field(default_factory=set)


class _Member(Subscription):
    """One subscriber of a durable: a worker task taking messages off the durable's queue."""

    def __init__(self, bus: InProcessMessageBus, durable: _Durable, handler: MessageHandler):
        self.bus = bus
        self.durable = durable
        self.handler = handler
        self.stopping = False
        self.busy = False
        self.task = asyncio.get_running_loop().create_task(
            self._run(), context=contextvars.Context()
        )

    def _may_leave(self) -> bool:
        # the last member drains the queue; with others left, it hands over at once
        return self.durable.queue.empty() or len(self.durable.members) > 1

    async def _run(self) -> None:
        queue = self.durable.queue
        while not (self.stopping and self._may_leave()):
            message = await queue.get()
            self.busy = True
            try:
                await self.bus._deliver(self.durable, self.handler, message)
            finally:
                self.busy = False
                queue.task_done()

    async def stop(self) -> None:
        """Finish the in-flight message (and, as the last member, the queued ones), then
        leave the durable; messages published later wait for its next subscriber."""
        if not self.stopping:
            self.stopping = True
            if not self.busy and self._may_leave():
                self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        if self in self.durable.members:
            self.durable.members.remove(self)


class _Responder(Subscription):
    def __init__(
        self,
        bus: InProcessMessageBus,
        subject: str,
        queue: str,
        handler: RequestHandler,
        limit: asyncio.Semaphore,
    ):
        self.bus, self.subject, self.queue, self.handler = bus, subject, queue, handler
        self.limit = limit
        self.in_flight: set[asyncio.Task[bytes]] = set()

    async def answer(self, request: Message) -> bytes:
        """The handler's reply, at most ``limit`` requests at a time (as on NATS)."""
        async with self.limit:
            return await self.handler(request)

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.bus._responders.remove(self)
        if self.in_flight:
            await asyncio.gather(*self.in_flight, return_exceptions=True)


class InProcessMessageBus(MessageBus):
    """The ``MessageBus`` contract within one process.

    ``max_deliver`` bounds the delivery attempts of a message; between attempts the delay
    grows from ``backoff`` seconds, doubling up to ``max_backoff``.
    """

    messaging_system = "lucent.inprocess"

    def __init__(
        self, *, max_deliver: int = 5, backoff: float = 0.05, max_backoff: float = 2.0
    ) -> None:
        if max_deliver < 1:
            raise ValueError("max_deliver must be at least 1")
        self.max_deliver = max_deliver
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._durables: dict[str, _Durable] = {}
        self._responders: list[_Responder] = []
        self._rr = itertools.count()
        self._closed = False

    # -- events -------------------------------------------------------------------------
    async def publish(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str],
        *,
        message_id: str | None = None,
    ) -> None:
        self._check_open()
        for durable in self._durables.values():
            if subject_matches(durable.subject, subject):
                durable.queue.put_nowait(Message(subject, data, dict(headers), 1))

    def has_subscribers(self, subject: str) -> bool:
        return any(subject_matches(d.subject, subject) for d in self._durables.values())

    async def subscribe(self, subject: str, durable: str, handler: MessageHandler) -> Subscription:
        self._check_open()
        state = self._durables.get(durable)
        if state is None:
            state = self._durables[durable] = _Durable(durable, subject)
        elif state.subject != subject:
            raise LucentError(
                f"durable {durable!r} already consumes {state.subject!r}, not {subject!r}"
            )
        member = _Member(self, state, handler)
        state.members.append(member)
        return member

    async def _deliver(self, durable: _Durable, handler: MessageHandler, message: Message) -> None:
        try:
            await handler(message)
        except Exception as error:
            if message.attempt >= self.max_deliver or is_permanent(error):
                _log.warning(
                    "dead-lettering a message of %s on %s after %d attempts: %s",
                    durable.name,
                    message.subject,
                    message.attempt,
                    error,
                )
                headers = dead_letter_headers(message, error, message.attempt)
                await self.publish(dead_letter_subject(durable.name), message.data, headers)
                return
            delay = min(self.backoff * 2 ** (message.attempt - 1), self.max_backoff)
            again = Message(message.subject, message.data, message.headers, message.attempt + 1)
            loop = asyncio.get_running_loop()
            handle: asyncio.TimerHandle

            def redeliver() -> None:
                durable.retries.discard(handle)
                durable.queue.put_nowait(again)

            handle = loop.call_later(delay, redeliver)
            durable.retries.add(handle)

    # -- commands -----------------------------------------------------------------------
    async def serve(
        self,
        subject: str,
        queue: str,
        handler: RequestHandler,
        *,
        limit: asyncio.Semaphore | None = None,
    ) -> Subscription:
        self._check_open()
        limit = limit or asyncio.Semaphore(DEFAULT_COMMAND_CONCURRENCY)
        responder = _Responder(self, subject, queue, handler, limit)
        self._responders.append(responder)
        return responder

    async def request(
        self, subject: str, data: bytes, headers: dict[str, str], timeout: float
    ) -> Message:
        self._check_open()
        matching = [r for r in self._responders if subject_matches(r.subject, subject)]
        service, command = command_names(subject)
        names = {"target_service": service, "command_type": command, "subject": subject}
        if not matching:
            raise NoHandlerError(f"no responders on {subject!r}", **names)
        # one member per queue group answers; the first group's reply wins
        groups: dict[str, list[_Responder]] = {}
        for responder in matching:
            groups.setdefault(responder.queue, []).append(responder)
        first = next(iter(groups.values()))
        responder = first[next(self._rr) % len(first)]
        request = Message(subject, data, dict(headers), 1)
        task = asyncio.get_running_loop().create_task(
            responder.answer(request), context=contextvars.Context()
        )
        responder.in_flight.add(task)
        task.add_done_callback(responder.in_flight.discard)
        try:
            reply = await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError as err:
            raise CommandTimeoutError(
                f"no reply on {subject!r} within {timeout:g} s", **names
            ) from err
        except Exception as err:
            # a responder that fails sends no reply: the requester times out, as on NATS
            _log.warning("responder on %s failed without replying: %s", subject, err)
            raise CommandTimeoutError(
                f"no reply on {subject!r}: the responder failed", **names
            ) from err
        return Message(subject, reply, {}, 1)

    # -- lifecycle ----------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise LucentError("the message bus is closed")

    async def close(self) -> None:
        """Drain every subscription and cancel pending redeliveries."""
        if self._closed:
            return
        members = [m for d in self._durables.values() for m in d.members]
        await asyncio.gather(*(m.stop() for m in members))
        await asyncio.gather(*(r.stop() for r in list(self._responders)))
        for durable in self._durables.values():
            for handle in durable.retries:
                handle.cancel()
            durable.retries.clear()
        self._closed = True
