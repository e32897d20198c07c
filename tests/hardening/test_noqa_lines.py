"""``# noqa`` and reported lines count lines as Python's tokenizer does: a form feed or a
U+2028 earlier in the file does not shift them (``str.splitlines`` would), on the command
line, under ``--fix`` and in the flake8 plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from lucent_lint.engine.suppress import parse_noqa, source_lines

from ..fix.helpers import fix_text
from .helpers import HEADER, found, run_cli, run_flake8

BODY = (
    "class TradingService(CryptoTradingServiceBase):\n"
    "    async def quote(self, pair):\n"
    "        try:\n"
    "            return await self.fetch(pair)\n"
    "        except:  # noqa: LUC601, LUC604\n"
    "            pass\n"
)
UNUSED = BODY.replace("# noqa: LUC601, LUC604", "# noqa: LUC601, LUC604, LUC301")

# line 2 of each holds a character str.splitlines() breaks at, the tokenizer does not
EARLIER = {
    "form feed": HEADER + "X = 1  # a form feed \f here\n",
    "U+2028": HEADER + "X = 'a line separator \u2028 in a string'\n",
    "U+2029 and U+0085": HEADER + "# \u2029 and \x85 in a comment\n",
}


@pytest.mark.parametrize("name", sorted(EARLIER))
def test_noqa_still_suppresses_after(name: str) -> None:
    source = EARLIER[name] + BODY
    assert len(source.splitlines()) > len(source_lines(source))  # the trap is there
    assert found(source) == []
    assert parse_noqa(source) == {7: ("LUC601", "LUC604")}


@pytest.mark.parametrize("name", sorted(EARLIER))
def test_unused_noqa_lands_on_its_line_and_its_fix_converges(name: str) -> None:
    source = EARLIER[name] + UNUSED
    assert found(source) == [(7, 18, "LUC002")]
    run = fix_text(source)
    assert run.run.errors == []
    fixed = run.files[0].fixed
    assert fixed == EARLIER[name] + BODY
    assert fix_text(fixed).files[0].fixed == fixed  # nothing left to do
    assert found(fixed) == []


def test_cli_reports_the_tokenizer_line(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(EARLIER["U+2028"] + UNUSED, encoding="utf-8")
    proc = run_cli("check", "--no-cache", "svc.py", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert "svc.py:7:18: LUC002" in proc.stdout


@pytest.mark.parametrize("name", sorted(EARLIER))
def test_flake8_plugin_counts_the_same_lines(name: str, tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(EARLIER[name] + UNUSED, encoding="utf-8")
    proc = run_flake8(tmp_path, "svc.py")
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("svc.py:7:18: LUC002 "), proc.stdout
    assert "LUC301" in lines[0]
