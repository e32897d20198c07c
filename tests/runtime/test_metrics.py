"""Duration histograms (ms, SLA buckets 1 ms .. 60 s) and error counters by domain."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from lucent_runtime import (
    BusinessContextBuilder,
    CryptoTradingServiceBase,
    DomainEvent,
    ProcessStep,
    ProcessStepError,
    RequestContext,
    UserServiceBase,
    command_handler,
    event_handler,
)
from lucent_runtime._telemetry import DURATION_BUCKETS_MS

from .helpers import eventually, trading_context


def points(reader: InMemoryMetricReader, name: str, **attributes: str) -> list:
    data = reader.get_metrics_data()
    out = []
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != name:
                    continue
                assert metric.unit in ("ms", "{error}")
                for point in metric.data.data_points:
                    if all(point.attributes.get(k) == v for k, v in attributes.items()):
                        out.append(point)
    return out


class MetricsService(CryptoTradingServiceBase):
    pass


async def test_durations_use_the_sla_buckets(infrastructure, metric_reader):
    service = MetricsService(infrastructure, "metrics-probe")

    async def step(ctx: RequestContext, previous: object) -> int:
        return 1

    async def run(ctx: RequestContext) -> None:
        await service.execute_business_process(
            "probe_process", ctx.business_context, [ProcessStep("probe_step", step)]
        )

    await service.execute_business_operation("probe_operation", trading_context(), run)
    expected = {
        "lucent.operation.duration": "probe_operation",
        "lucent.process.duration": "probe_process",
        "lucent.process.step.duration": "probe_step",
    }
    assert DURATION_BUCKETS_MS[0] == 1 and DURATION_BUCKETS_MS[-1] == 60_000
    for name, operation in expected.items():
        (point,) = points(
            metric_reader,
            name,
            **{"service.name": "metrics-probe", "service.operation": operation},
        )
        assert tuple(point.explicit_bounds) == DURATION_BUCKETS_MS
        assert point.attributes["business.domain"] == "crypto-trading"
        assert point.attributes["outcome"] == "success"
        assert point.count == 1
        assert 0 <= point.sum < 5_000


async def test_errors_are_counted_by_domain(infrastructure, metric_reader):
    class UserService(UserServiceBase):
        pass

    users = UserService(infrastructure, "user-probe")
    context = BusinessContextBuilder.for_user_management().with_aggregate("User", "u-1").build()

    async def fail(ctx: RequestContext, previous: object) -> None:
        raise KeyError("missing profile")

    for _ in range(2):
        with pytest.raises(ProcessStepError):
            await users.execute_business_process(
                "onboarding", context, [ProcessStep("load_profile", fail)]
            )
    step_errors = points(
        metric_reader,
        "lucent.errors",
        **{
            "service.name": "user-probe",
            "business.domain": "user-management",
            "lucent.kind": "step",
            "error.type": "KeyError",
        },
    )
    assert [p.value for p in step_errors] == [2]
    process_errors = points(
        metric_reader,
        "lucent.errors",
        **{"service.name": "user-probe", "lucent.kind": "process"},
    )
    assert [p.value for p in process_errors] == [2]
    (failed,) = points(
        metric_reader,
        "lucent.process.duration",
        **{"service.name": "user-probe", "outcome": "error"},
    )
    assert failed.count == 2


class LedgerService(CryptoTradingServiceBase):
    @command_handler("RecordFill")
    async def record_fill(self, data: dict, ctx: RequestContext) -> dict:
        return {"recorded": data["usd"]}

    @event_handler("FillRecorded")
    async def handle_fill_recorded(self, event: DomainEvent) -> None:
        async def note(event: DomainEvent, ctx: RequestContext) -> None:
            self.noted = event.event_id

        await self.handle_domain_event(event, note)


async def test_commands_and_event_handling_are_measured(infrastructure, metric_reader):
    ledger = LedgerService(infrastructure, "ledger-probe")
    await ledger.start()
    sender = MetricsService(infrastructure, "sender-probe")
    context = trading_context()
    assert await sender.send_command("ledger-probe", "RecordFill", {"usd": 5}, context) == {
        "recorded": 5
    }
    event = await sender.publish_domain_event("FillRecorded", "fill-1", {}, context)
    await eventually(lambda: getattr(ledger, "noted", None) == event.event_id)
    await ledger.stop()
    for name, service, operation in (
        ("lucent.command.duration", "sender-probe", "RecordFill"),
        ("lucent.command.handling.duration", "ledger-probe", "RecordFill"),
        ("lucent.event.handling.duration", "ledger-probe", "FillRecorded"),
    ):
        (point,) = points(
            metric_reader, name, **{"service.name": service, "service.operation": operation}
        )
        assert point.count == 1
        assert point.attributes["business.domain"] == "crypto-trading"
        assert tuple(point.explicit_bounds) == DURATION_BUCKETS_MS
