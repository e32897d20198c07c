"""The event store on NATS JetStream, which is also the event bus.

Layout: one stream (``LUCENT_EVENTS``) capturing ``lucent.store.>``. An event of stream
``trade-abc123`` published on ``lucent.events.domain.crypto_trading.TradeExecuted`` is
stored, once, as ``lucent.store.trade-abc123.domain.crypto_trading.TradeExecuted``: the
subject carries what optimistic concurrency needs (the stream id) and what consumers filter
on (domain and event type). Its body is the event as JSON (``DomainEvent.to_json()``), its
headers carry ``Lucent-Version`` (the dense per-stream version) and, when the append needs
JetStream's de-duplication (see below), ``Nats-Msg-Id`` (the event id). The stream
re-publishes every stored event on its ``lucent.events.domain.{domain}.{EventType}``
subject for core NATS subscribers (JetStream RePublish: no second acknowledged write);
durable consumers (:mod:`.nats_bus`) filter the stream itself.

Appends are optimistic: the first message of an append carries
``Nats-Expected-Last-Subject-Sequence`` for the subject ``lucent.store.{stream id}.>``
(0 for a new stream), so a writer that raced with another one is refused by the server. An
append of several events is one atomic batch (nats-server 2.12+): all of it is stored or
none. The last known (sequence, version) of each stream is cached, so an uncontended append
costs one round trip; the cache is corrected from the server whenever a write is refused.

A retried append whose first ack was lost comes back as a conflict (the first copy moved
the subject on): before calling it one, the store looks for the event ids on the stream
and, when they are there, returns the stored events. An append of ``fresh`` events (ids
made for it, as ``publish_domain_event`` does: nobody can append them again) skips
JetStream's de-duplication window, which costs the server time on every write: only the
store's own retries can repeat it, and those look for its events after the sequence the
first attempt expected. Other appends carry ``Nats-Msg-Id``, so that a caller's retry of a
stored append, in whatever form and after other writers moved the stream on, is
de-duplicated by the server. A server that does not answer (restarting, unreachable) is
asked again for up to ``retry_window`` seconds; then :class:`StoreUnavailableError` says
whether the event may have been stored.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, NoRespondersError
from nats.errors import Error as NatsError
from nats.js.api import RePublish
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError, ServiceUnavailableError

from .._errors import (
    ConcurrencyError,
    ConfigurationError,
    EventStoreError,
    PayloadTooLargeError,
    StoreUnavailableError,
)
from .._events import DomainEvent, NewEvent, compact_json, event_body
from .base import EventStore, check_stream_id

__all__ = [
    "BUS_STREAM_ID",
    "JetStreamEventStore",
    "bus_subject",
    "consumer_filter",
    "ensure_stream",
    "message_size",
    "store_subject",
]

STREAM = "LUCENT_EVENTS"
SUBJECT_PREFIX = "lucent.store."
EVENTS_PREFIX = "lucent.events."
#: the stream-id token of a message put on the event bus directly, not through the store
BUS_STREAM_ID = "_"
VERSION_HEADER = "Lucent-Version"
TYPE_HEADER = "Lucent-Event-Type"
#: core NATS subscribers see every stored event on its ``lucent.events.domain...`` subject
REPUBLISH = {
    "src": SUBJECT_PREFIX + "*.domain.*.*",
    "dest": EVENTS_PREFIX + "domain.{{wildcard(2)}}.{{wildcard(3)}}",
}

_WRONG_LAST_SEQUENCE = 10071
_BATCH_DUPLICATE_ID = 10201
_READ_BATCH = 256
_WRITE_RETRIES = 32
_READ_ATTEMPTS = 5
_CACHED_HEADS = 65_536


class _Head(NamedTuple):
    """The last message of a stream's subject: 0/0/None for a stream not yet written."""

    seq: int = 0
    version: int = 0
    event_id: str | None = None


class _WrongLastSequenceError(Exception):
    """The server refused a write: the subject moved on since we looked."""


class _BatchDuplicateError(Exception):
    """An atomic batch held an event id the stream already stores."""


@functools.lru_cache(maxsize=4096)
def _stream_subjects(stream_id: str) -> str:
    """``lucent.store.{stream_id}.>``: every event of the stream."""
    check_stream_id(stream_id)
    return f"{SUBJECT_PREFIX}{stream_id}.>"


def store_subject(stream_id: str, subject: str) -> str:
    """Where the event of ``stream_id`` published on bus ``subject`` is stored."""
    return f"{SUBJECT_PREFIX}{stream_id}.{subject.removeprefix(EVENTS_PREFIX)}"


def bus_subject(stored: str) -> str:
    """The bus subject of a stored message (:func:`store_subject` reversed)."""
    return EVENTS_PREFIX + stored[len(SUBJECT_PREFIX) :].split(".", 1)[1]


def consumer_filter(subject: str) -> str:
    """The stored messages a subscription to bus ``subject`` (wildcards allowed) wants."""
    return store_subject("*", subject)


def _event_subject(event: NewEvent) -> str:
    return event.subject or f"{EVENTS_PREFIX}domain._.{event.type}"


def _body(event: NewEvent, stream_id: str, version: int) -> bytes:
    return event_body(
        event.event_id, stream_id, version, event.type, event.data, event.timestamp, event.metadata
    )


def _decode(msg: Msg) -> DomainEvent:
    return DomainEvent.from_json(msg.data)


def _body_object(msg: Msg) -> dict[str, Any] | None:
    """The JSON object of a stored message's body; None for a body that is not one."""
    try:
        body = json.loads(msg.data)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def _event_id(msg: Msg) -> str | None:
    """The event id of a stored message: its ``Nats-Msg-Id``, else its body's."""
    event_id = (msg.headers or {}).get("Nats-Msg-Id")
    if event_id is not None:
        return event_id
    body = _body_object(msg)
    return None if body is None else body.get("event_id")


def message_size(subject: str, body: bytes, headers: dict[str, str] | None) -> int:
    """The bytes the server counts against ``max_payload``: body plus encoded headers."""
    size = len(body)
    if headers:  # NATS/1.0 and the CRLFs, then per header "key: value" and its CRLF
        size += 12 + 4 * len(headers) + sum(map(len, headers)) + sum(map(len, headers.values()))
    return size


def check_size(nc: Client, what: str, subject: str, body: bytes, headers: dict | None) -> None:
    """:class:`PayloadTooLargeError` when the server would refuse the message."""
    size = message_size(subject, body, headers)
    if size > nc.max_payload:
        raise PayloadTooLargeError(what, size, nc.max_payload)


def _is_status(msg: Msg) -> bool:
    return not msg.data and bool(msg.headers) and "Status" in msg.headers


class JetStreamEventStore(EventStore):
    """An :class:`EventStore` on a JetStream stream (see the module docstring)."""

    publishes = True

    def __init__(
        self,
        nc: Client,
        *,
        stream: str = STREAM,
        duplicate_window: float = 120.0,
        timeout: float = 5.0,
        retry_window: float = 20.0,
        release: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._nc = nc
        self._js: JetStreamContext = nc.jetstream(timeout=timeout)
        self.stream = stream
        self._duplicate_window = duplicate_window
        self._timeout = timeout
        self._retry_window = retry_window
        self._release = release
        self._heads: dict[str, _Head] = {}
        self._direct = f"$JS.API.DIRECT.GET.{stream}"
        self._atomic = _server_at_least(nc, (2, 12))

    async def setup(self) -> None:
        """Create (or bring up to date) the JetStream stream that holds the events."""
        params: dict[str, Any] = {
            "name": self.stream,
            "subjects": [SUBJECT_PREFIX + ">"],
            "allow_direct": True,
            "duplicate_window": self._duplicate_window,
            "republish": RePublish(**REPUBLISH),
        }
        if self._atomic:
            params["allow_atomic"] = True
        await ensure_stream(self._js, params)

    async def close(self) -> None:
        """Hand the connection back (it closes when the bus has released it too)."""
        release, self._release = self._release, None
        if release is not None:
            await release()

    # -- talking to the server ------------------------------------------------------------

    async def _ask(
        self, what: str, subject: str, body: bytes, headers: dict[str, str] | None, state: _State
    ) -> Msg:
        """One request, asked again while the server does not answer (restarting,
        reconnecting) for up to ``retry_window`` seconds. A write that timed out may have
        been stored (``state.sent``); one refused for want of a responder was not."""
        deadline = time.monotonic() + self._retry_window
        pause = 0.05
        while True:
            try:
                if self._nc.is_connected:
                    return await self._nc.request(
                        subject, body, timeout=self._timeout, headers=headers
                    )
                if self._nc.is_closed:
                    raise ConnectionClosedError
                # reconnecting: a request now would wait in the client's buffer and might
                # reach the server after we gave up, so wait for the connection instead
            except NoRespondersError:
                pass  # JetStream not (yet) up: nothing was stored
            except TimeoutError:
                state.sent |= state.writing
                state.uncertain |= state.writing
            except ConnectionClosedError as err:
                raise StoreUnavailableError(
                    f"{what}: the NATS connection is closed", may_be_stored=state.sent
                ) from err
            except NatsError:
                # reconnecting, outbound buffer full: nothing reached the server (as far as
                # the client knows: a write is looked for before it is sent again elsewhere)
                state.uncertain |= state.writing
            if time.monotonic() + pause >= deadline:
                raise StoreUnavailableError(
                    f"{what}: JetStream did not answer within {self._retry_window:g} s"
                    + (" (the event may have been stored)" if state.sent else ""),
                    may_be_stored=state.sent,
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)

    # -- reading ------------------------------------------------------------------------

    async def read_stream(self, stream_id: str) -> list[DomainEvent]:
        subjects = _stream_subjects(stream_id)
        return [_decode(msg) for msg in await self._read_messages(subjects, _State())]

    async def _read_messages(self, subject: str, state: _State, start: int = 1) -> list[Msg]:
        """Every message on ``subject`` from stream sequence ``start`` on, in order, by
        batched direct gets."""
        for _ in range(_READ_ATTEMPTS):
            try:
                return await self._read_once(subject, start)
            except TimeoutError:
                await asyncio.sleep(0.2)
            except (NoRespondersError, NatsError) as err:
                if isinstance(err, ConnectionClosedError):
                    raise StoreUnavailableError(
                        f"reading {subject!r}: the NATS connection is closed",
                        may_be_stored=state.sent,
                    ) from err
                await asyncio.sleep(0.2)
        raise StoreUnavailableError(
            f"reading {subject!r} from JetStream timed out", may_be_stored=state.sent
        )

    async def _read_once(self, subject: str, seq: int) -> list[Msg]:
        out: list[Msg] = []
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
                        raise EventStoreError(
                            f"reading {subject!r} from JetStream failed: status {status} "
                            f"{msg.headers.get('Description', '')}".rstrip()
                        )
                    break
            finally:
                await sub.unsubscribe()
            if int(msg.headers.get("Nats-Num-Pending", "0")) == 0:
                return out
            seq = int(msg.headers["Nats-Last-Sequence"]) + 1

    async def _head(self, subjects: str, state: _State) -> _Head:
        """The stream's last message, straight from the server."""
        what = f"reading the head of {subjects!r}"
        msg = await self._ask(what, f"{self._direct}.{subjects}", b"", None, state)
        if _is_status(msg):
            if msg.headers["Status"] == "404":
                return _Head()
            raise EventStoreError(f"{what} failed: {msg.headers}", may_be_stored=state.sent)
        headers = msg.headers or {}
        return _Head(
            int(headers["Nats-Sequence"]), int(headers.get(VERSION_HEADER, "0")), _event_id(msg)
        )

    # -- appending ----------------------------------------------------------------------

    async def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: int | None = None,
    ) -> list[DomainEvent]:
        subjects = _stream_subjects(stream_id)
        events = list(events)
        if not events:
            return []
        if len(events) > 1:
            if len({event.event_id for event in events}) != len(events):
                raise ValueError(f"append to {stream_id!r} holds the same event id twice")
            if not self._atomic:
                raise ConfigurationError(
                    "appending several events at once needs nats-server 2.12 or newer "
                    "(atomic batch publish)"
                )
        state = _State()
        try:
            return await self._append(stream_id, subjects, events, expected_version, state)
        except EventStoreError as err:
            err.may_be_stored = err.may_be_stored or state.sent
            raise

    async def _append(
        self,
        stream_id: str,
        subjects: str,
        events: list[NewEvent],
        expected_version: int | None,
        state: _State,
    ) -> list[DomainEvent]:
        head = self._heads.get(subjects)
        fresh = head is None
        if head is None:
            head = await self._head(subjects, state)
        for _ in range(_WRITE_RETRIES):
            if expected_version is not None and head.version != expected_version:
                if not fresh:
                    head, fresh = await self._head(subjects, state), True
                    continue
                self._remember(subjects, head)
                return await self._stored_or_conflict(
                    stream_id, events, expected_version, head, state
                )
            try:
                seq, duplicate = await self._write(stream_id, subjects, events, head, state)
            except (_WrongLastSequenceError, _BatchDuplicateError):
                self._heads.pop(subjects, None)
                head, fresh = await self._head(subjects, state), True
                if head.event_id == events[-1].event_id or expected_version is not None:
                    return await self._stored_or_conflict(
                        stream_id, events, expected_version, head, state
                    )
                if state.uncertain and state.first_expected is not None:
                    # an earlier attempt of this append got no answer and may be stored (no
                    # de-duplication by id for fresh events): after the sequence it expected
                    stored = await self._find_stored(
                        stream_id, events, state, start=state.first_expected + 1
                    )
                    if stored is not None:
                        return stored
                continue
            if duplicate:
                stored = await self._find_stored(stream_id, events, state)
                if stored is not None:
                    return stored
                raise EventStoreError(
                    f"JetStream reported event {events[0].event_id!r} as a duplicate",
                    may_be_stored=True,
                )
            stored = [
                DomainEvent.stored(event, stream_id, head.version + index)
                for index, event in enumerate(events, start=1)
            ]
            self._remember(subjects, _Head(seq, stored[-1].version, stored[-1].event_id))
            return stored
        raise ConcurrencyError(stream_id, head.version + 1, head.version)

    def _remember(self, subjects: str, head: _Head) -> None:
        """Cache a stream's head; the oldest entries go first beyond ``_CACHED_HEADS``."""
        heads = self._heads
        heads.pop(subjects, None)
        heads[subjects] = head
        if len(heads) > _CACHED_HEADS:
            del heads[next(iter(heads))]

    async def _stored_or_conflict(
        self,
        stream_id: str,
        events: list[NewEvent],
        expected_version: int | None,
        head: _Head,
        state: _State,
    ) -> list[DomainEvent]:
        """The stored events when this append already happened, else a conflict."""
        stored = await self._find_stored(stream_id, events, state)
        if stored is not None:
            return stored
        expected = head.version if expected_version is None else expected_version
        raise ConcurrencyError(stream_id, expected, head.version)

    async def _find_stored(
        self, stream_id: str, events: list[NewEvent], state: _State, start: int = 1
    ) -> list[DomainEvent] | None:
        """The stored form of ``events`` if all of them are on the stream (from stream
        sequence ``start`` on), else None."""
        wanted = {event.event_id for event in events}
        # a body holds its event id as JSON text: only bodies holding a wanted one are read
        texts = [compact_json(event_id).encode() for event_id in wanted]
        found: dict[str, DomainEvent] = {}
        for msg in await self._read_messages(_stream_subjects(stream_id), state, start):
            event_id = (msg.headers or {}).get("Nats-Msg-Id")
            if event_id is not None:
                if event_id in wanted:
                    found[event_id] = _decode(msg)
                continue
            if not any(text in msg.data for text in texts):
                continue
            body = _body_object(msg)  # decoded once: for its id and the event
            if body is not None and body.get("event_id") in wanted:
                found[body["event_id"]] = DomainEvent.from_dict(body)
        if len(found) != len(wanted):
            return None
        return [found[event.event_id] for event in events]

    async def _write(
        self,
        stream_id: str,
        subjects: str,
        events: list[NewEvent],
        head: _Head,
        state: _State,
    ) -> tuple[int, bool]:
        """Publish ``events`` after ``head``; the stream sequence of the last one and
        whether JetStream saw it as a duplicate."""
        expected = str(head.seq)
        what = f"appending to {stream_id!r}"
        last = len(events)
        batch = uuid.uuid4().hex if last > 1 else None
        # retries of fresh events are settled by position (module docstring)
        by_position = all(event.fresh for event in events)
        if state.first_expected is None:
            state.first_expected = head.seq
        for index, event in enumerate(events, start=1):
            subject = store_subject(stream_id, _event_subject(event))
            version = head.version + index
            body = _body(event, stream_id, version)
            headers = {
                **(event.headers or {}),
                VERSION_HEADER: str(version),
                TYPE_HEADER: event.type,
            }
            if not by_position:
                headers["Nats-Msg-Id"] = event.event_id
            if index == 1:
                headers["Nats-Expected-Last-Subject-Sequence"] = expected
                headers["Nats-Expected-Last-Subject-Sequence-Subject"] = subjects
            if batch is not None:
                headers["Nats-Batch-Id"] = batch
                headers["Nats-Batch-Sequence"] = str(index)
            check_size(self._nc, f"event {event.type}", subject, body, headers)
            if index < last:
                await self._nc.publish(subject, body, headers=headers)
                continue
            if batch is not None:
                headers["Nats-Batch-Commit"] = "1"
            state.writing = True
            try:
                reply = json.loads((await self._ask(what, subject, body, headers, state)).data)
            finally:
                state.writing = False
        error = reply.get("error")
        if error:
            code = error.get("err_code")
            if code == _WRONG_LAST_SEQUENCE:
                raise _WrongLastSequenceError
            if code == _BATCH_DUPLICATE_ID:
                raise _BatchDuplicateError
            raise EventStoreError(f"JetStream refused {what}: {error.get('description')}")
        return int(reply["seq"]), bool(reply.get("duplicate"))


class _State:
    """What one append did so far: whether a write may have reached the server."""

    __slots__ = ("first_expected", "sent", "uncertain", "writing")

    def __init__(self) -> None:
        self.sent = False
        self.writing = False
        #: a write got no answer (timed out, or failed in the client): it may be stored
        self.uncertain = False
        #: the stream sequence the first write of the append expected (its events, if an
        #: attempt stored them, are after it)
        self.first_expected: int | None = None


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
