"""The message bus on NATS: core request/reply for commands, JetStream for events.

- Commands: ``request`` is a core NATS request (no responders → :class:`NoHandlerError`,
  no reply in time → :class:`CommandTimeoutError`); ``serve`` is a queue subscription.
- Events: ``publish`` stores the message in the ``LUCENT_DOMAIN_EVENTS`` stream (capturing
  ``lucent.events.>``) and waits for JetStream's ack. Dead letters go to
  ``LUCENT_DEAD_LETTERS`` (capturing ``lucent.dlq.>``), so they survive restarts and can be
  subscribed to like events.
- ``subscribe`` binds a durable pull consumer (see :mod:`.nats_consumer`).

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
from nats.errors import NoRespondersError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from .._errors import CommandTimeoutError, LucentError, NoHandlerError, RemoteCommandError
from .._redact import redacting_logger
from .base import DEAD_LETTER_PREFIX, Message, MessageBus, MessageHandler, RequestHandler
from .base import Subscription as BaseSubscription
from .nats_consumer import ConsumerOptions, PullConsumer
from .nats_store import ensure_stream

__all__ = ["NatsMessageBus"]

_log = redacting_logger("lucent_runtime.nats")

EVENTS_STREAM = "LUCENT_DOMAIN_EVENTS"
EVENTS_PREFIX = "lucent.events."
DEAD_LETTER_STREAM = "LUCENT_DEAD_LETTERS"
#: a header carrying a serving handler's crash, when it raised instead of replying
HEADER_SERVE_ERROR = "Lucent-Serve-Error"
_PUBLISH_ATTEMPTS = 3


def _command_names(subject: str) -> tuple[str, str]:
    tokens = subject.split(".")
    if len(tokens) == 4 and tokens[:2] == ["lucent", "commands"]:
        return tokens[2].replace("_", "-"), tokens[3]
    return "", ""


def _check_durable(durable: str) -> None:
    if not durable or any(c in durable for c in ".*> \t\r\n"):
        raise ValueError(
            f"durable name {durable!r} cannot name a JetStream consumer "
            "(no '.', '*', '>' or whitespace)"
        )


#: pauses (s) before asking again when no responder is known yet (about 0.2 s in all)
NO_RESPONDER_RETRIES = (0.01, 0.03, 0.06, 0.1)


class _Served(BaseSubscription):
    def __init__(self, sub: object, on_stop: Callable[[_Served], None]) -> None:
        self._sub = sub
        self._on_stop = on_stop
        self._stopped = False

    async def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._on_stop(self)
        await self._sub.drain()  # type: ignore[attr-defined]


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
        release: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if max_deliver < 1:
            raise ValueError("max_deliver must be at least 1")
        self._nc = nc
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
        """Create (or update) the event and dead-letter streams."""
        await ensure_stream(self._js, {"name": EVENTS_STREAM, "subjects": [EVENTS_PREFIX + ">"]})
        await ensure_stream(
            self._js, {"name": DEAD_LETTER_STREAM, "subjects": [DEAD_LETTER_PREFIX + ">"]}
        )

    # -- events -------------------------------------------------------------------------

    def _stream_for(self, subject: str) -> str | None:
        if subject.startswith(EVENTS_PREFIX):
            return EVENTS_STREAM
        if subject.startswith(DEAD_LETTER_PREFIX):
            return DEAD_LETTER_STREAM
        return None

    async def publish(self, subject: str, data: bytes, headers: dict[str, str]) -> None:
        if self._stream_for(subject) is None:
            await self._nc.publish(subject, data, headers=headers or None)
            return
        ack = json.loads((await self._js_request(subject, data, headers)).data)
        if "error" in ack:
            raise LucentError(
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
            except NoRespondersError as err:
                if last:
                    raise LucentError(f"no JetStream stream captures {subject!r}") from err
            except TimeoutError as err:
                if last:
                    raise LucentError(
                        f"JetStream did not acknowledge the publish on {subject!r}"
                    ) from err
            await asyncio.sleep(0.1 * 2**attempt)
        raise AssertionError("unreachable")

    async def subscribe(self, subject: str, durable: str, handler: MessageHandler) -> PullConsumer:
        _check_durable(durable)
        stream = self._stream_for(subject)
        if stream is None:
            raise ValueError(
                f"cannot subscribe to {subject!r}: durable subscriptions take subjects under "
                f"{EVENTS_PREFIX!r} or {DEAD_LETTER_PREFIX!r}"
            )
        await self._js.add_consumer(
            stream,
            ConsumerConfig(
                durable_name=durable,
                filter_subject=subject,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=self._deliver_policy,
                ack_wait=self._options.ack_wait,
                # one delivery more than the handler gets: a message whose handler never
                # answered (crash, hang) comes back once more and is then dead-lettered
                max_deliver=self._options.max_deliver + 1,
                max_ack_pending=max(1000, self._options.batch * 2),
            ),
        )
        consumer = PullConsumer(
            self._nc,
            stream,
            durable,
            handler,
            self._options,
            dead_letter=self.publish,
            on_stop=self._consumers.discard,
        )
        await consumer.start()
        self._consumers.add(consumer)
        return consumer

    # -- commands -----------------------------------------------------------------------

    async def request(
        self, subject: str, data: bytes, headers: dict[str, str], timeout: float
    ) -> Message:
        service, command = _command_names(subject)
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

    async def serve(self, subject: str, queue: str, handler: RequestHandler) -> BaseSubscription:
        async def answer(msg: Msg) -> None:
            if not msg.reply:
                return
            request = Message(msg.subject, msg.data, dict(msg.headers or {}))
            try:
                body = await handler(request)
            except Exception as err:
                # handlers are expected to encode their own errors into the reply; one that
                # raised anyway still answers (``request`` raises RemoteCommandError), so
                # the caller does not wait for a timeout
                _log.exception("request handler on %s raised", msg.subject)
                error = f"{type(err).__name__}: {err}"
                await self._nc.publish(msg.reply, b"", headers={HEADER_SERVE_ERROR: error})
                return
            await self._nc.publish(msg.reply, body)

        sub = await self._nc.subscribe(subject, queue=queue, cb=answer)
        # the server must know of the subscription before start() returns, or a request
        # sent right after from another connection finds no responder
        await self._nc.flush()
        served = _Served(sub, self._served.discard)
        self._served.add(served)
        return served

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
