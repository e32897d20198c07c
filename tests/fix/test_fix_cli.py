"""``lucent-lint check --fix / --diff / --unsafe-fixes`` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import Completed
from tests.cli import lucent as run_cli

BROKEN = """\
from lucent_runtime import CryptoTradingServiceBase


class TradingService(CryptoTradingServiceBase):
    async def run(self):
        try:
            await self.go()
        except:  # the exchange is flaky
            raise RuntimeError("go failed")
"""
FIXED = BROKEN.replace("except:", "except Exception as err:").replace(
    'raise RuntimeError("go failed")', 'raise RuntimeError("go failed") from err'
)
UNFIXABLE = """\
from lucent_runtime import CryptoTradingServiceBase


class LedgerService(CryptoTradingServiceBase):
    async def record(self, stream_id, event):
        await self.infrastructure.event_store.append(stream_id, [event])
"""
CLEAN = "def helper():\n    return 1\n"


def lucent(cwd: Path, *args: str, stdin: str | None = None) -> Completed:
    return run_cli(*args, cwd=cwd, stdin=stdin)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.lucent-lint]\n", encoding="utf-8")
    (tmp_path / "svc.py").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "helper.py").write_text(CLEAN, encoding="utf-8")
    return tmp_path


def test_diff_prints_the_change_and_writes_nothing(project: Path) -> None:
    result = lucent(project, "check", "--diff", "--no-cache", ".")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("--- a/svc.py\n+++ b/svc.py\n")
    assert "-        except:  # the exchange is flaky\n" in result.stdout
    assert "+        except Exception as err:  # the exchange is flaky\n" in result.stdout
    assert "Would fix 2 findings." in result.stderr
    assert (project / "svc.py").read_text(encoding="utf-8") == BROKEN


def test_fix_rewrites_reports_and_is_idempotent(project: Path) -> None:
    helper = project / "helper.py"
    os.utime(helper, ns=(1_000_000_000, 1_000_000_000))
    first = lucent(project, "check", "--fix", "--no-cache", ".")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Fixed 2 findings." in first.stdout
    assert "All checks passed!" in first.stdout
    assert (project / "svc.py").read_text(encoding="utf-8") == FIXED
    assert helper.stat().st_mtime_ns == 1_000_000_000  # nothing to fix: never rewritten
    stamp = (project / "svc.py").stat().st_mtime_ns
    second = lucent(project, "check", "--fix", "--no-cache", ".")
    assert second.returncode == 0
    assert "Fixed" not in second.stdout
    assert (project / "svc.py").stat().st_mtime_ns == stamp


def test_exit_code_after_fix_reflects_what_remains(project: Path) -> None:
    (project / "ledger.py").write_text(UNFIXABLE, encoding="utf-8")
    result = lucent(project, "check", "--fix", "--no-cache", "--format", "json", ".")
    assert result.returncode == 1
    findings = json.loads(result.stdout)
    assert "LUC301" in [f["code"] for f in findings]
    assert all(f["path"] == "ledger.py" and not f["fixable"] for f in findings)
    assert (project / "svc.py").read_text(encoding="utf-8") == FIXED


def test_fix_from_stdin_writes_the_fixed_source_to_stdout(project: Path) -> None:
    result = lucent(
        project, "check", "--fix", "--no-cache", "--stdin-filename", "svc.py", "-", stdin=BROKEN
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == FIXED
    assert "Fixed 2 findings." in result.stderr
    unfixable = lucent(
        project, "check", "--fix", "--stdin-filename", "ledger.py", "-", stdin=UNFIXABLE
    )
    assert unfixable.returncode == 1
    assert unfixable.stdout == UNFIXABLE
    assert "LUC301" in unfixable.stderr


def test_stdin_that_does_not_decode_comes_back_unchanged(project: Path) -> None:
    data = b"from lucent_runtime import X\nname = '\xff'\n"
    result = subprocess.run(
        [sys.executable, "-m", "lucent_lint", "check", "--fix", "-"],
        cwd=project,
        input=data,
        capture_output=True,
        timeout=120,
    )
    assert result.stdout == data
    assert result.returncode == 1
    assert b"LUC001" in result.stderr
    assert b"Traceback" not in result.stderr


def test_text_output_marks_fixable_findings(project: Path) -> None:
    result = lucent(project, "check", "--no-cache", "svc.py")
    assert result.returncode == 1
    assert "LUC604 [*]" in result.stdout
    assert "fixable with `lucent-lint check --fix`" in result.stdout


def test_rules_lists_fix_safety(project: Path) -> None:
    result = lucent(project, "rules", "--format", "json")
    assert result.returncode == 0
    fixable = {row["code"]: row["fixable"] for row in json.loads(result.stdout)}
    assert fixable["LUC604"] == "safe"
    assert fixable["LUC602"] == "safe"
    assert fixable["LUC002"] == "safe"
    assert fixable["LUC301"] == ""


def test_fix_checks_through_the_cache_and_fixes_only_what_needs_it(
    tmp_path: Path, monkeypatch
) -> None:
    # a warm --fix parses only the file that changed since the last run (the others come
    # from the cache, as for a check) and still fixes it
    from lucent_lint.config import Settings
    from lucent_lint.engine.registry import Selection
    from lucent_lint.run import pool
    from lucent_lint.run.fix import fix_paths

    service = (
        "from lucent_runtime import CryptoTradingServiceBase\n\n\n"
        "class T{n}Service(CryptoTradingServiceBase):\n"
        "    async def run(self):\n"
        "        try:\n"
        "            return 1\n"
        "        except {caught}:\n"
        "            raise\n"
    )
    for n in range(4):
        (tmp_path / f"s{n}.py").write_text(service.format(n=n, caught="ValueError"))
    settings = Settings()
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    fix_paths([tmp_path], settings, tmp_path, selection, use_cache=True)  # warms the cache
    (tmp_path / "s9.py").write_text(service.format(n=9, caught="").replace("except :", "except:"))
    parsed: list[str] = []
    real = pool.check_source

    def counting(data, display, *args, **kwargs):
        parsed.append(Path(display).name)
        return real(data, display, *args, **kwargs)

    monkeypatch.setattr(pool, "check_source", counting)
    run = fix_paths([tmp_path], settings, tmp_path, selection, use_cache=True)
    assert parsed == ["s9.py"]
    assert run.fixed == 1
    assert "except BaseException:" in (tmp_path / "s9.py").read_text()
