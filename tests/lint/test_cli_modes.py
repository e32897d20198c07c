"""``check``'s modes combined: fixing or diffing stdin, fixes with baselines and ``--output``,
and the combinations the command line refuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import Completed, lucent

FIXABLE = """\
from lucent_runtime import CryptoTradingServiceBase


class TradingService(CryptoTradingServiceBase):
    async def run(self):
        try:
            await self.go()
        except:
            raise
"""
FIXED = FIXABLE.replace("except:", "except BaseException:")
UNFIXABLE = """\
from lucent_runtime import CryptoTradingServiceBase


class LedgerService(CryptoTradingServiceBase):
    async def _record(self, stream_id, event):
        await self.infrastructure.event_store.append(stream_id, [event])
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.lucent-lint]\n", encoding="utf-8")
    (tmp_path / "svc.py").write_text(FIXABLE, encoding="utf-8")
    (tmp_path / "ledger.py").write_text(UNFIXABLE, encoding="utf-8")
    return tmp_path


def check(project: Path, *args: str, stdin: str | None = None) -> Completed:
    return lucent("check", "--no-cache", *args, cwd=project, stdin=stdin)


def sources(project: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(project.glob("*.py"))}


def test_diff_from_stdin_prints_only_the_diff(project: Path) -> None:
    done = check(project, "--diff", "--stdin-filename", "svc.py", "-", stdin=FIXABLE)
    assert done.stdout.startswith("--- a/svc.py\n+++ b/svc.py\n")
    assert "-        except:\n+        except BaseException:\n" in done.stdout
    assert "Would fix 1 finding." in done.stderr
    assert "LUC604" not in done.stdout + done.stderr  # no report, only the diff
    assert sources(project)["svc.py"] == FIXABLE
    # nothing was fixed, so the exit code is that of the findings, as for a path
    assert done.returncode == check(project, "--diff", "svc.py").returncode == 1


def test_fix_from_stdin_with_output_sends_the_report_there(project: Path) -> None:
    done = check(
        project,
        "--fix",
        "--format",
        "json",
        "--output",
        "report.json",
        "--stdin-filename",
        "ledger.py",
        "-",
        stdin=UNFIXABLE + FIXABLE[FIXABLE.index("\n\nclass") :],
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout.endswith(FIXED[FIXED.index("\n\nclass") :])  # the fixed source
    assert "except:" not in done.stdout
    assert [f["code"] for f in json.loads((project / "report.json").read_text())] == ["LUC301"]
    assert done.stderr == ""
    assert sources(project)["ledger.py"] == UNFIXABLE  # stdin's file on disk is not touched


def test_fix_from_stdin_writes_the_report_in_the_chosen_format_to_stderr(project: Path) -> None:
    done = check(
        project, "--fix", "--format", "json", "--stdin-filename", "ledger.py", "-", stdin=UNFIXABLE
    )
    assert done.returncode == 1
    assert done.stdout == UNFIXABLE
    assert [f["code"] for f in json.loads(done.stderr)] == ["LUC301"]


def test_fix_and_diff_together_show_the_diff_and_write_nothing(project: Path) -> None:
    done = check(project, "--fix", "--diff", ".")
    assert done.returncode == 1
    assert done.stdout.startswith("--- a/svc.py\n+++ b/svc.py\n")
    assert "Would fix 1 finding." in done.stderr
    assert sources(project) == {"ledger.py": UNFIXABLE, "svc.py": FIXABLE}


def test_diff_to_an_output_file(project: Path) -> None:
    done = check(project, "--diff", "--output", "fixes.patch", ".")
    assert done.returncode == 1
    assert done.stdout == ""
    assert (project / "fixes.patch").read_text(encoding="utf-8").startswith("--- a/svc.py\n")
    assert sources(project)["svc.py"] == FIXABLE


def test_diff_with_nothing_to_fix_is_empty_and_still_fails_on_findings(project: Path) -> None:
    done = check(project, "--diff", "ledger.py")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "Would fix" not in done.stderr


def test_fix_then_write_baseline_records_what_remains(project: Path) -> None:
    done = check(project, "--fix", "--write-baseline", "baseline.json", ".")
    assert done.returncode == 0, done.stderr
    assert "wrote 1 finding to baseline.json" in done.stderr
    entries = json.loads((project / "baseline.json").read_text())["findings"]
    assert [(e["path"], e["code"]) for e in entries] == [("ledger.py", "LUC301")]
    assert sources(project)["svc.py"] == FIXED
    assert done.stdout == ""  # the baseline ends the run: no report


def test_fix_under_a_baseline_reports_only_new_findings(project: Path) -> None:
    assert check(project, "--select", "LUC301", "--write-baseline", "b.json").returncode == 0
    done = check(project, "--fix", "--baseline", "b.json", "--format", "json", ".")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert sources(project)["svc.py"] == FIXED


@pytest.mark.parametrize("mode", ["--fix", "--diff"])
def test_changed_since_with_fix_or_diff_is_a_usage_error(project: Path, mode: str) -> None:
    done = check(project, mode, "--changed-since", "main", ".")
    assert done.returncode == 2
    assert done.stderr == (
        "lucent-lint: error: --changed-since cannot be combined with --fix or --diff\n"
    )
    assert done.stdout == ""
    assert sources(project) == {"ledger.py": UNFIXABLE, "svc.py": FIXABLE}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-", "--changed-since", "main"), "--changed-since cannot be combined with `-`"),
        (("--stdin-filename", "svc.py", "."), "--stdin-filename names the file read from stdin"),
        (("-", "svc.py"), "`-` (read stdin) cannot be combined with other paths"),
    ],
)
def test_stdin_options_that_would_be_ignored_are_usage_errors(
    project: Path, args: tuple[str, ...], message: str
) -> None:
    done = check(project, *args, stdin=FIXABLE)
    assert done.returncode == 2
    assert done.stderr.startswith(f"lucent-lint: error: {message}")
    assert done.stderr.count("\n") == 1 and done.stdout == ""


def test_a_bad_option_is_reported_before_the_mode_runs(project: Path) -> None:
    done = check(project, "--fix", "--select", "LUC999", ".")
    assert done.returncode == 2
    assert done.stderr.startswith("lucent-lint: error: ") and "LUC999" in done.stderr
    assert done.stderr.count("\n") == 1
    assert sources(project)["svc.py"] == FIXABLE
