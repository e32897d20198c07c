"""The benchmark's hand-written baselines produce the telemetry the runtime produces: the
same spans with the same attribute names, the same histogram data point attributes, and
command messages with the same envelope and headers. A ratio against a baseline that does
less would flatter neither side honestly."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import nats
import pytest

from lucent_runtime import InfrastructureFactory

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def bench(monkeypatch) -> Any:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import runtime_bench
    import runtime_handwritten

    yield runtime_bench, runtime_handwritten
    for name in ("runtime_bench", "runtime_handwritten"):
        sys.modules.pop(name, None)


def _points(reader: Any, operation: str) -> dict[str, list[frozenset[str]]]:
    """Per histogram, the attribute names of its data points for ``operation``."""
    out: dict[str, list[frozenset[str]]] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    if point.attributes.get("service.operation") == operation:
                        out.setdefault(metric.name, []).append(frozenset(point.attributes))
    return out


async def test_the_hand_written_code_has_the_runtime_telemetry(
    bench: Any, nats_server: str, spans: Any, metric_reader: Any
) -> None:
    runtime_bench, handwritten = bench
    context = runtime_bench.CONTEXT
    infrastructure = await InfrastructureFactory.create_nats(nats_server)
    risk = runtime_bench.RiskAssessmentService(infrastructure, "risk-assessment")
    trading = runtime_bench.TradingService(infrastructure, "trading")
    await risk.start()
    nc = await nats.connect(nats_server)
    seen: dict[str, Any] = {}

    async def look(msg: Any) -> None:
        seen[msg.subject.split(".")[0]] = (json.loads(msg.data), set(msg.headers or {}))

    try:
        await nc.subscribe("lucent.commands.>", cb=look)
        await nc.subscribe("hand.commands.>", cb=look)
        js = nc.jetstream()
        await js.add_stream(name="RAW_STORE", subjects=["raw.store.>"])
        telemetry = handwritten.Telemetry()

        async def body(ctx: object) -> int:
            return 1

        pairs = [
            (
                "execute_trade",
                lambda: trading.execute_business_operation("execute_trade", context, body),
                handwritten.operation(telemetry, context, "trading", "execute_trade", body),
            ),
            (
                "AssessRisk",
                lambda: trading.send_command("risk-assessment", "AssessRisk", {"n": 1}, context),
                await handwritten.command_pair(
                    nc,
                    telemetry,
                    context,
                    "hand.commands.risk_assessment.AssessRisk",
                    lambda data: {"risk_level": "low", "n": data["n"]},
                ),
            ),
            (
                "publish TradeExecuted",
                lambda: trading.publish_domain_event("TradeExecuted", "trade-1", {"n": 1}, context),
                handwritten.publish(
                    js, telemetry, context, "raw.store.trade-hand", "trade-hand", {"n": 1}
                ),
            ),
        ]
        for _, ours, by_hand in pairs:
            spans.clear()
            await ours()
            runtime_spans = sorted(spans.get_finished_spans(), key=lambda s: s.kind.value)
            spans.clear()
            await by_hand()
            hand_spans = sorted(spans.get_finished_spans(), key=lambda s: s.kind.value)
            assert [s.kind for s in runtime_spans] == [s.kind for s in hand_spans]
            for mine, theirs in zip(runtime_spans, hand_spans, strict=True):
                assert mine.name == theirs.name
                assert set(mine.attributes) == set(theirs.attributes), mine.name
        await nc.flush()
        ours_body, ours_headers = seen["lucent"]
        hand_body, hand_headers = seen["hand"]
        assert set(ours_body) == set(hand_body)
        assert ours_headers == hand_headers
        for operation, kinds in [
            ("execute_trade", ["operation"]),
            ("AssessRisk", ["command", "command.handling"]),
            ("TradeExecuted", ["event.publish"]),
        ]:
            points = _points(metric_reader, operation)
            for kind in kinds:
                hand_kind = {"command.handling": "command_handling", "event.publish": "publish"}
                mine = points[f"lucent.{kind}.duration"]
                theirs = points[f"handwritten.{hand_kind.get(kind, kind)}.duration"]
                assert set(mine) == set(theirs), kind
    finally:
        await risk.stop()
        await nc.close()
        await infrastructure.close()
