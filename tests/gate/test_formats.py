"""``--format sarif|github|junit`` (and text) carry exactly the findings of ``json``; SARIF
validates against the official 2.1.0 schema and fingerprints survive edits elsewhere."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from lucent_lint.engine.results import Finding
from lucent_lint.report import FORMATS, OutputOptions, formatter
from lucent_lint.report.github import escape_data, escape_property
from lucent_lint.run.runner import RunResult

from .helpers import LEDGER, lucent, make_project

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text("utf-8"))

# A file name with every character GitHub property escaping and URIs must handle.
ODD_NAME = "ledger%v2,a:b.py"

SELECT = ("--select", "LUC301")

Located = tuple[str, int, int, str]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(
        tmp_path / "proj",
        {"svc/ledger.py": LEDGER, f"svc/{ODD_NAME}": LEDGER, "svc/clean.py": "x = 1\n"},
    )


def _output(project: Path, fmt: str, *extra: str) -> str:
    done = lucent("check", "--format", fmt, *SELECT, *extra, cwd=project)
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    return done.stdout


def _from_json(text: str) -> list[Located]:
    return sorted((f["path"], f["line"], f["column"], f["code"]) for f in json.loads(text))


def _from_text(text: str) -> list[Located]:
    found = re.findall(r"^(.+?):(\d+):(\d+): (LUC\d{3})", text, re.M)
    return sorted((path, int(line), int(col), code) for path, line, col, code in found)


def _from_sarif(text: str) -> list[Located]:
    out = []
    for result in json.loads(text)["runs"][0]["results"]:
        location = result["locations"][0]["physicalLocation"]
        uri = unquote(location["artifactLocation"]["uri"])
        region = location["region"]
        out.append((uri, region["startLine"], region["startColumn"], result["ruleId"]))
    return sorted(out)


def _unescape(text: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, char)
    return text


def _github_commands(text: str) -> list[tuple[dict[str, str], str]]:
    out = []
    for line in text.splitlines():
        match = re.fullmatch(r"::error (.*?)::(.*)", line)
        assert match, line
        props = dict(item.split("=", 1) for item in match.group(1).split(","))
        out.append(({k: _unescape(v) for k, v in props.items()}, _unescape(match.group(2))))
    return out


def _from_github(text: str) -> list[Located]:
    return sorted(
        (p["file"], int(p["line"]), int(p["col"]), p["title"].split()[0])
        for p, _ in _github_commands(text)
    )


def _from_junit(text: str) -> list[Located]:
    root = ET.fromstring(text)
    out = []
    for case in root.iter("testcase"):
        failure = case.find("failure")
        assert failure is not None
        column = int(re.match(r".*?:\d+:(\d+): ", failure.text or "").group(1))
        out.append((case.get("file"), int(case.get("line")), column, failure.get("type")))
    return sorted(out)


PARSERS = {
    "text": _from_text,
    "sarif": _from_sarif,
    "github": _from_github,
    "junit": _from_junit,
}


def test_every_format_is_tested() -> None:
    assert set(FORMATS) == {"json", *PARSERS}


@pytest.mark.parametrize("fmt", sorted(PARSERS))
def test_format_carries_the_json_findings(project: Path, fmt: str) -> None:
    expected = _from_json(_output(project, "json"))
    assert len(expected) == 6
    assert {path for path, *_ in expected} == {"svc/ledger.py", f"svc/{ODD_NAME}"}
    assert PARSERS[fmt](_output(project, fmt)) == expected


def test_format_writes_to_output_file(project: Path, tmp_path: Path) -> None:
    expected = _from_json(_output(project, "json"))
    for fmt, parse in PARSERS.items():
        target = tmp_path / f"report.{fmt}"
        done = lucent("check", "--format", fmt, *SELECT, "--output", str(target), cwd=project)
        assert done.returncode == 1 and done.stdout == ""
        assert parse(target.read_text("utf-8")) == expected


def _validate(document: dict[str, Any]) -> None:
    validator_cls = jsonschema.validators.validator_for(SCHEMA)
    validator_cls.check_schema(SCHEMA)
    errors = sorted(validator_cls(SCHEMA).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_sarif_validates_and_describes_the_rules(project: Path) -> None:
    log = json.loads(_output(project, "sarif"))
    _validate(log)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert "LUC301" in ids and ids == sorted(ids)
    luc301 = rules[ids.index("LUC301")]
    assert luc301["name"] == "raw-event-store-append"
    doc = (
        Path(__file__).resolve().parents[2] / "rules/LUC301-raw-event-store-append.md"
    ).read_text()
    assert luc301["help"]["markdown"] == doc
    assert luc301["fullDescription"]["text"] and luc301["shortDescription"]["text"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not location["artifactLocation"]["uri"].startswith(("/", "file:"))
        assert location["region"]["startColumn"] >= 1
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    fingerprints = [r["partialFingerprints"]["lucentFinding/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)


def test_sarif_of_a_clean_run_validates(project: Path) -> None:
    done = lucent("check", "--format", "sarif", *SELECT, "svc/clean.py", cwd=project)
    assert done.returncode == 0, done.stderr
    log = json.loads(done.stdout)
    _validate(log)
    assert log["runs"][0]["results"] == []


def test_sarif_columns_are_one_based(project: Path) -> None:
    results = json.loads(_output(project, "sarif"))["runs"][0]["results"]
    source = (project / "svc/ledger.py").read_text().splitlines()
    for result in results:
        region = result["locations"][0]["physicalLocation"]["region"]
        line = source[region["startLine"] - 1]
        assert line[region["startColumn"] - 1 :].startswith(
            "self.infrastructure.event_store.append("
        )


def _fingerprints(project: Path) -> dict[str, tuple[int, str]]:
    results = json.loads(_output(project, "sarif"))["runs"][0]["results"]
    return {
        r["partialFingerprints"]["lucentFinding/v1"]: (
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        )
        for r in results
    }


def test_sarif_fingerprints_survive_lines_inserted_elsewhere(project: Path) -> None:
    before = _fingerprints(project)
    ledger = project / "svc/ledger.py"
    text = ledger.read_text()
    text = text.replace(
        "class LedgerService", "# a comment\n\n\nHELPER = 2\n\n\nclass LedgerService"
    )
    text = text.replace(
        "    async def record_twice",
        "    async def describe(self):\n        return 'ledger'\n\n    async def record_twice",
    )
    ledger.write_text(text)
    after = _fingerprints(project)
    assert set(after) == set(before)
    moved = [fp for fp in before if before[fp][0] != after[fp][0]]
    assert len(moved) == 6 - 3  # the other file's findings did not move


def test_github_format_escapes_data_and_properties(project: Path) -> None:
    commands = _github_commands(_output(project, "github"))
    odd = [props for props, _ in commands if props["file"].endswith(ODD_NAME)]
    assert len(odd) == 3
    raw = _output(project, "github")
    assert "file=svc/ledger%25v2%2Ca%3Ab.py," in raw
    props, message = commands[0]
    assert props["title"] == "LUC301 raw-event-store-append"
    assert set(props) == {"file", "line", "col", "endLine", "endColumn", "title"}
    assert "event store" in message


def test_github_escaping_rules() -> None:
    assert escape_data("50% off\r\nnext") == "50%25 off%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    finding = Finding("LUC301", "raw-event-store-append", "bad: 100%\nreally", "a,b.py", 3, 5, 3, 9)
    stream = StringIO()
    formatter("github")(RunResult(findings=[finding], files=1), stream, OutputOptions())
    assert stream.getvalue() == (
        "::error file=a%2Cb.py,line=3,col=5,endLine=3,endColumn=9,"
        "title=LUC301 raw-event-store-append::bad: 100%25%0Areally\n"
    )


def test_junit_has_one_suite_and_a_failure_per_finding(project: Path) -> None:
    root = ET.fromstring(_output(project, "junit"))
    suites = root.findall("testsuite")
    assert len(suites) == 1
    suite = suites[0]
    cases = suite.findall("testcase")
    assert len(cases) == 6 and suite.get("tests") == "6" and suite.get("failures") == "6"
    for case in cases:
        failure = case.find("failure")
        assert failure is not None and failure.get("message")
        assert failure.get("type") == "LUC301"


def test_junit_clean_run_has_one_passing_testcase(project: Path) -> None:
    done = lucent("check", "--format", "junit", *SELECT, "svc/clean.py", cwd=project)
    assert done.returncode == 0, done.stderr
    suite = ET.fromstring(done.stdout).find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 1 and list(cases[0]) == []
    assert suite.get("failures") == "0" and suite.get("tests") == "1"


def test_junit_escapes_what_xml_cannot_carry() -> None:
    finding = Finding("LUC301", "raw-event-store-append", "a <b> & \x01 c", "x.py", 1, 1, 1, 2)
    stream = StringIO()
    formatter("junit")(RunResult(findings=[finding], files=1), stream, OutputOptions())
    failure = ET.fromstring(stream.getvalue()).find("testsuite/testcase/failure")
    assert failure.get("message") == "a <b> & \ufffd c"
