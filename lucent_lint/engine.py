"""Check files: read, pre-filter, parse once, walk once with every selected rule.

The per-file step (:func:`check_source`) is a pure function of the file's bytes, its module
name and the settings; its :class:`FileResult` is plain data, so it can come from a worker
process or a cache. Cross-file decisions (LUC101/LUC102) are deferred to :func:`finalize`,
which runs once the repository index is complete, followed by suppression and selection.
"""

from __future__ import annotations

import ast
import codecs
import re
import sys
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .config import Settings
from .project import ProjectIndex, scan_classes, source_root_aliases
from .registry import CATALOGUE, RULES, Selection
from .rule import Finding
from .suppress import NoqaMap, apply_noqa, noqa_span, source_lines

SYNTAX_ERROR = "LUC001"
UNUSED_NOQA = "LUC002"
#: deepest nesting of libcst nodes the engine follows (see :class:`lucent_lint.walk.Walker`)
MAX_DEPTH = 200

_CLASS_NAMES = re.compile(r"^[ \t]*class[ \t]+(\w+)", re.M)


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


# -- scope pre-filter ------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _required_literal(pattern: str) -> str | None:
    """The word every class name matching ``pattern`` contains, when the pattern is just a
    word with anchors (``Service$``, the default): a text without it needs no class scan."""
    core = pattern.removeprefix("^").removesuffix("$")
    return core if core.isidentifier() else None


def may_contain_service_code(text: str, settings: Settings) -> bool:
    """Cheap text test: does the module import lucent_runtime or define a service class?"""
    if "lucent_runtime" in text:
        return True
    literal = _required_literal(settings.service_class_pattern)
    if literal is not None and literal not in text:
        return False
    pattern = settings.service_class_regex
    return any(pattern.search(name) for name in _CLASS_NAMES.findall(text))


# -- decoding and parsing --------------------------------------------------------------------


def _position_of(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1)
    return line, column + 1


def _syntax_finding(path: str, message: str, line: int, column: int) -> Finding:
    return Finding(
        code=SYNTAX_ERROR,
        slug=CATALOGUE[SYNTAX_ERROR],
        message=message,
        path=path,
        line=max(line, 1),
        column=max(column, 1),
        end_line=max(line, 1),
        end_column=max(column, 1),
    )


def decode(data: bytes, path: str) -> tuple[str | None, Finding | None]:
    """Text of a source file (BOM and PEP 263 cookie honoured), or a LUC001 finding."""
    nul = data.find(b"\0")
    if nul >= 0:
        line, column = _position_of(data, nul)
        return None, _syntax_finding(path, "source contains a null byte", line, column)
    encoding = "utf-8"
    bom = data.startswith(codecs.BOM_UTF8)
    head = data[3 if bom else 0 : 400].split(b"\n", 2)[:2]
    for raw in head:
        match = re.match(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", raw)
        if match:
            encoding = match.group(1).decode("ascii")
            break
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        return None, _syntax_finding(path, f"unknown source encoding {encoding!r}", 1, 1)
    if bom and codec != "utf-8":  # as CPython: a UTF-8 BOM contradicts another cookie
        return None, _syntax_finding(path, f"encoding problem: {encoding} with BOM", 1, 1)
    try:
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
    except UnicodeDecodeError as exc:
        line, column = _position_of(data, exc.start)
        return None, _syntax_finding(
            path, f"source is not valid {encoding}: {exc.reason}", line, column
        )
    return text, None


def compile_problem(text: str, path: str) -> Finding | None:
    """LUC001 when CPython refuses to compile ``text``, else None: CPython is the judge of
    what is Python, so libcst never sees a file it rejects and never turns a file it accepts
    into LUC001. Bytecode compilation also catches what parsing alone lets through
    (``return`` or ``await`` outside a function, ``nonlocal`` at module level)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning and the like are not errors
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        message = f"syntax error: {exc.msg}{_needs_newer_python(text, exc)}"
        finding = _syntax_finding(path, message, exc.lineno or 1, exc.offset or 1)
        return finding
    except (RecursionError, MemoryError) as exc:
        what = "too deeply nested" if isinstance(exc, RecursionError) else "too complex"
        return _syntax_finding(path, f"syntax error: {what} for CPython to compile", 1, 1)
    except ValueError as exc:  # pragma: no cover - null bytes are caught by decode()
        return _syntax_finding(path, f"syntax error: {exc}", 1, 1)
    return None


#: syntax of newer Pythons, recognised on the line CPython refused: (pattern, version, what)
_NEWER_SYNTAX = (
    (re.compile(r"^[ \t]*type[ \t]+\w+[ \t]*(\[.*\])?[ \t]*="), (3, 12), "type statements"),
    (
        re.compile(r"^[ \t]*(async[ \t]+)?def[ \t]+\w+[ \t]*\["),
        (3, 12),
        "type parameter lists",
    ),
    (re.compile(r"^[ \t]*class[ \t]+\w+[ \t]*\["), (3, 12), "type parameter lists"),
)


def _needs_newer_python(text: str, exc: SyntaxError) -> str:
    """`` (... need Python 3.12; ...)`` when the refused line uses syntax that a newer
    Python than the one running the linter accepts, else the empty string."""
    running = sys.version_info[:2]
    line = exc.text
    if line is None and exc.lineno:
        lines = source_lines(text)
        line = lines[exc.lineno - 1] if exc.lineno <= len(lines) else ""
    for pattern, version, what in _NEWER_SYNTAX:
        if running < version and pattern.match(line or ""):
            return (
                f" ({what} need Python {version[0]}.{version[1]};"
                f" the linter runs on Python {running[0]}.{running[1]})"
            )
    if running < (3, 12) and "f-string" in exc.msg:
        return (
            " (f-strings that reuse their quotes, hold backslashes or span lines need"
            f" Python 3.12; the linter runs on Python {running[0]}.{running[1]})"
        )
    return ""


def oversized(data: bytes, path: str, settings: Settings) -> FileResult | None:
    """A skipped result with its warning when ``data`` is over ``max-file-size``."""
    limit = settings.max_file_size
    if not limit or len(data) <= limit:
        return None
    return FileResult(
        path=path,
        warning=f"{path}: skipped: {len(data):,} bytes is over max-file-size ({limit:,} bytes)",
    )


def check_source(
    data: bytes,
    path: str,
    module_name: str,
    is_package: bool,
    settings: Settings,
    selection: Selection,
    *,
    walk: bool = False,
) -> FileResult:
    """Check one file's bytes. The result still holds deferred findings and the noqa map:
    :func:`finalize` completes it. ``walk``: parse and walk even a file the text test
    finds no service code in (its class reaches a runtime base through the index)."""
    skipped = oversized(data, path, settings)
    if skipped is not None:
        return skipped
    result = FileResult(path=path)
    text, problem = decode(data, path)
    if text is None:
        result.findings.append(problem)  # type: ignore[arg-type]
        return result
    if not walk and not may_contain_service_code(text, settings):
        result.classes = scan_classes(text, module_name, is_package)
    else:
        problem = compile_problem(text, path)
        if problem is not None:
            result.findings.append(problem)
            return result
        limit = _beyond_libcst(text)
        if limit is not None:
            return FileResult(path=path, warning=unparsable(path, limit))
        from .analysis import walk_into  # libcst and the rules load only when needed

        try:
            walk_into(result, text, module_name, is_package, settings, selection)
        except RecursionError:  # libcst's code generation (positions) on a deep expression
            return FileResult(path=path, warning=unparsable(path, DEEP))
        if result.warning is not None:  # skipped: neither findings nor unused noqa from it
            result.noqa = {}
    result.classes = source_root_aliases(result.classes, path, module_name, settings)
    return result


DEEP = "nested too deeply for it to follow"
_BOOLEAN_WORD = re.compile(r"\b(?:and|or)\b")


def _beyond_libcst(text: str) -> str | None:
    """Why libcst's parser must not see ``text``, valid Python, or None. CPython keeps a
    chain of ``and``/``or`` flat, so it accepts any length; libcst nests one node per
    operator, and its native parser crashes the process on some ten thousand of them. A
    text with few such words needs no closer look: counting the substrings (an upper bound)
    settles it for almost every file; a regular expression counts the words in the rest."""
    if text.count("and") + text.count("or") <= MAX_DEPTH:
        return None
    if len(_BOOLEAN_WORD.findall(text)) <= MAX_DEPTH:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tree = ast.parse(text)
    longest = max((len(n.values) for n in ast.walk(tree) if isinstance(n, ast.BoolOp)), default=0)
    if longest > MAX_DEPTH:
        return f"a chain of {longest} `and`/`or` operands, {DEEP}"
    return None


def unparsable(path: str, reason: str) -> str:
    """The warning for a file CPython compiles but the linter cannot check."""
    return f"{path}: skipped: valid Python that libcst, the linter's parser, cannot check: {reason}"


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
                scope=item.scope,
            )
        )
    findings = [f for f in findings if selection.enabled(f.code) and f.code not in ignored]
    kept, used = apply_noqa(findings, result.noqa)
    if result.noqa and selection.enabled(UNUSED_NOQA) and UNUSED_NOQA not in ignored:
        kept.extend(_unused_noqa(result, used, selection))
    kept.sort(key=Finding.sort_key)
    return kept


def _unused_noqa(
    result: FileResult, used: dict[int, set[str]], selection: Selection
) -> list[Finding]:
    rule = RULES[UNUSED_NOQA]
    out = []
    for line, codes in result.noqa.items():
        if codes is None:
            continue
        unused = [
            code
            for code in codes
            if code.startswith("LUC")
            and code not in used.get(line, ())
            and selection.enabled_prefix(code)
        ]
        if not unused:
            continue
        text = result.lines.get(line, "")
        span = noqa_span(text)  # the comment itself, not a "#" inside a string before it
        column = span[0] + 1 if span is not None else 1
        out.append(
            Finding(
                code=UNUSED_NOQA,
                slug=rule.slug,
                message=rule.message.format(codes=", ".join(unused)),
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
