"""Special files: oversized ones are skipped once with a warning (memory stays low),
symbolic links that cannot be followed are named, and ``python -m lucent_lint`` inside a
checkout never imports that checkout's modules in place of its own dependencies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import HEADER, SWALLOWING, run_cli


def big_service(size: int) -> str:
    """A service module of about ``size`` bytes, full of findings."""
    block = SWALLOWING.replace("TradingService(", "TradingService{n}(")
    parts, total, n = [HEADER], len(HEADER), 0
    while total < size:
        part = block.format(n=n)
        parts.append(part)
        total += len(part)
        n += 1
    return "".join(parts)


def test_a_6_5_mb_file_is_skipped_once_in_little_memory(tmp_path: Path) -> None:
    (tmp_path / "huge.py").write_text(big_service(6_500_000))
    (tmp_path / "small.py").write_text(HEADER + SWALLOWING)
    script = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stdout.write(done.stdout)\n"
        "sys.stderr.write(done.stderr)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(done.returncode)\n"
    )
    command = [sys.executable, "-m", "lucent_lint", "check", "--no-cache", "--jobs", "2"]
    proc = subprocess.run(
        [sys.executable, "-c", script, *command, "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    *messages, peak_kb = proc.stderr.strip().splitlines()
    assert int(peak_kb) < 500 * 1024, f"peak RSS {int(peak_kb) // 1024} MB"
    warnings = [m for m in messages if "warning" in m]
    assert len(warnings) == 1, messages
    assert "huge.py: skipped" in warnings[0] and "max-file-size" in warnings[0]
    assert {Path(f["path"]).name for f in json.loads(proc.stdout)} == {"small.py"}


def test_max_file_size_is_configurable(tmp_path: Path) -> None:
    (tmp_path / "svc.py").write_text(HEADER + SWALLOWING)
    size = (tmp_path / "svc.py").stat().st_size
    (tmp_path / "pyproject.toml").write_text(f"[tool.lucent-lint]\nmax-file-size = {size - 1}\n")
    proc = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout
    assert f"svc.py: skipped: {size:,} bytes is over max-file-size" in proc.stderr
    (tmp_path / "pyproject.toml").write_text(f"[tool.lucent-lint]\nmax-file-size = {size}\n")
    assert run_cli("check", "--no-cache", ".", cwd=tmp_path).returncode == 1


@pytest.mark.slow
def test_max_file_size_zero_checks_any_size(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.lucent-lint]\nmax-file-size = 0\n")
    (tmp_path / "svc.py").write_text(big_service(1_100_000))  # over the default
    proc = run_cli("check", "--no-cache", ".", cwd=tmp_path, timeout=300)
    assert proc.returncode == 1 and "skipped" not in proc.stderr


def test_default_limit_applies_under_fix_and_the_cache_too(tmp_path: Path) -> None:
    text = big_service(1_100_000)
    (tmp_path / "svc.py").write_text(text)
    for args in (["--fix"], [], []):  # the second plain run reads the cache
        proc = run_cli("check", *args, ".", cwd=tmp_path)
        assert proc.returncode == 0, proc.stdout
        assert proc.stderr.count("svc.py: skipped") == 1, proc.stderr
    assert (tmp_path / "svc.py").read_text() == text


def test_broken_symlink_in_a_tree_is_a_warning_naming_the_link(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(HEADER + SWALLOWING)
    (tmp_path / "dangling.py").symlink_to(tmp_path / "gone.py")
    proc = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # the findings of good.py, not an error
    assert "dangling.py: broken symbolic link (to " in proc.stderr
    assert "warning" in proc.stderr and "error" not in proc.stderr
    assert "good.py:6:9: LUC604" in proc.stdout


def test_symlink_loop_in_a_tree_is_named_as_a_loop(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text(HEADER)
    os.symlink("loop.py", tmp_path / "loop.py")
    proc = run_cli("check", "--no-cache", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "loop.py: symbolic link loop, skipped" in proc.stderr


def test_symlink_loop_on_the_command_line_is_named_as_a_loop(tmp_path: Path) -> None:
    os.symlink("a.py", tmp_path / "b.py")
    os.symlink("b.py", tmp_path / "a.py")
    proc = run_cli("check", "--no-cache", "a.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "lucent-lint: error: a.py: symbolic link loop"


def test_broken_symlink_on_the_command_line_names_the_link(tmp_path: Path) -> None:
    os.symlink("gone.py", tmp_path / "link.py")
    proc = run_cli("check", "--no-cache", "link.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "lucent-lint: error: link.py: broken symbolic link (to gone.py)"


def test_python_m_does_not_import_the_checkouts_modules(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    for shadow in ("pydantic", "click", "libcst", "json"):
        (tmp_path / f"{shadow}.py").write_text(
            f"open({str(marker)!r}, 'a').write({shadow!r})\nraise SystemExit(99)\n"
        )
    (tmp_path / "svc.py").write_text(HEADER + SWALLOWING)
    proc = run_cli("check", "--no-cache", "svc.py", cwd=tmp_path)
    assert not marker.exists(), marker.read_text()
    assert proc.returncode == 1, proc.stderr
    assert "svc.py:6:9: LUC604" in proc.stdout
