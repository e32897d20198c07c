"""``--format github``: GitHub Actions workflow commands, one ``::error`` per finding.

GitHub shows each as an annotation on the pull request's diff. Data is escaped as the
runner expects (``%``, CR, LF), and property values additionally ``:`` and ``,``. Paths are
relative to the repository's top, as GitHub resolves them, wherever the command ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lucent_lint.report.sarif import source_root

if TYPE_CHECKING:
    from lucent_lint.report import OutputOptions
    from lucent_lint.run.runner import RunResult


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _relative(path: str, base: Path) -> str:
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        return path


def write(run: RunResult, stream: TextIO, options: OutputOptions) -> None:
    base = source_root(options.root)
    for finding in run.findings:
        properties = {
            "file": _relative(finding.path, base),
            "line": finding.line,
            "col": finding.column,
            "endLine": finding.end_line,
            "endColumn": finding.end_column,
            "title": f"{finding.code} {finding.slug}",
        }
        rendered = ",".join(
            f"{key}={escape_property(str(value))}" for key, value in properties.items()
        )
        stream.write(f"::error {rendered}::{escape_data(finding.message)}\n")
    for error in run.errors:
        stream.write(f"::error title=lucent-lint internal error::{escape_data(error)}\n")
