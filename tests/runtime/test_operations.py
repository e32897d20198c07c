"""execute_business_operation: one span with the business attributes; errors recorded with
the business context and re-raised unchanged."""

from __future__ import annotations

import enum

import pytest
from opentelemetry.trace import StatusCode

from lucent_runtime import (
    BusinessContextBuilder,
    BusinessContextError,
    CryptoTradingServiceBase,
    LucentServiceBase,
    NamingError,
    ProcessStep,
    RequestContext,
    UserServiceBase,
    current_request_context,
)

from .helpers import parent_id, span, trading_context


class TradingService(CryptoTradingServiceBase):
    pass


async def test_operation_span_carries_business_and_service_attributes(infrastructure, spans):
    service = TradingService(infrastructure, "trading")
    seen: list[RequestContext] = []

    async def work(ctx: RequestContext) -> str:
        seen.append(ctx)
        assert current_request_context() is ctx
        return "done"

    context = trading_context()
    assert await service.execute_business_operation("execute_swap", context, work) == "done"
    assert current_request_context() is None
    (ctx,) = seen
    assert ctx.business_context is context
    assert ctx.source == "trading"
    attributes = span(spans, "execute_swap").attributes
    assert attributes["service.name"] == "trading"
    assert attributes["service.operation"] == "execute_swap"
    assert attributes["request.id"] == ctx.request_id
    assert attributes["request.source"] == "trading"
    assert attributes["event.correlation_id"] == ctx.correlation_id
    for key, value in context.to_attributes().items():
        assert attributes[key] == value
    assert span(spans, "execute_swap").status.status_code is not StatusCode.ERROR


async def test_error_is_recorded_with_context_and_reraised_unchanged(infrastructure, spans):
    service = TradingService(infrastructure, "trading")
    failure = RuntimeError("Insufficient liquidity")

    async def work(ctx: RequestContext) -> None:
        raise failure

    with pytest.raises(RuntimeError) as info:
        await service.execute_business_operation("execute_swap", trading_context(), work)
    assert info.value is failure
    failed = span(spans, "execute_swap")
    assert failed.status.status_code is StatusCode.ERROR
    assert "Insufficient liquidity" in failed.status.description
    (event,) = failed.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "RuntimeError"
    assert event.attributes["exception.message"] == "Insufficient liquidity"
    assert event.attributes["business.aggregate_id"] == "trade-abc123"
    assert event.attributes["business.workflow_id"] == "workflow-789"


async def test_nested_operations_share_the_correlation_id(infrastructure, spans):
    service = TradingService(infrastructure, "trading")
    contexts: list[RequestContext] = []

    async def inner(ctx: RequestContext) -> None:
        contexts.append(ctx)

    async def outer(ctx: RequestContext) -> None:
        contexts.append(ctx)
        await service.execute_business_operation("inner", ctx.business_context, inner)

    await service.execute_business_operation("outer", trading_context(), outer)
    first, second = contexts
    assert second.correlation_id == first.correlation_id
    assert second.causation_id == first.request_id
    assert parent_id(span(spans, "inner")) == span(spans, "outer").context.span_id


async def test_base_class_refuses_contexts_of_the_wrong_domain(infrastructure):
    class NotificationService(LucentServiceBase):
        pass

    class UserService(UserServiceBase):
        pass

    async def work(ctx: RequestContext) -> None:
        raise AssertionError("must not run")

    for service in (
        NotificationService(infrastructure, "notifications"),
        UserService(infrastructure, "user-management"),
    ):
        with pytest.raises(BusinessContextError, match="CryptoTradingServiceBase"):
            await service.execute_business_operation("x", trading_context(), work)
    users = BusinessContextBuilder.for_user_management().with_aggregate("User", "u1").build()
    assert (
        await UserService(infrastructure, "users").execute_business_operation(
            "create_user", users, lambda ctx: "created"
        )
        == "created"
    )


async def test_operation_without_a_built_context_is_refused(infrastructure):
    service = TradingService(infrastructure, "trading")
    for bad in (None, {"business.domain": "crypto-trading"}):
        with pytest.raises(BusinessContextError, match="BusinessContextBuilder"):
            await service.execute_business_operation("x", bad, lambda ctx: None)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "   ", None, 5])
async def test_operations_and_processes_need_a_name(infrastructure, spans, name):
    service = TradingService(infrastructure, "trading")
    ran: list[object] = []

    async def work(ctx: RequestContext, previous: object = None) -> None:
        ran.append(ctx)

    with pytest.raises(NamingError, match="execute_business_operation needs a name"):
        await service.execute_business_operation(name, trading_context(), work)
    with pytest.raises(NamingError, match="execute_business_process needs a name"):
        await service.execute_business_process(name, trading_context(), [ProcessStep("step", work)])
    assert ran == [] and spans.get_finished_spans() == ()


async def test_a_str_enum_names_an_operation(infrastructure, spans):
    class Operation(enum.StrEnum):
        SWAP = "execute_swap"

    service = TradingService(infrastructure, "trading")
    assert await service.execute_business_operation(Operation.SWAP, trading_context(), _one) == 1
    assert [s.name for s in spans.get_finished_spans()] == ["execute_swap"]


async def _one(ctx: RequestContext) -> int:
    return 1


def test_service_name_must_be_kebab_case(infrastructure):
    from lucent_runtime import NamingError

    with pytest.raises(NamingError):
        TradingService(infrastructure, "Trading Service")
