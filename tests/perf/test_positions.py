"""Positions computed for reported nodes only equal libcst's PositionProvider exactly."""

from __future__ import annotations

import random

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from lucent_lint.engine import positions
from lucent_lint.engine.walk import children, iter_tree

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


TRICKY_BLOCKS = (
    "class A:\n"
    "\tdef f(self, x=(1,\n"
    "\t\t\t2)):\n"
    "\t\tif x: y = call(\n"
    "  'a'); z = 'é' + f'{x}'\n"
    "\t\telif (x and\n"
    "\t\t   g()):\n"
    "\t\t\tpass\n"
    "\t@deco(\n\t  arg())\n"
    "\tasync def g(self): return [h() for _ in ()]\n"
    "try:\n  pass\nexcept* E as e:\n  raise X() from e\n"
    "match x:\n  case [1, y] if y > call():\n    with a() as b, c(\n      ): pass\n"
)


@pytest.fixture(scope="module")
def modules(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, cst.Module]]:
    """Texts with their libcst tree."""
    project = make_project(tmp_path_factory.mktemp("repo"), modules=2)
    files = sorted(project.rglob("*.py")) + sorted((REPO / "fixtures").rglob("*.py"))
    files += sorted((REPO / "lucent_lint").glob("*.py"))[:3]
    texts = [TRICKY, TRICKY_BLOCKS]
    for path in files:
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
    out = []
    for text in texts:
        try:
            out.append((text, cst.parse_module(text)))
        except cst.ParserSyntaxError:
            continue
    return out


@pytest.fixture(scope="module")
def corpus(modules: list[tuple[str, cst.Module]]) -> list[tuple[str, cst.Module, dict]]:
    """The texts and trees with libcst's own positions of every node (computed once, and
    the slow part: the comparisons that need them run with ``-m slow``)."""
    return [
        (text, module, MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
        for text, module in modules
    ]


@pytest.mark.slow
def test_spans_equal_libcst_positions(corpus) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(11)
    checked = 0
    for text, module, expected in corpus:
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


def _with_stacks(module: cst.Module) -> list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]]:
    """Every walked node with the walk's stack at it (itself last), as a rule reports it."""
    out = []
    below: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = [(module, ())]
    while below:
        node, above = below.pop()
        stack = (*above, node)
        out.append((node, stack))
        below.extend((child, stack) for child in children(node))
    return out


def _where(position) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    return (position.start.line, position.start.column, position.end.line, position.end.column)


@pytest.mark.slow
def test_report_spans_equal_libcst_positions_from_every_stack(corpus) -> None:  # type: ignore[no-untyped-def]
    """Every node, placed from its own stack and from a block above it (as a rule that
    reports from ``leave_FunctionDef`` or ``leave_Module`` does), where libcst puts it."""
    rng = random.Random(7)
    checked = 0
    for text, module, expected in corpus:
        walked = [(node, stack) for node, stack in _with_stacks(module) if node in expected]
        got = positions.report_spans(module, text, walked)
        for node, _ in walked:
            assert got[id(node)] == _where(expected[node]), (type(node).__name__, text[:60])
            checked += 1
        # the same nodes, reported while the walk stood at their function or at the module
        from_above = []
        for node, stack in rng.sample(walked, min(len(walked), 40)):
            cut = max(
                (i for i, n in enumerate(stack) if isinstance(n, cst.FunctionDef | cst.Module)),
                default=0,
            )
            from_above.append((node, stack[: cut + 1]))
        got = positions.report_spans(module, text, from_above)
        for node, _ in from_above:
            assert got[id(node)] == _where(expected[node]), (type(node).__name__, text[:60])
    assert checked > 10_000


def test_statements_correspond_one_to_one_with_cpython(modules) -> None:  # type: ignore[no-untyped-def]
    """The fast path's precondition holds on every corpus file: libcst's statements and
    except clauses are CPython's, in the same order."""
    import ast

    for text, module in modules:
        cst_statements, cst_handlers = positions._cst_order(module)
        ast_statements, ast_handlers = positions._ast_order(ast.parse(text))
        names = {"Delete": "Del"}  # the one statement the two trees name differently
        assert [
            names.get(name, name)
            for name in (type(n).__name__.removeprefix("Async") for n in ast_statements)
        ] == [type(n).__name__ for n in cst_statements]
        assert len(cst_handlers) == len(ast_handlers)


def test_the_walk_meets_statements_in_source_order(modules) -> None:  # type: ignore[no-untyped-def]
    """The order the walk records (and report_spans then uses) is libcst's source order."""
    from lucent_lint.config import Settings
    from lucent_lint.engine.analysis import analyze

    checked = 0
    for text, module in modules:
        analysis, _problem = analyze(text, "m.py", "m", False, Settings(), (), module=module)
        assert analysis is not None
        statements, handlers = positions._cst_order(module)
        assert [id(n) for n in analysis.order[0]] == [id(n) for n in statements]
        assert [id(n) for n in analysis.order[1]] == [id(n) for n in handlers]
        checked += len(statements)
    assert checked > 1_000


def test_no_nodes_no_work() -> None:
    assert positions.spans(cst.parse_module("x = 1\n"), []) == {}


@pytest.mark.parametrize(
    ("source", "offset"), [("def f(): pass\n", 0), ("async  def f(): pass\n", 7)]
)
def test_def_keyword_offset(source: str, offset: int) -> None:
    node = cst.parse_module(source).body[0]
    assert positions.def_keyword_offset(node) == offset
