"""Positions computed for reported nodes only equal libcst's PositionProvider exactly."""

from __future__ import annotations

import random
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from lucent_lint import positions
from lucent_lint.walk import iter_tree

from .project import REPO, make_project

TRICKY = (
    "import os\r\n"
    "x = ('a'\r\n     'b')\r\n"
    "\n"
    "@decorator(\n    1)\n"
    "async def  f(a,\n           b=2) -> None:  # comment\n"
    "    '''doc\n    string'''\n"
    "    try:\n        pass\n    except (ValueError,\n            KeyError) as err:\n"
    "        raise RuntimeError('é' * 3) from err\n"
    "    return f'{a!r:>{b}} ü {x}'\n"
    "class   Ü(object): pass\n"
    "y = lambda: (yield)\n"
    "if x:\n    pass\nelif y:\n    pass\nelse:  # trailing\n    pass\n"
    "# the end, no newline"
)


def _sources(tmp_path: Path) -> list[str]:
    project = make_project(tmp_path / "repo", modules=2)
    files = sorted(project.rglob("*.py")) + sorted((REPO / "fixtures").rglob("*.py"))
    files += sorted((REPO / "lucent_lint").glob("*.py"))[:3]
    texts = [TRICKY]
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
            cst.parse_module(text)
        except (UnicodeDecodeError, cst.ParserSyntaxError):
            continue
        texts.append(text)
    return texts


def test_spans_equal_libcst_positions(tmp_path: Path) -> None:
    rng = random.Random(11)
    checked = 0
    for text in _sources(tmp_path):
        module = cst.parse_module(text)
        expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        nodes = [node for node in iter_tree(module) if node in expected]
        samples = [nodes, *(rng.sample(nodes, min(len(nodes), k)) for k in (1, 7))]
        for sample in samples:
            got = positions.spans(module, sample)
            for node in sample:
                where = expected[node]
                assert got[id(node)] == (
                    where.start.line,
                    where.start.column,
                    where.end.line,
                    where.end.column,
                ), (type(node).__name__, text[:60])
                checked += 1
    assert checked > 10_000


def test_no_nodes_no_work() -> None:
    assert positions.spans(cst.parse_module("x = 1\n"), []) == {}


@pytest.mark.parametrize(
    ("source", "offset"), [("def f(): pass\n", 0), ("async  def f(): pass\n", 7)]
)
def test_def_keyword_offset(source: str, offset: int) -> None:
    node = cst.parse_module(source).body[0]
    assert positions.def_keyword_offset(node) == offset
