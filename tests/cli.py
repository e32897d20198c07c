"""Run ``lucent-lint`` in-process, as a user would see it: exit code, stdout and stderr.

Most command-line tests go through click's runner in this process (a subprocess costs an
interpreter start and every import again). The few tests that must prove the installed
script itself works call :func:`lucent_script`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from lucent_lint.cli import main


@dataclass(frozen=True)
class Completed:
    """The parts of :class:`subprocess.CompletedProcess` the tests read."""

    returncode: int
    stdout: str
    stderr: str


def runner() -> CliRunner:
    """A click runner that keeps stderr apart on every supported click."""
    env = {"NO_COLOR": "1"}
    try:  # click < 8.2 mixes stderr into stdout unless told not to
        return CliRunner(mix_stderr=False, env=env)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner(env=env)


def lucent(*args: str, cwd: Path, stdin: str | None = None) -> Completed:
    """``lucent-lint ARGS`` run in ``cwd``; an unexpected exception fails the test."""
    with contextlib.chdir(cwd):
        result = runner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return Completed(result.exit_code, result.stdout, result.stderr)


def lucent_script(*args: str, cwd: Path, stdin: str | None = None) -> Completed:
    """``python -m lucent_lint ARGS`` as a separate process."""
    done = subprocess.run(
        [sys.executable, "-m", "lucent_lint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=300,
    )
    return Completed(done.returncode, done.stdout, done.stderr)
