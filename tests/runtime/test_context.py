"""BusinessContextBuilder presets, chain, validation; BusinessContext attributes."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from lucent_runtime import BusinessContext, BusinessContextBuilder, BusinessContextError


def test_presets_set_domain_and_bounded_context() -> None:
    cases = {
        BusinessContextBuilder.for_crypto_trading: ("crypto-trading", "crypto-trading"),
        BusinessContextBuilder.for_yield_farming: ("crypto-trading", "yield-farming"),
        BusinessContextBuilder.for_user_management: ("user-management", "user-management"),
    }
    for preset, (domain, bounded) in cases.items():
        ctx = preset().with_aggregate("User", "user-1").build()
        assert (ctx.domain, ctx.bounded_context) == (domain, bounded)
    other = BusinessContextBuilder.for_domain("notifications").with_aggregate("Alert", "a1").build()
    assert (other.domain, other.bounded_context) == ("notifications", "notifications")


def test_to_attributes_gives_exactly_the_standard_names() -> None:
    ctx = (
        BusinessContextBuilder.for_yield_farming()
        .with_aggregate("YieldStrategy", "strategy-abc123")
        .with_user("user-456")
        .with_workflow("yield-workflow-789")
        .with_trading_pair("ETH-USDC")
        .with_exchange("binance")
        .with_protocol("aave")
        .with_amount(50000)
        .with_priority("high")
        .with_risk_level("medium")
        .with_strategy_type("yield-farming")
        .with_metadata("strategy", "cross-exchange-arbitrage")
        .build()
    )
    assert ctx.to_attributes() == {
        "business.domain": "crypto-trading",
        "business.bounded_context": "yield-farming",
        "business.aggregate_type": "YieldStrategy",
        "business.aggregate_id": "strategy-abc123",
        "business.user_id": "user-456",
        "business.workflow_id": "yield-workflow-789",
        "crypto.trading_pair": "ETH-USDC",
        "crypto.exchange": "binance",
        "crypto.protocol": "aave",
        "crypto.amount_usd": 50000.0,
        "crypto.risk_level": "medium",
        "crypto.strategy_type": "yield-farming",
        "business.metadata.strategy": "cross-exchange-arbitrage",
    }
    assert ctx.priority == "high"


def test_unset_values_are_left_out() -> None:
    ctx = BusinessContextBuilder.for_crypto_trading().with_aggregate("Trade", "t-1").build()
    assert set(ctx.to_attributes()) == {
        "business.domain",
        "business.bounded_context",
        "business.aggregate_type",
        "business.aggregate_id",
    }


def test_context_is_immutable() -> None:
    ctx = (
        BusinessContextBuilder.for_crypto_trading()
        .with_aggregate("Trade", "t-1")
        .with_metadata("k", "v")
        .build()
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.user_id = "someone"  # type: ignore[misc]
    with pytest.raises(TypeError):
        ctx.metadata["k"] = "changed"  # type: ignore[index]


def test_builder_changes_do_not_reach_built_contexts() -> None:
    builder = BusinessContextBuilder.for_crypto_trading().with_aggregate("Trade", "t-1")
    first = builder.with_metadata("a", 1).build()
    builder.with_metadata("b", 2)
    assert dict(first.metadata) == {"a": 1}


@pytest.mark.parametrize(
    ("build", "fragment"),
    [
        (lambda: BusinessContextBuilder.for_crypto_trading().build(), "no aggregate"),
        (
            lambda: (
                BusinessContextBuilder.for_crypto_trading()
                .with_aggregate("Trade", "t")
                .with_amount(-5)
                .build()
            ),
            "amount_usd",
        ),
        (
            lambda: (
                BusinessContextBuilder.for_crypto_trading()
                .with_aggregate("Trade", "t")
                .with_amount(float("nan"))
                .build()
            ),
            "amount_usd",
        ),
        (
            lambda: (
                BusinessContextBuilder.for_crypto_trading()
                .with_aggregate("Trade", "t")
                .with_amount(True)
                .build()
            ),
            "amount_usd",
        ),
        (
            lambda: (
                BusinessContextBuilder.for_crypto_trading()
                .with_aggregate("Trade", "t")
                .with_priority("urgent")
                .build()
            ),
            "priority 'urgent'",
        ),
        (lambda: BusinessContextBuilder().with_aggregate("Trade", "t").build(), "no domain"),
        (
            lambda: (
                BusinessContextBuilder.for_domain("Crypto Trading")
                .with_aggregate("Trade", "t")
                .build()
            ),
            "kebab-case",
        ),
        (
            lambda: (
                BusinessContextBuilder.for_crypto_trading()
                .with_aggregate("Trade", "t")
                .with_user("")
                .build()
            ),
            "user_id",
        ),
        (
            lambda: (
                BusinessContextBuilder.for_crypto_trading()
                .with_aggregate("Trade", "t")
                .with_metadata("bad key", "x")
                .build()
            ),
            "metadata key",
        ),
    ],
)
def test_invalid_contexts_are_refused_with_a_clear_error(build, fragment: str) -> None:
    with pytest.raises(BusinessContextError, match=fragment):
        build()


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(BusinessContextError) as info:
        BusinessContextBuilder.for_crypto_trading().with_amount(-1).with_priority("x").build()
    message = str(info.value)
    assert "no aggregate" in message
    assert "amount_usd" in message
    assert "priority" in message


def test_dict_round_trip_keeps_everything() -> None:
    ctx = (
        BusinessContextBuilder.for_user_management()
        .with_aggregate("User", "user-1")
        .with_user("user-1")
        .with_priority("low")
        .with_metadata("plan", "pro")
        .build()
    )
    assert BusinessContext.from_dict(ctx.to_dict()) == ctx
    with pytest.raises(BusinessContextError):
        BusinessContext.from_dict({"domain": "crypto-trading"})


def test_business_context_copies_and_pickles() -> None:
    import copy
    import pickle

    from lucent_runtime import BusinessContextBuilder

    context = (
        BusinessContextBuilder.for_crypto_trading()
        .with_aggregate("Trade", "trade-1")
        .with_amount(12.5)
        .with_metadata("strategy", "arbitrage")
        .build()
    )
    for clone in (copy.deepcopy(context), copy.copy(context), pickle.loads(pickle.dumps(context))):
        assert clone == context
        assert clone.to_attributes() == context.to_attributes()
        assert clone.metadata["strategy"] == "arbitrage"


@pytest.mark.parametrize(
    "amount", [10**400, Decimal("1e400"), Decimal("NaN"), Decimal("sNaN"), Decimal("-0.01"), "5"]
)
def test_amounts_a_float_cannot_hold_are_refused(amount: object) -> None:
    builder = BusinessContextBuilder.for_crypto_trading().with_aggregate("Trade", "t")
    with pytest.raises(BusinessContextError, match="amount_usd must be a finite number") as info:
        builder.with_amount(amount).build()  # type: ignore[arg-type]
    assert len(str(info.value)) < 200  # a huge number is shortened, not printed whole


def test_a_decimal_amount_is_accepted() -> None:
    context = (
        BusinessContextBuilder.for_crypto_trading()
        .with_aggregate("Trade", "t")
        .with_amount(Decimal("50000.25"))
        .build()
    )
    assert context.amount_usd == 50000.25
    assert context.to_attributes()["crypto.amount_usd"] == 50000.25
