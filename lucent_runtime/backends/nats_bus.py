"""The message bus on NATS: core request/reply for commands, JetStream for events.

- Commands: ``request`` is a core NATS request (no responders → :class:`NoHandlerError`,
  no reply in time → :class:`CommandTimeoutError`); ``serve`` is a queue subscription.
  ``serve`` answers several requests at once (bounded, see :meth:`NatsMessageBus.serve`).
- Events: the event store's stream is the event bus (:mod:`.nats_store`). ``subscribe`` to
  ``lucent.events.domain.*.TradeExecuted`` binds a durable pull consumer (see
  :mod:`.nats_consumer`) on that stream, filtered on ``lucent.store.*.domain.*.
  TradeExecuted``: the stored events are what handlers get. A message published on the bus
  directly (``publish``, not through the store) goes into the same stream with the
  stream-id token ``_`` and waits for JetStream's ack. Dead letters go to
  ``LUCENT_DEAD_LETTERS`` (capturing ``lucent.dlq.>``), so they survive restarts and can be
  subscribed to like events.

Headers are passed through untouched, so W3C ``traceparent``/``baggage`` set by the caller
reach the handler.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, NoRespondersError
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from .._errors import (
    CommandTimeoutError,
    MessagingError,
    NoHandlerError,
    RemoteCommandError,
)
from .._redact import redacting_logger
from .base import (
    DEAD_LETTER_PREFIX,
    DEFAULT_COMMAND_CONCURRENCY,
    Message,
    MessageBus,
    MessageHandler,
    RequestHandler,
    command_names,
)
from .base import Subscription as BaseSubscription
from .nats_consumer import ConsumerOptions, PullConsumer
from .nats_store import (
    BUS_STREAM_ID,
    EVENTS_PREFIX,
    STREAM,
    bus_subject,
    check_size,
    consumer_filter,
    ensure_stream,
    store_subject,
)

__all__ = ["NatsMessageBus"]

_log = redacting_logger("lucent_runtime.nats")

DEAD_LETTER_STREAM = "LUCENT_DEAD_LETTERS"
#: a header carrying a serving handler's crash, when it raised instead of replying
HEADER_SERVE_ERROR = "Lucent-Serve-Error"
_PUBLISH_ATTEMPTS = 3


def _check_durable(durable: str) -> None:
    if not durable or any(c in durable for c in ".*> \t\r\n"):
        raise ValueError(
            f"durable name {durable!r} cannot name a JetStream consumer "
            "(no '.', '*', '>' or whitespace)"
        )


#: pauses (s) before asking again when no responder is known yet (about 0.2 s in all)
NO_RESPONDER_RETRIES = (0.01, 0.03, 0.06, 0.1)


class _Served(BaseSubscription):
    def __init__(self, on_stop: Callable[[_Served], None]) -> None:
        self.sub: object = None
        self.in_flight: set[asyncio.Task[None]] = set()
        self._on_stop = on_stop
        self._stopped = False

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._on_stop(self)
        try:
            await self.sub.drain()  # type: ignore[attr-defined]
        finally:
            if self.in_flight:
                await asyncio.gather(*self.in_flight, return_exceptions=True)


class NatsMessageBus(MessageBus):
    """A :class:`MessageBus` on one NATS connection (see the module docstring)."""

    messaging_system = "nats"

    def __init__(
        self,
        nc: Client,
        *,
        max_deliver: int = 5,
        backoff: Sequence[float] = (0.1, 0.5, 2.0, 5.0),
        ack_wait: float = 30.0,
        batch: int = 64,
        pull_expires: float = 5.0,
        deliver_policy: str = "new",
        timeout: float = 5.0,
        events_stream: str = STREAM,
        release: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if max_deliver < 1:
            raise ValueError("max_deliver must be at least 1")
        self._nc = nc
        self._events_stream = events_stream
        self._js = nc.jetstream(timeout=timeout)
        self._timeout = timeout
        self._release = release
        self._deliver_policy = DeliverPolicy(deliver_policy)
        self._options = ConsumerOptions(
            max_deliver=max_deliver,
            backoff=tuple(backoff) or (0.0,),
            ack_wait=ack_wait,
            batch=batch,
            pull_expires=pull_expires,
        )
        self._consumers: set[PullConsumer] = set()
        self._served: set[_Served] = set()

    async def setup(self) -> None:
        """Create (or update) the dead-letter stream (the event store made the events
        stream)."""
        await ensure_stream(
            self._js, {"name": DEAD_LETTER_STREAM, "subjects": [DEAD_LETTER_PREFIX + ">"]}
        )

    # -- events -------------------------------------------------------------------------

    async def publish(
        self,
        subject: str,
        data: bytes,
        headers: dict[str, str],
        *,
        message_id: str | None = None,
    ) -> None:
        if message_id is not None:
            headers = {**headers, "Nats-Msg-Id": message_id}
        if subject.startswith(EVENTS_PREFIX):
            subject = store_subject(BUS_STREAM_ID, subject)
        elif not subject.startswith(DEAD_LETTER_PREFIX):
            check_size(self._nc, f"message on {subject!r}", subject, data, headers)
            try:
                await self._nc.publish(subject, data, headers=headers or None)
            except NatsError as err:
                raise MessagingError(f"cannot publish on {subject!r}: {err}") from err
            return
        check_size(self._nc, f"message on {subject!r}", subject, data, headers)
        ack = json.loads((await self._js_request(subject, data, headers)).data)
        if "error" in ack:
            raise MessagingError(
                f"JetStream refused the publish on {subject!r}: {ack['error'].get('description')}"
            )

    async def _js_request(self, subject: str, data: bytes, headers: dict[str, str]) -> Msg:
        """A JetStream publish; retried while the server is (re)starting, since a publish
        sent into a connection that just broke gets no ack (``Nats-Msg-Id`` headers make
        the retries safe)."""
        for attempt in range(_PUBLISH_ATTEMPTS):
            last = attempt == _PUBLISH_ATTEMPTS - 1
            try:
                return await self._nc.request(
                    subject, data, timeout=self._timeout, headers=headers or None
                )
            except ConnectionClosedError as err:
                raise MessagingError(f"cannot publish on {subject!r}: connection closed") from err
            except (NoRespondersError, TimeoutError, NatsError) as err:
                if last:
                    raise MessagingError(
                        f"JetStream did not acknowledge the publish on {subject!r} "
                        f"({type(err).__name__})"
                    ) from err
            await asyncio.sleep(0.1 * 2**attempt)
        raise AssertionError("unreachable")

    async def subscribe(self, subject: str, durable: str, handler: MessageHandler) -> PullConsumer:
        _check_durable(durable)
        if subject.startswith(EVENTS_PREFIX):
            stream, wanted, subject_of = self._events_stream, consumer_filter(subject), bus_subject
        elif subject.startswith(DEAD_LETTER_PREFIX):
            stream, wanted, subject_of = DEAD_LETTER_STREAM, subject, None
        else:
            raise ValueError(
                f"cannot subscribe to {subject!r}: durable subscriptions take subjects under "
                f"{EVENTS_PREFIX!r} or {DEAD_LETTER_PREFIX!r}"
            )
        try:
            await self._js.add_consumer(
                stream,
                ConsumerConfig(
                    durable_name=durable,
                    filter_subject=wanted,
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=self._deliver_policy,
                    ack_wait=self._options.ack_wait,
                    # one delivery more than the handler gets: a message whose handler never
                    # answered (crash, hang) comes back once more and is then dead-lettered
                    max_deliver=self._options.max_deliver + 1,
                    max_ack_pending=max(1000, self._options.batch * 2),
                ),
            )
        except (NatsError, TimeoutError) as err:
            raise MessagingError(
                f"cannot create the durable consumer {durable!r} on {stream}: "
                f"{type(err).__name__}: {err}"
            ) from err
        consumer = PullConsumer(
            self._nc,
            stream,
            durable,
            handler,
            self._options,
            dead_letter=self.publish,
            on_stop=self._consumers.discard,
            subject_of=subject_of,
        )
        await consumer.start()
        self._consumers.add(consumer)
        return consumer

    # -- commands -----------------------------------------------------------------------

    async def request(
        self, subject: str, data: bytes, headers: dict[str, str], timeout: float
    ) -> Message:
        service, command = command_names(subject)
        check_size(self._nc, f"command on {subject!r}", subject, data, headers)
        deadline = time.monotonic() + timeout
        try:
            for pause in (*NO_RESPONDER_RETRIES, None):
                try:
                    reply = await self._nc.request(
                        subject, data, timeout=timeout, headers=headers or None
                    )
                    break
                except NoRespondersError:
                    # the server learns of a subscription made on another connection a
                    # moment after that connection's flush: ask again briefly before
                    # calling the command unserved
                    if pause is None or time.monotonic() + pause >= deadline:
                        raise
                    await asyncio.sleep(pause)
                    timeout = max(deadline - time.monotonic(), 0.001)
        except NoRespondersError as err:
            raise NoHandlerError(
                f"no handler answers {subject!r}",
                target_service=service,
                command_type=command,
                subject=subject,
            ) from err
        except TimeoutError as err:
            raise CommandTimeoutError(
                f"no reply on {subject!r} within {timeout:g} s",
                target_service=service,
                command_type=command,
                subject=subject,
            ) from err
        except NatsError as err:
            raise MessagingError(f"cannot send a request on {subject!r}: {err}") from err
        reply_headers = dict(reply.headers or {})
        crash = reply_headers.get(HEADER_SERVE_ERROR)
        if crash is not None:
            kind, _, text = crash.partition(": ")
            raise RemoteCommandError(
                f"the handler of {subject!r} failed: {crash}",
                target_service=service,
                command_type=command,
                remote_error={"type": kind, "message": text},
                subject=subject,
            )
        return Message(reply.subject, reply.data, reply_headers)

    async def serve(
        self,
        subject: str,
        queue: str,
        handler: RequestHandler,
        *,
        limit: asyncio.Semaphore | None = None,
    ) -> BaseSubscription:
        limit = limit or asyncio.Semaphore(DEFAULT_COMMAND_CONCURRENCY)
        served = _Served(self._served.discard)

        async def answer(msg: Msg) -> None:
            request = Message(msg.subject, msg.data, dict(msg.headers or {}))
            try:
                body = await handler(request)
            except Exception as err:
                # handlers are expected to encode their own errors into the reply; one that
                # raised anyway still answers (``request`` raises RemoteCommandError), so
                # the caller does not wait for a timeout
                _log.exception(
                    "request handler on %s raised",
                    msg.subject,
                    extra={"messaging.destination.name": msg.subject},
                )
                error = " ".join(f"{type(err).__name__}: {err}".split())[:1024]
                await self._reply(msg.reply, b"", {HEADER_SERVE_ERROR: error})
            else:
                await self._reply(msg.reply, body, None)
            finally:
                limit.release()
                # leaving the set here, not in a done callback: one loop callback less
                served.in_flight.discard(asyncio.current_task())  # type: ignore[arg-type]

        async def dispatch(msg: Msg) -> None:
            # nats-py runs a subscription's callbacks one after the other: hand each
            # request to its own task, at most ``limit`` at a time (waiting here holds
            # back the next requests)
            if not msg.reply:
                return
            await limit.acquire()
            served.in_flight.add(asyncio.create_task(answer(msg)))

        try:
            served.sub = await self._nc.subscribe(subject, queue=queue, cb=dispatch)
            # the server must know of the subscription before start() returns, or a
            # request sent right after from another connection finds no responder
            await self._nc.flush()
        except (NatsError, TimeoutError) as err:
            raise MessagingError(f"cannot serve {subject!r}: {type(err).__name__}: {err}") from err
        self._served.add(served)
        return served

    async def _reply(self, inbox: str, body: bytes, headers: dict[str, str] | None) -> None:
        try:
            check_size(self._nc, f"reply on {inbox!r}", inbox, body, headers)
        except Exception as err:  # noqa: LUC601 - the error is the reply the caller gets
            headers, body = {HEADER_SERVE_ERROR: f"{type(err).__name__}: {err}"}, b""
        try:
            await self._nc.publish(inbox, body, headers=headers)
        except NatsError:
            _log.warning("could not send the reply on %s", inbox, exc_info=True)

    async def close(self) -> None:
        for consumer in list(self._consumers):
            await consumer.stop()
        for served in list(self._served):
            try:
                await served.stop()
            except Exception:  # already drained or connection gone
                _log.debug("draining a served subscription failed", exc_info=True)
        self._served.clear()
        release, self._release = self._release, None
        if release is not None:
            await release()
