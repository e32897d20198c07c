"""A class whose module never names the runtime is service code when it reaches a runtime
base through project classes. Its findings are the same, and as fixable, whichever way
the file is checked: the whole project, the one path, stdin, the flake8 plugin, ``--fix``
and ``--diff``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import lucent
from tests.hardening.helpers import run_flake8

from .test_cross_file import write

SWALLOW = """
    async def cancel(self, order_id):
        try:
            return self.book.pop(order_id)
        except:
            return None
"""
#: the class line is 4; the ``except:`` is line 8
FILES = {
    "pyproject.toml": "[tool.lucent-lint]\n",
    "app/__init__.py": "",
    "app/base.py": """
        from lucent_runtime import CryptoTradingServiceBase

        class Base(CryptoTradingServiceBase):
            pass
    """,
    # not named like a service, no runtime name in the text: the text test skips it
    "app/book.py": "from app.base import Base\n\n\nclass Book(Base):" + SWALLOW,
    # named like a service: walked, its findings wait for the index to say it is one
    "app/orders.py": "from app.base import Base\n\n\nclass OrdersService(Base):" + SWALLOW,
}
EXPECTED = [(8, "LUC601", False), (8, "LUC604", True)]
FIXED = "        except Exception:\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, FILES)
    return tmp_path


def _json(stdout: str) -> dict[str, list[tuple[int, str, bool]]]:
    out: dict[str, list[tuple[int, str, bool]]] = {}
    for f in json.loads(stdout):
        out.setdefault(Path(f["path"]).name, []).append((f["line"], f["code"], f["fixable"]))
    return out


@pytest.mark.parametrize("name", ["book.py", "orders.py"])
def test_every_way_of_checking_gives_the_same_fixable_findings(project: Path, name: str) -> None:
    whole = lucent("check", "--no-cache", "--format", "json", ".", cwd=project)
    assert _json(whole.stdout) == {"book.py": EXPECTED, "orders.py": EXPECTED}, whole.stderr
    one = lucent("check", "--no-cache", "--format", "json", f"app/{name}", cwd=project)
    assert _json(one.stdout) == {name: EXPECTED}, one.stderr
    source = (project / "app" / name).read_text()
    piped = lucent(
        "check", "--format", "json", "--stdin-filename", f"app/{name}", "-",
        cwd=project, stdin=source,
    )  # fmt: skip
    assert _json(piped.stdout) == {name: EXPECTED}, piped.stderr
    plugin = run_flake8(project, f"app/{name}")
    assert [line.split(" ")[1] for line in plugin.stdout.splitlines()] == ["LUC601", "LUC604"]
    fixed_stdin = lucent(
        "check", "--fix", "--stdin-filename", f"app/{name}", "-", cwd=project, stdin=source
    )
    assert FIXED in fixed_stdin.stdout


def test_fix_and_diff_reach_them(project: Path) -> None:
    diff = lucent("check", "--diff", ".", cwd=project)
    assert diff.stdout.count("+        except Exception:") == 2, diff.stdout
    assert (project / "app" / "book.py").read_text().count("except:") == 1  # --diff writes nothing
    fixed = lucent("check", "--fix", "--no-cache", "--format", "json", ".", cwd=project)
    for name in ("book.py", "orders.py"):
        assert FIXED in (project / "app" / name).read_text()
    # what is left is still found in both files, the one the text test skips included
    left = _json(fixed.stdout)
    assert left == {"book.py": [(8, "LUC601", False)], "orders.py": [(8, "LUC601", False)]}


@pytest.mark.parametrize("name", ["book.py", "orders.py"])
def test_fixing_the_one_path_reaches_it(project: Path, name: str) -> None:
    # the run sees one file; the project index (pyproject.toml's folder) shows its base
    fixed = lucent("check", "--fix", "--no-cache", f"app/{name}", cwd=project)
    assert "Fixed 1 finding." in fixed.stdout, fixed.stdout + fixed.stderr
    assert FIXED in (project / "app" / name).read_text()
