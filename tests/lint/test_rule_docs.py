"""Every rule has a doc in rules/ and every doc a rule; the docs' examples run as tests.

An ``Example`` block must give exactly the codes marked on its lines (``# LUC301``); a
``Use instead`` block must give nothing.
"""

from __future__ import annotations

import pytest

from lucent_lint import docs
from lucent_lint.engine.registry import RULES

from .helpers import expected_markers, lint_text, pairs

REQUIRED = ("What it does", "Why is this bad?", "Example", "Use instead", "Options")


def test_every_rule_has_a_doc_and_every_doc_a_rule() -> None:
    assert sorted(docs.doc_files()) == sorted(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_doc_file_name_and_sections(code: str) -> None:
    doc = docs.load(code)
    assert doc is not None
    assert doc.path.name == f"{code}-{RULES[code].slug}.md"
    for section in REQUIRED:
        assert section in doc.sections, f"{doc.path.name} has no '## {section}' section"
    if RULES[code].fix_safety is not None:
        assert "Fix safety" in doc.sections
    # the examples are the rule's tests: a doc without them would silently test nothing
    assert [b for b in doc.blocks("Example") if "fixed" not in b.info], doc.path.name
    assert doc.blocks("Use instead"), doc.path.name


def _examples(section: str) -> list[tuple[str, int, str]]:
    out = []
    for code in sorted(RULES):
        doc = docs.load(code)
        if doc is None:
            continue
        for number, block in enumerate(doc.blocks(section)):
            if "fixed" in block.info:
                continue
            out.append((code, number, block.code))
    return out


@pytest.mark.parametrize(("code", "number", "source"), _examples("Example"))
def test_example_is_flagged(code: str, number: int, source: str) -> None:
    expected = expected_markers(source)
    assert expected, f"{code} example {number} marks no expected finding"
    assert {c for _, c in expected} <= {code, "LUC001", "LUC002"}
    assert pairs(lint_text(source)) == expected


@pytest.mark.parametrize(("code", "number", "source"), _examples("Use instead"))
def test_use_instead_is_clean(code: str, number: int, source: str) -> None:
    assert pairs(lint_text(source)) == []
