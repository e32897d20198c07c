"""The cache in ``.lucent_lint_cache/`` at the project root: per-file results and classes.

One store serves both ways the linter looks at a file: a check needs the file's whole
:class:`~lucent_lint.engine.results.FileResult` -- findings (files with findings are cached
too), findings deferred to the repository index, the ``# noqa`` map and the text of the
lines findings are on -- and the project class index (the flake8 plugin, ``--changed-since``,
partial runs) needs only the file's classes. An entry, keyed by the file's absolute path,
holds the blake2b hash of the file's bytes, its size and modification time when that hash
was last confirmed, its module name, the result (None while only the classes are known)
and the classes (None while a check has not needed them). It is valid while the hash and
the module name match. A check reads every file anyway and looks its entry up by hash; the
class index first compares size and modification time, and reads and hashes only the
files whose stamp differs, so a repeated index costs one ``stat`` per file.

The repository index is deliberately not part of a result: per-file results never depend
on other files, because findings that need the index (LUC101/LUC102) are stored deferred
and resolved after every file is in. Editing one file therefore invalidates one entry,
and the cross-file decisions are still made fresh on every run.

One rule invalidates the whole store: there is one file per configuration (the settings'
digest and the rule selection, in its name), and its header holds the format version, the
key (the build fingerprint of :func:`build_fingerprint` with that configuration) and a
checksum of the body. A file that is truncated, corrupted, of another format or of another
build is ignored and rewritten in place; an entry that does not decode is a miss. The file
is JSON (never unpickled: its content is data, not code). Saving writes a temporary file
and renames it over the old one, so a concurrent reader sees the old cache or the new one,
never half of one.
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
FORMAT = 3

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


def _configuration(settings: Settings, selection: Selection) -> str:
    raw = f"{settings.digest()}\n{','.join(sorted(selection.codes))}"
    return hashlib.blake2b(raw.encode(), digest_size=8).hexdigest()


def cache_key(settings: Settings, selection: Selection) -> str:
    """What a cache file is valid for: this build, these settings, this rule selection."""
    raw = f"{build_fingerprint()}\n{_configuration(settings, selection)}"
    return hashlib.blake2b(raw.encode(), digest_size=12).hexdigest()


def content_digest(data: bytes) -> str:
    """The hash an entry is valid for."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# -- (de)serialising results ------------------------------------------------------------------


def _encode(result: FileResult) -> list[Any]:
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
            [
                d.code,
                d.payload,
                d.line,
                d.column,
                d.end_line,
                d.end_column,
                d.scope,
                d.fixable,
                d.fix_title,
            ]
            for d in result.deferred
        ],
        [[line, list(codes) if codes is not None else None] for line, codes in result.noqa.items()],
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


def _decode(raw: Any, display: str) -> FileResult:
    """Rebuild a result (without its classes); any unexpected shape raises (TypeError,
    ValueError, ...)."""
    findings_raw, deferred_raw, noqa_raw, lines_raw, parsed = raw
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
    for code, payload, line, column, end_line, end_column, scope, fixable, title in deferred_raw:
        if not isinstance(payload, dict):
            raise TypeError("expected a payload object")
        deferred.append(
            Deferred(
                _str(code), payload, _int(line), _int(column), _int(end_line), _int(end_column),
                _str(scope), bool(fixable), None if title is None else _str(title),
            )
        )  # fmt: skip
    noqa = {
        _int(line): None if codes is None else tuple(_str(c) for c in codes)
        for line, codes in noqa_raw
    }
    lines = {_int(line): _str(text) for line, text in lines_raw}
    return FileResult(
        path=display,
        findings=findings,
        deferred=deferred,
        noqa=noqa,
        lines=lines,
        parsed=bool(parsed),
    )


def _classes(raw: Any) -> dict[str, list[str]]:
    """A stored class table, checked (not copied: a warm index reads one per file)."""
    if not isinstance(raw, dict):
        raise TypeError("expected a class table")
    for name, bases in raw.items():
        if not (isinstance(name, str) and type(bases) is list):
            raise TypeError("expected a class name and its bases")
        for base in bases:
            _str(base)
    return raw


# -- the cache file ---------------------------------------------------------------------------


#: an entry: content digest, [mtime_ns, size] (None until the index confirms the digest),
#: module name, is package, encoded result (None: classes only), classes (None: unscanned)
_DIGEST, _STAMP, _MODULE, _PACKAGE_FLAG, _RESULT, _CLASSES = range(6)

#: a :meth:`Cache.get` or :meth:`Cache.classes` entry that does not decode
_BAD_ENTRY = (TypeError, ValueError, KeyError, IndexError, AttributeError)


class Cache:
    """Results and classes by absolute path, valid while the content hash and module name
    match (see the module docstring)."""

    def __init__(self, directory: Path, name: str, key: str) -> None:
        self.directory = directory
        self.key = key
        self.path = directory / f"results-{name}.json"
        #: absolute path -> entry (see ``_DIGEST`` ...)
        self.entries: dict[str, list[Any]] = {}
        self.touched: set[str] = set()
        self.loaded = False
        self.dirty = False

    @classmethod
    def open(cls, root: Path, settings: Settings, selection: Selection) -> Cache:
        name = _configuration(settings, selection)
        cache = cls(root / CACHE_DIR, name, cache_key(settings, selection))
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

    def _entry(self, path: str, module: str, is_package: bool) -> list[Any] | None:
        entry = self.entries.get(path)
        if not isinstance(entry, list) or len(entry) != 6:
            return None
        if entry[_MODULE] != module or entry[_PACKAGE_FLAG] is not is_package:
            return None
        return entry

    def get(
        self, path: str, digest: str, module: str, is_package: bool, display: str
    ) -> tuple[FileResult, bool] | None:
        """The cached result of ``path`` (and whether its classes are known), or None."""
        entry = self._entry(path, module, is_package)
        if entry is None or entry[_DIGEST] != digest or entry[_RESULT] is None:
            return None
        try:
            result = _decode(entry[_RESULT], display)
            scanned = entry[_CLASSES] is not None
            if scanned:
                result.classes = _classes(entry[_CLASSES])
        except _BAD_ENTRY:
            return None
        self.touched.add(path)
        return result, scanned

    def put(
        self,
        path: str,
        digest: str,
        module: str,
        is_package: bool,
        result: FileResult,
        scanned: bool,
    ) -> None:
        """Store a check's result of ``path`` (with its classes when ``scanned``)."""
        try:  # a deferred payload must survive JSON; one that does not is not cached
            for item in result.deferred:
                json.dumps(item.payload)
        except (TypeError, ValueError):
            return
        classes = result.classes if scanned else None
        self.entries[path] = [digest, None, module, is_package, _encode(result), classes]
        self.touched.add(path)
        self.dirty = True

    def update_classes(self, path: str, classes: dict[str, list[str]]) -> None:
        entry = self.entries.get(path)
        if isinstance(entry, list) and len(entry) == 6:
            entry[_CLASSES] = classes
            self.dirty = True

    def classes(
        self,
        path: str,
        module: str,
        is_package: bool,
        stamp: list[int],
        digest: str | None = None,
    ) -> dict[str, list[str]] | None:
        """The cached classes of ``path`` when its entry holds for the file as it is: its
        ``stamp`` (``[mtime_ns, size]``) is the one recorded, or else -- the file read --
        its content hash is ``digest`` (the stamp is then recorded for the next look-up).
        None when they must be found again."""
        entry = self._entry(path, module, is_package)
        if entry is None or entry[_CLASSES] is None:
            return None
        if entry[_STAMP] != stamp:
            if digest is None or entry[_DIGEST] != digest:
                return None
            entry[_STAMP] = stamp
            self.dirty = True
        try:
            classes = _classes(entry[_CLASSES])
        except _BAD_ENTRY:
            return None
        self.touched.add(path)
        return classes

    def put_classes(
        self,
        path: str,
        digest: str,
        stamp: list[int],
        module: str,
        is_package: bool,
        classes: dict[str, list[str]],
    ) -> None:
        """Store the classes of ``path``; a check's result of the same content stays."""
        entry = self._entry(path, module, is_package)
        if entry is not None and entry[_DIGEST] == digest:
            entry[_STAMP], entry[_CLASSES] = stamp, classes
        else:
            self.entries[path] = [digest, stamp, module, is_package, None, classes]
        self.touched.add(path)
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
        self.loaded = True
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
