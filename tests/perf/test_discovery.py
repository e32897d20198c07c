"""The compiled exclude matcher decides exactly as per-pattern fnmatch does."""

from __future__ import annotations

import fnmatch

from hypothesis import given
from hypothesis import strategies as st

from lucent_lint.config import DEFAULT_EXCLUDE
from lucent_lint.run.discovery import _Excluder, _relative


def _reference(relative: str, patterns: tuple[str, ...]) -> bool:
    parts = relative.split("/")
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if "/" in pattern:
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(relative, pattern + "/*"):
                return True
        elif any(fnmatch.fnmatch(part, pattern) for part in parts):
            return True
    return False


PATTERNS = (*DEFAULT_EXCLUDE, "legacy/", "*_pb2.py", "src/gen/*", "docs/[ab]*", "a?c")
SEGMENTS = st.sampled_from(
    ["src", "legacy", "build", "x_pb2.py", "gen", "docs", "alpha", "abc", "a.c", "venv",
     "pkg.egg-info", "node_modules", "mod.py", "b", ".git", "sub"]
)  # fmt: skip


@given(st.lists(SEGMENTS, min_size=1, max_size=5))
def test_excluder_matches_fnmatch(parts: list[str]) -> None:
    relative = "/".join(parts)
    assert _Excluder(PATTERNS)(relative) is _reference(relative, PATTERNS)


def test_relative_paths() -> None:
    assert _relative("/p/root/a/b.py", "/p/root") == "a/b.py"
    assert _relative("/p/root", "/p/root") == "."
    assert _relative("/p/rootless/a.py", "/p/root") == "/p/rootless/a.py"
    assert _relative("/elsewhere/a.py", "/p/root") == "/elsewhere/a.py"


def test_git_listing_keeps_what_a_walk_keeps(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    from pathlib import Path

    from lucent_lint.config import settings_from_mapping
    from lucent_lint.run.discovery import discover_files

    def write(name: str, text: str = "x = 1\n") -> None:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    for name in ("a.py", "build/x.py", "pkg/mod.py", "pkg/ignored.py", "gone.py", "notes.txt"):
        write(name)
    write("dir.py/inner.py")
    write("legacy/old.py")
    write(".gitignore", "pkg/ignored.py\n")
    os.symlink(tmp_path / "pkg/mod.py", tmp_path / "link.py")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "gone.py", "a.py"], check=True)
    (tmp_path / "gone.py").unlink()  # tracked, deleted from the work tree
    settings = settings_from_mapping({"exclude": ["legacy/"]})
    found = discover_files([tmp_path], settings, tmp_path.resolve())
    names = [p.relative_to(tmp_path.resolve()).as_posix() for p in found]
    assert names == ["a.py", "dir.py/inner.py", "pkg/mod.py"]
    assert found == sorted(found) and all(isinstance(p, Path) for p in found)
