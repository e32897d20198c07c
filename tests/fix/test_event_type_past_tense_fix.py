"""LUC303's unsafe fix: an event type's last verb in the past tense, only where the
intended name is obvious, only with unsafe fixes allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lucent_lint.rules.event_type_not_past_tense import EventTypeNotPastTense
from tests.cli import Completed
from tests.cli import lucent as run_cli

from ..lint.helpers import lint_text, pairs
from .helpers import codes, fix_text, fixed

SERVICE = """\
from enum import Enum

from lucent_runtime import CryptoTradingServiceBase, event_handler

SETTLE = 'TradeSettle'
CANCEL = "OrderCancel"


class LoanEvents(str, Enum):
    REPAY = \"\"\"LoanRepay\"\"\"


class TradingService(CryptoTradingServiceBase):
    @event_handler("TradeExecute")
    async def handle_trade(self, event):
        async def settle(event, ctx):
            await self.publish_domain_event(SETTLE, "trade-1", {}, ctx.business_context, ctx)
            await self.publish_domain_event(CANCEL, "order-1", {}, ctx.business_context, ctx)
            await self.publish_domain_event(
                LoanEvents.REPAY.value, "loan-1", {}, ctx.business_context, ctx
            )
            await self.publish_domain_event("PriceFeed", "price-1", {}, ctx.business_context, ctx)
            await self.publish_domain_event(f"FundsWithdraw", "f-1", {}, ctx.business_context, ctx)

        await self.handle_domain_event(event, settle)

    async def execute(self, ctx, context):
        await self.publish_domain_event("TradeExecute", "trade-1", {}, context, ctx)
"""

RENAMED = (
    SERVICE.replace("'TradeSettle'", "'TradeSettled'")
    .replace('"""LoanRepay"""', '"""LoanRepaid"""')
    .replace('"TradeExecute"', '"TradeExecuted"')
    .replace('f"FundsWithdraw"', 'f"FundsWithdrawn"')
)

LEFT = ("OrderCancel", "PriceFeed")


def test_renamed_only_with_unsafe_fixes_keeping_quotes_and_prefixes() -> None:
    assert fix_text(SERVICE).files[0].fixed == SERVICE
    assert fixed(SERVICE, unsafe=True) == RENAMED  # fixed() also checks a second run is a no-op
    remaining = [(line, code) for line, code in pairs(lint_text(RENAMED)) if code == "LUC303"]
    assert [RENAMED.splitlines()[line - 1].strip() for line, _ in remaining] == [
        'CANCEL = "OrderCancel"',
        'await self.publish_domain_event("PriceFeed", "price-1", {}, ctx.business_context, ctx)',
    ]


def test_findings_are_fixable_only_where_the_name_is_obvious() -> None:
    findings = lint_text(SERVICE, {"unsafe-fixes": True})
    luc303 = [f for f in findings if f.code == "LUC303"]
    assert len(luc303) == 7
    fixable = sorted(f.line for f in luc303 if f.fixable)
    left = sorted(f.line for f in luc303 if not f.fixable)
    lines = SERVICE.splitlines()
    assert all(any(name in lines[line - 1] for name in LEFT) for line in left)
    assert len(fixable) == 5 and len(left) == 2
    assert not any(f.fixable for f in lint_text(SERVICE) if f.code == "LUC303")


def test_unsafe_fixes_are_not_even_built_without_unsafe_fixes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(self: EventTypeNotPastTense, literal: object) -> None:
        raise AssertionError("an unsafe fix built without unsafe-fixes")

    monkeypatch.setattr(EventTypeNotPastTense, "fix", refuse)
    findings = lint_text(SERVICE)
    assert len([f for f in findings if f.code == "LUC303"]) == 7
    assert not any(f.fixable for f in findings if f.code == "LUC303")
    with pytest.raises(AssertionError, match="unsafe fix built"):
        lint_text(SERVICE, {"unsafe-fixes": True})


@pytest.mark.parametrize(
    "source",
    [
        # the reported name is longer than the literal: renaming the literal would be wrong
        'x.publish_domain_event("OrderExecute" + "Now", "order-1", {}, c, ctx)\n',
        'x.publish_domain_event("Order" "Execute", "order-1", {}, c, ctx)\n',
        # the verb comes first, a noun comes last, a spelling is not settled
        'x.publish_domain_event("ExecuteTrade", "trade-1", {}, c, ctx)\n',
        'x.publish_domain_event("TokenTransfer", "token-1", {}, c, ctx)\n',
        'x.publish_domain_event("OrderCancel", "order-1", {}, c, ctx)\n',
        'x.publish_domain_event("OrderCreate2", "order-1", {}, c, ctx)\n',
    ],
)
def test_no_fix_where_the_name_is_not_obvious(source: str) -> None:
    source = f"import lucent_runtime\n\n\n{source}"
    run = fix_text(source, unsafe=True)
    assert codes(run) == ["LUC303"]
    assert run.files[0].fixed == source
    assert not run.run.findings[0].fixable


def test_pascal_case_fix_leaves_a_literal_that_is_only_part_of_the_name() -> None:
    source = (
        "import lucent_runtime\n\n\n"
        'x.publish_domain_event("trade_executed" + "_now", "trade-1", {}, c, ctx)\n'
    )
    run = fix_text(source, unsafe=True)
    assert codes(run) == ["LUC302"]
    assert run.files[0].fixed == source


def test_a_pascal_case_fix_and_a_past_tense_fix_never_meet() -> None:
    """LUC302 renames only to a valid event type, so a name that is neither PascalCase nor
    past tense is left to the author (one finding per literal)."""
    source = (
        "import lucent_runtime\n\n\n"
        'x.publish_domain_event("trade_execute", "trade-1", {}, c, ctx)\n'
    )
    run = fix_text(source, unsafe=True)
    assert codes(run) == ["LUC302"]
    assert run.files[0].fixed == source


def test_extra_past_tense_words_are_not_renamed() -> None:
    source = (
        "import lucent_runtime\n\n\n"
        'x.publish_domain_event("PositionHodl", "position-1", {}, c, ctx)\n'
        'x.publish_domain_event("PositionOpen", "position-1", {}, c, ctx)\n'
    )
    after = fixed(source, {"extra-past-tense": ["Hodl"]}, unsafe=True)
    assert '"PositionHodl"' in after and '"PositionOpened"' in after


# -- on the command line ----------------------------------------------------------------------


def lucent(cwd: Path, *args: str, stdin: str | None = None) -> Completed:
    return run_cli(*args, cwd=cwd, stdin=stdin)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.lucent-lint]\n", encoding="utf-8")
    (tmp_path / "svc.py").write_text(SERVICE, encoding="utf-8")
    return tmp_path


def test_cli_fix_renames_only_with_unsafe_fixes(project: Path) -> None:
    svc = project / "svc.py"
    safe = lucent(project, "check", "--fix", "--no-cache", ".")
    assert safe.returncode == 1, safe.stdout + safe.stderr
    assert "Fixed" not in safe.stdout
    assert safe.stdout.count("LUC303") >= 7
    assert svc.read_text(encoding="utf-8") == SERVICE

    diff = lucent(project, "check", "--diff", "--unsafe-fixes", "--no-cache", ".")
    assert (
        '-    @event_handler("TradeExecute")\n+    @event_handler("TradeExecuted")\n' in diff.stdout
    )
    assert svc.read_text(encoding="utf-8") == SERVICE

    unsafe = lucent(project, "check", "--fix", "--unsafe-fixes", "--no-cache", ".")
    assert unsafe.returncode == 1  # OrderCancel and PriceFeed remain
    assert "Fixed 5 findings." in unsafe.stdout
    assert svc.read_text(encoding="utf-8") == RENAMED

    again = lucent(
        project, "check", "--fix", "--unsafe-fixes", "--no-cache", "--format", "json", "."
    )
    assert again.returncode == 1
    left = [f for f in json.loads(again.stdout) if f["code"] == "LUC303"]
    assert len(left) == 2 and not any(f["fixable"] for f in left)
    assert svc.read_text(encoding="utf-8") == RENAMED


def test_rules_lists_luc303_as_an_unsafe_fix(project: Path) -> None:
    result = lucent(project, "rules", "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = {row["code"]: row for row in json.loads(result.stdout)}
    assert rows["LUC303"]["fixable"] == "unsafe"
    text = lucent(project, "rules")
    assert any("LUC303" in line and "unsafe" in line for line in text.stdout.splitlines())
