"""send_command / @command_handler: replies, and distinct errors for timeout, no handler
and a failing handler."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

from lucent_runtime import (
    CommandTimeoutError,
    CryptoTradingServiceBase,
    NamingError,
    NoHandlerError,
    RemoteCommandError,
    RequestContext,
    command_handler,
)

from .helpers import parent_id, span, trading_context


class YieldData(BaseModel):
    protocol: str
    apy: float


class RiskAssessmentService(CryptoTradingServiceBase):
    def __init__(self, infrastructure, name: str = "risk-assessment") -> None:
        super().__init__(infrastructure, name)
        self.contexts: list[RequestContext] = []

    @command_handler("AssessYieldRisk")
    async def assess_yield_risk(self, data: YieldData, ctx: RequestContext) -> dict:
        self.contexts.append(ctx)
        return {"protocol": data.protocol, "risk_level": "high" if data.apy > 20 else "low"}

    @command_handler("AssessArbitrageRisk")
    async def assess_arbitrage_risk(self, data: dict, ctx: RequestContext) -> dict:
        raise ValueError(f"no liquidity data for {data['pair']}")

    @command_handler("RecalculateLimits")
    async def recalculate_limits(self, data: dict, ctx: RequestContext) -> dict:
        await asyncio.sleep(1.0)
        return {}


class YieldService(CryptoTradingServiceBase):
    async def request_risk_assessment(self, command: str, data: dict, timeout: float = 5.0):
        return await self.send_command("risk-assessment", command, data, trading_context(), timeout)


async def test_command_round_trip_with_context_and_trace(infrastructure, spans):
    risk = RiskAssessmentService(infrastructure)
    await risk.start()
    sender = YieldService(infrastructure, "yield-farming")
    reply = await sender.request_risk_assessment(
        "AssessYieldRisk", {"protocol": "aave", "apy": 8.5}
    )
    await risk.stop()
    assert reply == {"protocol": "aave", "risk_level": "low"}
    (ctx,) = risk.contexts
    assert ctx.business_context == trading_context()
    assert ctx.source == "yield-farming"
    client, server = span(spans, "send AssessYieldRisk"), span(spans, "handle AssessYieldRisk")
    assert client.kind is SpanKind.CLIENT
    assert server.kind is SpanKind.SERVER
    assert parent_id(server) == client.context.span_id
    assert server.attributes["event.correlation_id"] == ctx.correlation_id
    assert client.attributes["event.correlation_id"] == ctx.correlation_id
    subject = "lucent.commands.risk_assessment.AssessYieldRisk"
    assert client.attributes["messaging.destination.name"] == subject
    assert server.attributes["business.aggregate_id"] == "trade-abc123"


async def test_no_handler(infrastructure):
    sender = YieldService(infrastructure, "yield-farming")
    with pytest.raises(NoHandlerError) as info:
        await sender.request_risk_assessment("AssessYieldRisk", {"protocol": "aave", "apy": 1})
    assert info.value.target_service == "risk-assessment"
    assert info.value.command_type == "AssessYieldRisk"
    assert info.value.subject == "lucent.commands.risk_assessment.AssessYieldRisk"


async def test_timeout(infrastructure, spans):
    risk = RiskAssessmentService(infrastructure)
    await risk.start()
    sender = YieldService(infrastructure, "yield-farming")
    with pytest.raises(CommandTimeoutError) as info:
        await sender.request_risk_assessment("RecalculateLimits", {}, timeout=0.1)
    assert isinstance(info.value, TimeoutError)
    assert info.value.command_type == "RecalculateLimits"
    assert "0.1s" in str(info.value)
    assert span(spans, "send RecalculateLimits").status.status_code is StatusCode.ERROR
    await risk.stop()


async def test_remote_failure_carries_the_remote_error_and_context(infrastructure, spans):
    risk = RiskAssessmentService(infrastructure)
    await risk.start()
    sender = YieldService(infrastructure, "yield-farming")
    with pytest.raises(RemoteCommandError) as info:
        await sender.request_risk_assessment("AssessArbitrageRisk", {"pair": "ETH-USDC"})
    await risk.stop()
    error = info.value
    assert error.remote_error == {"type": "ValueError", "message": "no liquidity data for ETH-USDC"}
    assert error.business_context == trading_context().to_dict()
    assert (
        error.correlation_id
        == span(spans, "send AssessArbitrageRisk").attributes["event.correlation_id"]
    )
    assert error.target_service == "risk-assessment"
    assert span(spans, "handle AssessArbitrageRisk").status.status_code is StatusCode.ERROR


async def test_a_failing_handler_logs_inside_its_span_and_request(infrastructure, spans, caplog):
    caplog.set_level(logging.ERROR, logger="lucent.risk-assessment")
    risk = RiskAssessmentService(infrastructure)
    await risk.start()
    sender = YieldService(infrastructure, "yield-farming")
    with pytest.raises(RemoteCommandError):
        await sender.request_risk_assessment("AssessArbitrageRisk", {"pair": "ETH-USDC"})
    await risk.stop()
    (record,) = [r for r in caplog.records if r.name == "lucent.risk-assessment"]
    body = json.loads(record.getMessage())
    handler = span(spans, "handle AssessArbitrageRisk")
    assert body["message"] == "command AssessArbitrageRisk failed"
    assert body["error"]["type"] == "ValueError"
    assert body["span_id"] == format(handler.context.span_id, "016x")
    assert body["correlation_id"] == handler.attributes["event.correlation_id"]
    assert body["request_id"] == handler.attributes["request.id"]
    assert sorted(event.name for event in handler.events) == ["exception", "log"]


async def test_invalid_command_data_is_a_remote_error(infrastructure):
    risk = RiskAssessmentService(infrastructure)
    await risk.start()
    sender = YieldService(infrastructure, "yield-farming")
    with pytest.raises(RemoteCommandError) as info:
        await sender.request_risk_assessment("AssessYieldRisk", {"protocol": "aave"})
    await risk.stop()
    assert info.value.remote_error["type"] == "ValidationError"


@pytest.mark.parametrize(
    ("target", "command", "fragment"),
    [("RiskAssessment", "AssessYieldRisk", "kebab-case"), ("risk", "YieldRiskAssessed", "past")],
)
async def test_bad_names_are_refused(infrastructure, target, command, fragment):
    sender = YieldService(infrastructure, "yield-farming")
    with pytest.raises(NamingError, match=fragment):
        await sender.send_command(target, command, {}, trading_context())


@pytest.mark.parametrize("timeout", [0, -1.5, float("nan"), True, "5", None])
async def test_a_timeout_that_is_not_a_positive_number_is_refused(infrastructure, timeout):
    service = CryptoTradingServiceBase(infrastructure, "trading")
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds"):
        await service.send_command("risk", "AssessRisk", {}, trading_context(), timeout)


def test_decorators_check_names_at_definition():
    from lucent_runtime import event_handler

    with pytest.raises(NamingError):
        command_handler("assess_risk")
    with pytest.raises(NamingError):
        event_handler("ExecuteTrade")


def test_decorators_check_the_methods_parameters_at_definition():
    """A handler that cannot take what it is given fails at import, not at its first
    message (an event handler would be retried and dead-lettered)."""
    from lucent_runtime import event_handler

    with pytest.raises(TypeError, match=r"\(self, event\); .*handle\(self\) is not"):

        class Deaf(CryptoTradingServiceBase):
            @event_handler("TradeExecuted")
            async def handle(self):
                pass

    with pytest.raises(TypeError, match=r"\(self, data, ctx\); .*assess\(self, data\) is not"):

        class Rude(CryptoTradingServiceBase):
            @command_handler("AssessRisk")
            async def assess(self, data):
                return 1

    class Fine(CryptoTradingServiceBase):  # defaults and *args can take the call
        @event_handler("TradeExecuted")
        async def handle(self, event, note=None):
            pass

        @command_handler("AssessRisk")
        async def assess(self, *args):
            return 1


async def test_a_command_handled_twice_is_refused_at_start(infrastructure):
    class Doubled(CryptoTradingServiceBase):
        @command_handler("ExecuteSwap")
        async def one(self, data, ctx):
            return 1

        @command_handler("ExecuteSwap")
        async def two(self, data, ctx):
            return 2

    from lucent_runtime import LucentError

    service = Doubled(infrastructure, "trading")
    with pytest.raises(LucentError, match="twice"):
        await service.start()
    assert not service.started
