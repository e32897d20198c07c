"""The project class index behind flake8, --changed-since and partial runs: the engine's
classes for every file, cached on disk and re-read only for files that changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from lucent_lint.config import Settings
from lucent_lint.engine.check import check_source
from lucent_lint.engine.registry import Selection
from lucent_lint.run import repo_index
from lucent_lint.run.repo_index import classes_of, index_results, project_root

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


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj", FILES)


def _by_path(results) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {r.path: r.classes for r in results}


def test_index_holds_every_file_with_the_engines_classes(project: Path) -> None:
    found = _by_path(index_results(project, Settings()))
    assert set(found) == set(FILES)
    assert found["core/base.py"]["core.base.PlatformService"] == [
        "lucent_runtime.CryptoTradingServiceBase"
    ]
    assert found["core/util.py"]["core.util.Helper"] == ["core.base.PlatformService"]
    settings = Settings()
    selection = Selection(settings.select, settings.ignore)
    for name, text in FILES.items():
        module = name.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
        engine = check_source(
            text.encode(), name, module, name.endswith("__init__.py"), settings, selection
        )
        assert (
            classes_of(text.encode(), name, module, name.endswith("__init__.py"), settings)
            == engine.classes
        )


def test_exclude_leaves_files_out(project: Path) -> None:
    found = index_results(project, Settings(), [project / "core/base.py"])
    assert "core/base.py" not in _by_path(found) and "core/util.py" in _by_path(found)


def test_cache_rereads_only_changed_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index_results(project, Settings())
    assert list((project / ".lucent_lint_cache").glob("class-index-*.json"))
    calls: list[str] = []
    original = repo_index.classes_of

    def counting(data, path, *args):  # type: ignore[no-untyped-def]
        calls.append(path)
        return original(data, path, *args)

    monkeypatch.setattr(repo_index, "classes_of", counting)
    index_results(project, Settings())
    assert calls == []
    write(project, {"core/util.py": FILES["core/util.py"] + "\n\nclass Other:\n    pass\n"})
    found = _by_path(index_results(project, Settings()))
    assert calls == ["core/util.py"]
    assert "core.util.Other" in found["core/util.py"]
    calls.clear()
    index_results(project, Settings(), use_cache=False)
    assert sorted(calls) == sorted(FILES)


def test_damaged_cache_is_rebuilt(project: Path) -> None:
    expected = _by_path(index_results(project, Settings()))
    (cache,) = (project / ".lucent_lint_cache").glob("class-index-*.json")
    for junk in ("{not json", '{"files": {"core/base.py": {"stamp": 1, "classes": 2}}}', "[]"):
        cache.write_text(junk)
        assert _by_path(index_results(project, Settings())) == expected


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
