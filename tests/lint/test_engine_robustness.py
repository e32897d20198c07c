"""Files that do not parse give LUC001 at a position and the run goes on; valid oddities
(empty, CRLF, tabs) give nothing; ``# noqa`` and LUC002 behave as flake8 users expect;
out-of-scope files are not parsed at all. How files are read and decoded (BOM, coding
cookies, bytes that do not decode, unreadable files) is tested at every entry point in
``tests/hardening/test_files.py``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lucent_lint.config import Settings, settings_from_mapping
from lucent_lint.engine.check import check_source
from lucent_lint.engine.registry import Selection
from lucent_lint.engine.results import Finding
from lucent_lint.run.runner import finalize_results, run_check

HEADER = b"from lucent_runtime import CryptoTradingServiceBase\n"
SWALLOWING = (
    b"class TradingService(CryptoTradingServiceBase):\n"
    b"    async def quote(self, pair):\n"
    b"        try:\n"
    b"            return await self.fetch(pair)\n"
    b"        except:\n"
    b"            pass\n"
)


def lint_bytes(data: bytes, config: dict | None = None) -> list[Finding]:
    settings = settings_from_mapping(config) if config else Settings()
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    result = check_source(data, "svc.py", "svc", False, settings, selection)
    assert result.error is None
    return finalize_results([result], ["svc.py"], settings, selection).findings


def found(data: bytes, config: dict | None = None) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.code) for f in lint_bytes(data, config)]


# -- decoding and parsing --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "line", "column", "words"),
    [
        # missing colon: CPython's position (end of the class line), not libcst's (2 lines on)
        (
            HEADER + b"class TradingService(CryptoTradingServiceBase)\n    x = 1\n    y = 2\n",
            2,
            47,
            "expected ':'",
        ),
        (HEADER + b"PAIRS = [\n    'ETH-USDC',\n", 2, 9, "never closed"),
        (HEADER + b"x = 'abc\n", 2, 5, "unterminated string"),
        (HEADER + b"def quote(pair):\nreturn pair\n", 3, 1, "indented block"),
        (
            HEADER + b"class AService:\n    def a(self):\n\tx = 1\n        return x\n",
            4,
            1,
            "tabs and spaces",
        ),
        (HEADER + b"async executeSwap(request) {\n}\n", 2, 7, "invalid syntax"),
    ],
)
def test_syntax_error_at_cpython_position(
    source: bytes, line: int, column: int, words: str
) -> None:
    findings = lint_bytes(source)
    assert [(f.line, f.column, f.code) for f in findings] == [(line, column, "LUC001")]
    assert words in findings[0].message


def test_empty_file_is_valid() -> None:
    assert found(b"") == []
    assert found(HEADER) == []


def test_crlf_line_endings() -> None:
    source = (HEADER + SWALLOWING).replace(b"\n", b"\r\n")
    assert found(source) == [(6, 9, "LUC601"), (6, 9, "LUC604")]


def test_tab_indentation_is_valid_and_columns_count_characters() -> None:
    source = HEADER + SWALLOWING.replace(b"    ", b"\t")
    assert found(source) == [(6, 3, "LUC601"), (6, 3, "LUC604")]


def test_deeply_nested_expression_never_raises() -> None:
    # CPython refuses more than 200 nested brackets: LUC001 at its position, libcst never
    # sees the file; 150 levels are valid Python and give nothing
    findings = lint_bytes(HEADER + b"x = " + b"(" * 400 + b"1" + b")" * 400 + b"\n")
    assert [(f.line, f.code) for f in findings] == [(2, "LUC001")]
    assert "too many nested parentheses" in findings[0].message
    assert found(HEADER + b"x = " + b"(" * 150 + b"1" + b")" * 150 + b"\n") == []


# -- scope pre-filter ----------------------------------------------------------------------------


def test_out_of_scope_file_is_not_parsed() -> None:
    # no lucent_runtime text, no service-named class: never parsed, so no LUC001
    assert found(b"import os\nPAIRS = [\n") == []
    # a service-named class puts it in scope: parsed, and the error is reported
    assert found(b"class TradeService:\n    def quote(self:\n") == [(2, 14, "LUC001")]
    # a configured pattern changes which classes count
    assert found(b"class TradeWorker:\n    def quote(self:\n") == []
    config = {"service-class-pattern": "Worker$"}
    assert found(b"class TradeWorker:\n    def quote(self:\n", config) == [(2, 14, "LUC001")]


def test_run_goes_on_after_broken_files(tmp_path: Path) -> None:
    (tmp_path / "a_broken.py").write_bytes(HEADER + b"class TradingService(\n")
    (tmp_path / "b_latin.py").write_bytes(HEADER + b"N = '\xe9'\n")
    (tmp_path / "c_null.py").write_bytes(HEADER + b"\x00")
    (tmp_path / "d_good.py").write_bytes(HEADER + SWALLOWING)
    settings = Settings()
    selection = Selection(settings.select, settings.ignore)
    run = run_check([tmp_path], settings, tmp_path, selection)
    assert run.errors == []
    got = sorted((Path(f.path).name, f.line, f.code) for f in run.findings)
    assert got == [
        ("a_broken.py", 2, "LUC001"),
        ("b_latin.py", 2, "LUC001"),
        ("c_null.py", 2, "LUC001"),
        ("d_good.py", 6, "LUC601"),
        ("d_good.py", 6, "LUC604"),
    ]


def test_cli_reports_broken_files_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_bytes(HEADER + b"def (\n")
    (tmp_path / "binary.py").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "good.py").write_bytes(HEADER)
    proc = subprocess.run(
        [sys.executable, "-m", "lucent_lint", "check", "--format", "json", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)
    by_file = sorted((Path(f["path"]).name, f["code"], f["line"]) for f in findings)
    assert by_file == [("binary.py", "LUC001", 3), ("broken.py", "LUC001", 2)]


# -- noqa and LUC002 -----------------------------------------------------------------------------

BARE = HEADER + SWALLOWING.replace(b"        except:\n", b"        except:  %s\n")


def with_comment(comment: str) -> bytes:
    return BARE.replace(b"%s", comment.encode())


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("# noqa", []),
        ("# NOQA", []),
        ("# noqa:LUC601,LUC604", []),
        ("# noqa: LUC601 LUC604", []),
        ("# noqa: LUC6", []),
        ("# noqa: LUC601", [(6, 9, "LUC604")]),
        ("# noqa: LUC601,LUC301", [(6, 9, "LUC604"), (6, 18, "LUC002")]),
        ("# noqa: LUC3", [(6, 9, "LUC601"), (6, 9, "LUC604"), (6, 18, "LUC002")]),
        ("# noqa: E722", [(6, 9, "LUC601"), (6, 9, "LUC604")]),
        ("# noqa: E722,LUC601,LUC604", []),
    ],
)
def test_noqa_on_the_reported_line(comment: str, expected: list) -> None:
    assert found(with_comment(comment)) == expected


def test_unused_noqa_message_lists_only_unused_luc_codes() -> None:
    findings = lint_bytes(with_comment("# noqa: E722, LUC601, LUC301, LUC302"))
    unused = [f for f in findings if f.code == "LUC002"]
    assert len(unused) == 1
    assert "LUC301" in unused[0].message and "LUC302" in unused[0].message
    assert "LUC601" not in unused[0].message and "E722" not in unused[0].message


def test_other_tools_codes_are_never_unused() -> None:
    assert found(HEADER + b"X = 1  # noqa: E501, B008\n") == []
    assert found(HEADER + b"X = 1  # noqa\n") == []
    assert found(HEADER + b"X = 1  # noqa: E501, LUC301\n") == [(2, 8, "LUC002")]


def test_unused_noqa_not_reported_for_rules_not_selected() -> None:
    source = with_comment("# noqa: LUC601, LUC301")
    assert found(source, {"select": ["LUC6"]}) == [(6, 9, "LUC604")]
    assert found(source, {"select": ["LUC6", "LUC002"]}) == [(6, 9, "LUC604")]
    assert found(source, {"ignore": ["LUC3"]}) == [(6, 9, "LUC604")]
    assert found(source) == [(6, 9, "LUC604"), (6, 18, "LUC002")]
    assert found(source, {"ignore": ["LUC002"]}) == [(6, 9, "LUC604")]


def test_noqa_inside_a_string_is_not_a_comment_position() -> None:
    source = HEADER + b'LABEL = "#1"  # noqa: LUC301\n'
    assert found(source) == [(2, 15, "LUC002")]


def test_noqa_applies_to_the_line_a_finding_is_reported_on() -> None:
    source = HEADER + (
        b"class TradingService(CryptoTradingServiceBase):\n"
        b"    async def quote(self, pair):\n"
        b"        try:\n"
        b"            return await self.fetch(pair)\n"
        b"        except Exception:\n"
        b"            self.logger.error(  # noqa: LUC603\n"
        b'                "quote failed"\n'
        b"            )\n"
        b"            raise\n"
    )
    assert found(source) == []
    moved = source.replace(b"(  # noqa: LUC603\n", b"(\n").replace(
        b'"quote failed"\n', b'"quote failed"  # noqa: LUC603\n'
    )
    assert found(moved) == [(7, 13, "LUC603"), (8, 33, "LUC002")]


def test_noqa_never_suppresses_a_syntax_error() -> None:
    # a file that does not compile must fail the gate, whatever its comments say
    assert found(HEADER + b"x = (  # noqa: LUC001\n") == [(2, 5, "LUC001")]
    assert found(HEADER + b"x = (  # noqa\n") == [(2, 5, "LUC001")]
    assert found(HEADER + b"x = (\n") == [(2, 5, "LUC001")]
