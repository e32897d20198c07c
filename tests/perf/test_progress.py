"""When the progress bar shows, and that it never does where it must not."""

from __future__ import annotations

import io

import pytest

from lucent_lint.run.progress import Progress, wanted
from tests.cli import lucent


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("tty", "environ", "output_format", "expected"),
    [
        (True, {}, "text", True),
        (False, {}, "text", False),
        (True, {"CI": "true"}, "text", False),
        (True, {"CI": "1"}, "text", False),
        (True, {"CI": "false"}, "text", True),
        (True, {"CI": ""}, "text", True),
        (True, {}, "json", False),
        (True, {}, "sarif", False),
        (True, {}, "github", False),
        (True, {}, "junit", False),
    ],
)
def test_wanted(tty: bool, environ: dict[str, str], output_format: str, expected: bool) -> None:
    stream = Terminal() if tty else io.StringIO()
    assert wanted(stream, output_format, environ) is expected


def test_closed_stream_is_not_a_terminal() -> None:
    import os

    stream = open(os.devnull, "w")  # noqa: SIM115 - closed on the next line
    stream.close()
    assert wanted(stream, "text", {}) is False  # isatty() raises on a closed file


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_many_files_show_at_once() -> None:
    stream = Terminal()
    with Progress(stream, True, clock=Clock()) as bar:
        bar.start(201)
        assert bar.shown
        bar.advance(201)
    assert not bar.shown


def test_few_files_show_only_once_the_run_is_slow() -> None:
    clock = Clock()
    bar = Progress(Terminal(), True, clock=clock)
    bar.start(50)
    bar.advance(10)
    assert not bar.shown
    clock.now += 0.6
    bar.advance(10)
    assert bar.shown and bar.completed == 20
    bar.close()
    assert not bar.shown


def test_fast_small_run_never_shows() -> None:
    clock = Clock()
    bar = Progress(Terminal(), True, clock=clock)
    bar.start(50)
    for _ in range(50):
        clock.now += 0.001
        bar.advance()
    assert not bar.shown


def test_disabled_never_shows() -> None:
    clock = Clock()
    stream = Terminal()
    bar = Progress(stream, False, clock=clock)
    bar.start(10_000)
    clock.now += 60
    bar.advance(5000)
    assert not bar.shown
    assert stream.getvalue() == ""


def test_command_line_keeps_stderr_clean_when_not_a_terminal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pyproject.toml").write_text("[tool.lucent-lint]\n")
    for index in range(250):
        (tmp_path / f"m{index}.py").write_text("x = 1\n")
    done = lucent("check", ".", "--no-cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
