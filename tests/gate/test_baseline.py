"""``--write-baseline`` / ``--baseline``: accept today's findings, fail only on new ones,
keyed without line numbers so edits elsewhere do not break the baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers import LEDGER, json_findings, located, lucent, make_project

APPEND = "        await self.infrastructure.event_store.append(stream_id, [event])\n"

SELECT = ("--select", "LUC301")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "proj", {"svc/ledger.py": LEDGER, "svc/other.py": LEDGER})
    done = lucent("check", *SELECT, "--write-baseline", "baseline.json", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "wrote 6 findings to baseline.json" in done.stderr
    return root


def _check(project: Path, *extra: str):
    return lucent(
        "check", "--format", "json", *SELECT, "--baseline", "baseline.json", *extra, cwd=project
    )


def test_baseline_file_records_findings_without_line_numbers(project: Path) -> None:
    document = json.loads((project / "baseline.json").read_text())
    entries = document["findings"]
    assert len(entries) == 6
    assert {e["path"] for e in entries} == {"svc/ledger.py", "svc/other.py"}
    assert all("line" not in e for e in entries)
    twice = [e for e in entries if e["scope"] == "LedgerService.record_twice"]
    assert sorted(e["occurrence"] for e in twice) == [0, 0, 1, 1]


def test_baseline_accepts_recorded_findings(project: Path) -> None:
    done = _check(project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert done.stderr == ""


def test_lines_inserted_elsewhere_do_not_break_the_baseline(project: Path) -> None:
    ledger = project / "svc/ledger.py"
    text = ledger.read_text()
    text = text.replace("class LedgerService", "# moved down\n\nLIMIT = 3\n\n\nclass LedgerService")
    text = text.replace(
        "    async def record_twice",
        "    async def size(self):\n        return LIMIT\n\n    async def record_twice",
    )
    text = text.replace("    async def record(", "    async def   record(")
    ledger.write_text(text)
    assert len(json_findings(*SELECT, cwd=project)) == 6
    done = _check(project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""


def test_only_new_findings_are_reported(project: Path) -> None:
    ledger = project / "svc/ledger.py"
    lines = ledger.read_text().splitlines(keepends=True)
    lines.append("\n    async def record_thrice(self, stream_id, event):\n")
    lines.append(APPEND)
    # a third identical append in record_twice: one more occurrence of a recorded key
    lines.insert(lines.index(APPEND, lines.index(APPEND) + 1), APPEND)
    ledger.write_text("".join(lines))
    done = _check(project)
    assert done.returncode == 1
    new = json.loads(done.stdout)
    assert len(new) == 2
    assert {f["code"] for f in new} == {"LUC301"}
    text = ledger.read_text().splitlines()
    assert text[new[1]["line"] - 2].strip().startswith("async def record_thrice")
    assert done.stderr == ""


def test_fixed_findings_are_listed_as_stale(project: Path) -> None:
    ledger = project / "svc/ledger.py"
    text = ledger.read_text()
    head = text.partition("    async def record_twice")
    ledger.write_text(head[0].rstrip() + "\n")
    done = _check(project)
    assert done.returncode == 0
    assert json.loads(done.stdout) == []
    assert "2 baseline entries in baseline.json no longer match a finding" in done.stderr
    assert "svc/ledger.py: LUC301 in LedgerService.record_twice" in done.stderr
    assert "--write-baseline baseline.json" in done.stderr


def test_entries_of_files_not_checked_are_not_stale(project: Path) -> None:
    done = _check(project, "svc/other.py")
    assert done.returncode == 0
    assert done.stderr == ""


def test_rewriting_the_baseline_accepts_the_new_state(project: Path) -> None:
    ledger = project / "svc/ledger.py"
    ledger.write_text(
        ledger.read_text() + "\n    async def again(self, stream_id, event):\n" + APPEND
    )
    assert _check(project).returncode == 1
    done = lucent("check", *SELECT, "--write-baseline", "baseline.json", cwd=project)
    assert done.returncode == 0
    assert _check(project).returncode == 0


def test_baseline_applies_to_every_format(project: Path) -> None:
    (project / "svc/new.py").write_text(LEDGER)
    expected = located(json.loads(_check(project).stdout))
    assert len(expected) == 3
    sarif = lucent(
        "check", "--format", "sarif", *SELECT, "--baseline", "baseline.json", cwd=project
    )
    assert sarif.returncode == 1
    assert len(json.loads(sarif.stdout)["runs"][0]["results"]) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline file missing.json not found"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a lucent-lint baseline"),
        ('{"lucent-lint-baseline": 1, "findings": {}}', "'findings' must be a list"),
        ('{"lucent-lint-baseline": 1, "findings": [{"path": 1}]}', "entry 0 is malformed"),
    ],
)
def test_bad_baseline_file_is_a_usage_error(
    project: Path, content: str | None, message: str
) -> None:
    name = "missing.json"
    if content is not None:
        name = "bad.json"
        (project / name).write_text(content)
    done = lucent("check", *SELECT, "--baseline", name, cwd=project)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_unwritable_baseline_is_a_usage_error(project: Path) -> None:
    done = lucent("check", *SELECT, "--write-baseline", "no/such/dir/b.json", cwd=project)
    assert done.returncode == 2
    assert "cannot write baseline" in done.stderr and "Traceback" not in done.stderr
