"""LUC002: unused codes leave the noqa comment; a comment left empty goes."""

from __future__ import annotations

import pytest

from lucent_lint.rules.unused_noqa import remove_codes

from ..lint.helpers import lint_text, pairs
from .helpers import codes, fix_text, fixed

HEAD = "from lucent_runtime import CryptoTradingServiceBase\n\n"
APPEND = "    await event_store.append(stream, [event])"


@pytest.mark.parametrize(
    ("line", "unused", "expected"),
    [
        ("x = 1  # noqa: LUC301", ["LUC301"], "x = 1"),
        ("x = 1  # noqa: LUC301, LUC302", ["LUC302"], "x = 1  # noqa: LUC301"),
        ("x = 1  # noqa:LUC301,E501", ["LUC301"], "x = 1  # noqa:E501"),
        ("x = 1  # noqa: E501 LUC301", ["LUC301"], "x = 1  # noqa: E501"),
        ("x = 1  # type: ignore  # noqa: LUC301", ["LUC301"], "x = 1  # type: ignore"),
        ("x = 1  # noqa: LUC301  # see ADR-7", ["LUC301"], "x = 1  # see ADR-7"),
        ("x = 1  # noqa: LUC301 - legacy path", ["LUC301"], "x = 1  # legacy path"),
        ("x = 1  # NOQA: luc301", ["LUC301"], "x = 1"),
        ("x = 1  # noqa", ["LUC301"], None),
        ("x = 1  # noqa: LUC301", ["LUC302"], None),
    ],
)
def test_remove_codes(line: str, unused: list[str], expected: str | None) -> None:
    assert remove_codes(line, unused, line.index("#")) == expected


def test_unused_code_removed_used_one_kept() -> None:
    source = HEAD + (
        "async def record(event_store, stream, event):\n"
        f"{APPEND}  # noqa: LUC301, LUC302\n"
        "    return 1  # noqa: LUC301\n"
    )
    assert pairs(lint_text(source)) == [(4, "LUC002"), (5, "LUC002")]
    result = fixed(source)
    assert result == HEAD + (
        f"async def record(event_store, stream, event):\n{APPEND}  # noqa: LUC301\n    return 1\n"
    )
    assert codes(fix_text(result)) == []


def test_other_tools_codes_and_bare_noqa_untouched() -> None:
    source = HEAD + "x = 1  # noqa: E501\ny = 2  # noqa\n"
    run = fix_text(source)
    assert run.fixed == 0 and run.files[0].fixed == source


def test_noqa_text_inside_a_string_is_not_edited() -> None:
    source = HEAD + 'HINT = "# noqa: LUC301"  # noqa: LUC301\n'
    result = fixed(source)
    assert result == HEAD + 'HINT = "# noqa: LUC301"\n'


def test_a_suppressed_finding_is_not_fixed_and_its_noqa_stays() -> None:
    source = HEAD + ("try:\n    pass\nexcept:  # noqa: LUC604\n    raise\n")
    run = fix_text(source)
    assert run.fixed == 0 and run.files[0].fixed == source
    assert codes(run) == []


def test_ignored_unused_noqa_is_not_fixed() -> None:
    source = HEAD + "x = 1  # noqa: LUC301\n"
    run = fix_text(source, {"ignore": ["LUC002"]})
    assert run.fixed == 0 and run.files[0].fixed == source


def test_a_code_that_names_no_rule_is_reported_whatever_the_selection() -> None:
    source = HEAD + (
        "async def record(event_store, stream, event):\n"
        f"{APPEND}  # noqa: LUC301, LUC310\n"
        "    return 1  # noqa: LUC9, LUC6, E501\n"
    )
    # only LUC002 runs: the rules behind LUC301 and LUC6 never ran, so their codes stay
    config = {"select": ["LUC002"]}
    found = lint_text(source, config)
    assert [(f.line, f.message) for f in found] == [
        (4, "unused `noqa` for LUC310 (no such rule)"),
        (5, "unused `noqa` for LUC9 (no such rule)"),
    ]
    assert fixed(source, config) == HEAD + (
        "async def record(event_store, stream, event):\n"
        f"{APPEND}  # noqa: LUC301\n"
        "    return 1  # noqa: LUC6, E501\n"
    )
