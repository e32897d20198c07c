"""The distribution: one wheel with both packages, the console script, the flake8 entry
point, and the rule docs inside (an installed ``lucent-lint explain`` finds them)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
        check=True,
        timeout=600,
    )
    (built,) = out.glob("lucent_lint-*.whl")
    return built


@pytest.mark.slow
def test_wheel_holds_both_packages_docs_and_entry_points(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        entries = archive.read(entry_points).decode()
    assert "lucent_runtime/__init__.py" in names
    assert "lucent_lint/cli.py" in names
    docs = sorted(n for n in names if n.startswith("lucent_lint/_docs/LUC"))
    assert "lucent_lint/_docs/LUC301-raw-event-store-append.md" in docs
    assert len(docs) == len(list((REPO / "rules").glob("LUC*.md")))
    assert "lucent-lint = lucent_lint.cli:main" in entries
    assert "LUC = lucent_lint.flake8:LucentFlake8Plugin" in entries


def _run_installed(site: Path, cwd: Path, code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a Python that imports the packages from ``site`` (the installed wheel)
    before anything else."""
    return subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, sys.argv[1]); {code}", str(site)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_installed_wheel_explains_rules(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    result = _run_installed(
        site,
        tmp_path,
        "import lucent_lint, lucent_lint.docs as d; "
        "assert lucent_lint.__file__.startswith(sys.argv[1]), lucent_lint.__file__; "
        "assert d.docs_dir().name == '_docs', d.docs_dir(); "
        "from lucent_lint.cli import main; sys.argv = ['lucent-lint', 'explain', 'LUC301']; main()",
    )
    assert result.returncode == 0, result.stderr
    assert "# LUC301 raw-event-store-append" in result.stdout
    assert "## Why is this bad?" in result.stdout
    # the installed catalogue validates configured codes (a code it did not know would be
    # a configuration error, exit 2)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.lucent-lint]\nselect = ["LUC3"]\n')
    (project / "svc.py").write_text(
        "from lucent_runtime import CryptoTradingServiceBase\n\n\n"
        "class TradingService(CryptoTradingServiceBase):\n"
        "    async def record(self, stream, event):\n"
        "        await self.infrastructure.event_store.append(stream, [event])\n"
    )
    result = _run_installed(
        site,
        project,
        "from lucent_lint.cli import main; "
        "sys.argv = ['lucent-lint', 'check', '--no-cache', 'svc.py']; main()",
    )
    assert result.returncode == 1, result.stderr
    assert "svc.py:6:" in result.stdout and "LUC301" in result.stdout, result.stdout
