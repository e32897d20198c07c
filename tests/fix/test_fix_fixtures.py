"""--fix over every example service of ``fixtures/services`` (a copy): the fixed files still
compile, keep their comments, gain no finding, and a second --fix changes nothing."""

from __future__ import annotations

import io
import shutil
import tokenize
from pathlib import Path

from lucent_lint.engine.registry import Selection
from lucent_lint.run.fix import fix_paths

from ..lint.helpers import REPO
from .helpers import settings_for


def _comments(text: str) -> list[str]:
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return [t.string for t in tokens if t.type == tokenize.COMMENT and "noqa" not in t.string]


def test_fix_all_example_services(tmp_path: Path) -> None:
    root = tmp_path / "services"
    shutil.copytree(REPO / "fixtures" / "services", root)
    before = {p: p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.py"))}
    settings = settings_for(unsafe=True)
    selection = Selection(settings.select, settings.ignore)

    preview = fix_paths([root], settings, root, selection, write=False)
    assert {p: p.read_text(encoding="utf-8") for p in before} == before  # --diff wrote nothing
    first = fix_paths([root], settings, root, selection)
    assert not first.run.errors, first.run.errors
    assert first.fixed == preview.fixed >= 10
    assert first.diff() == preview.diff()
    assert not any(f.fixable for f in first.run.findings)
    # no fix makes a new finding: what remains is at most what was there minus the fixed
    assert len(first.run.findings) <= len(preview.run.findings) - first.fixed

    after = {p: p.read_text(encoding="utf-8") for p in before}
    changed = [p for p in before if after[p] != before[p]]
    assert changed and all("violating" in p.parts for p in changed)
    for path in changed:
        compile(after[path], str(path), "exec")
        assert _comments(after[path]) == _comments(before[path]), path

    again = fix_paths([root], settings, root, selection, write=False)
    assert again.fixed == 0 and again.diff() == ""
    assert len(again.run.findings) == len(first.run.findings)
