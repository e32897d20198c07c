"""The engine's parse builds exactly libcst's tree, with or without the plain constructors,
and leaves libcst's own constructors (with their validation) in place afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings

from lucent_lint.engine import _libcst

from .project import REPO
from .test_positions import TRICKY, TRICKY_BLOCKS

#: every kind of statement and most expressions, in one module
SYNTAX = '''
from __future__ import annotations
import a.b as c, d
from .e import (f as g, h)
from . import *
x: int = 1; y = z = 2; x += 1; del y
global q
assert x, "m"
@dec(1)
async def fn(a, /, b: int = 2, *args, c, d=3, **kw) -> "T":
    nonlocal r
    async with m() as (n, o), p:
        await fn()
    async for i in aiter():
        yield i
    yield from range(3)
    return lambda v=1, *w, **u: v
class K(B, metaclass=M):
    """doc"""
    def m(self): pass
try:
    pass
except (E, F) as err:
    raise G() from err
except* H:
    pass
else:
    pass
finally:
    pass
while x:
    break
else:
    continue
for i, (j, *k) in items: pass
if a: pass
elif b: pass
else: pass
match cmd:
    case [1, *rest] | {"k": v, **kw} if v: pass
    case Point(x=0, y=_) as pt: pass
    case -1 | 2j | "s" | None | True: pass
with open(f) as g: pass
v = [i for i in x if i] + {k: v for k, v in d} + {s for s in t} + (g for g in h)
w = a if b else c; u = not a and b or c; t = a[1:2:3, ...] @ b ** -c
s = f"{a!r:>{b}}" rb'raw' "con" 'cat' f'{x=}'
n = 1_000 + 0x1F + 1e-3 + 2j
o = (yield)
p = (q := 3)
print(*args, **kwargs, sep="")
'''


def _texts() -> Iterator[str]:
    yield from (TRICKY, TRICKY_BLOCKS, SYNTAX)
    paths = sorted((REPO / "fixtures").rglob("*.py")) + sorted(
        (REPO / "lucent_runtime").glob("*.py")
    )
    for path in paths[::2]:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if len(text) < 6_000:  # the syntax is what matters, not the size
            yield text


def _same_tree(text: str, modes: tuple[bool, ...] = (True,)) -> None:
    """The engine's tree of ``text`` is libcst's, in each mode (True: plain constructors)."""
    try:
        expected = cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError):
        expected = None
    _libcst.prepare()
    built = _libcst._PLAIN["constructors"]
    for plain in modes:
        _libcst._PLAIN["constructors"] = built if plain else None
        if expected is None:
            with pytest.raises((cst.ParserSyntaxError, RecursionError)):
                _libcst.parse_module(text)
            continue
        got = _libcst.parse_module(text)
        assert got.deep_equals(expected)
    _libcst._PLAIN["constructors"] = built


def _validates() -> None:
    """libcst's constructors are back: an invalid node is refused."""
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


def test_the_same_tree_as_libcst() -> None:
    """With libcst's constructors (validation skipped) and with the plain ones."""
    count = 0
    for text in _texts():
        _same_tree(text, (False, True))
        count += 1
    assert count > 50
    _validates()


def test_constructors_are_restored_when_the_parse_fails() -> None:
    _libcst.prepare()
    with pytest.raises(cst.ParserSyntaxError):
        _libcst.parse_module("def (:\n")
    _validates()
    assert cst.Name.__init__ is _libcst._PLAIN["constructors"][cst.Name][0]


def test_every_node_class_has_a_plain_constructor() -> None:
    _libcst.prepare()
    constructors = _libcst._PLAIN["constructors"]
    assert constructors is not None
    assert {cst.Module, cst.Name, cst.SimpleString, cst.FunctionDef, cst.Match} <= set(constructors)


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
@given(hypothesmith.from_grammar())
def test_generated_programs_parse_to_the_same_tree(source: str) -> None:
    _libcst.prepare()
    _same_tree(source)
