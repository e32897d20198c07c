"""``--format junit``: JUnit XML for CI systems that show test reports (GitLab, Jenkins).

One test suite; one failed test case per finding, and a single passing test case when the
run is clean, so a report always has something to show. Internal errors are ``<error>``
test cases.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from lucent_lint.report import OutputOptions
    from lucent_lint.run.runner import RunResult

# Characters XML 1.0 cannot carry at all.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def document(run: RunResult) -> ET.Element:
    failures, errors = len(run.findings), len(run.errors)
    tests = max(failures + errors, 1)
    counts = {"tests": str(tests), "failures": str(failures), "errors": str(errors)}
    suites = ET.Element("testsuites", {"name": "lucent-lint", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": "lucent-lint", **counts, "skipped": "0"})
    for finding in run.findings:
        location = f"{finding.path}:{finding.line}:{finding.column}"
        case = ET.SubElement(
            suite,
            "testcase",
            {
                "classname": _clean(finding.path),
                "name": _clean(f"{finding.code} {finding.slug} at {location}"),
                "file": _clean(finding.path),
                "line": str(finding.line),
            },
        )
        failure = ET.SubElement(
            case, "failure", {"message": _clean(finding.message), "type": finding.code}
        )
        failure.text = _clean(f"{location}: {finding.code} {finding.message}")
    for error in run.errors:
        case = ET.SubElement(suite, "testcase", {"classname": "lucent-lint", "name": _clean(error)})
        ET.SubElement(case, "error", {"message": _clean(error), "type": "internal"})
    if not run.findings and not run.errors:
        files = f"{run.files} file" + ("" if run.files == 1 else "s")
        ET.SubElement(
            suite,
            "testcase",
            {"classname": "lucent-lint", "name": f"lucent-lint check ({files})"},
        )
    return suites


def write(run: RunResult, stream: TextIO, options: OutputOptions) -> None:
    tree = ET.ElementTree(document(run))
    ET.indent(tree)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    tree.write(stream, encoding="unicode")
    stream.write("\n")
