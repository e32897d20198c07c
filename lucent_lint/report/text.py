"""``--format text``: ruff-like lines, the source line with a caret on a terminal, a summary."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, TextIO

from lucent_lint.engine.registry import CATALOGUE

if TYPE_CHECKING:
    from lucent_lint.report import OutputOptions
    from lucent_lint.run.runner import RunResult

_BOLD, _RED, _CYAN, _DIM, _RESET = "\x1b[1m", "\x1b[31m", "\x1b[36m", "\x1b[2m", "\x1b[0m"


def write(run: RunResult, stream: TextIO, options: OutputOptions) -> None:
    paint = (lambda code, text: f"{code}{text}{_RESET}") if options.color else (lambda _c, t: t)
    for finding in run.findings:
        location = f"{finding.path}:{finding.line}:{finding.column}:"
        fix = " [*]" if finding.fixable else ""
        stream.write(
            f"{paint(_BOLD, location)} {paint(_RED + _BOLD, finding.code)}{fix} {finding.message}\n"
        )
        if options.show_source:
            source = run.lines.get(finding.path, {}).get(finding.line)
            if source is not None:
                gutter = f"{finding.line} |"
                stream.write(f"{paint(_CYAN, gutter)} {source.rstrip()}\n")
                width = 1
                if finding.end_line == finding.line and finding.end_column > finding.column:
                    width = finding.end_column - finding.column
                caret = " " * (len(gutter) + finding.column) + "^" * max(width, 1)
                stream.write(f"{paint(_RED, caret)}\n")
    if options.statistics and run.findings:
        counts = Counter(f.code for f in run.findings)
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            stream.write(f"{count:>5}  {code}  [{CATALOGUE[code]}]\n")
    total = len(run.findings)
    if run.fixed:
        stream.write(f"Fixed {run.fixed} {'finding' if run.fixed == 1 else 'findings'}.\n")
    if total:
        fixable = sum(1 for f in run.findings if f.fixable)
        noun = "finding" if total == 1 else "findings"
        stream.write(f"Found {total} {noun} in {_files(run.files)} checked.\n")
        if fixable:
            stream.write(f"[*] {fixable} fixable with `lucent-lint check --fix`.\n")
    else:
        stream.write(f"All checks passed! ({_files(run.files)} checked)\n")


def _files(count: int) -> str:
    return f"{count} file" if count == 1 else f"{count} files"
