"""self.logger.error(message, fields, error): one JSON record with the business context;
secrets redacted in logs and in spans."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys

import pytest

from lucent_runtime import (
    ConfigurationError,
    CryptoTradingServiceBase,
    RequestContext,
    configure_logging,
)
from lucent_runtime._redact import REDACTED, is_secret_key

from .helpers import EXAMPLE, example_env, span, trading_context


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


# -- output for people and for machines ----------------------------------------------------


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def installed_handlers():
    """Removes the root handlers a test installed with configure_logging."""
    handlers: list[logging.Handler] = []
    level = logging.getLogger().level
    yield handlers
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
    logging.getLogger().setLevel(level)


async def failing_run(infrastructure) -> None:
    service = YieldService(infrastructure, "yield-farming")
    with pytest.raises(ConnectionError):
        await service.execute_yield_strategy({"strategy_id": "s-1", "api_key": "sk-9"})


async def test_json_lines_when_the_output_is_not_a_terminal(
    infrastructure, installed_handlers, monkeypatch
):
    monkeypatch.delenv("LUCENT_LOG_FORMAT", raising=False)
    stream = io.StringIO()
    installed_handlers.append(configure_logging(logging.INFO, stream))
    await failing_run(infrastructure)
    logging.getLogger("lucent_runtime.other").warning("plain record password=pw-77")
    lines = stream.getvalue().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    structured = next(r for r in records if r.get("message") == "Yield strategy execution failed")
    assert structured["strategy_id"] == "s-1"
    assert structured["api_key"] == REDACTED
    assert structured["error"]["type"] == "ConnectionError"
    plain = records[-1]
    assert plain["logger"] == "lucent_runtime.other"
    assert plain["level"] == "warning"
    assert "pw-77" not in plain["message"]


def test_a_plain_records_extra_fields_are_written_and_redacted(installed_handlers):
    stream = io.StringIO()
    installed_handlers.append(configure_logging(logging.INFO, stream, fmt="json"))
    logging.getLogger("lucent_runtime.nats").error(
        "delivering a message to %s failed",
        "portfolio-handle-trade",
        extra={
            "messaging.consumer.group.name": "portfolio-handle-trade",
            "api_key": "sk-extra-1",
            "note": "token=tk-extra-2",
            "level": "not the level",
        },
    )
    (record,) = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert record["messaging.consumer.group.name"] == "portfolio-handle-trade"
    assert record["api_key"] == REDACTED
    assert "tk-extra-2" not in record["note"]
    assert (record["level"], record["fields.level"]) == ("error", "not the level")
    assert "exc_info" not in record and "args" not in record  # a record's own attributes


async def test_readable_lines_with_a_short_traceback_on_a_terminal(
    infrastructure, installed_handlers, monkeypatch
):
    monkeypatch.delenv("LUCENT_LOG_FORMAT", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    stream = Terminal()
    installed_handlers.append(configure_logging(logging.INFO, stream))
    await failing_run(infrastructure)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3, lines
    head, where, error = lines
    assert "ERROR" in head
    assert "yield-farming Yield strategy execution failed" in head
    assert "strategy_id=s-1" in head
    assert f"api_key={REDACTED}" in head
    assert not head.lstrip().startswith("{")
    assert where.strip().startswith("at test_logging.py:")
    assert where.strip().endswith("in run")
    assert error.strip() == "ConnectionError: aave RPC unreachable"
    assert "Traceback" not in stream.getvalue()


async def test_log_format_can_be_asked_for(infrastructure, installed_handlers, monkeypatch):
    monkeypatch.setenv("LUCENT_LOG_FORMAT", "json")
    stream = Terminal()
    installed_handlers.append(configure_logging(logging.INFO, stream))
    await failing_run(infrastructure)
    assert json.loads(stream.getvalue().splitlines()[0])["level"] == "error"
    monkeypatch.setenv("LUCENT_LOG_FORMAT", "yaml")
    with pytest.raises(ConfigurationError, match="LUCENT_LOG_FORMAT must be one of"):
        configure_logging(logging.INFO, stream)


def test_terminal_colours_unless_no_color(installed_handlers, monkeypatch):
    monkeypatch.delenv("LUCENT_LOG_FORMAT", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    stream = Terminal()
    installed_handlers.append(configure_logging(logging.INFO, stream))
    logging.getLogger("lucent_runtime.colour").error("coloured")
    assert "\x1b[" in stream.getvalue()


def test_example_first_output_in_a_terminal_is_not_a_crash(tmp_path):
    """Run the example in a pseudo-terminal: the failed strategy's log is one readable
    line plus a short traceback, after a line that says the failure is on purpose."""
    pty = pytest.importorskip("pty")
    env = example_env(tmp_path, NO_COLOR="1", COLUMNS="200")
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLE)], stdout=slave, stderr=slave, env=env, cwd=tmp_path
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert process.wait(timeout=60) == 0
    lines = [line for line in b"".join(chunks).decode().splitlines() if line.strip()]
    assert "fails at its third step on purpose" in lines[0]
    assert "ERROR" in lines[1]
    assert "Arbitrage strategy failed" in lines[1]
    assert len(lines[1]) < 400
    assert re.fullmatch(r"at complete_event_flow\.py:\d+ in execute_trades", lines[2].strip())
    assert lines[3].strip().startswith("ProcessStepError: business process")
    assert not any(line.lstrip().startswith("{") for line in lines)
    assert "Traceback" not in "\n".join(lines)
