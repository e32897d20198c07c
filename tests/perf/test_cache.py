"""The result cache: hits give the uncached report, every kind of change invalidates what
it must, and a damaged or foreign cache file is never trusted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lucent_lint.run import cache as cache_module
from lucent_lint.run.cache import CACHE_DIR
from tests.cli import Completed, lucent

from .project import check, make_project, rows


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "repo", modules=10)


def parsed(run) -> list[str]:  # type: ignore[no-untyped-def]
    """The names of the files a run really parsed (the others came from the cache)."""
    return [Path(path).name for path in run.parsed]


def cache_files(project: Path) -> list[Path]:
    return sorted((project / CACHE_DIR).glob("results-*.json"))


def test_warm_run_parses_nothing_and_reports_the_same(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = check(project)
    assert parsed(fresh)
    cold = check(project, use_cache=True)
    assert sorted(parsed(cold)) == sorted(parsed(fresh))
    warm = check(project, use_cache=True)
    assert parsed(warm) == []
    assert rows(warm) == rows(cold) == rows(fresh)
    assert warm.lines == fresh.lines and warm.errors == fresh.errors
    # files with findings are cached with their findings (LUC301, LUC001 among them)
    assert {"LUC001", "LUC301", "LUC101"} <= {f.code for f in warm.findings}
    assert len(cache_files(project)) == 1
    assert not list((project / CACHE_DIR).glob(".tmp-*"))  # written by rename


def test_editing_a_file_invalidates_only_that_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(project, use_cache=True)
    target = project / "lucent_services/platform/raw_service.py"
    target.write_text(target.read_text().replace("append(stream_id", "append(\n  stream_id"))
    run = check(project, use_cache=True)
    assert parsed(run) == ["raw_service.py"]
    assert rows(run) == rows(check(project))


def test_cross_file_decisions_are_made_fresh(project: Path) -> None:
    """The cached entry of chained_service.py is reused, yet its LUC101 follows a change in
    another file: the index is rebuilt every run, deferred findings resolved against it."""
    check(project, use_cache=True)
    middle = project / "lucent_services/platform/middle.py"
    middle.write_text("class Middle(object):\n    pass\n")
    run = check(project, use_cache=True)
    flagged = {Path(f.path).name for f in run.findings if f.code == "LUC101"}
    assert "chained_service.py" in flagged
    assert rows(run) == rows(check(project))


def test_configuration_change_uses_another_cache(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(project, use_cache=True)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            "[tool.lucent-lint]\n", '[tool.lucent-lint]\nignore = ["LUC3"]\n'
        )
    )
    run = check(project, use_cache=True)
    assert parsed(run)  # nothing reused from the other configuration
    assert not {f.code for f in run.findings if f.code.startswith("LUC3")}
    assert len(cache_files(project)) == 2
    assert rows(run) == rows(check(project))


def test_selection_is_part_of_the_key(project: Path) -> None:
    from lucent_lint.config import Settings
    from lucent_lint.engine.registry import Selection

    settings = Settings()
    every = cache_module.cache_key(settings, Selection(("LUC",), ()))
    fewer = cache_module.cache_key(settings, Selection(("LUC",), ("LUC6",)))
    assert every != fewer


def test_new_version_ignores_the_old_cache(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check(project, use_cache=True)
    monkeypatch.setattr(cache_module, "__version__", "999.0")
    run = check(project, use_cache=True)
    assert parsed(run)
    assert rows(run) == rows(check(project))


@pytest.mark.parametrize("module", ["lucent_lint.run.cache", "lucent_runtime.framework"])
def test_edited_sources_ignore_the_old_cache(module: str) -> None:
    """An edited linter source, or edited framework facts, invalidate cached results."""
    import importlib

    before = cache_module.build_fingerprint()
    source = Path(importlib.import_module(module).__file__ or "")
    stat = source.stat()
    try:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        assert cache_module.build_fingerprint() != before
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def _damage_garbage(path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _damage_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _damage_body(path: Path) -> None:  # one flipped byte: the checksum no longer matches
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    path.write_bytes(bytes(data))


def _damage_foreign_format(path: Path) -> None:
    header, _, body = path.read_bytes().partition(b"\n")
    parts = header.split(b" ")
    parts[1] = b"0"
    path.write_bytes(b" ".join(parts) + b"\n" + body)


def _resealed(path: Path, entries: object) -> None:
    """A well-formed file (right header and checksum) around a bad body."""
    import hashlib

    header = path.read_bytes().partition(b"\n")[0].split(b" ")
    body = json.dumps(entries).encode()
    header[3] = hashlib.blake2b(body, digest_size=16).hexdigest().encode()
    path.write_bytes(b" ".join(header) + b"\n" + body)


def _damage_entries(path: Path) -> None:
    entries = json.loads(path.read_bytes().partition(b"\n")[2])
    for key, entry in entries.items():
        # same hash and module, nonsense result: each entry must decode or be a miss
        entries[key] = [*entry[:4], [[["LUC301", 5]], "x", None, [], 1], entry[5]]
    _resealed(path, entries)


def _damage_shape(path: Path) -> None:
    _resealed(path, ["not", "a", "table"])


@pytest.mark.parametrize(
    "damage",
    [
        _damage_garbage,
        _damage_truncate,
        _damage_body,
        _damage_foreign_format,
        _damage_entries,
        _damage_shape,
    ],
)
def test_damaged_cache_is_ignored_and_rebuilt(
    project: Path, monkeypatch: pytest.MonkeyPatch, damage
) -> None:
    expected = rows(check(project, use_cache=True))
    (cache_file,) = cache_files(project)
    damage(cache_file)
    again = check(project, use_cache=True)
    assert rows(again) == expected
    assert parsed(again)  # re-checked, not trusted
    rebuilt = check(project, use_cache=True)
    assert rows(rebuilt) == expected
    assert parsed(rebuilt) == []  # and rebuilt


def test_unwritable_cache_directory_is_not_an_error(project: Path) -> None:
    (project / CACHE_DIR).write_text("a file where the directory should be")
    expected = rows(check(project))
    assert rows(check(project, use_cache=True)) == expected


def test_entries_of_deleted_files_are_dropped(project: Path) -> None:
    check(project, use_cache=True)
    gone = project / "lucent_services/platform/raw_service.py"
    gone.unlink()
    check(project, use_cache=True)
    (cache_file,) = cache_files(project)
    entries = json.loads(cache_file.read_bytes().partition(b"\n")[2])
    assert str(gone.resolve()) not in entries
    assert str((project / "lucent_services/platform/broken.py").resolve()) in entries


def test_command_line_cache_and_no_cache(project: Path) -> None:
    def cli(*args: str) -> Completed:
        return lucent("check", ".", "--format", "json", *args, cwd=project)

    bypass = cli("--no-cache")
    assert not cache_files(project)
    cold = cli()
    assert len(cache_files(project)) == 1
    warm = cli()
    assert bypass.returncode == cold.returncode == warm.returncode == 1
    assert bypass.stdout == cold.stdout == warm.stdout
    ignore = (project / CACHE_DIR / ".gitignore").read_text()
    assert "*" in ignore.splitlines()
