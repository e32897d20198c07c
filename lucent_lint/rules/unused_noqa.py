"""LUC002: the engine reports ``# noqa: LUC###`` comments that suppress nothing.

Fix (safe): an unused code leaves its ``# noqa`` comment; a comment left with no code goes.
The finding is about a comment, not a node, so the fix is a text edit of one line
(:func:`remove_codes`), applied by ``--fix`` after every node fix.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from lucent_lint.engine.rule import Rule
from lucent_lint.engine.suppress import NOQA


class UnusedNoqa(Rule):
    code = "LUC002"
    slug = "unused-noqa"
    message = "unused `noqa` for {codes}"
    fix_safety = "safe"
    fix_title = "Remove the unused code from the `noqa` comment"


_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)


def remove_codes(line: str, unused: Collection[str], comment_start: int) -> str | None:
    """``line`` without the ``unused`` codes of its noqa comment (which starts at
    ``comment_start``, the column of a real comment token); the whole ``# noqa: ...``
    goes when no code remains. None when there is nothing to change."""
    match = NOQA.search(line, comment_start)
    if match is None or match.group("codes") is None:
        return None
    wanted = {code.upper() for code in unused}
    codes_start, codes_end = match.span("codes")
    listed = _CODE.findall(line, codes_start, codes_end)
    keep = [code for code in listed if code.upper() not in wanted]
    if len(keep) == len(listed):
        return None
    if keep:
        between = line[codes_start:codes_end]
        separator = ", " if ", " in between else "," if "," in between else " "
        return line[:codes_start] + separator.join(keep) + line[codes_end:]
    before, after = line[: match.start()], line[match.end() :]
    rest = after.strip()
    if rest.startswith("#"):  # a second comment after the noqa one
        return before + rest
    if rest:  # "- reason" after the codes: the reason stays a comment
        return before + "# " + rest.lstrip(" -:;,")
    return before.rstrip()
