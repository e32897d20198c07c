"""The example services in fixtures/ carry their expected findings as line comments
(``# LUC301``); the engine must report exactly those, no more, no fewer."""

from __future__ import annotations

from pathlib import Path

import pytest

from lucent_lint.config import discover
from lucent_lint.engine.registry import Selection
from lucent_lint.run.runner import run_check

from .helpers import REPO, expected_markers

FIXTURE_ROOTS = sorted(p for p in (REPO / "fixtures").iterdir() if p.is_dir())


def _expected(root: Path) -> list[tuple[str, int, str]]:
    out = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8", errors="replace")
        rel = path.relative_to(root).as_posix()
        out.extend((rel, line, code) for line, code in expected_markers(text))
    return sorted(out)


@pytest.mark.parametrize("root", FIXTURE_ROOTS, ids=lambda p: p.name)
def test_fixture_findings_match_markers(root: Path) -> None:
    settings, project_root = discover([root])
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    run = run_check([root], settings, project_root, selection)
    assert run.errors == []
    got = sorted(
        (Path(f.path).resolve().relative_to(root.resolve()).as_posix(), f.line, f.code)
        for f in run.findings
    )
    assert got == _expected(root)


def test_the_runtime_passes_its_own_linter() -> None:
    # the framework's code is held to the standard it enforces (its few deliberate
    # exceptions carry a ``noqa`` with the reason)
    settings, project_root = discover([REPO / "lucent_runtime"])
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    run = run_check([REPO / "lucent_runtime"], settings, project_root, selection)
    assert run.errors == []
    assert [f"{f.path}:{f.line} {f.code}" for f in run.findings] == []
