"""Line and column of reported nodes only.

libcst's PositionProvider computes a range for every node of a module. Here positions are
computed by the same code generation, but only recorded for the nodes that were reported,
and generation stops as soon as the last of them is known. A file without findings never
pays for positions at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import libcst as cst
from libcst._position import CodePosition, CodeRange
from libcst.metadata.position_provider import PositionProvidingCodegenState

Span = tuple[int, int, int, int]  # line, column (0-based), end line, end column


class _Done(Exception):
    pass


class _Recorder:
    """Stands in for the metadata provider whose ``_computed`` the codegen state fills."""

    def __init__(self, targets: set[int]) -> None:
        self._computed: _Computed = _Computed(targets)


class _Computed(dict):
    """Keeps every range (child ranges are looked up for parents) and notices when all
    targets are known."""

    def __init__(self, targets: set[int]) -> None:
        super().__init__()
        self.targets = set(targets)
        self.found: dict[int, CodeRange] = {}

    def __setitem__(self, node: cst.CSTNode, value: CodeRange) -> None:
        super().__setitem__(node, value)
        key = id(node)
        if key in self.targets and key not in self.found:
            self.found[key] = value


class _State(PositionProvidingCodegenState):
    done: bool = False

    def after_codegen(self, node: cst.CSTNode) -> None:
        super().after_codegen(node)
        computed = self.provider._computed
        if len(computed.found) == len(computed.targets):
            self.done = True
            raise _Done

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        start = CodePosition(self.line, self.column)
        try:
            yield
        finally:
            if not self.done:  # stopping early leaves enclosing ranges unfinished
                computed = self.provider._computed
                end = CodePosition(self.line, self.column)
                if start_node is not None:
                    start = computed[start_node].start
                if end_node is not None:
                    end = computed[end_node].end
                computed[node] = CodeRange(start, end)


def spans(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, Span]:
    """Map ``id(node)`` to its (line, column, end_line, end_column) for each node given."""
    targets = {id(node) for node in nodes}
    if not targets:
        return {}
    recorder = _Recorder(targets)
    state = _State(
        default_indent=module.default_indent,
        default_newline=module.default_newline,
        provider=recorder,  # type: ignore[arg-type]
    )
    try:
        module._codegen(state)
    except _Done:
        pass
    out: dict[int, Span] = {}
    for key, rng in recorder._computed.found.items():
        out[key] = (rng.start.line, rng.start.column, rng.end.line, rng.end.column)
    return out


def def_keyword_offset(node: cst.FunctionDef) -> int:
    """Columns from the start of a (possibly ``async``) def statement to its ``def``."""
    if node.asynchronous is None:
        return 0
    return len("async") + len(node.asynchronous.whitespace_after.value)


__all__ = ["Span", "def_keyword_offset", "spans"]
