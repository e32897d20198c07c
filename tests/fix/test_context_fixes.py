"""LUC203 (safe), LUC101 and LUC302 (unsafe, only with unsafe-fixes)."""

from __future__ import annotations

import textwrap

from ..lint.helpers import lint_text, pairs
from .helpers import fix_text, fixed

IMPORTS = "from lucent_runtime import BusinessContextBuilder, CryptoTradingServiceBase\n\n\n"


def source(body: str, imports: str = IMPORTS) -> str:
    return imports + textwrap.dedent(body)


def test_chain_passed_unbuilt_gains_build_on_its_own_line() -> None:
    before = source(
        """\
        class TradingService(CryptoTradingServiceBase):
            async def record(self, trade_id, trade):
                context = (
                    BusinessContextBuilder.for_crypto_trading()
                    .with_aggregate("Trade", f"trade-{trade_id}")
                )

                async def record(ctx):
                    await self.publish_domain_event(
                        "TradeExecuted",
                        f"trade-{trade_id}",
                        trade,
                        BusinessContextBuilder.for_crypto_trading().with_aggregate("T", trade_id),
                        ctx,
                    )

                await self.execute_business_operation("record", context, record)
        """
    )
    assert [c for _, c in pairs(lint_text(before))] == ["LUC203", "LUC203"]
    after = fixed(before)
    assert (
        '            .with_aggregate("Trade", f"trade-{trade_id}")\n'
        "            .build()\n"
        "        )\n"
    ) in after
    assert '.with_aggregate("T", trade_id).build(),\n' in after
    assert pairs(lint_text(after)) == []


def test_chain_ending_in_an_uncalled_build_gets_the_call() -> None:
    before = source(
        """\
        class TradingService(CryptoTradingServiceBase):
            async def price(self, batch_id):
                context = (
                    BusinessContextBuilder.for_crypto_trading()
                    .with_aggregate("Batch", f"batch-{batch_id}")
                    .build
                )
                await self.execute_business_operation("price", context, self._noop)
        """
    )
    assert [c for _, c in pairs(lint_text(before))] == ["LUC203"]
    after = fixed(before)
    assert after == before.replace("            .build\n", "            .build()\n")
    assert pairs(lint_text(after)) == []


def test_builder_continued_through_its_variable_is_left_alone() -> None:
    before = source(
        """\
        class TradingService(CryptoTradingServiceBase):
            async def record(self, trade_id, user):
                builder = BusinessContextBuilder.for_crypto_trading().with_aggregate("T", "t-1")
                if user:
                    builder = builder.with_user(user)
                await self.execute_business_operation("record", builder, self._record)
        """
    )
    assert [c for _, c in pairs(lint_text(before))] == ["LUC203"]
    run = fix_text(before)
    assert run.fixed == 0 and run.files[0].fixed == before


def test_chain_without_aggregate_is_not_fixed() -> None:
    before = source(
        """\
        class TradingService(CryptoTradingServiceBase):
            async def record(self):
                await self.execute_business_operation(
                    "record", BusinessContextBuilder.for_crypto_trading(), self._record
                )
        """
    )
    run = fix_text(before)
    assert run.fixed == 0 and "LUC203" in [f.code for f in run.run.findings]


SERVICE_WITHOUT_BASE = """\
class TradingService:
    async def record(self, trade_id):
        try:
            await self.go()
        except:
            raise RuntimeError("go failed")
        return (
            BusinessContextBuilder.for_yield_farming()
            .with_aggregate("YieldAnalysis", f"yield-analysis-{trade_id}")
            .build()
        )
"""


def test_missing_base_is_only_fixed_with_unsafe_fixes() -> None:
    before = source(SERVICE_WITHOUT_BASE, "from lucent_runtime import BusinessContextBuilder\n\n\n")
    safe = fix_text(before)
    assert "class TradingService:" in safe.files[0].fixed
    luc101 = [f for f in safe.run.findings if f.code == "LUC101"]
    assert luc101 and not luc101[0].fixable
    after = fixed(before, unsafe=True)
    assert after.startswith(
        "from lucent_runtime import BusinessContextBuilder, CryptoTradingServiceBase\n\n\n"
        "class TradingService(CryptoTradingServiceBase):\n"
    )
    assert "except Exception as err:" in after  # the nested fixes were applied too
    assert pairs(lint_text(after)) == []


def test_missing_base_through_a_module_alias_and_for_users() -> None:
    before = textwrap.dedent(
        """\
        import lucent_runtime as lr


        class AccountService:
            def context(self, user_id):
                return (
                    lr.BusinessContextBuilder.for_user_management()
                    .with_aggregate("User", f"user-{user_id}")
                    .build()
                )
        """
    )
    after = fixed(before, unsafe=True)
    assert "class AccountService(lr.UserServiceBase):\n" in after
    assert "from lucent_runtime" not in after


def test_missing_base_left_alone_when_contexts_disagree_or_bases_exist() -> None:
    mixed = source(
        """\
        class TradingService:
            def a(self):
                return BusinessContextBuilder.for_crypto_trading()

            def b(self):
                return BusinessContextBuilder.for_user_management()
        """
    )
    assert fix_text(mixed, unsafe=True).files[0].fixed == mixed
    with_base = source(
        """\
        class Mixin:
            pass


        class TradingService(Mixin):
            def a(self):
                return BusinessContextBuilder.for_crypto_trading()
        """
    )
    run = fix_text(with_base, unsafe=True)
    assert run.files[0].fixed == with_base
    assert "LUC101" in [f.code for f in run.run.findings]


HANDLERS = """\
from lucent_runtime import CryptoTradingServiceBase, event_handler

SETTLED = "trade-settled"


class TradingService(CryptoTradingServiceBase):
    @event_handler("trade_executed")
    async def handle_trade(self, event):
        await self.handle_domain_event(event, self._on_trade)

    async def announce(self, ctx, context):
        await self.publish_domain_event(SETTLED, "trade-1", {}, context, ctx)
        await self.publish_domain_event("trade_execute", "trade-1", {}, context, ctx)
"""


def test_event_type_renamed_only_when_obvious_and_unsafe_allowed() -> None:
    assert fix_text(HANDLERS).files[0].fixed == HANDLERS
    after = fixed(HANDLERS, unsafe=True)
    assert 'SETTLED = "TradeSettled"' in after
    assert '@event_handler("TradeExecuted")' in after
    assert '"trade_execute"' in after  # TradeExecute is not past tense: no obvious name
    assert [c for _, c in pairs(lint_text(after)) if c.startswith("LUC3")] == ["LUC302"]


def test_unsafe_fixes_from_configuration() -> None:
    after = fixed(HANDLERS, {"unsafe-fixes": True})
    assert '@event_handler("TradeExecuted")' in after
