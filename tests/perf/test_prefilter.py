"""The text pre-filter: which files are parsed, and that skipped files still feed the
repository index."""

from __future__ import annotations

from pathlib import Path

import pytest

from lucent_lint.config import Settings, settings_from_mapping
from lucent_lint.engine.check import check_source
from lucent_lint.engine.source import may_contain_service_code

from .project import check, make_project


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("from lucent_runtime import DomainEvent\n", True),
        ("import lucent_runtime as lr\n", True),
        ("from lucent_runtime.naming import is_past_tense\n", True),
        ("class TradingService:\n    pass\n", True),
        ("class TradingService(Base, metaclass=Meta):\n    pass\n", True),
        ("    class NestedService:\n        pass\n", True),
        ("class TradingServiceConfig:\n    pass\n", False),
        ("class Repository:\n    def service(self):\n        return 1\n", False),
        ("# a TradingService helper\nx = 'class FooService'\n", False),
        ("import os\n\n\ndef main() -> None:\n    print(os.getcwd())\n", False),
        ("", False),
    ],
)
def test_decision(text: str, parsed: bool) -> None:
    assert may_contain_service_code(text, Settings()) is parsed


@pytest.mark.parametrize(
    ("pattern", "name", "parsed"),
    [
        ("^Svc", "SvcTrading", True),
        ("^Svc", "TradingService", False),
        ("(Service|Handler)$", "TradeHandler", True),
        ("(Service|Handler)$", "TradeHandlers", False),
        ("(?i)service$", "Tradingservice", True),
        ("Service$", "Tradingservice", False),
        ("Worker", "BackgroundWorkerPool", True),
    ],
)
def test_decision_follows_the_service_class_pattern(pattern: str, name: str, parsed: bool) -> None:
    settings = settings_from_mapping({"service-class-pattern": pattern})
    assert may_contain_service_code(f"class {name}:\n    pass\n", settings) is parsed


def test_skipped_file_gets_no_findings_and_no_parse() -> None:
    text = b"class Helper:\n    def run(self):\n        try:\n            pass\n"
    text += b"        except:\n            pass\n"
    result = check_source(text, "helper.py", "helper", False, Settings(), _selection())
    assert result.parsed is False and result.findings == []
    assert result.classes == {"helper.Helper": []}


def _selection():
    from lucent_lint.engine.registry import Selection

    return Selection(("LUC",), ())


def test_run_parses_only_candidates_and_indexes_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path / "repo", modules=4)
    run = check(project)
    parsed = [Path(path).name for path in run.parsed]
    # helpers (models, repositories, the middle base class) are never parsed ...
    assert "models.py" not in parsed and "middle.py" not in parsed
    assert "chained_service.py" in parsed and "base.py" in parsed
    # ... yet the chain ChainedService -> Middle -> PlatformBase resolves through middle.py
    flagged = {Path(f.path).name for f in run.findings if f.code == "LUC101"}
    assert "chained_service.py" not in flagged and "orphan_service.py" in flagged
    assert run.scanned > 0  # the unparsed files were scanned for their classes


def test_class_scan_is_skipped_when_nothing_waits_for_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lucent-lint]\n")
    for index in range(5):
        (tmp_path / f"helper_{index}.py").write_text(f"class Helper{index}:\n    pass\n")
    run = check(tmp_path)
    assert run.findings == []
    assert run.scanned == 0
