"""The result cache in ``.lucent_lint_cache/`` at the project root.

One cache file per (lucent-lint build, effective configuration, rule selection), holding
for every file checked the blake2b hash of its bytes, its module name and its whole
:class:`~lucent_lint.engine.results.FileResult`: findings (files with findings are cached too),
findings deferred to the repository index, the ``# noqa`` map, the file's classes for the
index and the text of the lines findings are on.

The repository index is deliberately not part of the key: per-file results never depend
on other files, because findings that need the index (LUC101/LUC102) are stored deferred
and resolved after every file is in. Editing one file therefore invalidates one entry,
and the cross-file decisions are still made fresh on every run.

The file is JSON (never unpickled: its content is data, not code) behind a header with
a format version and a checksum of the body. A file that is truncated, corrupted, of
another format version or of another build is ignored and rebuilt; an entry that does
not decode is a miss. Saving writes a temporary file and renames it over the old one, so
a concurrent reader sees the old cache or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lucent_lint import __version__
from lucent_lint.engine.results import Deferred, FileResult, Finding

if TYPE_CHECKING:
    from lucent_lint.config import Settings
    from lucent_lint.engine.registry import Selection

CACHE_DIR = ".lucent_lint_cache"
MAGIC = b"lucent-lint-cache"
FORMAT = 1

_PACKAGE = Path(__file__).resolve().parents[1]  # lucent_lint/
_NAMING = _PACKAGE.parent / "lucent_runtime" / "naming.py"
_FRAMEWORK = _PACKAGE.parent / "lucent_runtime" / "framework.py"


def build_fingerprint() -> str:
    """The lucent-lint version plus the size and modification time of every module of the
    linter (and of the runtime's naming rules and framework facts it uses): an edited rule
    in a development install invalidates the cache as a new release does."""
    parts = [__version__]
    sources = sorted(_PACKAGE.rglob("*.py"))
    sources.extend(source for source in (_NAMING, _FRAMEWORK) if source.is_file())
    for source in sources:
        with contextlib.suppress(OSError):
            stat = source.stat()
            parts.append(f"{source.relative_to(_PACKAGE.parent)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()


def cache_key(settings: Settings, selection: Selection) -> str:
    raw = "\n".join((build_fingerprint(), settings.digest(), ",".join(sorted(selection.codes))))
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


# -- (de)serialising results ------------------------------------------------------------------


def _encode(result: FileResult, scanned: bool) -> list[Any]:
    return [
        [
            [
                f.code,
                f.slug,
                f.message,
                f.line,
                f.column,
                f.end_line,
                f.end_column,
                f.fixable,
                f.fix_title,
                f.scope,
            ]
            for f in result.findings
        ],
        [
            [d.code, d.payload, d.line, d.column, d.end_line, d.end_column, d.scope]
            for d in result.deferred
        ],
        [[line, list(codes) if codes is not None else None] for line, codes in result.noqa.items()],
        result.classes if scanned else None,
        [[line, text] for line, text in result.lines.items()],
        result.parsed,
    ]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError("expected an integer")
    return value


def _decode(raw: Any, display: str) -> tuple[FileResult, bool]:
    """Rebuild a result; any unexpected shape raises (TypeError, ValueError, ...)."""
    findings_raw, deferred_raw, noqa_raw, classes_raw, lines_raw, parsed = raw
    findings = []
    for (
        code,
        slug,
        message,
        line,
        column,
        end_line,
        end_column,
        fixable,
        title,
        scope,
    ) in findings_raw:
        findings.append(
            Finding(
                code=_str(code),
                slug=_str(slug),
                message=_str(message),
                path=display,
                line=_int(line),
                column=_int(column),
                end_line=_int(end_line),
                end_column=_int(end_column),
                fixable=bool(fixable),
                fix_title=None if title is None else _str(title),
                scope=_str(scope),
            )
        )
    deferred = []
    for code, payload, line, column, end_line, end_column, scope in deferred_raw:
        if not isinstance(payload, dict):
            raise TypeError("expected a payload object")
        deferred.append(
            Deferred(
                _str(code), payload, _int(line), _int(column), _int(end_line), _int(end_column),
                _str(scope),
            )
        )  # fmt: skip
    noqa = {
        _int(line): None if codes is None else tuple(_str(c) for c in codes)
        for line, codes in noqa_raw
    }
    scanned = classes_raw is not None
    classes = {}
    if scanned:
        if not isinstance(classes_raw, dict):
            raise TypeError("expected a class table")
        classes = {_str(name): [_str(b) for b in bases] for name, bases in classes_raw.items()}
    lines = {_int(line): _str(text) for line, text in lines_raw}
    result = FileResult(
        path=display,
        findings=findings,
        deferred=deferred,
        noqa=noqa,
        classes=classes,
        lines=lines,
        parsed=bool(parsed),
    )
    return result, scanned


# -- the cache file ---------------------------------------------------------------------------


class Cache:
    """Results by absolute path, valid while the content hash and module name match."""

    def __init__(self, directory: Path, key: str) -> None:
        self.directory = directory
        self.key = key
        self.path = directory / f"results-{key}.json"
        #: absolute path -> [content digest, module name, is package, encoded result]
        self.entries: dict[str, list[Any]] = {}
        self.touched: set[str] = set()
        self.loaded = False
        self.dirty = False

    @classmethod
    def open(cls, root: Path, settings: Settings, selection: Selection) -> Cache:
        cache = cls(root / CACHE_DIR, cache_key(settings, selection))
        cache.load()
        return cache

    def load(self) -> None:
        """Read the cache file; anything unexpected leaves the cache empty."""
        self.entries = {}
        try:
            data = self.path.read_bytes()
        except OSError:
            return
        header, newline, body = data.partition(b"\n")
        parts = header.split(b" ")
        if not newline or len(parts) != 4 or parts[0] != MAGIC:
            return
        if parts[1] != str(FORMAT).encode() or parts[2] != self.key.encode():
            return
        if parts[3] != hashlib.blake2b(body, digest_size=16).hexdigest().encode():
            return
        try:
            entries = json.loads(body)
        except (ValueError, RecursionError):
            return
        if isinstance(entries, dict):
            self.entries = entries
            self.loaded = True

    def get(
        self, path: str, digest: str, module: str, is_package: bool, display: str
    ) -> tuple[FileResult, bool] | None:
        """The cached result of ``path`` (and whether its classes are known), or None."""
        entry = self.entries.get(path)
        if not isinstance(entry, list) or len(entry) != 4:
            return None
        if entry[0] != digest or entry[1] != module or entry[2] is not is_package:
            return None
        try:
            hit = _decode(entry[3], display)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            return None
        self.touched.add(path)
        return hit

    def put(
        self,
        path: str,
        digest: str,
        module: str,
        is_package: bool,
        result: FileResult,
        scanned: bool,
    ) -> None:
        try:  # a deferred payload must survive JSON; one that does not is not cached
            for item in result.deferred:
                json.dumps(item.payload)
        except (TypeError, ValueError):
            return
        self.entries[path] = [digest, module, is_package, _encode(result, scanned)]
        self.touched.add(path)
        self.dirty = True

    def update_classes(self, path: str, classes: dict[str, list[str]]) -> None:
        entry = self.entries.get(path)
        if isinstance(entry, list) and len(entry) == 4 and isinstance(entry[3], list):
            entry[3][3] = classes
            self.dirty = True

    def save(self) -> bool:
        """Write the cache atomically. Entries of files not seen in this run are kept while
        the file exists (a later run may check a different subset). False when the
        directory is not writable; the cache is an optimisation, never an error."""
        stale = [
            path for path in self.entries if path not in self.touched and not os.path.exists(path)
        ]
        for path in stale:
            del self.entries[path]
        if not self.dirty and not stale and self.loaded:
            return True
        body = json.dumps(self.entries, separators=(",", ":")).encode()
        digest = hashlib.blake2b(body, digest_size=16).hexdigest()
        header = b" ".join((MAGIC, str(FORMAT).encode(), self.key.encode(), digest.encode()))
        try:
            self.directory.mkdir(exist_ok=True)
            _mark(self.directory)
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
        except OSError:
            return False
        try:
            with os.fdopen(fd, "wb") as stream:
                stream.write(header + b"\n" + body)
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            return False
        self.dirty = False
        return True


def _mark(directory: Path) -> None:
    """Keep the cache out of git and out of backups, as other tools' caches are."""
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Automatically created by lucent-lint.\n*\n")
    tag = directory / "CACHEDIR.TAG"
    if not tag.exists():
        tag.write_text(
            "Signature: 8a477f597d28d172789f06886806bc55\n"
            "# This file is a cache directory tag created by lucent-lint.\n"
        )
