"""execute_business_process: a child span per step, results chained, failures named."""

from __future__ import annotations

import pytest
from opentelemetry.trace import StatusCode

from lucent_runtime import (
    CryptoTradingServiceBase,
    ProcessDefinitionError,
    ProcessStep,
    ProcessStepError,
    RequestContext,
)

from .helpers import parent_id, span, trading_context


class YieldOptimizationService(CryptoTradingServiceBase):
    pass


async def test_steps_run_in_order_with_one_child_span_each(infrastructure, spans):
    service = YieldOptimizationService(infrastructure, "yield-optimization")
    calls: list[tuple[str, object]] = []

    async def analyze(
        ctx: RequestContext,
    ) -> list[str]:  # one argument, like the standard's first step
        calls.append(("analyze", None))
        return ["aave"]

    async def identify(ctx: RequestContext, positions: list[str]) -> dict:
        calls.append(("identify", positions))
        return {"best": positions[0]}

    def generate(ctx: RequestContext, opportunities: dict) -> str:  # plain functions too
        calls.append(("generate", opportunities))
        return f"strategy-{opportunities['best']}"

    result = await service.execute_business_process(
        "yield_optimization",
        trading_context(),
        [
            ProcessStep("analyze_current_positions", analyze),
            {"name": "identify_yield_opportunities", "execute": identify},
            ProcessStep("generate_strategy", generate),
        ],
    )
    assert result == "strategy-aave"
    assert calls == [("analyze", None), ("identify", ["aave"]), ("generate", {"best": "aave"})]
    process = span(spans, "yield_optimization")
    assert process.attributes["business.process_name"] == "yield_optimization"
    assert process.attributes["business.total_steps"] == 3
    names = ["analyze_current_positions", "identify_yield_opportunities", "generate_strategy"]
    for number, name in enumerate(names, start=1):
        step = span(spans, name)
        assert parent_id(step) == process.context.span_id
        assert step.attributes["business.process_name"] == "yield_optimization"
        assert step.attributes["business.step_number"] == number
        assert step.attributes["business.total_steps"] == 3
        assert step.attributes["business.aggregate_id"] == "trade-abc123"


async def test_failing_step_names_the_step_and_keeps_the_cause(infrastructure, spans):
    service = YieldOptimizationService(infrastructure, "yield-optimization")
    original = ValueError("Insufficient liquidity")
    ran: list[str] = []

    async def detect(ctx: RequestContext) -> int:
        ran.append("detect")
        return 1

    async def execute(ctx: RequestContext, previous: int) -> None:
        ran.append("execute")
        raise original

    async def report(ctx: RequestContext, previous: object) -> None:
        ran.append("report")

    with pytest.raises(ProcessStepError) as info:
        await service.execute_business_process(
            "arbitrage_strategy",
            trading_context(),
            [
                ProcessStep("detect_opportunity", detect),
                ProcessStep("execute_trades", execute),
                ProcessStep("report", report),
            ],
        )
    error = info.value
    assert error.__cause__ is original
    assert (error.process, error.step, error.step_number) == (
        "arbitrage_strategy",
        "execute_trades",
        2,
    )
    assert "execute_trades" in str(error)
    assert "Insufficient liquidity" in str(error)
    assert ran == ["detect", "execute"]
    failed = span(spans, "execute_trades")
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.events[0].attributes["exception.type"] == "ValueError"
    assert span(spans, "detect_opportunity").status.status_code is not StatusCode.ERROR
    assert span(spans, "arbitrage_strategy").status.status_code is StatusCode.ERROR


@pytest.mark.parametrize(
    ("steps", "fragment"),
    [
        ([], "no steps"),
        ([{"name": "a"}], "not callable"),
        ([{"execute": lambda ctx: None}], "no name"),
        ([{"name": "a", "execute": lambda ctx: None, "retries": 3}], "unknown keys"),
        (["step"], "expected a ProcessStep"),
        ({"name": "a", "execute": lambda ctx: None}, "must be a list"),
    ],
)
async def test_malformed_processes_are_refused(infrastructure, steps, fragment):
    service = YieldOptimizationService(infrastructure, "yield-optimization")
    with pytest.raises(ProcessDefinitionError, match=fragment):
        await service.execute_business_process("p", trading_context(), steps)
