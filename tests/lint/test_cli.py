"""The `lucent-lint` command line: exit codes, options, configuration, outputs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lucent_lint.cli import main
from lucent_lint.engine.registry import RULES
from lucent_lint.report import OutputOptions, formatter

VIOLATION = """\
from lucent_runtime import CryptoTradingServiceBase


class LedgerService(CryptoTradingServiceBase):
    async def _record(self, stream_id, event):
        await self.infrastructure.event_store.append(stream_id, [event])
"""
CLEAN = "def helper(x):\n    return [x]\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "ledger.py").write_text(VIOLATION)
    (tmp_path / "svc" / "util.py").write_text(CLEAN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_findings_exit_1_and_ruff_like_lines(project: Path) -> None:
    result = run("check")
    assert result.exit_code == 1
    assert "svc/ledger.py:6:15: LUC301 " in result.output
    assert "Found 1 finding in 2 files checked." in result.output


def test_clean_exit_0(project: Path) -> None:
    result = run("check", "svc/util.py")
    assert result.exit_code == 0
    assert "All checks passed! (1 file checked)" in result.output


def test_one_file_with_findings_is_one_file(project: Path) -> None:
    result = run("check", "svc/ledger.py")
    assert "Found 1 finding in 1 file checked." in result.output


def test_exit_zero(project: Path) -> None:
    assert run("check", "--exit-zero").exit_code == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("check", "missing_dir"), "missing_dir"),
        (("check", "--select", "LUC999"), "LUC999"),
        (("check", "--ignore", "XYZ1"), "XYZ1"),
        (("check", "--format", "yaml"), "yaml"),
    ],
)
def test_usage_errors_exit_2_and_name_the_problem(project: Path, args, needle) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 2
    assert needle in result.output
    assert "Traceback" not in result.output


def test_bad_config_key_exit_2_names_key(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.lucent-lint]\nselectt = ['LUC']\n")
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2
    assert "selectt" in result.output


def test_bad_config_value_exit_2_names_key(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.lucent-lint]\nservice-class-pattern = '('\n")
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2
    assert "service-class-pattern" in result.output or "service_class_pattern" in result.output


def test_invalid_toml_exit_2(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.lucent-lint\n")
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 2
    assert "pyproject.toml" in result.output


def test_config_found_walking_up_and_ignore(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.lucent-lint]\nignore = ['LUC3']\n")
    (project / "svc" / "deep").mkdir()
    result = run("check", "svc")
    assert result.exit_code == 0


def test_explicit_config_file(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = tmp_path_factory.mktemp("cfg") / "lucent.toml"
    other.write_text("ignore = ['LUC301']\n")
    assert run("check", "--config", str(other)).exit_code == 0
    assert CliRunner().invoke(main, ["check", "--config", "nope.toml"]).exit_code == 2


def test_select_prefix_and_more_specific_wins(project: Path) -> None:
    assert run("check", "--select", "LUC0").exit_code == 0
    assert run("check", "--select", "LUC3").exit_code == 1
    assert run("check", "--ignore", "LUC3").exit_code == 0
    assert run("check", "--select", "LUC301", "--ignore", "LUC3").exit_code == 1
    assert run("check", "--select", "LUC0", "--extend-select", "LUC301").exit_code == 1


def test_per_file_ignores(project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.lucent-lint]\nper-file-ignores = { 'svc/ledger*.py' = ['LUC301'] }\n"
    )
    assert run("check").exit_code == 0


def test_exclude_and_gitignore(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.lucent-lint]\nexclude = ['svc/ledger.py']\n")
    assert run("check").exit_code == 0
    (project / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / ".gitignore").write_text("svc/ledger.py\n")
    result = run("check")
    assert result.exit_code == 0, result.output
    # a file named explicitly is checked even when ignored
    assert run("check", "svc/ledger.py").exit_code == 1


def test_json_output_fields_and_output_file(project: Path) -> None:
    result = run("check", "--format", "json", "--output", "report.json")
    assert result.exit_code == 1
    data = json.loads((project / "report.json").read_text())
    assert data == [
        {
            "code": "LUC301",
            "slug": "raw-event-store-append",
            "message": data[0]["message"],
            "path": "svc/ledger.py",
            "line": 6,
            "column": 15,
            "end_line": 6,
            "end_column": data[0]["end_column"],
            "fixable": False,
        }
    ]
    assert data[0]["end_column"] > 15


def test_statistics(project: Path) -> None:
    result = run("check", "--statistics")
    assert "    1  LUC301  [raw-event-store-append]" in result.output


def test_stdin_with_filename(project: Path) -> None:
    result = run("check", "-", "--stdin-filename", "svc/ledger.py", input=VIOLATION)
    assert result.exit_code == 1
    assert "svc/ledger.py:6:15: LUC301" in result.output
    assert run("check", "-", "--stdin-filename", "x.py", input=CLEAN).exit_code == 0


def test_syntax_error_is_a_finding_not_a_crash(project: Path) -> None:
    (project / "svc" / "broken.py").write_text("from lucent_runtime import x\ndef f(:\n")
    result = run("check", "--format", "json")
    codes = {(f["path"], f["code"]) for f in json.loads(result.output)}
    assert ("svc/broken.py", "LUC001") in codes
    assert ("svc/ledger.py", "LUC301") in codes


def test_text_output_on_a_terminal_shows_source_and_caret(project: Path) -> None:
    from lucent_lint.config import Settings
    from lucent_lint.engine.registry import Selection
    from lucent_lint.run.runner import run_check

    settings = Settings()
    selection = Selection(settings.select, settings.ignore)
    result = run_check([project], settings, project, selection)
    stream = io.StringIO()
    formatter("text")(result, stream, OutputOptions(show_source=True))
    lines = stream.getvalue().splitlines()
    assert (
        lines[1] == "6 |         await self.infrastructure.event_store.append(stream_id, [event])"
    )
    assert lines[2].index("^") == len("6 | ") + 14


def test_rules_lists_the_catalogue() -> None:
    result = run("rules", "--format", "json")
    rows = json.loads(result.output)
    assert [row["code"] for row in rows] == sorted(RULES)
    table = run("rules").output
    for code in RULES:
        assert code in table


def test_explain(project: Path) -> None:
    result = run("explain", "luc301")
    assert result.exit_code == 0
    assert result.output.startswith("# LUC301 raw-event-store-append")
    bad = CliRunner().invoke(main, ["explain", "LUC999"])
    assert bad.exit_code == 2
    assert "LUC999" in bad.output


def test_console_script_runs(project: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lucent_lint", "check", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)[0]["code"] == "LUC301"
