"""``--format sarif``: SARIF 2.1.0, as GitHub code scanning and other viewers accept it.

URIs are relative to the source root (``%SRCROOT%``: the git work tree holding the project,
else the project root); columns are 1-based Unicode code points; every rule of the
catalogue is described with its documentation; ``partialFingerprints`` do not depend on
line numbers (see :mod:`lucent_lint.report.baseline`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from lucent_lint import __version__, docs
from lucent_lint.engine.registry import RULES
from lucent_lint.report.baseline import finding_keys

if TYPE_CHECKING:
    from lucent_lint.report import OutputOptions
    from lucent_lint.run.runner import RunResult

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
FINGERPRINT = "lucentFinding/v1"


def source_root(root: str | Path) -> Path:
    """The git work tree that holds ``root``, else ``root`` itself."""
    start = Path(root).resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def _rule_descriptor(code: str) -> dict[str, Any]:
    rule = RULES[code]
    doc = docs.load(code)
    docstring = (rule.__doc__ or "").strip().split("\n\n")[0]
    fallback = " ".join(docstring.split()) or rule.slug.replace("-", " ").capitalize()
    short = doc.summary() if doc is not None else fallback
    full = (
        " ".join(doc.sections.get("What it does", "").split()) if doc is not None else ""
    ) or short
    descriptor: dict[str, Any] = {
        "id": code,
        "name": rule.slug,
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {
            "text": doc.text if doc is not None else full,
            "markdown": doc.text if doc is not None else full,
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["lucent"] + ([rule.checklist] if rule.checklist != "—" else [])},
    }
    return descriptor


def _artifact_uri(path: str, base: Path) -> str:
    absolute = Path(path).resolve()
    try:
        return quote(absolute.relative_to(base).as_posix())
    except ValueError:
        return absolute.as_uri()


def document(run: RunResult, options: OutputOptions) -> dict[str, Any]:
    """The SARIF log of a run, as a JSON-ready mapping."""
    base = source_root(options.root)
    codes = list(RULES)
    index = {code: i for i, code in enumerate(codes)}
    keys = finding_keys(run.findings, run.lines, base)
    results = []
    for finding, key in zip(run.findings, keys, strict=True):
        region = {
            "startLine": finding.line,
            "startColumn": finding.column,
            "endLine": max(finding.end_line, finding.line),
            "endColumn": max(finding.end_column, 1),
        }
        source = run.lines.get(finding.path, {}).get(finding.line)
        if source is not None:
            region["snippet"] = {"text": source}
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "level": "error",
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": _artifact_uri(finding.path, base),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": region,
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT: key.fingerprint()},
        }
        if finding.code in index:
            result["ruleIndex"] = index[finding.code]
        if finding.scope:
            result["locations"][0]["logicalLocations"] = [{"fullyQualifiedName": finding.scope}]
        if finding.fixable:
            result["properties"] = {"fixable": True, "fixTitle": finding.fix_title or ""}
        results.append(result)
    invocation: dict[str, Any] = {"executionSuccessful": not run.errors}
    if run.errors:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": error}} for error in run.errors
        ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "lucent-lint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule_descriptor(code) for code in codes],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": base.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "invocations": [invocation],
                "results": results,
            }
        ],
    }


def write(run: RunResult, stream: TextIO, options: OutputOptions) -> None:
    json.dump(document(run, options), stream, indent=2)
    stream.write("\n")
