"""The flake8 plugin: ``flake8 --select LUC`` reports what ``lucent-lint check`` reports.

flake8 hands the plugin one file at a time. The plugin checks it with the same engine and
the same ``[tool.lucent-lint]`` settings as the command line, and completes the cross-file
rules (LUC101/LUC102) against the class index of the whole project -- the directory of the
nearest ``pyproject.toml``, else the git work tree -- which :mod:`lucent_lint.run.repo_index`
keeps on disk under ``.lucent_lint_cache/``, so an editor linting on every keystroke
re-reads only files that changed.

Differences that come from flake8 itself: a file that does not parse never reaches a
plugin (flake8 reports its own ``E999`` instead of LUC001; one that parses but does not
compile, such as ``return`` outside a function, does get LUC001), flake8 applies its own
``# noqa`` handling to every code, and flake8's own ``exclude`` and ``per-file-ignores``
apply on top of lucent-lint's. A configuration error (one the command line would stop on
with exit code 2) is reported as one ``LUC000`` finding on line 1 with the same message,
rather than stopping flake8 with a traceback.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from functools import cached_property, lru_cache
from pathlib import Path

from lucent_lint import __version__
from lucent_lint.config import ConfigError, Settings, discover
from lucent_lint.engine.check import build_index, check_source
from lucent_lint.engine.project import ProjectIndex, module_name_for
from lucent_lint.engine.registry import Selection, UnknownCodeError
from lucent_lint.engine.results import FileResult
from lucent_lint.engine.source import decode, read_source, source_encoding
from lucent_lint.run.discovery import is_excluded, relative_to_root
from lucent_lint.run.repo_index import index_results, project_root
from lucent_lint.run.runner import adopted, extends_runtime, finalize_results

#: how long (seconds) one process reuses a project index before checking files again
INDEX_TTL = 2.0
#: how long a project index that shows no class extending a runtime base answers "no
#: file here can adopt the runtime through project classes" (a project that starts
#: extending one is noticed this much later, at worst)
NO_ADOPTION_TTL = 30.0


class _Index:
    """A project's class index as loaded at ``loaded``: the per-file results, and the
    :class:`ProjectIndex` of them, built the first time a file needs it."""

    def __init__(self, loaded: float, results: list[FileResult], settings: Settings) -> None:
        self.loaded = loaded
        self.results = results
        self.settings = settings
        self._built: ProjectIndex | None = None

    def built(self) -> ProjectIndex:
        if self._built is None:
            self._built = build_index(self.results, self.settings)
        return self._built

    @cached_property
    def extends_runtime(self) -> bool:
        """Some class of the project extends a runtime service base directly (or a
        configured extra base): only then can a file adopt the runtime through them."""
        return extends_runtime(self.results, self.settings)


_indexes: dict[tuple[Path, str], _Index] = {}


@lru_cache(maxsize=64)
def _configuration(directory: Path) -> tuple[Settings, Path, Selection]:
    settings, root = discover([directory])
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    return settings, root, selection


def _project_index(root: Path, settings: Settings, ttl: float = INDEX_TTL) -> _Index:
    """The project's class index, loaded again when older than ``ttl`` seconds."""
    key = (root, settings.digest())
    now = time.monotonic()
    entry = _indexes.get(key)
    if entry is None or now - entry.loaded > ttl:
        entry = _Index(now, index_results(root, settings).results, settings)
        _indexes[key] = entry
    return entry


def _source(lines: list[str], path: Path | None) -> tuple[bytes, str | None]:
    """The file's bytes as the command line would read them, and their text when the
    linter's decoding rule accepted them here: from disk when flake8's lines are the
    file's content (decoded by that rule, or as flake8 reads bytes the rule refuses), else
    flake8's lines (stdin, unsaved buffers) in the encoding they declare."""
    text = "".join(lines)
    if path is not None:
        data, _ = read_source(path, str(path))
        if data is not None:
            decoded, _ = decode(data, str(path))
            if decoded == text:
                return data, decoded
            # flake8 falls back to latin-1 (and strips a BOM) for bytes the rule refuses
            if decoded is None and data.decode("latin-1").removeprefix("\xef\xbb\xbf") == text:
                return data, None
    encoding = source_encoding("".join(lines[:2]).encode("utf-8", errors="surrogatepass"))
    errors = "surrogatepass" if encoding == "utf-8" else "replace"
    return text.encode(encoding, errors=errors), None


class LucentFlake8Plugin:
    """flake8 extension for the ``LUC`` codes."""

    name = "lucent-lint"
    version = __version__

    def __init__(self, tree: ast.AST, filename: str, lines: list[str]) -> None:
        self.filename = filename
        self.lines = lines

    def _message(self, line: int, column: int, code: str, text: str) -> tuple:
        return (line, column, f"{code} {text}", type(self))

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        given = Path(self.filename)
        on_disk = given if self.filename not in ("-", "stdin") and given.is_file() else None
        directory = (on_disk.resolve().parent if on_disk else Path.cwd()).resolve()
        try:
            settings, config_root, selection = _configuration(directory)
        except (ConfigError, UnknownCodeError) as exc:
            yield self._message(1, 0, "LUC000", f"lucent-lint configuration error: {exc}")
            return
        path = (on_disk or given).resolve()
        relative = relative_to_root(path, config_root)
        if is_excluded(relative, settings):
            return
        if on_disk is not None:
            module, is_package = module_name_for(on_disk)
        else:
            module, is_package = given.stem, False
        data, text = _source(self.lines, on_disk)
        result = check_source(
            data, self.filename, module, is_package, settings, selection, text=text
        )
        if result.error:
            yield self._message(1, 0, "LUC000", f"lucent-lint internal error: {result.error}")
            return
        others: list[FileResult] = []
        # only a finding that waits for the cross-file index needs the project's classes,
        # or a file the text test skipped whose classes may reach a runtime base through
        # project classes (only in a project where some class extends one)
        adoptable = not result.parsed and bool(result.classes)
        root = project_root(path) if result.deferred or adoptable else None
        if (
            root is not None
            and not result.deferred
            and not _project_index(root, settings, NO_ADOPTION_TTL).extends_runtime
        ):
            root = None
        if root is not None:
            own = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
            index = _project_index(root, settings)
            others = [r for r in index.results if r.path != own]
            if adoptable:
                result = adopted(result, data, module, is_package, settings, selection, index.built)
        run = finalize_results([result], [relative], settings, selection, index_results=others)
        for finding in run.findings:
            yield self._message(finding.line, finding.column - 1, finding.code, finding.message)
