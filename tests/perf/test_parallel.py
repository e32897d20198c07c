"""``--jobs N`` gives exactly the report of ``--jobs 1``, order included, through the pool."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lucent_lint.run import pool as parallel
from tests.cli import Completed, lucent

from .project import REPO, _generator, make_project, rows
from .project import check as run_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("parity"), modules=16)


def test_pool_gives_the_serial_report(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = run_project(project, jobs=1)
    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)
    pooled = run_project(project, jobs=3)
    assert pooled.workers == 3  # the pool really ran
    assert serial.workers == 0
    assert rows(pooled) == rows(serial)
    assert pooled.errors == serial.errors
    assert pooled.lines == serial.lines
    codes = {f.code for f in serial.findings}
    # the project exercises findings, syntax errors, decoding errors and cross-file bases
    assert {"LUC001", "LUC101", "LUC301"} <= codes
    paths = {Path(f.path).name for f in serial.findings if f.code == "LUC101"}
    assert "orphan_service.py" in paths and "chained_service.py" not in paths


def test_small_runs_do_not_start_a_pool(project: Path) -> None:
    run = run_project(project / "lucent_services" / "platform", jobs=4)
    assert run.workers == 0
    assert run.findings  # the platform package alone still has its findings


def test_a_serial_run_reads_every_parsed_file_once(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[Path] = []
    real = Path.read_bytes

    def counting(path: Path) -> bytes:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", counting)
    run = run_project(project, jobs=1)
    assert run.findings
    # the parsed files; the others are read again only for a lazy class scan
    services = [path for path in reads if path.name.endswith("_service.py")]
    assert services and len(services) == len(set(services))


def test_a_dying_worker_does_not_lose_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = run_project(project, jobs=1)
    parent = os.getpid()
    real = parallel._check_item

    def die_in_worker(item, settings, selection):  # type: ignore[no-untyped-def]
        if os.getpid() != parent and item.path.endswith("_service.py"):
            os._exit(3)  # a worker killed mid-run (out of memory, signal)
        return real(item, settings, selection)

    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "_check_item", die_in_worker)
    assert rows(run_project(project, jobs=2)) == rows(serial)


def test_chunks_cover_every_file_once_biggest_first() -> None:
    items = [parallel._Item(i, f"f{i}", f"f{i}", "m", False, size) for i, size in enumerate(
        [5, 900, 40, 40, 7000, 1, 300, 2500, 80, 60]
    )]  # fmt: skip
    chunks = parallel.chunked(items, workers=2)
    flat = [item.index for chunk in chunks for item in chunk]
    assert sorted(flat) == list(range(10))
    assert flat[0] == 4  # the biggest file goes out first
    assert len(chunks) > 2  # more chunks than workers: the load balances


def test_module_names_match_the_per_file_lookup(project: Path) -> None:
    from lucent_lint.engine.project import module_name_for

    names = parallel.ModuleNames()
    for path in sorted(project.rglob("*.py")):
        assert names(path.resolve()) == module_name_for(path)


def _cli(project: Path, *args: str) -> Completed:
    return lucent("check", ".", "--format", "json", *args, cwd=project)


def test_command_line_jobs_parity(project: Path) -> None:
    one = _cli(project, "--jobs", "1", "--no-cache")
    two = _cli(project, "--jobs", "2", "--no-cache")
    assert one.returncode == two.returncode == 1, one.stderr
    assert json.loads(one.stdout) == json.loads(two.stdout)
    assert one.stdout == two.stdout
    assert not (project / ".lucent_lint_cache").exists() or not list(
        (project / ".lucent_lint_cache").glob("results-*")
    )


def test_command_line_rejects_zero_jobs(project: Path) -> None:
    bad = _cli(project, "--jobs", "0")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "--jobs" in bad.stderr


def test_checking_a_file_leaves_no_reference_cycle(project: Path) -> None:
    """Workers run without automatic collections: a file's tree, rules and reports must
    die by reference counting as soon as its result is made."""
    import gc

    from lucent_lint.config import discover
    from lucent_lint.engine.check import check_source
    from lucent_lint.engine.project import module_name_for
    from lucent_lint.engine.registry import Selection

    settings, _ = discover([project])
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    files = sorted(project.rglob("*.py"))[::2] + sorted((REPO / "fixtures").rglob("*.py"))[::2]

    def check(path: Path) -> int:
        module, is_package = module_name_for(path)
        result = check_source(
            path.read_bytes(), str(path), module, is_package, settings, selection, walk=True
        )
        return len(result.findings) + len(result.deferred)

    check(files[0])  # classes made once per process (dataclasses with slots) are not cycles
    gc.collect()
    gc.disable()
    try:
        findings = 0
        for path in files:
            findings += check(path)
            assert gc.collect(0) == 0, path  # what this file made and left unreachable
    finally:
        gc.enable()
    assert findings > 100


# -- --fix over the pool -----------------------------------------------------------------------


def _fix_project(root: Path, jobs: int):  # type: ignore[no-untyped-def]
    from lucent_lint.config import discover
    from lucent_lint.engine.registry import Selection
    from lucent_lint.run.fix import fix_paths

    settings, project_root = discover([root])
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    return fix_paths([root], settings, project_root, selection, jobs=jobs)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.py"))}


def _shown(run, root: Path) -> str:  # type: ignore[no-untyped-def]
    """What a fix run shows (diff, findings, errors, warnings), with the root taken out."""
    shown = repr((run.diff(), rows(run.run), run.run.errors, run.run.warnings))
    return shown.replace(str(root), "ROOT")


@pytest.fixture
def fixable(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two copies of a findings-heavy project, to fix one serially and one over the pool."""
    one, two = tmp_path_factory.mktemp("fix-serial"), tmp_path_factory.mktemp("fix-pooled")
    for root in (one, two):
        make_project(root, modules=12)
        _generator().generate(root / "heavy", modules=12, seed=5, heavy=True)
    return one, two


def test_pooled_fix_gives_the_serial_fix(
    fixable: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    serial_root, pooled_root = fixable
    started: list[int] = []
    real = parallel.run_in_pool

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(real(*args, **kwargs))
        return started[-1]

    serial = _fix_project(serial_root, jobs=1)
    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "run_in_pool", counting)
    pooled = _fix_project(pooled_root, jobs=2)
    assert started[-1] == 2  # the fixing step itself ran over two workers
    assert serial.fixed > 10 and pooled.fixed == serial.fixed
    assert _tree(pooled_root) == _tree(serial_root)
    assert _shown(pooled, pooled_root) == _shown(serial, serial_root)
    assert serial.diff() != ""


def test_a_worker_dying_while_fixing_loses_no_fix(
    fixable: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lucent_lint.run import fix

    serial_root, pooled_root = fixable
    serial = _fix_project(serial_root, jobs=1)
    parent = os.getpid()
    real = fix._fix_item

    def die_in_worker(item, **kwargs):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            os._exit(3)
        return real(item, **kwargs)

    monkeypatch.setattr(parallel, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(fix, "_fix_item", die_in_worker)
    pooled = _fix_project(pooled_root, jobs=2)
    assert pooled.fixed == serial.fixed > 0
    assert _tree(pooled_root) == _tree(serial_root)
    assert _shown(pooled, pooled_root) == _shown(serial, serial_root)
