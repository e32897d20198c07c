"""Check one file, then complete its result once the project index is known.

The per-file step (:func:`check_source`) is a pure function of the file's bytes, its module
name and the settings; its :class:`FileResult` is plain data, so it can come from a worker
process or a cache. Cross-file decisions (LUC101/LUC102) are deferred to :func:`finalize`,
which runs once the repository index is complete, followed by suppression and selection.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from lucent_lint.config import Settings
from lucent_lint.docs import names_a_rule
from lucent_lint.engine.project import ProjectIndex, scan_classes, source_root_aliases
from lucent_lint.engine.registry import RULES, Selection
from lucent_lint.engine.results import FileResult, Finding
from lucent_lint.engine.source import (
    DEEP,
    beyond_libcst,
    compile_problem,
    decode,
    may_contain_service_code,
    oversized,
    unparsable,
)
from lucent_lint.engine.suppress import apply_noqa, noqa_span

if TYPE_CHECKING:
    from lucent_lint.engine.analysis import Analysis

UNUSED_NOQA = "LUC002"


def source_text(data: bytes, path: str, settings: Settings) -> tuple[str | None, FileResult]:
    """The first, cheap step for a file's bytes: its text and an empty result to fill, or
    None and its finished result when there is no text to check (skipped over
    ``max-file-size``, LUC001 when it does not decode)."""
    skipped = oversized(data, path, settings)
    if skipped is not None:
        return None, skipped
    text, problem = decode(data, path)
    if text is None:
        return None, FileResult(path=path, findings=[problem])  # type: ignore[list-item]
    return text, FileResult(path=path)


def scan_text(
    text: str, path: str, module_name: str, is_package: bool, settings: Settings
) -> FileResult:
    """The result of a file the text test finds no service code in: its classes, from a
    text scan, and nothing else."""
    classes = scan_classes(text, module_name, is_package)
    return FileResult(path=path, classes=source_root_aliases(classes, path, module_name, settings))


def check_text(
    text: str,
    path: str,
    module_name: str,
    is_package: bool,
    settings: Settings,
    selection: Selection,
    analysis: Analysis | None = None,
) -> FileResult:
    """Check the text of a file that may hold service code: CPython's verdict, then a parse
    and one walk with the selected rules (unless ``analysis`` of ``text`` is given)."""
    result = FileResult(path=path)
    problem = compile_problem(text, path)
    if problem is not None:
        result.findings.append(problem)
        return result
    limit = beyond_libcst(text)
    if limit is not None:
        return FileResult(path=path, warning=unparsable(path, limit))
    from lucent_lint.engine.analysis import walk_into  # libcst and the rules load only when needed

    try:
        walk_into(result, text, module_name, is_package, settings, selection, analysis)
    except RecursionError:  # libcst's code generation (positions) on a deep expression
        return FileResult(path=path, warning=unparsable(path, DEEP))
    if result.warning is not None:  # skipped: neither findings nor unused noqa from it
        result.noqa = {}
    result.classes = source_root_aliases(result.classes, path, module_name, settings)
    return result


def check_source(
    data: bytes,
    path: str,
    module_name: str,
    is_package: bool,
    settings: Settings,
    selection: Selection,
    *,
    walk: bool = False,
    text: str | None = None,
    analysis: Analysis | None = None,
) -> FileResult:
    """Check one file's bytes: :func:`source_text`, then the text test decides between
    :func:`scan_text` and :func:`check_text`. The result still holds deferred findings and
    the noqa map: :func:`finalize` completes it. ``walk``: parse and walk even a file the
    text test finds no service code in (its class reaches a runtime base through the index).
    ``text``: ``data`` as :func:`~lucent_lint.engine.source.decode` decodes it, when the
    caller did so already. ``analysis``: the parse and walk of that text (see
    :func:`check_text`)."""
    if text is None:
        text, result = source_text(data, path, settings)
        if text is None:
            return result
    elif (skipped := oversized(data, path, settings)) is not None:
        return skipped
    if analysis is not None or walk or may_contain_service_code(text, settings):
        return check_text(text, path, module_name, is_package, settings, selection, analysis)
    return scan_text(text, path, module_name, is_package, settings)


# -- completing results ----------------------------------------------------------------------


def build_index(results: Iterable[FileResult], settings: Settings) -> ProjectIndex:
    index = ProjectIndex.for_settings(settings)
    for result in results:
        index.add(result.classes)
    return index


def finalize(
    result: FileResult, index: ProjectIndex, selection: Selection, ignored: frozenset[str]
) -> list[Finding]:
    """Resolve deferred findings, apply ``# noqa`` and selection, add LUC002.

    ``ignored`` holds codes switched off for this file by per-file-ignores.
    """
    findings = list(result.findings)
    for item in result.deferred:
        rule = RULES[item.code]
        message = rule.resolve(item.payload, index)
        if message is None:
            continue
        findings.append(
            Finding(
                code=item.code,
                slug=rule.slug,
                message=message,
                path=result.path,
                line=item.line,
                column=item.column,
                end_line=item.end_line,
                end_column=item.end_column,
                fixable=item.fixable,
                fix_title=item.fix_title,
                scope=item.scope,
            )
        )
    findings = [f for f in findings if selection.enabled(f.code) and f.code not in ignored]
    kept, used = apply_noqa(findings, result.noqa)
    if result.noqa and selection.enabled(UNUSED_NOQA) and UNUSED_NOQA not in ignored:
        kept.extend(_unused_noqa(result, used, selection))
    kept.sort(key=Finding.sort_key)
    return kept


def unused_noqa_codes(
    codes: Iterable[str], used: Collection[str], selection: Selection
) -> list[str]:
    """The ``LUC`` codes of one line's ``# noqa`` that suppressed nothing on it: those of
    rules that ran, and those that name no rule at all (a typo suppresses nothing)."""
    return [
        code
        for code in codes
        if code.startswith("LUC")
        and code not in used
        and (selection.enabled_prefix(code) or not names_a_rule(code))
    ]


def _unused_noqa(
    result: FileResult, used: dict[int, set[str]], selection: Selection
) -> list[Finding]:
    rule = RULES[UNUSED_NOQA]
    out = []
    for line, codes in result.noqa.items():
        if codes is None:
            continue
        unused = unused_noqa_codes(codes, used.get(line, ()), selection)
        if not unused:
            continue
        text = result.lines.get(line, "")
        span = noqa_span(text)  # the comment itself, not a "#" inside a string before it
        column = span[0] + 1 if span is not None else 1
        out.append(
            Finding(
                code=UNUSED_NOQA,
                slug=rule.slug,
                message=rule.message.format(
                    codes=", ".join(
                        code if names_a_rule(code) else f"{code} (no such rule)" for code in unused
                    )
                ),
                path=result.path,
                line=line,
                column=column,
                end_line=line,
                end_column=max(column, len(text) + 1),
                fixable=rule.fix_safety is not None,
                fix_title=rule.fix_title,
            )
        )
    return out
