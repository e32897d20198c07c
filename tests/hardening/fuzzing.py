"""The properties every input must keep, shared by the property and mutation tests.

For any source: checking it raises nothing and reports no internal error; LUC001 is
reported exactly when CPython refuses to compile it (for a file in scope; one out of scope
is not compiled at all); a file skipped with a warning is valid Python. For any source
with safe fixes: fixing raises nothing, the fixed module is the original program except
where the safe fixes act (an ``except`` clause's type and name, a ``raise``'s cause, a
``.build()`` at the end of a chain, or the call added to a ``.build`` left uncalled), and
fixing it again changes nothing.
"""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

from lucent_lint.config import Settings
from lucent_lint.engine.check import check_source
from lucent_lint.engine.registry import Selection
from lucent_lint.engine.source import may_contain_service_code
from lucent_lint.run.fix import fix_stdin
from lucent_lint.run.runner import finalize_results

SETTINGS = Settings()
SELECTION = Selection(SETTINGS.select, SETTINGS.ignore, SETTINGS.extend_select)
#: puts any text in scope (the pre-filter is a text test) without changing its meaning
IN_SCOPE = "# lucent_runtime\n"


def compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "fuzz.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check_properties(text: str) -> bool:
    """Assert the checking properties; True when the file has a fixable finding."""
    data = text.encode("utf-8", errors="surrogatepass")
    result = check_source(data, "fuzz.py", "fuzz", False, SETTINGS, SELECTION)
    assert result.error is None, result.error
    run = finalize_results([result], ["fuzz.py"], SETTINGS, SELECTION)
    assert run.errors == [], run.errors
    syntax = [f for f in run.findings if f.code == "LUC001"]
    try:
        decoded: str | None = data.decode("utf-8")
    except UnicodeDecodeError:
        decoded = None
    if decoded is None or "\0" in decoded:
        assert syntax, "an undecodable file must be LUC001"
        return False
    if result.warning is not None:
        assert compiles(decoded), "only valid Python is skipped with a warning"
        assert run.findings == []
        return False
    if may_contain_service_code(decoded, SETTINGS):
        assert bool(syntax) == (not compiles(decoded)), (syntax, text)
    else:
        assert syntax == []
    return any(f.fixable for f in run.findings)


class _Normalise(ast.NodeTransformer):
    """Erase exactly what the safe fixes may change."""

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        self.generic_visit(node)
        if node.type is None or (
            isinstance(node.type, ast.Name) and node.type.id in ("Exception", "BaseException")
        ):
            node.type = None
        node.name = None
        return node

    def visit_Raise(self, node: ast.Raise) -> ast.AST:
        self.generic_visit(node)
        node.cause = None
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "build" and not node.args:
            return self.visit(func.value)
        self.generic_visit(node)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        # a chain that ends in `.build` without the call: the fix calls it
        if node.attr == "build" and isinstance(node.ctx, ast.Load):
            return self.visit(node.value)
        self.generic_visit(node)
        return node


def program(text: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(text)
    return ast.dump(_Normalise().visit(tree))


def fix_properties(text: str) -> None:
    """Assert the fixing properties for a file with fixable findings."""
    run = fix_stdin(text.encode(), "fuzz.py", SETTINGS, Path.cwd(), SELECTION)
    assert run.run.errors == [], run.run.errors
    fixed = run.files[0].fixed
    if fixed == text:
        return
    assert compiles(fixed), fixed
    assert program(fixed) == program(text), "a safe fix changed the program"
    again = fix_stdin(fixed.encode(), "fuzz.py", SETTINGS, Path.cwd(), SELECTION)
    assert again.files[0].fixed == fixed, "a second --fix changed the code again"
