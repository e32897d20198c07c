"""The project class index behind flake8, --changed-since and partial runs: the engine's
classes for every file, kept in the run cache and re-read only for files that changed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lucent_lint.config import Settings
from lucent_lint.engine.check import check_source
from lucent_lint.engine.registry import Selection
from lucent_lint.run.cache import CACHE_DIR
from lucent_lint.run.repo_index import index_results, project_root
from lucent_lint.run.runner import run_check

from .helpers import make_project, write

FILES = {
    "core/__init__.py": "",
    "core/base.py": (
        "from lucent_runtime import CryptoTradingServiceBase\n\n\n"
        "class PlatformService(CryptoTradingServiceBase):\n    pass\n"
    ),
    "core/util.py": "from core.base import PlatformService as P\n\n\nclass Helper(P):\n    pass\n",
    "script.py": "print('no classes')\n",
}
SWALLOWING = (
    "\n\nclass ExtraService(CryptoTradingServiceBase):\n"
    "    def quote(self):\n        try:\n            pass\n        except:\n            pass\n"
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj", FILES)


def _by_path(results) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {r.path: r.classes for r in results}


def _cache_file(project: Path) -> Path:
    (file,) = (project / CACHE_DIR).glob("results-*.json")
    return file


def test_index_holds_every_file_with_the_engines_classes(project: Path) -> None:
    found = _by_path(index_results(project, Settings()).results)
    assert set(found) == set(FILES)
    assert found["core/base.py"]["core.base.PlatformService"] == [
        "lucent_runtime.CryptoTradingServiceBase"
    ]
    assert found["core/util.py"]["core.util.Helper"] == ["core.base.PlatformService"]
    settings = Settings()
    selection = Selection(settings.select, settings.ignore)
    for name, text in FILES.items():
        module = name.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        location = str((project / name).resolve())
        engine = check_source(
            text.encode(), location, module, name.endswith("__init__.py"), settings, selection
        )
        assert found[name] == engine.classes


def test_exclude_leaves_files_out(project: Path) -> None:
    found = index_results(project, Settings(), [project / "core/base.py"]).results
    assert "core/base.py" not in _by_path(found) and "core/util.py" in _by_path(found)


def test_cache_rereads_only_changed_files(project: Path) -> None:
    assert sorted(index_results(project, Settings()).checked) == sorted(FILES)
    assert _cache_file(project).is_file()
    assert index_results(project, Settings()).checked == []
    write(project, {"core/util.py": FILES["core/util.py"] + "\n\nclass Other:\n    pass\n"})
    again = index_results(project, Settings())
    assert again.checked == ["core/util.py"]
    assert "core.util.Other" in _by_path(again.results)["core/util.py"]
    assert sorted(index_results(project, Settings(), use_cache=False).checked) == sorted(FILES)


def test_a_touched_file_is_hashed_not_checked_again(project: Path) -> None:
    """A new modification time alone (a checkout, ``touch``) costs a read and a hash: the
    content is what the entry is valid for."""
    index_results(project, Settings())
    (project / "core/util.py").touch()
    assert index_results(project, Settings()).checked == []


def test_the_index_reuses_what_a_full_run_scanned(project: Path) -> None:
    """One cache: classes a check run found (parsed files, and the files it scanned because
    a finding needed the index) are not looked for again."""
    settings = Settings()
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    run = run_check([project], settings, project.resolve(), selection, use_cache=True)
    assert run.parsed and run.scanned
    assert index_results(project, settings).checked == []
    # and an entry the index wrote does not pass for a check's result: a file only the
    # index has seen is still checked, with its findings
    write(project, {"core/extra.py": FILES["core/base.py"] + SWALLOWING})
    assert index_results(project, settings).checked == ["core/extra.py"]
    rerun = run_check([project], settings, project.resolve(), selection, use_cache=True)
    assert [Path(p).name for p in rerun.parsed] == ["extra.py"]
    assert {Path(f.path).name for f in rerun.findings if f.code == "LUC604"} == {"extra.py"}


def _resealed(file: Path, body: object) -> None:
    """A cache file with a valid header and checksum around ``body``."""
    header = file.read_bytes().partition(b"\n")[0].split(b" ")
    raw = json.dumps(body).encode()
    header[3] = hashlib.blake2b(raw, digest_size=16).hexdigest().encode()
    file.write_bytes(b" ".join(header) + b"\n" + raw)


def test_damaged_cache_is_rebuilt(project: Path) -> None:
    expected = _by_path(index_results(project, Settings()).results)
    cache = _cache_file(project)
    good = cache.read_bytes()
    entries = json.loads(good.partition(b"\n")[2])
    location = str((project / "core/base.py").resolve())
    for junk in ("{not json", "[]", json.dumps(entries)):  # the last one without a header
        cache.write_text(junk)
        again = index_results(project, Settings())
        assert _by_path(again.results) == expected
        assert sorted(again.checked) == sorted(FILES)
    for entry in ([1, 2], [*entries[location][:5], 7], [*entries[location][:5], {"A": [3]}]):
        cache.write_bytes(good)
        _resealed(cache, {**entries, location: entry})
        again = index_results(project, Settings())
        assert _by_path(again.results) == expected
        assert again.checked == ["core/base.py"]


def test_project_root(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p", {"a/b/c.py": "x = 1\n"}, use_git=False)
    assert project_root(project / "a/b/c.py") == project.resolve()
    bare = tmp_path / "bare" / "deep"
    bare.mkdir(parents=True)
    (tmp_path / "bare" / ".git").mkdir()
    assert project_root(bare) == (tmp_path / "bare").resolve()
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    assert project_root(lonely) is None
