"""``--format json``: a list of findings with the fields of the contract."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from lucent_lint.report import OutputOptions
    from lucent_lint.run.runner import RunResult


def write(run: RunResult, stream: TextIO, options: OutputOptions) -> None:
    json.dump([finding.to_dict() for finding in run.findings], stream, indent=2)
    stream.write("\n")
