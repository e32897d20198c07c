"""Baselines: accept today's findings, report only new ones.

A finding is keyed without its line number, so that editing elsewhere in a file does not
turn old findings into new ones: the path (relative to the project root), the code, the
enclosing ``Class.method`` (:attr:`Finding.scope`), a hash of the finding's source line
with whitespace normalised, and its occurrence index among findings sharing all of those.
The same key gives SARIF's ``partialFingerprints``.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lucent_lint.engine.results import Finding
from lucent_lint.run.discovery import relative_to_root

if TYPE_CHECKING:
    from lucent_lint.run.runner import RunResult

FORMAT = 1


class BaselineError(Exception):
    """A baseline file that cannot be read or written; the message names it."""


@dataclass(frozen=True, order=True, slots=True)
class FindingKey:
    path: str
    code: str
    scope: str
    line_hash: str
    occurrence: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "code": self.code,
            "scope": self.scope,
            "line_hash": self.line_hash,
            "occurrence": self.occurrence,
        }

    def fingerprint(self) -> str:
        raw = "\0".join((self.path, self.code, self.scope, self.line_hash, str(self.occurrence)))
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def line_hash(text: str | None) -> str:
    """Hash of a source line with indentation and runs of whitespace normalised."""
    normalised = " ".join((text or "").split())
    return hashlib.sha256(normalised.encode()).hexdigest()[:16]


def finding_keys(
    findings: Sequence[Finding], lines: dict[str, dict[int, str]], root: Path | str
) -> list[FindingKey]:
    """The key of every finding, in the order given."""
    root = Path(root).resolve()
    order = sorted(range(len(findings)), key=lambda i: findings[i].sort_key())
    seen: Counter[tuple[str, str, str, str]] = Counter()
    keys: list[FindingKey | None] = [None] * len(findings)
    relatives: dict[str, str] = {}
    for i in order:
        finding = findings[i]
        relative = relatives.get(finding.path)
        if relative is None:
            relative = relatives[finding.path] = relative_to_root(Path(finding.path), root)
        text = lines.get(finding.path, {}).get(finding.line)
        base = (relative, finding.code, finding.scope, line_hash(text))
        keys[i] = FindingKey(*base, seen[base])
        seen[base] += 1
    return keys  # type: ignore[return-value]


# -- the file --------------------------------------------------------------------------------


def write(file: Path, run: RunResult, root: Path | str) -> int:
    """Record every finding of ``run``; returns how many."""
    keys = finding_keys(run.findings, run.lines, root)
    entries = [
        {**key.to_dict(), "message": finding.message}
        for key, finding in sorted(zip(keys, run.findings, strict=True), key=lambda kf: kf[0])
    ]
    document = {"lucent-lint-baseline": FORMAT, "findings": entries}
    try:
        file.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"cannot write baseline {file}: {exc.strerror or exc}") from None
    return len(entries)


def load(file: Path) -> Counter[FindingKey]:
    """The keys a baseline file accepts (a multiset)."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(
            f"baseline file {file} not found (create it with --write-baseline {file})"
        ) from None
    except OSError as exc:
        raise BaselineError(f"cannot read baseline {file}: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {file} is not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("lucent-lint-baseline") != FORMAT:
        raise BaselineError(
            f"{file} is not a lucent-lint baseline (format {FORMAT}); "
            f"rewrite it with --write-baseline {file}"
        )
    entries = document.get("findings")
    if not isinstance(entries, list):
        raise BaselineError(f"baseline {file}: 'findings' must be a list")
    keys: Counter[FindingKey] = Counter()
    for number, entry in enumerate(entries):
        try:
            key = FindingKey(
                path=_text(entry, "path"),
                code=_text(entry, "code"),
                scope=_text(entry, "scope"),
                line_hash=_text(entry, "line_hash"),
                occurrence=int(entry["occurrence"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BaselineError(f"baseline {file}: entry {number} is malformed ({exc})") from None
        keys[key] += 1
    return keys


def _text(entry: Any, name: str) -> str:
    value = entry[name]
    if not isinstance(value, str):
        raise TypeError(f"{name!r} must be a string")
    return value


# -- applying it -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applied:
    """What a baseline did to a run."""

    suppressed: int
    #: entries of checked files that no finding matched any more
    stale: list[FindingKey]


def apply(
    run: RunResult, accepted: Counter[FindingKey], root: Path | str, checked: Sequence[str]
) -> Applied:
    """Drop the findings ``accepted`` holds from ``run`` (in place).

    ``checked`` are the root-relative paths of the files the run looked at: entries of
    other files are not stale, only out of this run's sight.
    """
    remaining = Counter(accepted)
    kept: list[Finding] = []
    keys = finding_keys(run.findings, run.lines, root)
    for key, finding in zip(keys, run.findings, strict=True):
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            kept.append(finding)
    suppressed = len(run.findings) - len(kept)
    run.findings[:] = kept
    seen = set(checked)
    stale = sorted(key for key, count in remaining.items() if count > 0 and key.path in seen)
    return Applied(suppressed, stale)


def stale_report(stale: Sequence[FindingKey], file: Path) -> str:
    """The stderr text for entries that match nothing any more."""
    noun = "entry" if len(stale) == 1 else "entries"
    head = f"lucent-lint: {len(stale)} baseline {noun} in {file} no longer match a finding"
    lines = [f"{head} (fixed or changed):"]
    for key in stale:
        where = f" in {key.scope}" if key.scope else ""
        lines.append(f"  {key.path}: {key.code}{where}")
    lines.append(f"hint: rewrite the baseline with `lucent-lint check --write-baseline {file}`")
    return "\n".join(lines)
