"""Shared test helpers: lint a snippet, read expected codes marked in source comments."""

from __future__ import annotations

import re
from pathlib import Path

from lucent_lint.config import Settings, settings_from_mapping
from lucent_lint.engine.check import check_source
from lucent_lint.engine.registry import Selection
from lucent_lint.engine.results import Finding
from lucent_lint.run.runner import finalize_results

REPO = Path(__file__).resolve().parents[2]

# A trailing comment made only of codes marks the findings expected on that line:
#     await store.append(stream_id, [event])  # LUC301
#     except:  # LUC601 LUC604
MARKER = re.compile(r"#\s*((?:LUC\d{3}[\s,]*)+)$")


def expected_markers(text: str) -> list[tuple[int, str]]:
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = MARKER.search(line.rstrip())
        if match:
            out.extend((number, code) for code in re.findall(r"LUC\d{3}", match.group(1)))
    return sorted(out)


def lint_text(
    text: str,
    config: dict | None = None,
    path: str = "example.py",
    module: str = "example",
) -> list[Finding]:
    """Findings for one in-memory module, finalized as a run would."""
    settings = settings_from_mapping(config or {}) if config else Settings()
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    result = check_source(text.encode(), path, module, False, settings, selection)
    assert result.error is None, result.error
    return finalize_results([result], [path], settings, selection).findings


def pairs(findings: list[Finding]) -> list[tuple[int, str]]:
    return sorted((f.line, f.code) for f in findings)
