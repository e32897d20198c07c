"""Special files: oversized ones are skipped once with a warning (memory stays low),
symbolic links that cannot be followed are named, and ``python -m lucent_lint`` inside a
checkout never imports that checkout's modules in place of its own dependencies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from .helpers import HEADER, SWALLOWING, run_cli, run_flake8


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


# -- files that do not read or decode plainly: one behaviour at every entry point ---------------

BOM = b"\xef\xbb\xbf"
SERVICE = (HEADER + SWALLOWING).encode()
#: LUC601 and LUC604 on the ``except:`` line of SWALLOWING
SWALLOWED = [("LUC601", 9), ("LUC604", 9)]


@dataclass(frozen=True)
class Odd:
    data: bytes
    #: (line, column, code) of every finding the file gets, as a check reports it
    findings: list[tuple[int, int, str]]
    #: words of the LUC001 message (None: the file decodes)
    problem: str | None = None


def _swallowed(line: int) -> list[tuple[int, int, str]]:
    return [(line, column, code) for code, column in SWALLOWED]


ODD = {
    "bom.py": Odd(BOM + SERVICE, _swallowed(6)),
    "latin1.py": Odd(
        b"# -*- coding: latin-1 -*-\n"
        + HEADER.encode()
        + b"OWNER = 'Ren\xe9'\n"
        + SWALLOWING.encode(),
        _swallowed(8),
    ),
    "unknown_cookie.py": Odd(
        b"# coding: klingon\n" + SERVICE, [(1, 1, "LUC001")], "unknown source encoding"
    ),
    "bom_and_cookie.py": Odd(
        BOM + b"# -*- coding: latin-1 -*-\n" + SERVICE, [(1, 1, "LUC001")], "latin-1 with BOM"
    ),
    "nul.py": Odd(HEADER.encode() + b"x = 1\nyy\x00 = 2\n", [(3, 3, "LUC001")], "null byte"),
    "not_utf8.py": Odd(
        HEADER.encode() + b"NAME = 'caf\xe9'\n" + SWALLOWING.encode(),
        [(2, 12, "LUC001")],
        "not valid utf-8",
    ),
    # no service code: never parsed, yet a file that does not decode is reported
    "not_utf8_plain.py": Odd(b"PAIRS = ['\xff']\n", [(1, 11, "LUC001")], "not valid utf-8"),
    "unreadable.py": Odd(SERVICE, []),
    "folder.py/inner.py": Odd(SERVICE, _swallowed(6)),  # a directory named like a module
}
UNREADABLE = "unreadable.py"
CANNOT_READ = "unreadable.py: cannot read: Permission denied"
ENTRY_POINTS = ["check", "check-cached", "fix", "flake8", "index"]


def _locked_read(real):  # type: ignore[no-untyped-def]
    def read_bytes(path: Path) -> bytes:
        if path.name == UNREADABLE:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    return read_bytes


def _tree(root: Path) -> Path:
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "odd"\n\n[tool.lucent-lint]\n')
    for name, odd in ODD.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_bytes(odd.data)
    return root


def _by_file(findings: list[dict]) -> dict[str, list[tuple[int, int, str, str]]]:
    out: dict[str, list[tuple[int, int, str, str]]] = {}
    for f in findings:
        out.setdefault(f["path"], []).append((f["line"], f["column"], f["code"], f["message"]))
    return out


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """What every entry point makes of the odd files, by entry point: ``findings`` by file,
    the ``errors`` it reported and, for ``--fix``, the ``bytes`` it left; for the index,
    the ``classes`` of every file it holds."""
    from lucent_lint.config import Settings
    from lucent_lint.run.repo_index import index_results
    from tests.cli import lucent

    base = tmp_path_factory.mktemp("odd")
    root = _tree(base / "check")
    out: dict[str, dict] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Path, "read_bytes", _locked_read(Path.read_bytes))
        for name, args in (("check", ["--no-cache"]), ("check-cached", []), ("warm", [])):
            done = lucent("check", "--format", "json", "--jobs", "1", *args, ".", cwd=root)
            out[name] = {
                "findings": _by_file(json.loads(done.stdout)),
                "errors": done.stderr,
                "rc": done.returncode,
            }
        fixing = _tree(base / "fix")
        done = lucent("check", "--fix", "--no-cache", "--format", "json", ".", cwd=fixing)
        out["fix"] = {
            "findings": _by_file(json.loads(done.stdout)),
            "errors": done.stderr,
            "rc": done.returncode,
        }
        index = index_results(root, Settings(), use_cache=False).results
        out["index"] = {"classes": {r.path: r.classes for r in index}}
    out["fix"]["bytes"] = {name: (fixing / name).read_bytes() for name in ODD}
    proc = run_flake8(root, ".")
    flake8 = {}
    for line in proc.stdout.splitlines():
        path, row, column, rest = line.split(":", 3)
        code, _, message = rest.strip().partition(" ")
        flake8.setdefault(Path(path).as_posix(), []).append((int(row), int(column), code, message))
    out["flake8"] = {"findings": flake8, "errors": proc.stderr}
    return out


@pytest.mark.parametrize(
    ("name", "entry"),
    # flake8 reads every file itself before any plugin runs (and reports E902 for one it
    # cannot): a file unreadable to lucent-lint alone exists only in this process
    [(n, e) for n in ODD for e in ENTRY_POINTS if not (n == UNREADABLE and e == "flake8")],
)
def test_odd_file_reads_and_decodes_the_same_everywhere(
    seen: dict[str, dict], name: str, entry: str
) -> None:
    """A BOM, a coding cookie (known, unknown, or contradicting the BOM), a null byte,
    bytes that do not decode, a file that cannot be read, a directory named ``*.py``: the
    command line, ``--fix``, the flake8 plugin and the project index read and decode them
    by one rule (:mod:`lucent_lint.engine.source`)."""
    from lucent_lint.engine.source import decode, source_encoding

    odd = ODD[name]
    if entry == "index":
        classes = seen["index"]["classes"]
        if name == UNREADABLE:
            assert name not in classes  # not in the index, as in a full run
        elif odd.problem is None:
            assert classes[name], classes
        else:
            assert classes[name] == {}  # a file that does not decode holds no classes
        return
    if entry == "flake8" and odd.problem == "null byte":
        # flake8 compiles every file before its plugins: one it cannot compile never
        # reaches lucent-lint (flake8 reports E999 itself)
        assert name not in seen["flake8"]["findings"]
        return
    got = seen[entry]["findings"].get(name, [])
    errors = seen[entry]["errors"]
    if name == UNREADABLE:
        assert got == [] and CANNOT_READ in errors, errors
        assert errors.count("cannot read") == 1, errors
        assert seen[entry]["rc"] == 2  # an incomplete run never passes
        return
    assert "Traceback" not in errors and "cannot read" not in errors.replace(CANNOT_READ, "")
    if entry == "fix":
        after = seen["fix"]["bytes"][name]
        if odd.problem is not None:  # never rewritten
            assert after == odd.data
            assert [g[:3] for g in got] == odd.findings
            return
        # rewritten in the file's own encoding: the BOM and the latin-1 byte survive
        assert after != odd.data and after.startswith(BOM) == odd.data.startswith(BOM)
        text, _ = decode(after, name)
        assert text is not None and source_encoding(after) == source_encoding(odd.data)
        assert after.decode(source_encoding(odd.data)) == text
        assert ("Ren\xe9" in text) == (b"Ren\xe9" in odd.data)
        return
    assert [g[:3] for g in got] == odd.findings
    if odd.problem is not None:
        assert odd.problem in got[0][3], got
    if entry == "check-cached":  # and the same again from the cache
        assert seen["warm"]["findings"].get(name, []) == got
