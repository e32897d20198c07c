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


def test_a_fix_run_counts_its_check_then_its_fixes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from lucent_lint.config import Settings
    from lucent_lint.engine.registry import Selection
    from lucent_lint.run.fix import fix_paths

    class Recording(Progress):
        def __init__(self) -> None:
            super().__init__(io.StringIO(), False)
            self.stages: list[list] = []

        def start(self, total: int, label: str = "checking") -> None:
            super().start(total, label)
            self.stages.append([label, total, 0])

        def advance(self, count: int = 1) -> None:
            super().advance(count)
            self.stages[-1][2] += count

    service = (
        "from lucent_runtime import CryptoTradingServiceBase\n\n\n"
        "class T{n}Service(CryptoTradingServiceBase):\n"
        "    async def run(self):\n        try:\n            return 1\n"
        "        except:\n            raise\n"
    )
    for n in range(3):
        (tmp_path / f"s{n}.py").write_text(service.format(n=n))
    for n in range(2):
        (tmp_path / f"clean{n}.py").write_text("x = 1\n")
    settings = Settings()
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    bar = Recording()
    run = fix_paths([tmp_path], settings, tmp_path, selection, progress=bar)
    assert run.fixed == 3
    assert bar.stages == [["checking", 5, 5], ["fixing", 3, 3]]


def test_the_bar_names_its_stage() -> None:
    stream = Terminal()
    bar = Progress(stream, True, many_files=0, clock=Clock())
    bar.start(3, "fixing")
    assert bar.shown
    bar.advance()
    bar.close()
    assert "fixing" in stream.getvalue()
