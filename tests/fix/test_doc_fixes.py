"""The rule docs' fixed examples: every ``python fixed`` block under "## Example" is what
``--fix`` (with ``--unsafe-fixes`` for an unsafe rule) makes of the block before it, the
marker comments (``# LUC302``) left out."""

from __future__ import annotations

from itertools import pairwise

import pytest

from lucent_lint import docs
from lucent_lint.engine.registry import RULES

from ..lint.helpers import MARKER, lint_text
from .helpers import fix_text, fixed

FIXABLE = sorted(code for code, rule in RULES.items() if rule.fix_safety is not None)


def _without_markers(code: str) -> str:
    lines = code.split("\n")
    return "\n".join(
        MARKER.sub("", line).rstrip() if MARKER.search(line) else line for line in lines
    )


def _pairs() -> list[tuple[str, int, str, str]]:
    out = []
    for code in FIXABLE:
        doc = docs.load(code)
        if doc is None:
            continue
        blocks = doc.blocks("Example")
        for number, (block, after) in enumerate(pairwise(blocks)):
            if "fixed" not in block.info and "fixed" in after.info:
                out.append((code, number, _without_markers(block.code), after.code))
    return out


PAIRS = _pairs()


@pytest.mark.parametrize("code", FIXABLE)
def test_every_fixable_rule_shows_a_fixed_example(code: str) -> None:
    assert code in {pair[0] for pair in PAIRS}, f"{code}: no ```python fixed block in Example"
    doc = docs.load(code)
    assert doc is not None and "Fix safety" in doc.sections
    if RULES[code].fix_safety == "unsafe":
        assert "--unsafe-fixes" in doc.sections["Fix safety"]


@pytest.mark.parametrize(("code", "number", "source", "expected"), PAIRS)
def test_fixed_example(code: str, number: int, source: str, expected: str) -> None:
    unsafe = RULES[code].fix_safety == "unsafe"
    assert fixed(source, unsafe=unsafe) == expected
    assert code not in {f.code for f in lint_text(expected, {"unsafe-fixes": unsafe})}
    if unsafe:  # without --unsafe-fixes nothing changes
        assert fix_text(source).files[0].fixed == source
