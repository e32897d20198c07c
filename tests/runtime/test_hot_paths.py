"""What the runtime's hot paths cache or shortcut gives the same results as the plain way:
payload copies, rebuilt business contexts, ids, the published event body, the tracer of
the current provider, metric data points; and a refused append publishes nothing."""

from __future__ import annotations

import asyncio
import copy
import json
import math
import uuid

import nats
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from lucent_runtime import (
    BusinessContext,
    BusinessContextBuilder,
    ConcurrencyError,
    CryptoTradingServiceBase,
    InfrastructureFactory,
    PayloadError,
)
from lucent_runtime._context import new_event_id, new_id
from lucent_runtime._events import DomainEvent, NewEvent, compact_json, metadata_json
from lucent_runtime._payload import to_jsonable
from lucent_runtime._publishing import event_json
from lucent_runtime._redact import REDACTED
from lucent_runtime._telemetry import metric_attributes, tracer

from .helpers import trading_context

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner) | st.tuples(inner) | st.dictionaries(st.text(), inner),
    max_leaves=15,
)
_KEYS = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_payload_copy_matches_the_json_round_trip(value: dict) -> None:
    try:
        expected = json.loads(json.dumps(value, allow_nan=False))
    except ValueError:
        with pytest.raises(PayloadError):
            to_jsonable(value)
        return
    got = to_jsonable(value)
    assert json.dumps(got) == json.dumps(expected)
    assert got is not value


def test_payload_copy_is_independent_of_the_caller() -> None:
    data = {"legs": [{"usd": 1.5}], "ok": True}
    copied = to_jsonable(data)
    data["legs"][0]["usd"] = 99.0
    assert copied == {"legs": [{"usd": 1.5}], "ok": True}
    for bad in ({"x": math.inf}, {"x": [math.nan]}):
        with pytest.raises(PayloadError):
            to_jsonable(bad)


def test_rebuilt_contexts_tell_value_types_apart() -> None:
    base = trading_context().to_dict()
    flags = [
        BusinessContext.from_dict({**base, "metadata": {"urgent": value}})
        for value in (True, 1, 1.0, "1")
    ]
    assert [type(c.metadata["urgent"]) for c in flags] == [bool, int, float, str]
    again = BusinessContext.from_dict({**base, "metadata": {"urgent": True}})
    assert again == flags[0]


def test_derived_forms_are_fresh_and_survive_copies() -> None:
    context = trading_context(api_key="k-1", desk="emea")
    attributes = context.to_attributes()
    attributes["business.domain"] = "changed"
    context.to_dict()["metadata"]["desk"] = "changed"
    assert context.to_attributes()["business.domain"] == "crypto-trading"
    assert context.to_dict()["metadata"] == {"api_key": "k-1", "desk": "emea"}
    assert context._span_attributes()["business.metadata.api_key"] == REDACTED
    assert context.to_attributes()["business.metadata.api_key"] == "k-1"
    twin = copy.copy(context)  # copies the fields only: the derived forms are rebuilt
    assert twin.to_attributes() == context.to_attributes()
    assert twin.to_dict() == context.to_dict()


def test_event_metadata_context_is_a_plain_dict_frozen_once() -> None:
    context = trading_context(desk="emea")
    for_event = context._event_dict()
    assert for_event == context.to_dict()
    assert json.loads(json.dumps(for_event)) == context.to_dict()  # JSON sees a dict
    for_event["metadata"]["desk"] = "changed"  # the caller's copy, not the context's
    assert context.to_dict()["metadata"] == {"desk": "emea"}
    metadata = {"correlation_id": "c-1", "business_context": context._event_dict()}
    new = NewEvent(new_id(), "TradeExecuted", {"n": 1}, metadata, timestamp="2026")
    plain = NewEvent(
        new.event_id,
        "TradeExecuted",
        {"n": 1},
        {**metadata, "business_context": context.to_dict()},
        timestamp="2026",
    )
    stored = DomainEvent.stored(new, "trade-abc123", 1)
    assert stored == DomainEvent.stored(plain, "trade-abc123", 1)
    frozen = stored.metadata["business_context"]
    assert frozen is DomainEvent.stored(new, "trade-abc123", 1).metadata["business_context"]
    with pytest.raises(TypeError):
        frozen["domain"] = "changed"  # type: ignore[index]
    assert stored.to_dict()["metadata"]["business_context"] == context.to_dict()


def test_ids_are_distinct_uuid4_strings() -> None:
    ids = {new_id() for _ in range(2000)}
    assert len(ids) == 2000
    for value in list(ids)[:200]:
        parsed = uuid.UUID(value)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, value)


def test_event_ids_are_distinct_uuid7_strings_in_creation_order() -> None:
    import time

    before = time.time_ns() // 1_000_000
    ids = [new_event_id() for _ in range(2000)]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == 2000
    for value in ids[:200]:
        parsed = uuid.UUID(value)
        assert (parsed.version, parsed.variant, str(parsed)) == (7, uuid.RFC_4122, value)
        assert before <= parsed.int >> 80 <= after  # the creation time, in milliseconds
    time.sleep(0.002)
    assert all(earlier < new_event_id() for earlier in ids)  # a later millisecond sorts after


def test_published_body_is_the_stored_events_json() -> None:
    new = NewEvent(
        new_id(),
        "TradeExecuted",
        {"legs": [1, {"usd": 2.5}], "note": "é"},
        {"correlation_id": "c-1", "business_context": trading_context().to_dict()},
    )
    stored = DomainEvent.stored(new, "trade-abc123", 7)
    assert event_json(stored, new) == stored.to_json()
    earlier = DomainEvent.stored(NewEvent(new.event_id, "TradeExecuted", {}, {}), "t-1", 1)
    assert event_json(earlier, new) == earlier.to_json()
    # the runtime's own metadata ends with the context, whose JSON text is made once: the
    # body is the same as encoding it whole, whatever comes before (or after) it
    context = trading_context()
    for metadata in (
        {"correlation_id": "c-1", "traceparent": "00-ab-cd-01", "business_context": None},
        {"business_context": None},
        {"business_context": None, "after": "é"},
    ):
        metadata["business_context"] = context._event_dict()
        new = NewEvent(new_id(), "TradeExecuted", {"note": "é\u2028", "n": 2.5}, metadata)
        stored = DomainEvent.stored(new, "trade-abc123", 7)
        assert event_json(stored, new) == stored.to_json()
        assert metadata_json(metadata) == compact_json(metadata)


def test_tracer_follows_the_global_provider(telemetry, monkeypatch) -> None:
    assert tracer() is tracer()
    other = TracerProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: other)
    switched = tracer()
    assert switched.span_processor is other._active_span_processor
    monkeypatch.undo()
    assert tracer() is not switched


def test_metric_attributes_per_outcome() -> None:
    context = trading_context()
    sent = metric_attributes(context, "trading", "AssessRisk", "command.target_service", "risk")
    assert sent is metric_attributes(
        context, "trading", "AssessRisk", "command.target_service", "risk"
    )
    assert sent.success == {
        "business.domain": "crypto-trading",
        "business.bounded_context": "crypto-trading",
        "service.name": "trading",
        "service.operation": "AssessRisk",
        "command.target_service": "risk",
        "outcome": "success",
    }
    assert sent.failure == {**sent.base, "outcome": "error"}
    other = BusinessContextBuilder.for_yield_farming().with_aggregate("Pool", "p-1").build()
    assert metric_attributes(other, "trading", "AssessRisk").base["business.bounded_context"] == (
        "yield-farming"
    )


class TradingService(CryptoTradingServiceBase):
    pass


async def test_a_refused_append_publishes_nothing_on_nats(nats_server: str, telemetry) -> None:
    infrastructure = await InfrastructureFactory.create_nats(nats_server)
    nc = await nats.connect(nats_server)
    seen: list[str] = []

    async def core(msg) -> None:
        seen.append(DomainEvent.from_json(msg.data).type)

    await nc.subscribe("lucent.events.domain.>", cb=core)
    await nc.flush()
    try:
        trading = TradingService(infrastructure, "trading")
        context = trading_context()
        await trading.publish_domain_event(
            "TradeOpened", "trade-race1", {}, context, expected_version=0
        )
        with pytest.raises(ConcurrencyError):
            await trading.publish_domain_event(
                "TradeClosed", "trade-race1", {}, context, expected_version=0
            )
        info = await nc.jetstream().stream_info("LUCENT_EVENTS")
        assert info.state.messages == 1
        js = nc.jetstream()
        last = await js.get_last_msg("LUCENT_EVENTS", "lucent.store.>")
        assert DomainEvent.from_json(last.data).type == "TradeOpened"
        # the one stored message is what core subscribers see, on the event subject
        await asyncio.sleep(0.2)
        assert seen == ["TradeOpened"]
    finally:
        await nc.close()
        await infrastructure.close()
