"""``# noqa`` comments, flake8-compatible.

``# noqa`` suppresses every finding on its line; ``# noqa: LUC301,LUC302`` only those
codes (a prefix such as ``LUC3`` covers the codes that start with it). Other tools' codes
on the same comment are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lucent_lint.engine.results import Finding

# flake8's own pattern: "# noqa", optionally followed by ":" and a list of codes.
NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)

#: a file that does not compile fails the gate whatever its comments say
UNSUPPRESSIBLE = "LUC001"

#: line -> None for a bare ``# noqa``, else the codes it names (upper case)
NoqaMap = dict[int, tuple[str, ...] | None]


#: a line as Python's tokenizer counts them: ended by ``\n``, ``\r\n`` or ``\r`` only (not
#: by the form feed, U+2028 and the other breaks ``str.splitlines`` also splits on)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def source_lines(text: str, *, keepends: bool = False) -> list[str]:
    """``text`` split into lines as the tokenizer (and every reported line number) counts
    them."""
    lines = _LINE.findall(text)
    if keepends:
        return lines
    return [line.rstrip("\r\n") for line in lines]


def parse_noqa(text: str) -> NoqaMap:
    """Every ``# noqa`` comment of a source, by 1-based line."""
    out: NoqaMap = {}
    if "noqa" not in text and "NOQA" not in text.upper():
        return out
    for number, line in enumerate(source_lines(text), start=1):
        if "#" not in line:
            continue
        match = NOQA.search(line)
        if match is None:
            continue
        codes = match.group("codes")
        out[number] = None if codes is None else tuple(c.upper() for c in _CODE.findall(codes))
    return out


def suppresses(entry: tuple[str, ...] | None, code: str) -> str | None:
    """The noqa code that suppresses ``code`` ("*" for a bare noqa), or None."""
    if entry is None:
        return "*"
    for listed in entry:
        if code.startswith(listed) and listed.startswith("LUC"):
            return listed
    return None


def noqa_span(line: str) -> tuple[int, int, tuple[str, ...]] | None:
    """Where the noqa comment sits on ``line`` (0-based start, end) and its codes."""
    match = NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    return match.start(), match.end(), tuple(_CODE.findall(codes or ""))


def apply_noqa(
    findings: Iterable[Finding], noqa: NoqaMap
) -> tuple[list[Finding], dict[int, set[str]]]:
    """The findings no ``# noqa`` suppresses, and per line the noqa codes that did
    suppress something (``"*"`` for a bare noqa)."""
    kept: list[Finding] = []
    used: dict[int, set[str]] = {}
    for finding in findings:
        if finding.code == UNSUPPRESSIBLE:
            kept.append(finding)
            continue
        entry = noqa.get(finding.line, False)
        if entry is not False:
            by = suppresses(entry, finding.code)  # type: ignore[arg-type]
            if by is not None:
                used.setdefault(finding.line, set()).add(by)
                continue
        kept.append(finding)
    return kept, used
