"""Line and column of reported nodes only.

libcst's PositionProvider computes a range for every node of a module. Here positions are
computed by the same code generation, but only recorded for the nodes that were reported,
and generation stops as soon as the last of them is known. A file without findings never
pays for positions at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

Span = tuple[int, int, int, int]  # line, column (0-based), end line, end column


class _Done(Exception):
    pass


_NEWLINE = re.compile(r"\r\n?|\n")


class _NoRecord:
    """The context manager for nodes outside every target: does nothing, cheaply."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_NO_RECORD = _NoRecord()


class _Record:
    """Records a node's syntactic range as token indices (see ``record_syntactic_position``
    in libcst's PositionProvider, whose semantics this keeps)."""

    __slots__ = ("end_node", "node", "start", "start_node", "state")

    def __init__(
        self,
        state: _State,
        node: cst.CSTNode,
        start_node: cst.CSTNode | None,
        end_node: cst.CSTNode | None,
    ) -> None:
        self.state = state
        self.node = node
        self.start_node = start_node
        self.end_node = end_node

    def __enter__(self) -> None:
        self.start = len(self.state.tokens)

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            start_node, end_node = self.start_node, self.end_node
            self.state.syntactic[id(self.node)] = (
                self.start,
                len(self.state.tokens),
                None if start_node is None else id(start_node),
                None if end_node is None else id(end_node),
            )


class _State(CodegenState):
    """Code generation that records token indices, and only inside reported nodes.

    libcst's PositionProvidingCodegenState updates a line and column for every token and
    builds a range object for every node. Here generation only appends tokens; a node's
    range is kept as two indices into the token list, and only for the reported nodes and
    their descendants (a reported node's range may come from a child's). Indices become
    lines and columns for the reported nodes alone, at the end; generation stops as soon
    as the last reported node is complete.
    """

    def __init__(self, module: cst.Module, targets: set[int]) -> None:
        super().__init__(
            default_indent=module.default_indent, default_newline=module.default_newline
        )
        self.targets = targets
        self.remaining = len(targets)
        self.depth = 0
        self.stack: list[int] = []
        #: id(node) -> (start, end) token indices, whitespace included
        self.inclusive: dict[int, tuple[int, int]] = {}
        #: id(node) -> (start, end, id(start_node) or None, id(end_node) or None)
        self.syntactic: dict[int, tuple[int, int, int | None, int | None]] = {}

    def before_codegen(self, node: cst.CSTNode) -> None:
        if self.depth or id(node) in self.targets:
            self.depth += 1
            self.stack.append(len(self.tokens))

    def after_codegen(self, node: cst.CSTNode) -> None:
        if not self.depth:
            return
        self.depth -= 1
        key = id(node)
        self.inclusive[key] = (self.stack.pop(), len(self.tokens))
        if key in self.targets:
            self.remaining -= 1
            if not self.remaining:
                raise _Done

    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Any:
        if not self.depth:
            return _NO_RECORD
        return _Record(self, node, start_node, end_node)

    def pop_trailing_newline(self) -> None:
        pass  # positions are counted on the tokens as generated, as libcst's provider does

    # -- indices to positions ----------------------------------------------------------------

    def token_range(self, key: int) -> tuple[int, int]:
        """A node's range as token indices: syntactic if recorded, else whitespace-inclusive
        (as PositionProvider's ``_computed`` holds it)."""
        recorded = self.syntactic.get(key)
        if recorded is None:
            return self.inclusive[key]
        start, end, start_node, end_node = recorded
        if start_node is not None:
            start = self.token_range(start_node)[0]
        if end_node is not None:
            end = self.token_range(end_node)[1]
        return start, end

    def positions(self, indices: Iterable[int]) -> dict[int, tuple[int, int]]:
        """(line, 0-based column) after the first ``index`` tokens, for each index."""
        out: dict[int, tuple[int, int]] = {}
        tokens = self.tokens
        line, column, done = 1, 0, 0
        for index in sorted(set(indices)):
            chunk = "".join(tokens[done:index])
            done = index
            if "\r" in chunk:
                segments = _NEWLINE.split(chunk)
                if len(segments) > 1:
                    line += len(segments) - 1
                    column = len(segments[-1])
                else:
                    column += len(chunk)
            else:
                newlines = chunk.count("\n")
                if newlines:
                    line += newlines
                    column = len(chunk) - chunk.rfind("\n") - 1
                else:
                    column += len(chunk)
            out[index] = (line, column)
        return out


def spans(module: cst.Module, nodes: Iterable[cst.CSTNode]) -> dict[int, Span]:
    """Map ``id(node)`` to its (line, column, end_line, end_column) for each node given,
    exactly as libcst's PositionProvider places it."""
    targets = {id(node) for node in nodes}
    if not targets:
        return {}
    state = _State(module, targets)
    try:
        module._codegen(state)
    except _Done:
        pass
    ranges = {key: state.token_range(key) for key in targets if key in state.inclusive}
    where = state.positions(index for pair in ranges.values() for index in pair)
    out: dict[int, Span] = {}
    for key, (start, end) in ranges.items():
        out[key] = (*where[start], *where[end])
    return out


def def_keyword_offset(node: cst.FunctionDef) -> int:
    """Columns from the start of a (possibly ``async``) def statement to its ``def``."""
    if node.asynchronous is None:
        return 0
    return len("async") + len(node.asynchronous.whitespace_after.value)


__all__ = ["Span", "def_keyword_offset", "spans"]
