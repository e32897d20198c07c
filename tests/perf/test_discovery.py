"""The compiled exclude matcher decides exactly as per-pattern fnmatch does."""

from __future__ import annotations

import fnmatch

from hypothesis import given
from hypothesis import strategies as st

from lucent_lint.config import DEFAULT_EXCLUDE
from lucent_lint.discovery import _Excluder, _relative


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
