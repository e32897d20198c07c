"""Output formats, one module each. A formatter writes a whole run to a text stream."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TextIO

from lucent_lint.run.runner import RunResult

Formatter = Callable[[RunResult, TextIO, "OutputOptions"], None]


class OutputOptions:
    """How a run is shown: colour and source excerpts only on a terminal."""

    def __init__(
        self,
        *,
        color: bool = False,
        show_source: bool = False,
        statistics: bool = False,
        root: str = ".",
    ) -> None:
        self.color = color
        self.show_source = show_source
        self.statistics = statistics
        self.root = root


FORMATS = ("text", "json", "sarif", "github", "junit")


def formatter(name: str) -> Formatter:
    module = importlib.import_module(f"{__name__}.{'json_' if name == 'json' else name}")
    return module.write
