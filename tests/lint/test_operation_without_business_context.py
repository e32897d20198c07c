"""LUC201 beyond its doc: which classes and methods are checked, callbacks found across
methods, the position of the finding."""

from __future__ import annotations

from .helpers import lint_text

HEADER = """\
from lucent_runtime import (
    BusinessContextBuilder,
    CryptoTradingServiceBase,
    command_handler,
    event_handler,
)

"""

CONTEXT = 'BusinessContextBuilder.for_crypto_trading().with_aggregate("Trade", "trade-1").build()'


def found(body: str, config: dict | None = None) -> list[tuple[int, int]]:
    text = HEADER + body
    return [(f.line, f.column) for f in lint_text(text, config) if f.code == "LUC201"]


def test_reported_at_the_def_keyword_after_decorators_and_async() -> None:
    body = f"""
class TradeService(CryptoTradingServiceBase):
    @event_handler("TradeExecuted")
    async  def handle_trade_executed(self, event):
        await self.publish_domain_event("TradeRecorded", "trade-1", {{}}, {CONTEXT})
"""
    assert found(body) == [(11, 12)]
    # LUC501 reports the same def: each finding gets the def keyword's column once
    both = [(f.code, f.line, f.column) for f in lint_text(HEADER + body)]
    assert sorted(both) == [("LUC201", 11, 12), ("LUC501", 11, 12)]


def test_private_sync_and_nested_methods_are_not_checked() -> None:
    body = f"""
class TradeService(CryptoTradingServiceBase):
    async def _record(self):
        await self.publish_domain_event("TradeRecorded", "trade-1", {{}}, {CONTEXT})

    def record_later(self):
        return self.publish_domain_event("TradeRecorded", "trade-1", {{}}, {CONTEXT})

    class Helper:
        async def record(self, service):
            await service.publish_domain_event("TradeRecorded", "trade-1", {{}}, {CONTEXT})
"""
    assert found(body) == []


def test_command_handlers_run_in_the_commands_context() -> None:
    body = """
class RiskService(CryptoTradingServiceBase):
    @command_handler("AssessRisk")
    async def assess_risk(self, data, ctx):
        await self.publish_domain_event(
            "RiskAssessed", "risk-1", data, ctx.business_context, ctx
        )
        return data
"""
    assert found(body) == []


def test_a_class_extending_a_runtime_base_is_a_service_whatever_its_name() -> None:
    body = """
class TradeDesk(CryptoTradingServiceBase):
    async def history(self, trade_id):
        return await self.infrastructure.event_store.read_stream(f"trade-{trade_id}")


class TradeArchive:
    async def history(self, trade_id):
        return await self.infrastructure.event_store.read_stream(f"trade-{trade_id}")
"""
    assert found(body) == [(10, 11)]
    assert found(body, {"service-class-pattern": "Archive$"}) == [(10, 11), (15, 11)]


def test_a_public_method_given_as_callback_later_in_the_class_is_not_flagged() -> None:
    body = f"""
class TradeService(CryptoTradingServiceBase):
    async def record(self, ctx):
        await self.publish_domain_event(
            "TradeRecorded", "trade-1", {{}}, ctx.business_context, ctx
        )

    async def run(self):
        return await self.execute_business_operation("run", {CONTEXT}, self.record)
"""
    assert found(body) == []


def test_steps_collected_in_a_list_before_the_process() -> None:
    body = f"""
class TradeService(CryptoTradingServiceBase):
    async def run(self):
        context = {CONTEXT}

        async def publish(ctx, previous):
            await self.publish_domain_event("TradeRecorded", "trade-1", {{}}, context, ctx)

        publish_step = {{"name": "publish", "execute": publish}}
        steps = []
        steps.append(publish_step)
        return await self.execute_business_process("run", context, steps)

    async def run_lambda(self):
        context = {CONTEXT}
        record = lambda ctx: self.publish_domain_event(  # noqa: E731
            "TradeRecorded", "trade-1", {{}}, context, ctx
        )
        return await self.execute_business_operation("run_lambda", context, record)
"""
    assert found(body) == []


def test_a_raw_client_in_a_local_name_is_business_work() -> None:
    body = """
class TradeService(CryptoTradingServiceBase):
    async def history(self, trade_id):
        infrastructure = self.infrastructure
        return await infrastructure.event_store.read_stream(f"trade-{trade_id}")

    async def price(self, pair):
        return await self.exchange_client.fetch_ticker(pair)

    async def replay(self, trade_id):
        return await self._event_store_client.read_stream(f"trade-{trade_id}")

    async def snapshot(self, trade_id):
        return await self._nats_client.request(f"lucent.commands.ledger.Snapshot{trade_id}", b"")
"""
    assert found(body) == [(10, 11), (17, 11), (20, 11)]


def test_connection_management_is_not_business_work() -> None:
    body = """
import nats


class FeedService(CryptoTradingServiceBase):
    async def connect(self, url):
        self.nc = await nats.connect(url)

    async def close(self):
        await self.nc.drain()
        await self.infrastructure.close()

    async def listen(self, subject, callback):
        await self.nc.subscribe(subject, cb=callback)

    async def push(self, subject, payload):
        await self.nc.publish(subject, payload)
"""
    assert found(body) == [(23, 11)]
