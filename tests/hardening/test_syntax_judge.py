"""CPython judges syntax: LUC001 exactly when ``compile()`` refuses a file, at its position;
what CPython accepts is never LUC001; files libcst cannot represent are skipped with one
warning; no input crashes the process or stalls it."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from .helpers import HEADER, SWALLOWING, found, lint, run_cli, run_flake8


def compiles(source: str) -> bool:
    try:
        compile(source, "svc.py", "exec", dont_inherit=True)
    except (SyntaxError, RecursionError, MemoryError):
        return False
    return True


# -- libcst's wider grammar: CPython refuses these, so they are LUC001 ---------------------


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("await fetch_prices()\n", 2, "'await' outside function"),
        ("return 1\n", 2, "'return' outside function"),
        (
            "try:\n    pass\nexcept ValueError, err:\n    pass\n",
            4,
            "multiple exception types must be parenthesized",
        ),
        ("except E, e:\n    pass\n", 2, "invalid syntax"),
        ("nonlocal price\n", 2, "nonlocal declaration not allowed at module level"),
        ("def f(a, a):\n    pass\n", 2, "duplicate argument"),
    ],
)
def test_what_cpython_refuses_is_luc001_at_its_position(body: str, line: int, words: str) -> None:
    source = HEADER + body
    assert not compiles(source)
    findings = lint(source).findings
    assert [(f.line, f.code) for f in findings] == [(line, "LUC001")]
    assert words in findings[0].message


def test_noqa_does_not_hide_a_file_that_does_not_compile() -> None:
    source = HEADER + "await fetch_prices()  # noqa\nPAIRS = [  # noqa: LUC001\n"
    assert [code for _, _, code in found(source)] == ["LUC001"]
    # and nothing else of the file is reported (no LUC002 for the comments)
    assert found(HEADER + "x = (  # noqa: LUC001, LUC301\n") == [(2, 5, "LUC001")]


# -- valid layouts that libcst used to turn into a false LUC001 ----------------------------


@pytest.mark.parametrize(
    "body",
    [
        "if True:\n\f    x = 1\n",  # a form feed in the indentation
        "class A:\n    \f\n    x = 1\n",
        "if True:\n\tx = 1\n",  # a tab
        "if True:\n    x = 1\n    \\\n\ny = 2\n",  # a whitespace-only line ending in a backslash
        "if True:\n    \\\n    x = 1\n",  # a backslash in the indentation
        "x = 1\n\\\n\ny = 2\n",
    ],
)
def test_valid_indentation_is_never_luc001(body: str) -> None:
    source = HEADER + body + SWALLOWING
    assert compiles(source)
    run = lint(source)
    assert "LUC001" not in [f.code for f in run.findings]
    # either checked (the swallowing handler is found) or skipped with one warning
    if run.warnings:
        assert len(run.warnings) == 1 and "libcst" in run.warnings[0]
        assert run.findings == []
    else:
        assert ("LUC604", 5 + body.count("\n") + 1) in [(f.code, f.line) for f in run.findings]


def test_form_feed_and_tab_files_are_checked_not_skipped() -> None:
    for body in ("if True:\n\f    x = 1\n", "if True:\n\tx = 1\n"):
        run = lint(HEADER + body + SWALLOWING)
        assert run.warnings == []
        assert sorted({f.code for f in run.findings}) == ["LUC601", "LUC604"]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Python 3.12 accepts type statements")
@pytest.mark.parametrize(
    "body",
    [
        "type Pair = tuple[str, str]\n",
        "def first[T](items: list[T]) -> T:\n    return items[0]\n",
        "class Box[T]:\n    pass\n",
    ],
)
def test_newer_syntax_names_the_python_it_needs(body: str) -> None:
    findings = lint(HEADER + body).findings
    assert [(f.line, f.code) for f in findings] == [(2, "LUC001")]
    assert "need Python 3.12" in findings[0].message
    assert "Python 3.11" in findings[0].message


def test_a_plain_syntax_error_names_no_python_version() -> None:
    findings = lint(HEADER + "x = = 1\n").findings
    assert [f.code for f in findings] == ["LUC001"]
    assert "need Python" not in findings[0].message


# -- valid Python libcst cannot represent: one warning, not a finding ----------------------


def test_a_file_libcst_cannot_parse_is_skipped_with_one_warning(tmp_path: Path) -> None:
    (tmp_path / "odd.py").write_text(HEADER + "if True:\n    \\\n    x = 1\n" + SWALLOWING)
    (tmp_path / "good.py").write_text(HEADER)
    for _ in range(2):  # the second run reads the cache: the warning is not lost
        proc = run_cli("check", ".", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
        assert len(warnings) == 1, proc.stderr
        assert "odd.py: skipped" in warnings[0] and "libcst" in warnings[0]
        assert "Traceback" not in proc.stderr


def test_flake8_plugin_reports_what_parses_but_does_not_compile(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(HEADER + "return 1\n")
    proc = run_flake8(tmp_path, "svc.py")
    assert proc.stdout.startswith("svc.py:2:1: LUC001 syntax error: 'return' outside function")


# -- depth: no crash, no recursion error, no stall -----------------------------------------

CHAINS = {
    "sum": lambda n: "x = " + "+".join(["1"] * n),
    "attribute": lambda n: "x = a" + ".b" * n,
    "call": lambda n: "x = f" + "()" * n,
    "strings": lambda n: "x = " + " ".join(["'a'"] * n),  # implicit concatenation
    "and": lambda n: "x = " + " and ".join(["a"] * n),  # flat for CPython, nested in libcst
    "or": lambda n: "x = (" + ")or(".join(["a"] * n) + ")",
    "comparison": lambda n: "x = " + " < ".join(["a"] * n),
}


def test_1400_nested_brackets_under_two_jobs(tmp_path: Path) -> None:
    # once a segfault (exit 139, no output) that ended the whole run
    deep = HEADER + "x = " + "(" * 1400 + "1" + ")" * 1400 + "\n"
    (tmp_path / "deep.py").write_text(deep)
    (tmp_path / "other.py").write_text(HEADER + SWALLOWING)
    proc = run_cli("check", "--no-cache", "--jobs", "2", "--format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    got = sorted((Path(f["path"]).name, f["line"], f["code"]) for f in json.loads(proc.stdout))
    assert got == [("deep.py", 2, "LUC001"), ("other.py", 6, "LUC601"), ("other.py", 6, "LUC604")]


@pytest.mark.parametrize("kind", sorted(CHAINS))
@pytest.mark.parametrize("terms", [1000, 4000, 20000])
def test_chained_terms_finish_quickly(kind: str, terms: int) -> None:
    source = HEADER + CHAINS[kind](terms) + "\n" + SWALLOWING
    start = time.perf_counter()
    run = lint(source)
    elapsed = time.perf_counter() - start
    assert elapsed < 5, f"{terms} chained terms took {elapsed:.1f} s"
    assert run.errors == []  # never "internal error: RecursionError"
    syntax = [f for f in run.findings if f.code == "LUC001"]
    assert bool(syntax) == (not compiles(source))
    if not syntax:  # CPython accepts it: checked, or skipped with one warning on depth
        assert run.findings or run.warnings


def test_deep_valid_code_under_the_limit_is_checked() -> None:
    run = lint(HEADER + CHAINS["attribute"](150) + "\n" + SWALLOWING)
    assert run.warnings == []
    assert sorted({f.code for f in run.findings}) == ["LUC601", "LUC604"]
