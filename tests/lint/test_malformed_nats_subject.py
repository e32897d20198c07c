"""LUC305 and LUC306 beyond the doc examples: ``extra-past-tense``, positions of
concatenated literals, and what is never taken for a subject."""

from __future__ import annotations

from textwrap import dedent

import pytest

from .helpers import lint_text, pairs


def _lint(source: str, **config: object) -> list:
    return lint_text(source, {"select": ["LUC305", "LUC306"], **config})


def _module(*lines: str) -> str:
    return "import lucent_runtime\n\n" + "\n".join(lines) + "\n"


def test_extra_past_tense_in_subjects_and_commands() -> None:
    source = _module(
        'HODL = "lucent.events.domain.crypto_trading.PositionHodl"',
        "",
        "",
        "class VaultService(lucent_runtime.CryptoTradingServiceBase):",
        '    @lucent_runtime.command_handler("StakeHodl")',
        "    async def stake(self, data, ctx):",
        "        return data",
    )
    assert pairs(_lint(source)) == [(3, "LUC305")]
    assert pairs(_lint(source, **{"extra-past-tense": ["hodl"]})) == [(7, "LUC306")]


def test_concatenated_literal_is_one_subject_reported_at_its_start() -> None:
    source = _module(
        "SUBJECT = (",
        '    "lucent.events.crypto_trading."',
        '    "TradeExecuted"',
        ")",
    )
    [finding] = _lint(source)
    assert (finding.line, finding.column) == (4, 5)
    assert "lucent.events.crypto_trading.TradeExecuted" in finding.message


@pytest.mark.parametrize(
    "line",
    [
        'import logging\nlogger = logging.getLogger("lucent.events")',
        'import importlib\nmodule = importlib.import_module("lucent.events.handlers")',
        'import os\nbatch = os.getenv("lucent.events.batch", "10")',
        'NOTE = "lucent.events is where the domain events go"',
        '"""lucent.events.crypto_trading.TradeExecuted: a docstring, not a subject."""',
        'HOST = "lucent.internal"',
        'LOGGER_NAME = "lucent.trading.execution"',
        'PREFIX = "lucent.events.domain"',
        'ok = "lucent.events.domain.%s.%s" % ("crypto_trading", "TradeExecuted")',
        'ok = "lucent.commands.{}.{}".format("risk_assessment", "AssessYieldRisk")',
        'METRICS = [("lucent.command.duration", "Command round trip")]',
        "from opentelemetry import metrics\n"
        'h = metrics.get_meter("x").create_counter("lucent.events.domain.published")',
    ],
)
def test_not_subjects_or_well_formed(line: str) -> None:
    assert _lint(_module(line)) == []


@pytest.mark.parametrize(
    "line",
    [
        'TOPIC = "lucent.trading.executed"',
        'bad = "lucent.events.%s" % ("TradeExecuted",)',
        'bad = "lucent.events.{}.{}".format("crypto_trading", "TradeExecuted")',
        'CMD_PREFIX = "lucent.command."',
        'async def go(nc):\n    await nc.publish(subject="lucent.risk.assess", payload=b"")',
    ],
)
def test_malformed_subjects(line: str) -> None:
    assert [f.code for f in _lint(_module(line))] == ["LUC305"]


def test_only_service_code_is_checked() -> None:
    source = dedent(
        """\
        SUBJECT = "lucent.events.crypto_trading.TradeExecuted"


        class Helper:
            subject = "lucent.events.crypto_trading.TradeExecuted"


        class AuditService(Base):
            subject = "lucent.events.crypto_trading.TradeExecuted"
        """
    )
    assert pairs(_lint(source, **{"extra-base-classes": ["Base"]})) == [(9, "LUC305")]
    assert pairs(_lint(source)) == []  # a class that adopted no service base


def test_attribute_values_resolve_in_their_own_scope() -> None:
    source = dedent(
        """\
        from lucent_runtime import CryptoTradingServiceBase

        TARGET = "Risk_Assessment"


        class YieldService(CryptoTradingServiceBase):
            def __init__(self, infrastructure, target):
                super().__init__(infrastructure, "yield-farming")
                self.target = target
                self.fallback = TARGET

            async def assess(self, ctx):
                target = "risk_assessment"
                await self.send_command(self.target, "AssessYieldRisk", {}, ctx.business_context)
                await self.send_command(self.fallback, "AssessYieldRisk", {}, ctx.business_context)
        """
    )
    # self.target is __init__'s parameter, not assess's local; self.fallback is TARGET
    assert pairs(_lint(source)) == [(3, "LUC306")]


@pytest.mark.parametrize(
    ("target", "suggestion"),
    [("RiskAssessment", "risk-assessment"), ("risk_engine", "risk-engine"), ("42", None)],
)
def test_target_service_message_suggests_its_kebab_spelling(
    target: str, suggestion: str | None
) -> None:
    source = _module(
        "",
        "",
        "class DeskService(lucent_runtime.CryptoTradingServiceBase):",
        "    async def assess(self, data, ctx):",
        f'        return await self.send_command("{target}", "AssessRisk", data, ctx)',
    )
    [finding] = _lint(source)
    assert finding.code == "LUC306"
    # a name with no kebab spelling gets the standard's example
    assert f"(e.g. {suggestion or 'risk-assessment'!r})" in finding.message
