"""A progress bar on stderr for long runs, and only where a person watches it.

Shown when stderr is a terminal, the run is not in CI (``CI`` set), the report is for
people (the text format) and the run is long: more than :data:`MANY_FILES` files, or still
going after :data:`DELAY` seconds. rich is imported only when a bar is actually drawn.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any, TextIO

#: a run over more files than this shows the bar from the start
MANY_FILES = 200
#: a shorter run shows it once it has taken this long
DELAY = 0.5
#: formats read by programs, never decorated
MACHINE_FORMATS = frozenset({"json", "sarif", "github", "junit"})


def wanted(stream: TextIO, output_format: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether a bar may be shown at all (the length of the run decides the rest)."""
    environ = os.environ if environ is None else environ
    if environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return False
    if output_format in MACHINE_FORMATS:
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or not a real stream
        return False


class Progress:
    """Counts checked files; draws a bar once the run proves long enough."""

    def __init__(
        self,
        stream: TextIO,
        enabled: bool,
        *,
        many_files: int = MANY_FILES,
        delay: float = DELAY,
        clock: Any = time.monotonic,
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.many_files = many_files
        self.delay = delay
        self.clock = clock
        self.total = 0
        self.label = "checking"
        self.completed = 0
        self.started = clock()
        self._bar: Any = None
        self._task: Any = None

    @property
    def shown(self) -> bool:
        return self._bar is not None

    def start(self, total: int, label: str = "checking") -> None:
        """Count a new stage of ``total`` files from zero (a run may have two: ``--fix``
        checks, then fixes)."""
        self.close()
        self.total = total
        self.label = label
        self.completed = 0
        self.started = self.clock()
        if self.enabled and total > self.many_files:
            self._show()

    def advance(self, count: int = 1) -> None:
        self.completed += count
        if self._bar is None:
            if not self.enabled or self.completed >= self.total:
                return
            if self.clock() - self.started < self.delay:
                return
            self._show()
        self._bar.update(self._task, completed=self.completed)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        console = Console(file=self.stream, stderr=True)
        self._bar = Bar(
            TextColumn(self.label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._bar.add_task(self.label, total=self.total, completed=self.completed)
        self._bar.start()
