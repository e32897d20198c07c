"""The event store on NATS JetStream.

Layout: one stream (``LUCENT_EVENTS``) capturing ``lucent.store.>``; an event stream
``trade-abc123`` is the subject ``lucent.store.trade-abc123``. Every stored message is one
event: its body is the event as JSON, its headers carry ``Nats-Msg-Id`` (the event id, so
JetStream de-duplicates retries) and ``Lucent-Version`` (the dense per-stream version).

Appends are optimistic: the first message of an append carries
``Nats-Expected-Last-Subject-Sequence`` (0 for a new stream), so a writer that raced with
another one is refused by the server. An append of several events is one atomic batch
(nats-server 2.12+): all of it is stored or none. The last known (sequence, version) of
each stream is cached, so an uncontended append costs one round trip; the cache is
corrected from the server whenever a write is refused.

JetStream checks the expected sequence before de-duplication, so a retried append whose
first ack was lost comes back as a conflict: before calling it one, the store looks for
the event ids on the stream and, when they are there, returns the stored events.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError, ServiceUnavailableError

from .._errors import ConcurrencyError, ConfigurationError, LucentError, NamingError
from .._events import DomainEvent, NewEvent
from .base import EventStore

__all__ = ["JetStreamEventStore", "ensure_stream"]

STREAM = "LUCENT_EVENTS"
SUBJECT_PREFIX = "lucent.store."
VERSION_HEADER = "Lucent-Version"
TYPE_HEADER = "Lucent-Event-Type"

_WRONG_LAST_SEQUENCE = 10071
_BATCH_DUPLICATE_ID = 10201
_READ_BATCH = 256
_WRITE_RETRIES = 32
_CACHED_HEADS = 65_536


@dataclass(frozen=True, slots=True)
class _Head:
    """The last message of a stream's subject: 0/0/None for a stream not yet written."""

    seq: int = 0
    version: int = 0
    event_id: str | None = None


class _WrongLastSequenceError(Exception):
    """The server refused a write: the subject moved on since we looked."""


class _BatchDuplicateError(Exception):
    """An atomic batch held an event id the stream already stores."""


@functools.lru_cache(maxsize=4096)
def _subject(stream_id: str) -> str:
    tokens = stream_id.split(".")
    if not stream_id or any(not token or any(c in token for c in "*> \t\r\n") for token in tokens):
        raise NamingError(
            f"stream id {stream_id!r} cannot be a NATS subject token "
            "(no spaces, '*', '>' or empty '.'-separated parts)"
        )
    return SUBJECT_PREFIX + stream_id


def _body(event: NewEvent) -> bytes:
    return json.dumps(
        {
            "event_id": event.event_id,
            "type": event.type,
            "data": event.data,
            "timestamp": event.timestamp,
            "metadata": event.metadata,
        },
        separators=(",", ":"),
        default=str,
    ).encode()


def _decode(stream_id: str, msg: Msg) -> DomainEvent:
    raw = json.loads(msg.data)
    raw["stream_id"] = stream_id
    raw["version"] = int((msg.headers or {})[VERSION_HEADER])
    return DomainEvent.from_dict(raw)


def _is_status(msg: Msg) -> bool:
    return not msg.data and bool(msg.headers) and "Status" in msg.headers


class JetStreamEventStore(EventStore):
    """An :class:`EventStore` on a JetStream stream (see the module docstring)."""

    def __init__(
        self,
        nc: Client,
        *,
        stream: str = STREAM,
        duplicate_window: float = 120.0,
        timeout: float = 5.0,
        release: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._nc = nc
        self._js: JetStreamContext = nc.jetstream(timeout=timeout)
        self._stream = stream
        self._duplicate_window = duplicate_window
        self._timeout = timeout
        self._release = release
        self._heads: dict[str, _Head] = {}
        self._direct = f"$JS.API.DIRECT.GET.{stream}"
        self._atomic = _server_at_least(nc, (2, 12))

    async def setup(self) -> None:
        """Create (or bring up to date) the JetStream stream that holds the events."""
        params: dict[str, Any] = {
            "name": self._stream,
            "subjects": [SUBJECT_PREFIX + ">"],
            "allow_direct": True,
            "duplicate_window": self._duplicate_window,
        }
        if self._atomic:
            params["allow_atomic"] = True
        await ensure_stream(self._js, params)

    async def close(self) -> None:
        """Hand the connection back (it closes when the bus has released it too)."""
        release, self._release = self._release, None
        if release is not None:
            await release()

    # -- reading ------------------------------------------------------------------------

    async def read_stream(self, stream_id: str) -> list[DomainEvent]:
        subject = _subject(stream_id)
        return [_decode(stream_id, msg) for msg in await self._read_messages(subject)]

    async def _read_messages(self, subject: str) -> list[Msg]:
        """Every message on ``subject`` in order, by batched direct gets."""
        out: list[Msg] = []
        seq = 1
        while True:
            request = {"seq": seq, "next_by_subj": subject, "batch": _READ_BATCH}
            inbox = self._nc.new_inbox()
            sub = await self._nc.subscribe(inbox)
            try:
                await self._nc.publish(self._direct, json.dumps(request).encode(), reply=inbox)
                while True:
                    msg = await sub.next_msg(timeout=self._timeout)
                    if not _is_status(msg):
                        out.append(msg)
                        continue
                    status = msg.headers["Status"]
                    if status == "404":
                        return out
                    if status != "204":
                        raise LucentError(
                            f"reading {subject!r} from JetStream failed: status {status} "
                            f"{msg.headers.get('Description', '')}".rstrip()
                        )
                    break
            except TimeoutError as err:
                raise LucentError(f"reading {subject!r} from JetStream timed out") from err
            finally:
                await sub.unsubscribe()
            if int(msg.headers.get("Nats-Num-Pending", "0")) == 0:
                return out
            seq = int(msg.headers["Nats-Last-Sequence"]) + 1

    async def _head(self, subject: str) -> _Head:
        """The subject's last message, straight from the server."""
        try:
            msg = await self._nc.request(f"{self._direct}.{subject}", b"", timeout=self._timeout)
        except TimeoutError as err:
            raise LucentError(f"reading the head of {subject!r} timed out") from err
        if _is_status(msg):
            if msg.headers["Status"] == "404":
                return _Head()
            raise LucentError(f"reading the head of {subject!r} failed: {msg.headers}")
        headers = msg.headers or {}
        return _Head(
            int(headers["Nats-Sequence"]),
            int(headers.get(VERSION_HEADER, "0")),
            headers.get("Nats-Msg-Id"),
        )

    # -- appending ----------------------------------------------------------------------

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None = None,
    ) -> list[DomainEvent]:
        subject = _subject(stream_id)
        events = list(events)
        if not events:
            return []
        ids = [event.event_id for event in events]
        if len(set(ids)) != len(ids):
            raise ValueError(f"append to {stream_id!r} holds the same event id twice")
        if len(events) > 1 and not self._atomic:
            raise ConfigurationError(
                "appending several events at once needs nats-server 2.12 or newer "
                "(atomic batch publish)"
            )
        head = self._heads.get(subject)
        fresh = head is None
        if head is None:
            head = await self._head(subject)
        for _ in range(_WRITE_RETRIES):
            if expected_version is not None and head.version != expected_version:
                if not fresh:
                    head, fresh = await self._head(subject), True
                    continue
                self._remember(subject, head)
                return await self._stored_or_conflict(stream_id, events, expected_version, head)
            try:
                seq, duplicate = await self._write(subject, events, head)
            except (_WrongLastSequenceError, _BatchDuplicateError):
                self._heads.pop(subject, None)
                head, fresh = await self._head(subject), True
                if head.event_id == events[-1].event_id or expected_version is not None:
                    return await self._stored_or_conflict(stream_id, events, expected_version, head)
                continue
            if duplicate:
                stored = await self._find_stored(stream_id, events)
                if stored is not None:
                    return stored
                raise LucentError(f"JetStream reported event {ids[0]!r} as a duplicate")
            stored = [
                DomainEvent.stored(event, stream_id, head.version + index)
                for index, event in enumerate(events, start=1)
            ]
            self._remember(subject, _Head(seq, stored[-1].version, stored[-1].event_id))
            return stored
        raise ConcurrencyError(stream_id, head.version + 1, head.version)

    def _remember(self, subject: str, head: _Head) -> None:
        """Cache a stream's head; the oldest entries go first beyond ``_CACHED_HEADS``."""
        heads = self._heads
        heads.pop(subject, None)
        heads[subject] = head
        if len(heads) > _CACHED_HEADS:
            del heads[next(iter(heads))]

    async def _stored_or_conflict(
        self,
        stream_id: str,
        events: list[NewEvent],
        expected_version: int | None,
        head: _Head,
    ) -> list[DomainEvent]:
        """The stored events when this append already happened, else a conflict."""
        stored = await self._find_stored(stream_id, events)
        if stored is not None:
            return stored
        expected = head.version if expected_version is None else expected_version
        raise ConcurrencyError(stream_id, expected, head.version)

    async def _find_stored(
        self, stream_id: str, events: list[NewEvent]
    ) -> list[DomainEvent] | None:
        """The stored form of ``events`` if all of them are on the stream, else None."""
        wanted = {event.event_id for event in events}
        found: dict[str, DomainEvent] = {}
        for msg in await self._read_messages(_subject(stream_id)):
            event_id = (msg.headers or {}).get("Nats-Msg-Id")
            if event_id in wanted:
                found[event_id] = _decode(stream_id, msg)
        if len(found) != len(wanted):
            return None
        return [found[event.event_id] for event in events]

    async def _write(self, subject: str, events: list[NewEvent], head: _Head) -> tuple[int, bool]:
        """Publish ``events`` after ``head``; the stream sequence of the last one and
        whether JetStream saw it as a duplicate."""
        expected = str(head.seq)
        if len(events) == 1:
            event = events[0]
            headers = {
                "Nats-Msg-Id": event.event_id,
                "Nats-Expected-Last-Subject-Sequence": expected,
                VERSION_HEADER: str(head.version + 1),
                TYPE_HEADER: event.type,
            }
            reply = await self._request(subject, _body(event), headers)
        else:
            batch = uuid.uuid4().hex
            last = len(events)
            for index, event in enumerate(events, start=1):
                headers = {
                    "Nats-Batch-Id": batch,
                    "Nats-Batch-Sequence": str(index),
                    "Nats-Msg-Id": event.event_id,
                    VERSION_HEADER: str(head.version + index),
                    TYPE_HEADER: event.type,
                }
                if index == 1:
                    headers["Nats-Expected-Last-Subject-Sequence"] = expected
                if index < last:
                    await self._nc.publish(subject, _body(event), headers=headers)
                else:
                    headers["Nats-Batch-Commit"] = "1"
                    reply = await self._request(subject, _body(event), headers)
        error = reply.get("error")
        if error:
            code = error.get("err_code")
            if code == _WRONG_LAST_SEQUENCE:
                raise _WrongLastSequenceError
            if code == _BATCH_DUPLICATE_ID:
                raise _BatchDuplicateError
            raise LucentError(
                f"JetStream refused the append to {subject!r}: {error.get('description')}"
            )
        return int(reply["seq"]), bool(reply.get("duplicate"))

    async def _request(self, subject: str, body: bytes, headers: dict[str, str]) -> dict:
        try:
            msg = await self._nc.request(subject, body, timeout=self._timeout, headers=headers)
        except TimeoutError as err:
            raise LucentError(f"JetStream did not acknowledge the append to {subject!r}") from err
        return json.loads(msg.data)


def _server_at_least(nc: Client, minimum: tuple[int, int]) -> bool:
    version = nc.connected_server_version
    return (version.major, version.minor) >= minimum


async def ensure_stream(js: JetStreamContext, params: dict[str, Any]) -> None:
    """Create the stream, or update it when it exists with another configuration."""
    try:
        try:
            await js.add_stream(**params)
        except BadRequestError:
            await js.update_stream(**params)
    except (NoRespondersError, ServiceUnavailableError, TimeoutError) as err:
        raise ConfigurationError(
            f"cannot create JetStream stream {params['name']!r}: is JetStream enabled on "
            f"the NATS server? ({type(err).__name__})"
        ) from err
