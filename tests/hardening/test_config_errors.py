"""Every configuration or usage error exits 2 with one line naming the file, key or option
and what was expected -- never a traceback, never exit 1 (which reads as findings). The
flake8 plugin reports the same message as a finding instead of crashing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from lucent_lint.cli import main

from .helpers import HEADER, run_cli, run_flake8

GOOD = HEADER + "X = 1\n"


def project(tmp_path: Path, pyproject: str | None) -> Path:
    (tmp_path / "svc.py").write_text(GOOD)
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)
    return tmp_path


def one_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("lucent-lint: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("pyproject", "words"),
    [
        ("tool = 5\n", ["pyproject.toml", "'tool' must be a table", "an integer"]),
        ('tool = "x"\n', ["pyproject.toml", "'tool' must be a table", "a string"]),
        ("[tool]\nlucent-lint = 3\n", ["[tool.lucent-lint] must be a table"]),
        (
            '[tool.lucent-lint]\nunsafe-fixes = "yes"\n',
            ["pyproject.toml", "unsafe-fixes: expected a boolean, got a string"],
        ),
        (
            '[tool.lucent-lint]\nmax-file-size = "big"\n',
            ["max-file-size: expected an integer, got a string"],
        ),
        ("[tool.lucent-lint]\nmax-file-size = -1\n", ["max-file-size: must be 0 or more"]),
        # codes are checked against the catalogue, not only their shape
        (
            '[tool.lucent-lint]\nselect = ["LUC9"]\n',
            ["pyproject.toml", "select: unknown rule code or prefix 'LUC9'"],
        ),
        (
            '[tool.lucent-lint]\nextend-select = ["E501"]\n',
            ["extend-select: unknown rule code or prefix 'E501'"],
        ),
        (
            '[tool.lucent-lint.per-file-ignores]\n"tests/*.py" = ["LUC77"]\n',
            ["per-file-ignores: unknown rule code or prefix 'LUC77'"],
        ),
        ('[tool.lucent-lint]\nselect = "LUC1"\n', ["select: expected an array, got a string"]),
        ("[tool.lucent-lint]\nignore = [3]\n", ["ignore[0]: expected a string, got an integer"]),
        (
            '[tool.lucent-lint.per-file-ignores]\n"tests/*.py" = "LUC1"\n',
            ['per-file-ignores."tests/*.py": expected an array, got a string'],
        ),
        (
            '[tool.lucent-lint]\nservice-class-pattern = "("\n',
            ["service-class-pattern: '(' is not a valid regular expression"],
        ),
        ("[tool.lucent-lint\n", ["pyproject.toml", "not valid TOML"]),
    ],
)
def test_bad_pyproject(tmp_path: Path, pyproject: str, words: list[str]) -> None:
    line = one_error(run_cli("check", "--no-cache", ".", cwd=project(tmp_path, pyproject)))
    for word in words:
        assert word in line


@pytest.mark.parametrize("option", ["--select", "--extend-select", "--ignore"])
def test_unknown_code_on_the_command_line_names_the_option(tmp_path: Path, option: str) -> None:
    line = one_error(
        run_cli("check", "--no-cache", option, "LUC1,LUC9", ".", cwd=project(tmp_path, None))
    )
    assert line.endswith(f"{option}: unknown rule code or prefix 'LUC9'"), line


def test_config_naming_a_directory(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    line = one_error(run_cli("check", "--config", "conf", ".", cwd=project(tmp_path, None)))
    assert "conf: is a directory" in line and "TOML" in line


def test_output_into_a_missing_folder(tmp_path: Path) -> None:
    proc = run_cli("check", "--output", "missing/report.json", ".", cwd=project(tmp_path, None))
    line = one_error(proc)
    assert "--output missing/report.json" in line and "does not exist" in line


def test_output_onto_a_directory(tmp_path: Path) -> None:
    (tmp_path / "reports").mkdir()
    line = one_error(run_cli("check", "--output", "reports", ".", cwd=project(tmp_path, None)))
    assert "--output reports: is a directory" in line


def test_unreadable_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project(tmp_path, "[tool.lucent-lint]\n")
    real = Path.read_text

    def read_text(path: Path, *args: object, **kwargs: object) -> str:
        if path.name == "pyproject.toml":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "read_text", read_text)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--jobs", "1", "."])
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2
    assert "pyproject.toml: cannot read: Permission denied" in result.output


def test_unsafe_fixes_true_is_still_accepted(tmp_path: Path) -> None:
    proc = run_cli(
        "check",
        "--no-cache",
        ".",
        cwd=project(tmp_path, "[tool.lucent-lint]\nunsafe-fixes = true\n"),
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    "pyproject",
    [
        "tool = 5\n",
        'tool = "x"\n',
        '[tool.lucent-lint]\nunsafe-fixes = "yes"\n',
        '[tool.lucent-lint]\nignore = ["LUC9"]\n',
    ],
)
def test_flake8_plugin_reports_the_configuration_error(tmp_path: Path, pyproject: str) -> None:
    project(tmp_path, pyproject)
    proc = run_flake8(tmp_path, "svc.py")
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("svc.py:1:1: LUC000 "), proc.stdout
    assert "pyproject.toml" in lines[0]
