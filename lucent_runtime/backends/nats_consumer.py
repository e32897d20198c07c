"""A durable JetStream pull consumer that feeds one handler, one message at a time.

The consumer keeps up to ``batch`` messages requested from the server (pull requests that
expire after ``pull_expires``), hands each to the handler in order and acknowledges it only
after the handler returned. A handler that raises gets the message again after a back-off
(``nak`` with a delay); after ``max_deliver`` failed deliveries the message is published as
a dead letter on ``lucent.dlq.{durable}`` and terminated; so is, at once, a message that can
never be handled (:func:`.base.is_permanent`). A message whose acknowledgement got lost (a
server restart) comes back: the consumer remembers the stream sequences it handled lately
and acknowledges such a redelivery without handing it to the handler again.

``stop()`` drains: no new pull requests, the delivery inbox is drained (messages the server
had already sent are still handled and acknowledged), then the task ends. The durable
consumer stays on the server, so a new subscription with the same durable name continues
where this one stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nats.aio.client import Client
from nats.aio.msg import Msg

from .._redact import redacting_logger
from .base import (
    Message,
    MessageHandler,
    Subscription,
    dead_letter_headers,
    dead_letter_subject,
    is_permanent,
)

__all__ = ["ConsumerOptions", "PullConsumer"]

_log = redacting_logger("lucent_runtime.nats")

#: headers JetStream sets or acts on; a dead letter must not carry them over
_CONTROL_HEADERS = frozenset(
    {
        "Nats-Msg-Id",
        "Nats-Expected-Stream",
        "Nats-Expected-Last-Msg-Id",
        "Nats-Expected-Last-Sequence",
        "Nats-Expected-Last-Subject-Sequence",
        "Nats-Expected-Last-Subject-Sequence-Subject",
    }
)
_STOP = object()
#: how many handled stream sequences a consumer remembers to drop redeliveries
_REMEMBERED = 16_384


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    max_deliver: int
    backoff: tuple[float, ...]
    ack_wait: float
    batch: int
    pull_expires: float


class _HandlerTimeoutError(Exception):
    """The message came back after its last delivery without an answer from the handler."""


class PullConsumer(Subscription):
    """One running durable consumer (see the module docstring)."""

    def __init__(
        self,
        nc: Client,
        stream: str,
        durable: str,
        handler: MessageHandler,
        options: ConsumerOptions,
        *,
        dead_letter: Callable[..., Awaitable[None]],
        on_stop: Callable[[PullConsumer], None],
        subject_of: Callable[[str], str] | None = None,
    ) -> None:
        self._nc = nc
        self._durable = durable
        self._handler = handler
        self._options = options
        self._dead_letter = dead_letter
        self._on_stop = on_stop
        self._next = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._inbox = nc.new_inbox()
        self._sub: object = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._busy_since: float | None = None
        self._current: Msg | None = None
        self._subject_of = subject_of
        self._handled: OrderedDict[int, None] = OrderedDict()

    async def start(self) -> None:
        async def enqueue(msg: Msg) -> None:
            self._queue.put_nowait(msg)

        self._sub = await self._nc.subscribe(self._inbox, cb=enqueue)
        self._task = asyncio.create_task(self._run(), name=f"lucent-consumer-{self._durable}")

    async def stop(self) -> None:
        if self._stopping:
            if self._task is not None:
                await asyncio.shield(self._task)
            return
        self._stopping = True
        if not self._nc.is_closed:
            with contextlib.suppress(Exception):
                await self._sub.drain()  # type: ignore[attr-defined]
        self._queue.put_nowait(_STOP)
        if self._task is not None:
            await self._task
        self._on_stop(self)

    # -- the delivery loop --------------------------------------------------------------

    async def _pull(self, count: int) -> None:
        request = {"batch": count, "expires": int(self._options.pull_expires * 1e9)}
        await self._nc.publish(self._next, json.dumps(request).encode(), reply=self._inbox)

    async def _run(self) -> None:
        batch = self._options.batch
        outstanding = 0
        idle = self._options.pull_expires + 1.0
        keepalive = asyncio.create_task(self._keep_alive())
        try:
            while True:
                if not self._stopping and outstanding <= batch // 2 and not self._nc.is_closed:
                    try:
                        await self._pull(batch - outstanding)
                        outstanding = batch
                    except Exception:
                        _log.warning("pull request for %s failed", self._durable, exc_info=True)
                try:
                    item = await asyncio.wait_for(self._queue.get(), idle)
                except TimeoutError:  # noqa: LUC601 - no message for a while: pull again
                    outstanding = 0  # the server lost our requests (restart, reconnect)
                    continue
                if item is _STOP:
                    return
                assert isinstance(item, Msg)
                # a status of the pull request comes without a reply subject; a stored
                # message always has one ($JS.ACK...), whatever headers it carries
                status = None if item.reply else (item.headers or {}).get("Status")
                if status is not None:
                    outstanding = self._on_status(item, status, outstanding)
                    continue
                outstanding = max(outstanding - 1, 0)
                try:
                    await self._deliver(item)
                except Exception:
                    # acking or dead-lettering failed (connection lost): the server
                    # redelivers the message after ack_wait
                    _log.exception(
                        "delivering a message to %s failed",
                        self._durable,
                        extra={"messaging.consumer.group.name": self._durable},
                    )
        finally:
            keepalive.cancel()

    def _on_status(self, msg: Msg, status: str, outstanding: int) -> int:
        headers = msg.headers or {}
        if status == "100":  # idle heartbeat
            return outstanding
        if status in ("404", "408", "409"):
            if status == "409":
                description = headers.get("Description", "")
                if "Consumer Deleted" in str(description):
                    _log.error("consumer %s was deleted on the server", self._durable)
            undelivered = int(headers.get("Nats-Pending-Messages", outstanding))
            return max(outstanding - undelivered, 0)
        _log.warning("unexpected status %s for consumer %s: %s", status, self._durable, headers)
        return outstanding

    async def _keep_alive(self) -> None:
        """Tell the server a slow handler is still working, so it does not redeliver."""
        period = max(self._options.ack_wait / 3, 0.05)
        while True:
            await asyncio.sleep(period)
            current, since = self._current, self._busy_since
            if current is not None and since is not None and time.monotonic() - since > period:
                with contextlib.suppress(Exception):
                    await current.in_progress()

    async def _deliver(self, msg: Msg) -> None:
        meta = msg.metadata
        attempt = meta.num_delivered
        sequence = meta.sequence.stream
        if sequence in self._handled:  # handled; its ack got lost
            await msg.ack()
            return
        headers = dict(msg.headers or {})
        subject = msg.subject if self._subject_of is None else self._subject_of(msg.subject)
        message = Message(subject, msg.data, headers, attempt)
        options = self._options
        if attempt > options.max_deliver:
            await self._give_up(
                msg,
                message,
                _HandlerTimeoutError(
                    f"no answer from the handler within {options.ack_wait:g} s "
                    f"after {options.max_deliver} deliveries"
                ),
                attempt - 1,
            )
            return
        self._current, self._busy_since = msg, time.monotonic()
        try:
            await self._handler(message)
        except Exception as err:
            if attempt >= options.max_deliver or is_permanent(err):
                await self._give_up(msg, message, err, attempt)
            else:
                delay = options.backoff[min(attempt - 1, len(options.backoff) - 1)]
                _log.warning(
                    "handler of %s failed on %s (attempt %d of %d), retrying in %g s: %s",
                    self._durable,
                    msg.subject,
                    attempt,
                    options.max_deliver,
                    delay,
                    err,
                )
                await msg.nak(delay=delay)
        else:
            self._remember(sequence)
            await msg.ack()
        finally:
            self._current = self._busy_since = None

    def _remember(self, sequence: int) -> None:
        handled = self._handled
        handled[sequence] = None
        if len(handled) > _REMEMBERED:
            handled.popitem(last=False)

    async def _give_up(
        self, msg: Msg, message: Message, error: BaseException, attempts: int
    ) -> None:
        headers = {
            key: value
            for key, value in dead_letter_headers(message, error, attempts).items()
            if key not in _CONTROL_HEADERS
        }
        # de-duplicates a dead letter published twice (the term got lost, say)
        message_id = f"dlq-{self._durable}-{msg.metadata.sequence.stream}"
        subject = dead_letter_subject(self._durable)
        _log.error(
            "dead-lettering a message of %s on %s after %d attempts: %s",
            message.subject,
            subject,
            attempts,
            error,
        )
        try:
            await self._dead_letter(subject, message.data, headers, message_id=message_id)
        except Exception:
            # keep the message: it is redelivered after ack_wait and tried again
            _log.exception(
                "could not publish the dead letter on %s",
                subject,
                extra={"messaging.destination.name": subject},
            )
            return
        await msg.term()
