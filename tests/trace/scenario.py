"""Services that produce the standard's debugging examples: a user registered, two
arbitrage strategies (one executed, one failing at its third step for lack of liquidity,
flagged high risk), a portfolio updated by the events, and five yield optimizations of
known durations."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from lucent_runtime import (
    BusinessContextBuilder,
    CryptoTradingServiceBase,
    DomainEvent,
    Infrastructure,
    ProcessStep,
    ProcessStepError,
    RequestContext,
    UserServiceBase,
    command_handler,
    event_handler,
)

LIQUIDITY_USD = {"binance": 2_000_000, "kraken": 900_000, "dex-xyz": 40_000}

#: how long each yield optimization waits, in ms: three fast, one slow, one too slow
YIELD_SLEEPS_MS = (0, 0, 0, 50, 150)


@dataclass(frozen=True)
class Arbitrage:
    trade_id: str
    user_id: str
    amount_usd: float
    sell_exchange: str
    risk_level: str


ARBITRAGES = (
    Arbitrage("456", "user-123", 50_000, "kraken", "low"),
    Arbitrage("789", "user-123", 50_000, "dex-xyz", "high"),
)


class InsufficientLiquidityError(Exception):
    pass


class UserService(UserServiceBase):
    async def register_user(self, user_id: str) -> None:
        context = (
            BusinessContextBuilder.for_user_management()
            .with_aggregate("User", user_id)
            .with_user(user_id)
            .build()
        )

        async def register(ctx: RequestContext) -> None:
            await self.publish_domain_event(
                "UserCreated", f"user-{user_id}", {"user_id": user_id}, context, ctx
            )

        await self.execute_business_operation("register_user", context, register)


class RiskAssessmentService(CryptoTradingServiceBase):
    @command_handler("AssessArbitrageRisk")
    async def assess_arbitrage_risk(self, data: dict, ctx: RequestContext) -> dict:
        available = LIQUIDITY_USD[data["sell_exchange"]]
        return {"fillable": data["amount_usd"] <= available, "available_usd": available}


class TradingService(CryptoTradingServiceBase):
    async def execute_arbitrage(self, request: Arbitrage) -> dict:
        context = (
            BusinessContextBuilder.for_crypto_trading()
            .with_aggregate("ArbitrageTrade", f"arbitrage-{request.trade_id}")
            .with_user(request.user_id)
            .with_trading_pair("ETH-USDC")
            .with_amount(request.amount_usd)
            .with_risk_level(request.risk_level)
            .with_workflow(f"arbitrage-workflow-{request.trade_id}")
            .build()
        )
        stream = f"arbitrage-{request.trade_id}"

        async def detect_opportunity(step: RequestContext) -> dict:
            opportunity = {"trade_id": request.trade_id, "amount_usd": request.amount_usd}
            await self.publish_domain_event(
                "ArbitrageOpportunityDetected", stream, opportunity, context, step
            )
            return opportunity

        async def assess_risk(step: RequestContext, opportunity: dict) -> dict:
            return await self.send_command(
                "risk-assessment",
                "AssessArbitrageRisk",
                {**opportunity, "sell_exchange": request.sell_exchange},
                context,
            )

        async def execute_trades(step: RequestContext, risk: dict) -> dict:
            if not risk["fillable"]:
                raise InsufficientLiquidityError(
                    f"Insufficient liquidity: {request.sell_exchange} can fill "
                    f"${risk['available_usd']:,} of ${request.amount_usd:,.0f}"
                )
            result = {"user_id": request.user_id, "profit_usd": 210.0}
            await self.publish_domain_event("ArbitrageTradeExecuted", stream, result, context, step)
            return result

        async def arbitrage(ctx: RequestContext) -> dict:
            return await self.execute_business_process(
                "arbitrage_strategy",
                context,
                [
                    ProcessStep("detect_opportunity", detect_opportunity),
                    ProcessStep("assess_risk", assess_risk),
                    ProcessStep("execute_trades", execute_trades),
                ],
            )

        return await self.execute_business_operation("arbitrage_execution", context, arbitrage)


class PortfolioService(CryptoTradingServiceBase):
    @event_handler("ArbitrageTradeExecuted")
    async def handle_arbitrage_trade_executed(self, event: DomainEvent) -> None:
        async def update(event: DomainEvent, ctx: RequestContext) -> None:
            user_id = event.data["user_id"]
            await self.publish_domain_event(
                "PortfolioUpdated",
                f"portfolio-{user_id}",
                {"user_id": user_id},
                ctx.business_context,
                ctx,
            )

        await self.handle_domain_event(event, update)

    @event_handler("ArbitrageOpportunityDetected")
    async def handle_arbitrage_opportunity_detected(self, event: DomainEvent) -> None:
        async def watch(event: DomainEvent, ctx: RequestContext) -> None:
            return None

        await self.handle_domain_event(event, watch)


class YieldService(CryptoTradingServiceBase):
    async def optimize(self, number: int, sleep_ms: float) -> None:
        context = (
            BusinessContextBuilder.for_yield_farming()
            .with_aggregate("YieldPosition", f"position-{number}")
            .with_user("user-789")
            .with_workflow(f"yield-workflow-{number}")
            .build()
        )

        async def rebalance(step: RequestContext) -> None:
            await asyncio.sleep(sleep_ms / 1000)

        await self.execute_business_process(
            "yield_optimization", context, [ProcessStep("rebalance", rebalance)]
        )


async def run_scenario(infrastructure: Infrastructure) -> None:
    """Everything above, in order, waiting for the event handlers."""
    users = UserService(infrastructure, "user-management")
    trading = TradingService(infrastructure, "trading")
    risk = RiskAssessmentService(infrastructure, "risk-assessment")
    portfolio = PortfolioService(infrastructure, "portfolio")
    yields = YieldService(infrastructure, "yield-farming")
    await risk.start()
    await portfolio.start()
    try:
        await users.register_user("user-123")
        await asyncio.sleep(0.01)
        for request in ARBITRAGES:
            try:
                await trading.execute_arbitrage(request)
            except ProcessStepError:
                pass
            await asyncio.sleep(0.05)  # the handlers run; distinct start times
        for number, sleep_ms in enumerate(YIELD_SLEEPS_MS, 1):
            await yields.optimize(number, sleep_ms)
        await asyncio.sleep(0.2)
    finally:
        await portfolio.stop()
        await risk.stop()
