"""lucent-trace over a store that real services filled on the embedded default: each
command's answers (text and JSON), its exit codes, and the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lucent_runtime._span_store import SPAN_STORE_FILE, open_database

from .conftest import as_json, lucent_trace
from .scenario import YIELD_SLEEPS_MS


def find(data_dir: Path, query: str) -> list[dict]:
    return as_json(lucent_trace("find", query, "--format", "json", "--data-dir", str(data_dir)))[
        "traces"
    ]


# -- find ---------------------------------------------------------------------------------


def test_find_all_events_for_a_user(data_dir: Path) -> None:
    traces = find(data_dir, 'service.name="*" AND business.user_id="user-123"')
    # newest first: the failed arbitrage, the executed one, the registration
    assert [(t["operation"], t["service"], t["status"]) for t in traces] == [
        ("arbitrage_execution", "trading", "error"),
        ("arbitrage_execution", "trading", "ok"),
        ("register_user", "user-management", "ok"),
    ]
    assert [t["time"] for t in traces] == sorted((t["time"] for t in traces), reverse=True)
    assert all(len(t["trace_id"]) == 32 for t in traces)
    assert traces[0]["matched"] == {"service.name": "trading", "business.user_id": "user-123"}
    assert traces[0]["duration_ms"] > 0


def test_find_a_workflow_and_high_risk_trades(data_dir: Path) -> None:
    (workflow,) = find(data_dir, 'business.workflow_id="arbitrage-workflow-789"')
    (risky,) = find(data_dir, 'crypto.risk_level="high" AND business.domain="crypto-trading"')
    assert workflow["trace_id"] == risky["trace_id"]
    assert risky["status"] == "error"
    assert risky["matched"] == {"crypto.risk_level": "high", "business.domain": "crypto-trading"}
    assert find(data_dir, 'crypto.risk_level="low"')[0]["trace_id"] != risky["trace_id"]


def test_find_a_multi_service_process(data_dir: Path) -> None:
    (trace,) = find(
        data_dir,
        'business.process_name="arbitrage_strategy" '
        'AND business.workflow_id="arbitrage-workflow-456"',
    )
    assert trace["operation"] == "arbitrage_execution"
    assert trace["status"] == "ok"
    # wildcards, OR and parentheses select across services
    both = find(data_dir, 'business.workflow_id="arbitrage-workflow-*"')
    assert len(both) == 2
    handled = find(
        data_dir, "(service.name=portfolio OR service.name=risk-*) AND business.user_id=user-123"
    )
    assert {t["trace_id"] for t in handled} == {t["trace_id"] for t in both}


def test_find_by_duration(data_dir: Path) -> None:
    slow = find(data_dir, 'business.process_name="yield_optimization" AND operation.duration_ms>40')
    assert len(slow) == 2  # the 50 ms and the 150 ms optimizations
    assert all(t["matched"]["operation.duration_ms"] > 40 for t in slow)


def test_find_text_lists_traces(data_dir: Path) -> None:
    result = lucent_trace("find", "business.user_id=user-123", "--data-dir", str(data_dir))
    assert result.exit_code == 0
    assert "3 traces match business.user_id=user-123" in result.stdout
    failed = find(data_dir, "business.user_id=user-123")[0]
    (line,) = [line for line in result.stdout.splitlines() if failed["trace_id"] in line]
    assert "arbitrage_execution" in line and "❌" in line and "trading" in line


def test_find_limit(data_dir: Path) -> None:
    result = lucent_trace(
        "find",
        "business.user_id=*",
        "--limit",
        "2",
        "--format",
        "json",
        "--data-dir",
        str(data_dir),
    )
    assert len(as_json(result)["traces"]) == 2


# -- show ---------------------------------------------------------------------------------


def test_show_a_failed_workflow_like_the_standard(data_dir: Path) -> None:
    result = lucent_trace(
        "show", "--workflow", "arbitrage-workflow-789", "--data-dir", str(data_dir)
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Trace ")
    assert 'business.workflow_id="arbitrage-workflow-789"' in lines[0]
    assert lines[1].startswith("arbitrage_execution [trading] ❌")
    text = result.stdout
    assert "├── Step 1/3: detect_opportunity ✅" in text
    assert "├── Step 2/3: assess_risk ✅" in text
    step3 = next(line for line in lines if "Step 3/3: execute_trades" in line)
    assert "❌" in step3
    assert 'FAILED - "InsufficientLiquidityError: Insufficient liquidity: dex-xyz' in step3
    details = lines[lines.index(step3) + 1 :]
    assert details[0].strip().startswith("↳ Error details: InsufficientLiquidityError:")
    assert "crypto.amount_usd=50000" in details[1] and "business.step_number=3" in details[1]
    # across services: the event handled by the portfolio, the command by risk-assessment
    assert "process ArbitrageOpportunityDetected [portfolio] ✅" in text
    assert "handle AssessArbitrageRisk [risk-assessment] ✅" in text
    assert "send AssessArbitrageRisk [trading] ✅" in text


def test_show_by_trace_id_json_tree(data_dir: Path) -> None:
    executed = find(data_dir, 'business.workflow_id="arbitrage-workflow-456"')[0]["trace_id"]
    shown = as_json(lucent_trace("show", executed, "--format", "json", "--data-dir", str(data_dir)))
    (trace,) = shown["traces"]
    (root,) = trace["spans"]
    assert root["name"] == "arbitrage_execution" and root["status"] != "error"
    (process,) = root["children"]
    assert [step["name"] for step in process["children"]] == [
        "detect_opportunity",
        "assess_risk",
        "execute_trades",
    ]
    execute = process["children"][2]
    (publish,) = execute["children"]
    assert publish["kind"] == "producer" and publish["name"] == "publish ArbitrageTradeExecuted"
    (handling,) = publish["children"]
    assert handling["kind"] == "consumer" and handling["service"] == "portfolio"
    (update,) = handling["children"]
    assert update["name"] == "publish PortfolioUpdated"
    assert update["attributes"]["business.user_id"] == "user-123"
    # a unique prefix of the id works too
    again = as_json(
        lucent_trace("show", executed[:12], "--format", "json", "--data-dir", str(data_dir))
    )
    assert again == shown


def test_show_failed_span_json_has_error_and_exception_event(data_dir: Path) -> None:
    shown = as_json(
        lucent_trace(
            "show",
            "--workflow",
            "arbitrage-workflow-789",
            "--format",
            "json",
            "--data-dir",
            str(data_dir),
        )
    )
    process = shown["traces"][0]["spans"][0]["children"][0]
    step3 = process["children"][2]
    assert step3["status"] == "error"
    assert step3["error"].startswith("InsufficientLiquidityError: Insufficient liquidity")
    (event,) = [e for e in step3["events"] if e["name"] == "exception"]
    assert event["attributes"]["exception.type"].endswith("InsufficientLiquidityError")


def test_show_unknown_and_bad_arguments(data_dir: Path) -> None:
    missing = lucent_trace("show", "f" * 32, "--data-dir", str(data_dir))
    assert missing.exit_code == 1
    assert "No trace ffff" in missing.stdout
    unknown = lucent_trace("show", "--workflow", "nope", "--data-dir", str(data_dir))
    assert unknown.exit_code == 1 and "No trace has business.workflow_id='nope'" in unknown.stdout
    both = lucent_trace("show", "abc", "--workflow", "x", "--data-dir", str(data_dir))
    assert both.exit_code == 2
    assert both.stderr.strip().count("\n") == 0 and "one of them" in both.stderr


# -- journey ------------------------------------------------------------------------------


def test_journey_of_a_user(data_dir: Path) -> None:
    journey = as_json(
        lucent_trace("journey", "user-123", "--format", "json", "--data-dir", str(data_dir))
    )
    assert [(e["n"], e["event_type"], e["service"]) for e in journey["events"]] == [
        (1, "UserCreated", "user-management"),
        (2, "ArbitrageOpportunityDetected", "trading"),
        (3, "ArbitrageTradeExecuted", "trading"),
        (4, "PortfolioUpdated", "portfolio"),
        (5, "ArbitrageOpportunityDetected", "trading"),
    ]
    assert journey["events"][2]["handled_by"] == [{"service": "portfolio", "status": "ok"}]
    assert journey["events"][0]["handled_by"] == []
    times = [e["time"] for e in journey["events"]]
    assert times == sorted(times)
    text = lucent_trace("journey", "user-123", "--data-dir", str(data_dir)).stdout.splitlines()
    assert text[0] == "Journey of user-123: 5 domain events"
    assert text[1].startswith("1. UserCreated → user-management service ✅")
    assert "handled by portfolio ✅" in text[3]


def test_journey_of_nobody(data_dir: Path) -> None:
    result = lucent_trace("journey", "user-000", "--format", "json", "--data-dir", str(data_dir))
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {"user_id": "user-000", "events": []}


# -- stats --------------------------------------------------------------------------------


def test_stats_against_an_sla(data_dir: Path) -> None:
    query = 'business.process_name="yield_optimization"'
    stats = as_json(
        lucent_trace(
            "stats", query, "--sla", "25ms,100ms", "--format", "json", "--data-dir", str(data_dir)
        )
    )
    # the process spans, not also their steps (which carry the process name too)
    assert stats["count"] == len(YIELD_SLEEPS_MS) == 5
    assert stats["failed"] == 0
    assert [(b["count"], b["mark"]) for b in stats["bands"]] == [(3, "✅"), (1, "⚠️"), (1, "❌")]
    assert [b["share"] for b in stats["bands"]] == [0.6, 0.2, 0.2]
    assert stats["p50_ms"] < 25 <= 50 <= stats["p95_ms"] == stats["p99_ms"]
    assert stats["p99_ms"] >= 150
    text = lucent_trace("stats", query, "--sla", "25ms,100ms", "--data-dir", str(data_dir))
    assert text.exit_code == 0
    assert "- 60% complete under 25ms ✅ (3)" in text.stdout
    assert "- 20% take 25ms-100ms ⚠️ (1)" in text.stdout
    assert "- 20% take over 100ms ❌ (1)" in text.stdout


def test_stats_with_the_standards_duration_filter(data_dir: Path) -> None:
    stats = as_json(
        lucent_trace(
            "stats",
            'business.process_name="yield_optimization" AND operation.duration_ms>30',
            "--format",
            "json",
            "--data-dir",
            str(data_dir),
        )
    )
    assert stats["count"] == 2
    # default SLA: 15 s and 30 s
    assert stats["sla_ms"] == [15_000, 30_000]
    assert stats["bands"][0]["share"] == 1.0


def test_stats_counts_failures(data_dir: Path) -> None:
    stats = as_json(
        lucent_trace(
            "stats",
            "operation.name=execute_trades",
            "--format",
            "json",
            "--data-dir",
            str(data_dir),
        )
    )
    assert (stats["count"], stats["failed"]) == (2, 1)


@pytest.mark.parametrize("sla", ["fast", "30s,15s", "0s", "15s,,30s"])
def test_stats_bad_sla(data_dir: Path, sla: str) -> None:
    result = lucent_trace("stats", "a=1", "--sla", sla, "--data-dir", str(data_dir))
    assert result.exit_code == 2
    assert result.stderr.startswith("lucent-trace: error: --sla")
    assert result.stderr.count("\n") == 1


# -- errors and empty answers -------------------------------------------------------------


def test_bad_query_is_one_line_with_the_column(data_dir: Path) -> None:
    for command in ("find", "stats"):
        result = lucent_trace(
            command, 'business.user_id="user-123" AND (x=1', "--data-dir", str(data_dir)
        )
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == (
            "lucent-trace: error: bad query at column 37: expected ')' to close the '(' at "
            "column 33, got the end of the query\n"
        )


def test_no_match(data_dir: Path) -> None:
    result = lucent_trace("find", "business.user_id=nobody", "--data-dir", str(data_dir))
    assert result.exit_code == 1
    assert result.stdout == "No trace matches business.user_id=nobody\n"
    as_json_out = lucent_trace("find", "a=1", "--format", "json", "--data-dir", str(data_dir))
    assert as_json_out.exit_code == 1 and json.loads(as_json_out.stdout)["traces"] == []
    stats = lucent_trace("stats", "a=1", "--data-dir", str(data_dir))
    assert stats.exit_code == 1 and "No span matches a=1" in stats.stdout


def test_missing_store(tmp_path: Path) -> None:
    for args in (["find", "a=1"], ["show", "abc"], ["journey", "u"], ["stats", "a=1"]):
        result = lucent_trace(*args, "--data-dir", str(tmp_path))
        assert result.exit_code == 3, args
        assert result.stderr == (
            f"lucent-trace: error: no span store at {tmp_path / SPAN_STORE_FILE}: run a "
            "service on the embedded default (or with LUCENT_TRACE_STORE=1 on NATS) with "
            f"LUCENT_DATA_DIR={tmp_path}\n"
        )


def test_empty_store(tmp_path: Path) -> None:
    open_database(tmp_path / SPAN_STORE_FILE).close()
    result = lucent_trace("journey", "user-123", "--data-dir", str(tmp_path))
    assert result.exit_code == 3
    assert "is empty: no spans recorded yet" in result.stderr


def test_data_dir_from_the_environment(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LUCENT_DATA_DIR", str(data_dir))
    assert lucent_trace("journey", "user-123").exit_code == 0


def test_installed_console_script(data_dir: Path) -> None:
    script = Path(sys.executable).parent / "lucent-trace"
    command = str(script) if script.is_file() else shutil.which("lucent-trace")
    assert command, "lucent-trace is not installed (pip install -e .)"
    result = subprocess.run(
        [command, "journey", "user-123", "--format", "json", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["events"][0]["event_type"] == "UserCreated"
    bad = subprocess.run(
        [command, "find", "a=", "--data-dir", str(data_dir)], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert bad.stderr == (
        "lucent-trace: error: bad query at column 3: expected a value after '=', "
        "got the end of the query\n"
    )
