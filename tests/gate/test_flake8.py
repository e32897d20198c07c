"""The flake8 plugin reports what ``lucent-lint check`` reports: same files, lines, codes
and columns, cross-file LUC101 resolved against the whole project, same settings."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lucent_lint.engine.registry import RULES

from .helpers import PLATFORM_BASE, REPO, json_findings, lucent, make_project

LINE = re.compile(r"^(.+?):(\d+):(\d+): ([A-Z]+\d+) (.*)$")
needs_luc101 = pytest.mark.skipif("LUC101" not in RULES, reason="LUC101 is not in the catalogue")


def flake8(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def parsed(output: str) -> list[tuple[str, int, int, str, str]]:
    out = []
    for line in output.splitlines():
        match = LINE.match(line)
        assert match, line
        path, row, col, code, message = match.groups()
        out.append((Path(path).as_posix(), int(row), int(col), code, message))
    return sorted(out)


def cli_view(findings: list[dict]) -> list[tuple[str, int, int, str, str]]:
    return sorted(
        (Path(f["path"]).as_posix(), f["line"], f["column"], f["code"], f["message"])
        for f in findings
    )


def test_plugin_matches_the_cli_on_the_fixtures() -> None:
    target = "fixtures/services"
    expected = cli_view(json_findings(target, cwd=REPO))
    assert expected, "the violating fixtures must produce findings"
    done = flake8("--select", "LUC,E999", target, cwd=REPO)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    got = parsed(done.stdout)
    # flake8 never hands a file that does not parse to a plugin: its E999 replaces LUC001
    unparsable = {f[0] for f in expected if f[3] == "LUC001"}
    assert {f[0] for f in got if f[3] == "E999"} == unparsable
    assert [f for f in got if f[3] != "E999"] == [f for f in expected if f[0] not in unparsable]


def test_extend_select_reports_the_same_luc_findings() -> None:
    target = "fixtures/services"
    expected = [f for f in cli_view(json_findings(target, cwd=REPO)) if f[3] != "LUC001"]
    done = flake8("--extend-select", "LUC", target, cwd=REPO)
    assert "Traceback" not in done.stderr, done.stderr
    assert [f for f in parsed(done.stdout) if f[3].startswith("LUC")] == expected


LEDGER = """
from lucent_runtime import CryptoTradingServiceBase


class LedgerService(CryptoTradingServiceBase):
    async def record(self, stream_id, event):
        await self.infrastructure.event_store.append(stream_id, [event])
"""

PRICING = """
from core.platform_base import PlatformService


class PricingService(PlatformService):
    async def record(self, stream_id, event):
        await self.infrastructure.event_store.append(stream_id, [event])  # noqa: LUC301


class RogueService:
    pass


class QuoteService(PlatformService):  # noqa: LUC301
    pass
"""


# The project tests exercise the plugin's machinery with a few rules, whatever else the
# catalogue holds; the fixture comparison above covers every rule.
ONLY = 'select = ["LUC0", "LUC101", "LUC301"]\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(
        tmp_path / "proj",
        {
            "core/__init__.py": "",
            "core/platform_base.py": PLATFORM_BASE,
            "services/__init__.py": "",
            "services/pricing.py": PRICING,
            "services/ledger.py": LEDGER,
        },
        config=ONLY,
    )


def _same(project: Path, *paths: str) -> list[tuple[str, int, int, str, str]]:
    """flake8 and the CLI on the same files; returns the (equal) findings."""
    done = flake8("--select", "LUC", *paths, cwd=project)
    assert "Traceback" not in done.stderr, done.stderr
    got = parsed(done.stdout)
    assert got == cli_view(json_findings(*paths, cwd=project))
    return got


@needs_luc101
def test_cross_file_base_resolves_when_flake8_sees_one_file(project: Path) -> None:
    got = _same(project, "services/pricing.py")
    codes = [(row, code) for _, row, _, code, _ in got]
    # PricingService extends a base defined in a file flake8 was not given
    assert codes == [(9, "LUC101"), (13, "LUC002")]
    assert (project / ".lucent_lint_cache").is_dir()


@needs_luc101
def test_index_cache_notices_a_changed_base(project: Path) -> None:
    _same(project, "services/pricing.py")
    base = project / "core/platform_base.py"
    base.write_text(base.read_text().replace("(CryptoTradingServiceBase)", "(object)"))
    got = _same(project, "services/pricing.py")
    # PlatformService (named like a service, now extending nothing) is the class of the
    # hierarchy to report; its subclasses are no longer service code, so the LUC301
    # suppression on line 6 suppresses nothing
    assert [(row, code) for _, row, _, code, _ in got] == [
        (6, "LUC002"),
        (9, "LUC101"),
        (13, "LUC002"),
    ]


def test_whole_project_matches(project: Path) -> None:
    got = _same(project, ".")
    assert ("services/ledger.py", 6, 15, "LUC301") in {g[:4] for g in got}


def test_settings_from_pyproject_apply(tmp_path: Path) -> None:
    root = make_project(
        tmp_path / "cfg",
        {"services/ledger.py": LEDGER, "legacy/ledger.py": LEDGER, "tests/test_x.py": LEDGER},
        config=ONLY + 'exclude = ["legacy/"]\nper-file-ignores = { "tests/*" = ["LUC3"] }\n',
    )
    got = _same(root, ".")
    assert [(path, code) for path, _, _, code, _ in got] == [("services/ledger.py", "LUC301")]
    (root / "pyproject.toml").write_text(
        (root / "pyproject.toml").read_text() + 'ignore = ["LUC301"]\n'
    )
    assert _same(root, ".") == []


def test_stdin_is_checked_under_its_display_name(project: Path) -> None:
    text = (project / "services/ledger.py").read_text() + "\n\n# unsaved edit\n"
    done = flake8(
        "--select",
        "LUC",
        "--stdin-display-name",
        "services/ledger.py",
        "-",
        cwd=project,
        stdin=text,
    )
    assert parsed(done.stdout) == [
        ("services/ledger.py", 6, 15, "LUC301", parsed(done.stdout)[0][4])
    ]
    cli = lucent(
        "check",
        "--format",
        "json",
        "--stdin-filename",
        "services/ledger.py",
        "-",
        cwd=project,
        stdin=text,
    )
    assert [(f["line"], f["column"], f["code"]) for f in json.loads(cli.stdout)] == [
        (6, 15, "LUC301")
    ]


def test_configuration_error_is_one_finding_not_a_crash(tmp_path: Path) -> None:
    root = make_project(tmp_path / "broken", {"svc.py": LEDGER}, config="selekt = 1\n")
    done = flake8("--select", "LUC", "svc.py", cwd=root)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (finding,) = parsed(done.stdout)
    assert finding[:4] == ("svc.py", 1, 1, "LUC000")
    assert "unknown key 'selekt'" in finding[4]


def test_the_plugin_decodes_a_file_once(tmp_path: Path, monkeypatch) -> None:
    # in-process, as flake8 calls it: the bytes read from disk to compare with flake8's
    # lines are decoded once, and the check takes that text
    import ast

    from lucent_lint import flake8 as plugin
    from lucent_lint.engine import check, source

    root = make_project(tmp_path / "once", {"svc.py": LEDGER})
    path = root / "svc.py"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    calls: list[str] = []

    def counting(data: bytes, name: str):
        calls.append(name)
        return source.decode(data, name)

    monkeypatch.setattr(plugin, "decode", counting)
    monkeypatch.setattr(check, "decode", counting)
    monkeypatch.chdir(root)
    found = list(plugin.LucentFlake8Plugin(ast.parse("".join(lines)), str(path), lines).run())
    assert len(calls) == 1
    cli = json_findings("svc.py", cwd=root)
    assert [(line, column, text.split()[0]) for line, column, text, _ in found] == [
        (f["line"], f["column"] - 1, f["code"]) for f in cli
    ]
    assert {f["code"] for f in cli} == {"LUC201", "LUC301"}


def test_a_project_without_runtime_bases_loads_its_index_once(tmp_path: Path, monkeypatch) -> None:
    # files with classes the text test skips could adopt the runtime through project
    # classes; in a project where no class extends a runtime base, one load answers that
    # for every file (instead of one load every INDEX_TTL seconds)
    import ast

    from lucent_lint import flake8 as plugin

    files = {f"lib/m{n}.py": f"class Thing{n}(dict):\n    pass\n" for n in range(3)}
    root = make_project(tmp_path / "plain", {"lib/__init__.py": "", **files})
    loads: list[Path] = []
    real = plugin.index_results

    def counting(where: Path, settings):
        loads.append(where)
        return real(where, settings)

    monkeypatch.setattr(plugin, "index_results", counting)
    monkeypatch.setattr(plugin, "INDEX_TTL", 0.0)  # every file would reload otherwise
    monkeypatch.setattr(plugin, "_indexes", {})
    monkeypatch.chdir(root)
    for name in files:
        path = root / name
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        tree = ast.parse("".join(lines))
        assert list(plugin.LucentFlake8Plugin(tree, str(path), lines).run()) == []
    assert len(loads) == 1
