"""The fix machinery: overlap choice, imports, selection, safety net, encodings."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from lucent_lint.engine.context import FileContext
from lucent_lint.engine.registry import RULES, Selection
from lucent_lint.engine.rule import Fix
from lucent_lint.engine.transform import add_imports, apply, choose, parent_map
from lucent_lint.rules.bare_except import BareExcept
from lucent_lint.run.fix import FixedFile, fix_stdin

from .helpers import SNIPPET, codes, fix_text, fixed, settings_for

HEAD = "from lucent_runtime import CryptoTradingServiceBase\n\n"
BARE = "try:\n    pass\nexcept:\n    raise RuntimeError('x')\n"


def test_rules_carry_their_fix_safety_and_title() -> None:
    assert RULES["LUC604"].fix_safety == "safe"
    assert RULES["LUC602"].fix_safety == "safe"
    assert RULES["LUC002"].fix_safety == "safe"
    assert RULES["LUC302"].fix_safety == "unsafe"
    assert RULES["LUC301"].fix_safety is None
    for rule in RULES.values():  # a fixable rule says what its fix does, and only then
        assert (rule.fix_title is None) == (rule.fix_safety is None), rule.code


def test_a_fix_reported_by_a_rule_without_fix_safety_is_refused() -> None:
    class Unfixable(BareExcept):
        code = "LUC999"
        fix_safety = None

    settings = settings_for()
    ctx = FileContext(path=SNIPPET, module_name="m", is_package=False, settings=settings, stack=[])
    handler = cst.parse_statement(BARE).handlers[0]  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="LUC999 reports a fix but has no fix_safety"):
        rule = Unfixable(ctx)
        assert not rule.fixing
        rule.fixing = True  # as if it built a fix all the same
        rule.visit_ExceptHandler(handler)


def test_choose_skips_fixes_inside_or_around_a_chosen_target() -> None:
    module = cst.parse_module("def f():\n    a = 1\n    b = 2\n")
    function = module.body[0]
    assert isinstance(function, cst.FunctionDef)
    first, second = function.body.body
    whole = Fix(replacements={function: function.with_changes(name=cst.Name("g"))})
    inner = Fix(replacements={first: cst.RemoveFromParent()})
    sibling = Fix(replacements={second: cst.RemoveFromParent()})
    parents = parent_map(module)
    assert choose([inner, whole, sibling], parents) == [inner, sibling]
    assert choose([whole, inner, sibling], parents) == [whole]
    assert apply(module, [inner, sibling], parents).code == "def f():\n    pass\n"


def test_apply_replaces_only_the_targets() -> None:
    module = cst.parse_module("x = 1  # one\n\n\ny = 2  # two\n")
    statement = module.body[1]
    assert isinstance(statement, cst.SimpleStatementLine)
    assign = statement.body[0]
    assert isinstance(assign, cst.Assign)
    fix = Fix(replacements={assign.value: cst.Integer("3")})
    parents = parent_map(module)
    assert apply(module, [fix], parents).code == "x = 1  # one\n\n\ny = 3  # two\n"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            '"""Doc."""\n\nimport os\n\nX = 1\n',
            '"""Doc."""\n\nimport os\nfrom lucent_runtime import UserServiceBase\n\nX = 1\n',
        ),
        ('"""Doc."""\nX = 1\n', '"""Doc."""\nfrom lucent_runtime import UserServiceBase\nX = 1\n'),
        (
            "from lucent_runtime import BusinessContextBuilder, event_handler\n",
            "from lucent_runtime import BusinessContextBuilder, UserServiceBase, event_handler\n",
        ),
        (
            "from lucent_runtime import (\n    BusinessContextBuilder,\n    event_handler,\n)\n",
            "from lucent_runtime import (\n    BusinessContextBuilder,\n    UserServiceBase,\n"
            "    event_handler,\n)\n",
        ),
        (
            "from lucent_runtime import UserServiceBase\n",
            "from lucent_runtime import UserServiceBase\n",
        ),
        (
            "class A:\n    pass\n",
            "from lucent_runtime import UserServiceBase\nclass A:\n    pass\n",
        ),
    ],
)
def test_add_imports(source: str, expected: str) -> None:
    module = cst.parse_module(source)
    lines = ["from lucent_runtime import UserServiceBase"]
    assert add_imports(module, lines).code == expected


def test_fixes_of_unselected_rules_are_not_applied() -> None:
    source = HEAD + BARE + "try:\n    pass\nexcept OSError:\n    raise LookupError('y')\n"
    result = fixed(source, {"select": ["LUC602"]})
    assert "except:\n" in result  # LUC604 is not selected: the bare except stays
    assert "except OSError as err:\n    raise LookupError('y') from err\n" in result


def test_per_file_ignores_keep_their_codes_unfixed() -> None:
    source = HEAD + BARE
    run = fix_text(source, {"per-file-ignores": {SNIPPET: ["LUC604"]}})
    assert "except:\n" in run.files[0].fixed


def test_a_fix_that_breaks_the_code_is_discarded(monkeypatch: pytest.MonkeyPatch) -> None:
    def break_it(node: cst.CSTNode, ctx: object) -> Fix:
        assert isinstance(node, cst.ExceptHandler)
        keyword = cst.Name("lambda")  # `except lambda:` does not parse
        return Fix(
            replacements={
                node: node.with_changes(
                    type=keyword, whitespace_after_except=cst.SimpleWhitespace(" ")
                )
            }
        )

    monkeypatch.setattr(BareExcept, "fix", lambda self, handler: break_it(handler, self.ctx))
    source = HEAD + BARE
    run = fix_text(source)
    assert run.files[0].fixed == source
    assert run.fixed == 0
    # checked before writing: dropped and reported as not applied, the finding stays
    assert any("LUC604 not fixed" in warning for warning in run.run.warnings)
    assert "LUC604" in codes(run)


def test_a_crashing_fixer_is_an_error_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(node: cst.CSTNode, ctx: object) -> Fix:
        raise RuntimeError("boom")

    monkeypatch.setattr(BareExcept, "fix", lambda self, handler: crash(handler, self.ctx))
    run = fix_text(HEAD + BARE)
    assert run.fixed == 0
    assert run.files[0].output(b"unchanged") == b"unchanged"
    assert any("internal error" in e and "boom" in e for e in run.run.errors)


def test_encoding_and_line_endings_survive_a_fix(tmp_path: Path) -> None:
    text = "# -*- coding: latin-1 -*-\r\n# Ré-essai\r\n" + (HEAD + BARE).replace("\n", "\r\n")
    data = text.encode("latin-1")
    settings = settings_for()
    selection = Selection(settings.select, settings.ignore)
    run = fix_stdin(data, str(tmp_path / "svc.py"), settings, tmp_path, selection)
    out = run.files[0].output(data)
    assert out.decode("latin-1") == text.replace("except:", "except Exception as err:").replace(
        "raise RuntimeError('x')", "raise RuntimeError('x') from err"
    )


def test_diff_of_a_fixed_file() -> None:
    change = FixedFile("pkg/a.py", "a = 1\nb = 2", "a = 1\nb = 3", count=1)
    assert change.diff() == (
        "--- a/pkg/a.py\n+++ b/pkg/a.py\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n"
        "\\ No newline at end of file\n+b = 3\n\\ No newline at end of file\n"
    )
    assert FixedFile("a.py", "x\n", "x\n").diff() == ""


def test_the_check_of_a_fixed_file_reuses_the_last_rounds_walk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the last round walked the fixed text to find nothing left to fix: the check of the
    # written file fills its result from that walk, and gets what a new check gets
    from lucent_lint.engine import analysis
    from lucent_lint.engine.check import check_source
    from lucent_lint.engine.project import ProjectIndex
    from lucent_lint.run.fix import FileFixer

    settings = settings_for()
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    fixer = FileFixer(settings, selection, ProjectIndex.for_settings(settings))
    parses: list[str] = []
    real_parse = analysis.parse

    def counting(text: str, path: str):  # type: ignore[no-untyped-def]
        parses.append(path)
        return real_parse(text, path)

    reused_for = 0
    for path in sorted(Path(__file__).parents[2].glob("fixtures/**/*.py")):
        fixed_file = fixer.fix(path.read_bytes(), str(path), path.stem, False, frozenset())
        if not fixed_file.changed or fixer.final is None:  # None: the noqa step changed it
            continue
        reused_for += 1
        new = fixed_file.fixed.encode(fixed_file.encoding)
        monkeypatch.setattr(analysis, "parse", counting)
        reused = check_source(
            new, str(path), path.stem, False, settings, selection, analysis=fixer.final
        )
        monkeypatch.setattr(analysis, "parse", real_parse)
        assert parses == []
        assert reused == check_source(new, str(path), path.stem, False, settings, selection)
    assert reused_for >= 5
