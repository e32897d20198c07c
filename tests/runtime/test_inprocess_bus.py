"""What only the in-process bus has to show (the contract suite covers what every bus
does): its subject matching, draining on stop, members sharing a durable, the backoff
between redeliveries, and a closed bus."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from lucent_runtime import LucentError
from lucent_runtime.backends.base import Message
from lucent_runtime.backends.memory import InProcessMessageBus, subject_matches

from .helpers import eventually


@pytest.mark.parametrize(
    ("pattern", "subject", "matches"),
    [
        ("lucent.events.domain.*.TradeExecuted", "lucent.events.domain.ct.TradeExecuted", True),
        ("lucent.events.domain.*.TradeExecuted", "lucent.events.domain.x.TradeOpened", False),
        ("lucent.events.>", "lucent.events.domain.x.TradeOpened", True),
        ("lucent.events.>", "lucent.events", False),
        ("lucent.dlq.a", "lucent.dlq.a", True),
        ("lucent.dlq.a", "lucent.dlq.a.b", False),
    ],
)  # fmt: skip
def test_subject_matching(pattern: str, subject: str, matches: bool) -> None:
    assert subject_matches(pattern, subject) is matches


async def test_stop_drains_queued_messages() -> None:
    bus = InProcessMessageBus()
    got: list[bytes] = []

    async def slow(message: Message) -> None:
        await asyncio.sleep(0.01)
        got.append(message.data)

    subscription = await bus.subscribe("a.b", "drainer", slow)
    for i in range(5):
        await bus.publish("a.b", str(i).encode(), {"h": "v"})
    await subscription.stop()
    assert got == [b"0", b"1", b"2", b"3", b"4"]
    await bus.close()


async def test_members_of_one_durable_share_the_work() -> None:
    bus = InProcessMessageBus()
    by: dict[str, int] = {"a": 0, "b": 0}

    def member(name: str):
        async def handle(message: Message) -> None:
            by[name] += 1
            await asyncio.sleep(0.005)

        return handle

    subs = [await bus.subscribe("s.x", "group", member(n)) for n in by]
    for _ in range(10):
        await bus.publish("s.x", b"", {})
    await eventually(lambda: sum(by.values()) == 10)
    assert by["a"] > 0 and by["b"] > 0
    for sub in subs:
        await sub.stop()
    await bus.close()


async def test_redelivery_backs_off_then_dead_letters_with_the_error() -> None:
    bus = InProcessMessageBus(max_deliver=3, backoff=0.02)
    attempts: list[tuple[int, float]] = []
    dead: list[Message] = []
    loop = asyncio.get_running_loop()

    async def failing(message: Message) -> None:
        attempts.append((message.attempt, loop.time()))
        raise RuntimeError("boom")

    async def collect(message: Message) -> None:
        dead.append(message)

    await bus.subscribe("lucent.dlq.payments", "dlq", collect)
    await bus.subscribe("t.x", "payments", failing)
    await bus.publish("t.x", b"payload", {"traceparent": "00-1-2-01"})
    await eventually(lambda: len(dead) == 1)
    assert [a for a, _ in attempts] == [1, 2, 3]
    gaps = [later - earlier for (_, earlier), (_, later) in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.015 and gaps[1] >= 0.035  # 0.02 s, then doubled
    (letter,) = dead
    assert letter.data == b"payload"
    assert letter.headers["traceparent"] == "00-1-2-01"
    assert letter.headers["Lucent-Dlq-Subject"] == "t.x"
    assert letter.headers["Lucent-Dlq-Error"] == "RuntimeError: boom"
    await bus.close()


async def test_a_closed_bus_refuses_work() -> None:
    bus = InProcessMessageBus()
    await bus.close()
    with pytest.raises(LucentError, match="closed"):
        await bus.publish("a", b"", {})
