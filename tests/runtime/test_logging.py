"""self.logger.error(message, fields, error): one JSON record with the business context;
secrets redacted in logs and in spans."""

from __future__ import annotations

import json
import logging

import pytest

from lucent_runtime import CryptoTradingServiceBase, RequestContext
from lucent_runtime._redact import REDACTED, is_secret_key

from .helpers import span, trading_context


class YieldService(CryptoTradingServiceBase):
    async def execute_yield_strategy(self, data: dict) -> None:
        context = trading_context()

        async def run(ctx: RequestContext) -> None:
            try:
                raise ConnectionError("aave RPC unreachable")
            except ConnectionError as error:
                self.logger.error(  # noqa: PLE1205 - a StructuredLogger
                    "Yield strategy execution failed",
                    {
                        "strategy_id": data["strategy_id"],
                        "api_key": data["api_key"],
                        "wallet": {"private_key": "0xdead", "address": "0xbeef"},
                    },
                    error,
                )
                raise

        await self.execute_business_operation("execute_yield_strategy", context, run)


async def test_error_log_is_one_json_object_with_context(infrastructure, spans, caplog):
    service = YieldService(infrastructure, "yield-farming")
    caplog.set_level(logging.DEBUG, logger="lucent.yield-farming")
    with pytest.raises(ConnectionError):
        await service.execute_yield_strategy({"strategy_id": "strategy-1", "api_key": "sk-123"})
    (record,) = [r for r in caplog.records if r.name == "lucent.yield-farming"]
    assert "\n" not in record.getMessage()
    body = json.loads(record.getMessage())
    operation = span(spans, "execute_yield_strategy")
    assert body["level"] == "error"
    assert body["message"] == "Yield strategy execution failed"
    assert body["service.name"] == "yield-farming"
    assert body["business.aggregate_id"] == "trade-abc123"
    assert body["business.workflow_id"] == "workflow-789"
    assert body["correlation_id"] == operation.attributes["event.correlation_id"]
    assert body["trace_id"] == format(operation.context.trace_id, "032x")
    assert body["strategy_id"] == "strategy-1"
    assert body["error"]["type"] == "ConnectionError"
    assert body["error"]["message"] == "aave RPC unreachable"
    assert "Traceback" in body["error"]["traceback"]
    assert body["api_key"] == REDACTED
    assert body["wallet"] == {"private_key": REDACTED, "address": "0xbeef"}
    assert "sk-123" not in record.getMessage() and "0xdead" not in record.getMessage()
    # the record is on the span too, redacted the same way
    (log_event,) = [e for e in operation.events if e.name == "log"]
    assert log_event.attributes["log.message"] == "Yield strategy execution failed"
    assert log_event.attributes["log.api_key"] == REDACTED
    assert "0xdead" not in log_event.attributes["log.wallet"]
    assert log_event.attributes["exception.type"] == "ConnectionError"


async def test_secret_business_metadata_is_redacted_on_spans(infrastructure, spans):
    service = YieldService(infrastructure, "yield-farming")
    context = trading_context(api_key="sk-live-1", seed_phrase="abandon abandon", venue="dex")
    await service.execute_business_operation("op", context, lambda ctx: None)
    attributes = span(spans, "op").attributes
    assert attributes["business.metadata.api_key"] == REDACTED
    assert attributes["business.metadata.seed_phrase"] == REDACTED
    assert attributes["business.metadata.venue"] == "dex"


@pytest.mark.parametrize(
    "key",
    ["password", "db_password", "secret", "clientSecret", "token", "access_token", "authToken",
     "api_key", "apiKey", "x-api-key", "private_key", "privateKey", "seed", "mnemonic"],
)  # fmt: skip
def test_secret_looking_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["token_symbol", "strategy_id", "keyboard", "seeds_count_total", "user_id"]
)
def test_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_log_outside_any_operation_still_writes_json(infrastructure, caplog):
    service = YieldService(infrastructure, "yield-farming")
    caplog.set_level(logging.INFO, logger="lucent.yield-farming")
    service.logger.info("started", {"password": "hunter2", "level": "shadowed"})  # noqa: PLE1205
    body = json.loads(caplog.records[-1].getMessage())
    assert body["message"] == "started"
    assert body["password"] == REDACTED
    assert body["level"] == "info"
    assert body["fields.level"] == "shadowed"
    assert "correlation_id" not in body
