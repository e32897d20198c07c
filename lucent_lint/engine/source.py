"""A file's text as the engine sees it: read, decoded, judged by CPython, and tested cheaply.

Everything here works on bytes or text without libcst: reading a file (:func:`read_source`,
the one place a file that cannot be read becomes an error), the size limit, decoding (a
UTF-8 BOM and the PEP 263 cookie: :func:`decode`, and :func:`source_encoding` to write
fixed text back the same way -- one rule for the whole linter), CPython's verdict on the
syntax, the text test that decides whether a file needs parsing at all, what libcst cannot
represent, and whether a file is generated.
"""

from __future__ import annotations

import ast
import codecs
import re
import sys
import warnings
from functools import lru_cache
from pathlib import Path

from lucent_lint.config import Settings
from lucent_lint.engine.registry import CATALOGUE
from lucent_lint.engine.results import FileResult, Finding
from lucent_lint.engine.suppress import source_lines

SYNTAX_ERROR = "LUC001"


#: deepest nesting of libcst nodes the engine follows (see :class:`lucent_lint.engine.walk.Walker`)
MAX_DEPTH = 200


_CLASS_NAMES = re.compile(r"^[ \t]*class[ \t]+(\w+)", re.M)


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


def read_source(path: Path | str, display: str) -> tuple[bytes | None, str | None]:
    """The bytes of the file at ``path``, or None and the one-line error every entry point
    reports for a file it cannot read (``display`` names the file in it)."""
    try:
        return Path(path).read_bytes(), None
    except OSError as exc:
        return None, f"{display}: cannot read: {exc.strerror or exc}"


#: a PEP 263 encoding declaration, looked for in the first two lines
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _declared(data: bytes) -> tuple[bool, str]:
    """Whether ``data`` starts with a UTF-8 BOM, and the encoding its first two lines
    declare (``utf-8`` when they declare none)."""
    bom = data.startswith(codecs.BOM_UTF8)
    for raw in data[3 if bom else 0 : 400].split(b"\n", 2)[:2]:
        match = _COOKIE.match(raw)
        if match:
            return bom, match.group(1).decode("ascii")
    return bom, "utf-8"


def source_encoding(data: bytes) -> str:
    """The codec :func:`decode` reads ``data`` with, to write text back in the file's own
    encoding: ``utf-8-sig`` after a BOM, else the declared one (``utf-8`` when there is
    none or it is unknown, as then the file never decodes)."""
    bom, encoding = _declared(data)
    if bom:
        return "utf-8-sig"
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return "utf-8"


def decode(data: bytes, path: str) -> tuple[str | None, Finding | None]:
    """Text of a source file (BOM and PEP 263 cookie honoured), or a LUC001 finding."""
    nul = data.find(b"\0")
    if nul >= 0:
        line, column = _position_of(data, nul)
        return None, _syntax_finding(path, "source contains a null byte", line, column)
    bom, encoding = _declared(data)
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


DEEP = "nested too deeply for it to follow"


_BOOLEAN_WORD = re.compile(r"\b(?:and|or)\b")


def beyond_libcst(text: str) -> str | None:
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


#: a header that marks a file as written by a tool, not by people
_GENERATED_HEADER = re.compile(
    r"@generated|DO NOT EDIT|^[ \t]*(?:#+|[rRuU]?\"\"\"|[rRuU]?\'\'\')?[ \t]*Generated by\b"
)


_GENERATED_SUFFIXES = ("_pb2.py", "_pb2_grpc.py", "_pb2.pyi", "_pb2_grpc.pyi")


def is_generated(path: str, text: str) -> bool:
    """A generated file: a protobuf/gRPC stub by name, or a ``@generated`` / "DO NOT
    EDIT" / "Generated by" mark in its first lines (its header comment or docstring)."""
    if path.endswith(_GENERATED_SUFFIXES):
        return True
    head = text[:2000].splitlines()[:15]
    return any(_GENERATED_HEADER.search(line) for line in head)
