"""The runnable "Complete Event Flow" example prints its traces as trees."""

from __future__ import annotations

import json
from pathlib import Path

from tests.runtime.helpers import run_example


def test_example_runs_embedded_and_prints_the_trace_trees(tmp_path: Path) -> None:
    done = run_example(tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    lines = [line.rstrip() for line in out.splitlines()]
    assert "Infrastructure: embedded" in lines
    assert (tmp_path / "data" / "events.sqlite3").is_file()

    trees, store = out.split("Event store:")
    executed, failed = trees.split('business.workflow_id="arbitrage-workflow-789"')
    assert 'business.workflow_id="arbitrage-workflow-456"' in executed
    # the executed strategy: every step and every event handled, all ✅
    for fragment in (
        "arbitrage_execution [trading] ✅",
        "└── arbitrage_strategy [trading] ✅",
        "├── Step 1/3: detect_opportunity ✅",
        "│   └── publish ArbitrageOpportunityDetected [trading] ✅",
        "│       └── process ArbitrageOpportunityDetected [portfolio] ✅",
        "├── Step 2/3: assess_risk ✅",
        "│   └── send AssessArbitrageRisk [trading] ✅",
        "│       └── handle AssessArbitrageRisk [risk-assessment] ✅",
        "└── Step 3/3: execute_trades ✅",
        "└── publish ArbitrageTradeExecuted [trading] ✅",
        "└── process ArbitrageTradeExecuted [portfolio] ✅",
        "└── publish PortfolioUpdated [portfolio] ✅",
    ):
        assert fragment in executed, fragment
    assert "❌" not in executed
    # the failed one: steps 1 and 2 ✅, step 3 ❌ with its error and business impact
    assert "arbitrage_execution [trading] ❌" in failed
    assert "├── Step 1/3: detect_opportunity ✅" in failed
    assert "├── Step 2/3: assess_risk ✅" in failed
    (step3,) = [line for line in failed.splitlines() if "Step 3/3" in line]
    assert "execute_trades ❌" in step3
    assert 'FAILED - "InsufficientLiquidityError: Insufficient liquidity' in step3
    assert "↳ Error details: InsufficientLiquidityError" in failed
    assert "↳ Business impact: $50,000 ETH-USDC arbitrage opportunity missed" in failed
    assert "ArbitrageTradeExecuted" not in failed
    # the event store holds what happened
    assert "arbitrage-456: v1 ArbitrageOpportunityDetected, v2 ArbitrageTradeExecuted" in store
    assert "  arbitrage-789: v1 ArbitrageOpportunityDetected" in lines
    assert "portfolio-user-123: v1 PortfolioUpdated" in store
    # the failure was logged once, as JSON with the business context
    (record,) = [json.loads(x) for x in done.stderr.splitlines() if x.startswith("{")]
    assert record["message"] == "Arbitrage strategy failed"
    assert record["business.workflow_id"] == "arbitrage-workflow-789"
    assert record["failed_step"] == "execute_trades"
    assert record["error"]["type"] == "ProcessStepError"
