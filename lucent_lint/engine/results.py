"""What the engine produces for a file: plain, picklable data.

A :class:`FileResult` can come from a worker process or from the cache; it never depends on
another file. :class:`Finding` is what every output shows; :class:`Deferred` is a finding
that waits for the project index (see ``docs/architecture.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lucent_lint.engine.suppress import NoqaMap


@dataclass(frozen=True, slots=True)
class Finding:
    """One reported problem; ``line``/``column`` are 1-based, as every output shows them."""

    code: str
    slug: str
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    fixable: bool = False
    fix_title: str | None = None
    #: the enclosing ``Class.method`` (empty at module level), used by baselines
    scope: str = ""

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "slug": self.slug,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "fixable": self.fixable,
        }


@dataclass(slots=True)
class Deferred:
    """A finding that waits for the repository index (see :meth:`Rule.defer`)."""

    code: str
    payload: dict[str, Any]
    line: int
    column: int
    end_line: int
    end_column: int
    scope: str
    #: the report carried a fix (the fixer rebuilds it; the finding shows ``[*]``)
    fixable: bool = False
    fix_title: str | None = None


@dataclass(slots=True)
class FileResult:
    """Everything the engine learned from one file; plain, picklable data."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    deferred: list[Deferred] = field(default_factory=list)
    noqa: NoqaMap = field(default_factory=dict)
    #: qualified class name -> qualified bases, for the project index
    classes: dict[str, list[str]] = field(default_factory=dict)
    #: the text of every line a finding (or a deferred one) is on
    lines: dict[int, str] = field(default_factory=dict)
    parsed: bool = False
    #: an internal problem (a rule crashed); the run reports it and exits 2
    error: str | None = None
    #: why the file was skipped unchecked (too large, beyond libcst); reported, not failing
    warning: str | None = None
