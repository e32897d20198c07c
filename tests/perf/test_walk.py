"""The walk's shortcuts (field lists from libcst's annotations, leaves visited without a
call, exact-type name helpers) give what the plain, generic reading of the tree gives."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import libcst as cst
import pytest

from lucent_lint.engine.context import dotted_name, string_value
from lucent_lint.engine.walk import TooDeep, Walker, children, iter_tree

from .project import REPO

#: fields the walk leaves out by name: whitespace, comments and punctuation
_PUNCTUATION = {
    "lpar", "rpar", "comma", "semicolon", "colon", "equal", "dot", "leading_lines",
    "lines_after_decorators", "header", "footer", "trailing_whitespace", "newline",
    "asynchronous", "star", "lbracket", "rbracket", "lbrace", "rbrace", "whitespace",
    "operator", "arrow", "indent",
}  # fmt: skip

TRICKY = (
    "from . import (a as b, c)\n"
    "from ...x.y import *\n"
    "@d.e(f=1)\n"
    "async def g(a, /, b: int = 2, *c, d, **e) -> 'T':\n"
    "    global q\n"
    "    x = [i async for i in y if i] or {k: v for k, v in z} or {*s}\n"
    "    del x[1:2, ::3]\n"
    "    with (a as b, c):\n"
    "        yield from f'{x!r:>{w}}' 'tail' r'\\d' u'''u\n''' + b'bytes'\n"
    "    match p:\n"
    "        case {'k': [1, *rest], **kw} | Point(x=0) as pt if pt: pass\n"
    "try:\n    raise E from None\nexcept* (A, B) as err:\n    pass\nfinally:\n    ...\n"
    "lambda *a, k=1: a[k] if k else -a @ b ** ~c\n"
    "x: list[int] = 1 if a < b <= c is not d not in e else (yield)\n"
)


def _texts() -> list[str]:
    files = sorted((REPO / "fixtures").rglob("*.py"))
    files += sorted((REPO / "lucent_lint" / "engine").glob("*.py"))
    texts = [TRICKY]
    for path in files:
        try:
            texts.append(Path(path).read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            continue
    return texts


@pytest.fixture(scope="module")
def modules() -> list[cst.Module]:
    return [cst.parse_module(text) for text in _texts()]


def _generic_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Every node in every dataclass field but the punctuation ones, read with isinstance."""
    out: list[cst.CSTNode] = []
    for field in dataclasses.fields(node):
        if field.name in _PUNCTUATION or field.name.startswith("whitespace"):
            continue
        value = getattr(node, field.name)
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(item, cst.CSTNode):
                out.append(item)
    return out


def test_children_are_every_node_field(modules: list[cst.Module]) -> None:
    seen = 0
    for module in modules:
        for node in iter_tree(module):
            expected = _generic_children(node)
            got = list(children(node))
            assert len(got) == len(expected), type(node).__name__
            assert all(a is b for a, b in zip(got, expected, strict=True)), type(node).__name__
            seen += 1
    assert seen > 10_000


def _recorded_walk(module: cst.Module, node_types: list[type]) -> list[tuple]:
    """(event, node type, depth, node is the stack's top) for each handler call."""
    events: list[tuple] = []
    walker = Walker({}, {})

    def recorder(event: str):  # type: ignore[no-untyped-def]
        def record(node: cst.CSTNode) -> None:
            top = walker.stack[-1] is node
            events.append((event, type(node).__name__, len(walker.stack), top, id(node)))

        return record

    for node_type in node_types:
        walker.visitors[node_type] = [recorder("visit")]
        walker.leavers[node_type] = [recorder("leave")]
    walker.walk(module)
    return events


def _reference_walk(module: cst.Module, node_types: list[type]) -> list[tuple]:
    events: list[tuple] = []
    wanted = tuple(node_types)

    def walk(node: cst.CSTNode, depth: int) -> None:
        if isinstance(node, wanted):
            events.append(("visit", type(node).__name__, depth, True, id(node)))
        for child in _generic_children(node):
            walk(child, depth + 1)
        if isinstance(node, wanted):
            events.append(("leave", type(node).__name__, depth, True, id(node)))

    walk(module, 1)
    return events


@pytest.mark.parametrize(
    "node_types",
    [
        [cst.Name, cst.Call, cst.FunctionDef],  # leaves and inner nodes together
        [cst.SimpleString, cst.Integer, cst.Module, cst.Attribute],
        [cst.Name],
    ],
)
def test_walk_calls_handlers_in_order_with_the_ancestors(
    modules: list[cst.Module], node_types: list[type]
) -> None:
    for module in modules:
        assert _recorded_walk(module, node_types) == _reference_walk(module, node_types)


@pytest.mark.parametrize("depth", [3, 4, 5])
def test_depth_guard_counts_leaves(depth: int) -> None:
    # Module > SimpleStatementLine > Expr > Name: a leaf is one level like any node
    module = cst.parse_module("x\n")
    walker = Walker({}, {}, max_depth=depth)
    if depth < 4:
        with pytest.raises(TooDeep):
            walker.walk(module)
    else:
        walker.walk(module)
        assert walker.stack == []


def test_dotted_name_of_names_and_attribute_chains() -> None:
    assert dotted_name(cst.parse_expression("a")) == "a"
    assert dotted_name(cst.parse_expression("a.b.c")) == "a.b.c"
    assert dotted_name(cst.parse_expression("a().b")) is None
    assert dotted_name(cst.parse_expression("a[0].b")) is None
    assert dotted_name(cst.parse_expression("'a'")) is None
    assert dotted_name(None) is None


def test_string_values_equal_python_literals(modules: list[cst.Module]) -> None:
    checked = 0
    for module in modules:
        for node in iter_tree(module):
            if isinstance(node, cst.SimpleString):
                value = ast.literal_eval(node.value)
                assert string_value(node) == (value if isinstance(value, str) else None)
                checked += 1
    for token in ['"""a\r\nb"""', "r'a\\b'", "'\\n'", "U'x'", "Rb'x'", "'''it's'''", '""']:
        node = cst.SimpleString(token)
        value = ast.literal_eval(token)
        assert string_value(node) == (value if isinstance(value, str) else None), token
    assert checked > 1_000
