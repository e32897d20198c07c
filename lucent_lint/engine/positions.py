"""Line and column of reported nodes only, exactly where libcst's PositionProvider puts them.

libcst's PositionProvider generates the module's code and computes a range for every node.
Here a file without findings pays nothing, and a file with findings pays little:

- statements and ``except`` clauses take their range from CPython's ``ast`` of the same
  text (one C-level parse; the n-th statement of libcst's tree in source order is the n-th of
  CPython's, and both place a statement from its keyword to the end of its last token);
- any other node (a call, a string, a name) is placed by generating the code of the one
  statement around it, with the indentation it has in the file, anchored at that
  statement's position from ``ast``; generation stops once the node is complete.

:func:`spans` (code generation of the module up to the last reported node) remains for
callers without the walk's ancestry, and as the fallback whenever the two trees disagree.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from typing import Any

import libcst as cst

from lucent_lint.engine._libcst import CodegenState, codegen, node_classes
from lucent_lint.engine.walk import children

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
        #: a node whose syntactic start (a token index) is wanted, without its end
        self.anchor: cst.CSTNode | None = None
        self.anchor_start: int | None = None

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
            if not self.remaining and (self.anchor is None or self.anchor_start is not None):
                raise _Done

    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Any:
        if node is self.anchor:
            self.anchor_start = len(self.tokens)
            if not self.remaining:  # the nodes wanted all came before it (decorators)
                raise _Done
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
        codegen(module, state)
    except _Done:
        pass
    ranges = {key: state.token_range(key) for key in targets if key in state.inclusive}
    where = state.positions(index for pair in ranges.values() for index in pair)
    out: dict[int, Span] = {}
    for key, (start, end) in ranges.items():
        out[key] = (*where[start], *where[end])
    return out


# -- placing reported nodes from CPython's tree ------------------------------------------------

#: libcst nodes that CPython's tree has one for one, in source order
_STATEMENTS = (cst.BaseSmallStatement, cst.BaseCompoundStatement)
_HANDLERS = (cst.ExceptHandler, cst.ExceptStarHandler)
#: where statements and handlers nest: suites, ``else``/``finally`` blocks, ``case``s
_CONTAINERS = (
    cst.Module,
    cst.SimpleStatementLine,
    cst.BaseSuite,
    cst.Else,
    cst.Finally,
    cst.MatchCase,
    *_STATEMENTS,
    *_HANDLERS,
)
_AST_BLOCKS = ("body", "handlers", "orelse", "finalbody", "cases")


#: node class -> 0 (neither), 1 (statement), 2 (except clause), with bit 4 set when
#: statements or except clauses may sit below it (an exact-type look-up: ``isinstance``
#: against libcst's ABC-based classes costs a Python-level call per node)
_KIND: dict[type, int] = {}


def _kind(cls: type) -> int:
    kind = _KIND.get(cls)
    if kind is None:
        kind = 1 if issubclass(cls, _STATEMENTS) else 2 if issubclass(cls, _HANDLERS) else 0
        if issubclass(cls, _CONTAINERS) and not issubclass(cls, cst.BaseSmallStatement):
            kind |= 4
        _KIND[cls] = kind
    return kind


def _cst_order(module: cst.Module) -> tuple[list[cst.CSTNode], list[cst.CSTNode]]:
    """libcst's statements and except clauses, each in source (pre-)order."""
    statements: list[cst.CSTNode] = []
    handlers: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [module]
    kinds = _KIND
    while stack:
        node = stack.pop()
        kind = kinds.get(type(node))
        if kind is None:
            kind = _kind(type(node))
        if kind & 1:
            statements.append(node)
        elif kind & 2:
            handlers.append(node)
        if kind & 4:
            inner = []
            for child in children(node):
                known = kinds.get(type(child))
                if known is None:
                    known = _kind(type(child))
                if known:
                    inner.append(child)
            stack.extend(reversed(inner))
    return statements, handlers


def _ast_order(tree: ast.Module) -> tuple[list[ast.AST], list[ast.AST]]:
    """CPython's statements and except clauses, each in source (pre-)order."""
    statements: list[ast.AST] = []
    handlers: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.stmt):
            statements.append(node)
        elif isinstance(node, ast.excepthandler):
            handlers.append(node)
        inner: list[ast.AST] = []
        for name in _AST_BLOCKS:
            inner.extend(getattr(node, name, ()))
        stack.extend(reversed(inner))
    return statements, handlers


class _Lines:
    """Turns CPython's (line, UTF-8 byte offset) into libcst's (line, character column)."""

    def __init__(self, text: str) -> None:
        self.lines = _NEWLINE.split(text)

    def column(self, line: int, offset: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return offset
        return len(text.encode("utf-8")[:offset].decode("utf-8", "replace"))

    def span(self, node: ast.AST) -> Span:
        return (
            node.lineno,  # type: ignore[attr-defined]
            self.column(node.lineno, node.col_offset),  # type: ignore[attr-defined]
            node.end_lineno,  # type: ignore[attr-defined]
            self.column(node.end_lineno, node.end_col_offset),  # type: ignore[attr-defined]
        )


def _path_to(node: cst.CSTNode, stack: Sequence[cst.CSTNode]) -> list[cst.CSTNode] | None:
    """The ancestors of ``node`` from the module down, ``node`` last. ``stack`` is the walk's
    when ``node`` was reported: ``node`` is its last entry or lies below it; a search finds
    the way down from there (a rule may report from a block above the node)."""
    if not stack:
        return None
    if stack[-1] is node:
        return list(stack)
    below: list[tuple[cst.CSTNode, int]] = [(stack[-1], 0)]
    path: list[cst.CSTNode] = []
    while below:  # iterative depth-first search, keeping the current path
        current, depth = below.pop()
        del path[depth:]
        path.append(current)
        if current is node:
            return [*stack[:-1], *path]
        below.extend((child, depth + 1) for child in reversed(list(children(current))))
    return None


def _statement_around(path: list[cst.CSTNode]) -> int | None:
    """Index in ``path`` of the innermost statement above its last node."""
    for index in range(len(path) - 2, -1, -1):
        if isinstance(path[index], _STATEMENTS):
            return index
    return None


def _place_in(
    module: cst.Module,
    statement: cst.CSTNode,
    nodes: list[cst.CSTNode],
    indents: list[str],
    anchor: tuple[int, int],
    is_elif: bool,
) -> dict[int, Span] | None:
    """Spans of ``nodes`` from the code of ``statement`` alone, generated with the
    indentation it has in the file and anchored at its position ``anchor``."""
    state = _State(module, {id(node) for node in nodes})
    state.indent_tokens = list(indents)
    state.anchor = statement
    try:
        if is_elif:  # an ``elif`` is an If in its parent's orelse, generated as "elif"
            codegen(statement, state, is_elif=True)
        else:
            codegen(statement, state)
    except _Done:
        pass
    if state.anchor_start is None and isinstance(statement, cst.BaseCompoundStatement):
        return None
    if any(id(node) not in state.inclusive for node in nodes):
        return None
    ranges = {id(node): state.token_range(id(node)) for node in nodes}
    anchor_start = state.anchor_start or 0  # a small statement starts its own code
    where = state.positions([anchor_start, *(index for pair in ranges.values() for index in pair)])
    base_line, base_column = where[anchor_start]
    line0, column0 = anchor

    def absolute(index: int) -> tuple[int, int]:
        line, column = where[index]
        if line == base_line:
            return line0, column0 + column - base_column
        return line0 + line - base_line, column

    return {key: (*absolute(start), *absolute(end)) for key, (start, end) in ranges.items()}


def statement_classes() -> tuple[list[type], list[type]]:
    """The concrete libcst classes of statements and of except clauses: a walk that
    records their nodes as it meets them gives :func:`report_spans` their ``order``."""
    out: tuple[list[type], list[type]] = ([], [])
    for cls in node_classes():
        kind = _kind(cls)
        if kind & 1:
            out[0].append(cls)
        elif kind & 2:
            out[1].append(cls)
    return out


def report_spans(
    module: cst.Module,
    text: str,
    reports: Iterable[tuple[cst.CSTNode, Sequence[cst.CSTNode]]],
    tree: ast.Module | None = None,
    order: tuple[list[cst.CSTNode], list[cst.CSTNode]] | None = None,
) -> dict[int, Span]:
    """Map ``id(node)`` to its (line, column, end_line, end_column), as libcst's
    PositionProvider places it, for each reported ``(node, ancestors)``; ``ancestors`` is
    the walk's stack when the node was reported (the current node last). ``tree``, if
    given, is CPython's tree of ``text``; ``order``, if given, libcst's statements and
    except clauses in source order, as a walk met them (else they are collected here)."""
    wanted = {id(node): (node, stack) for node, stack in reports}
    if not wanted:
        return {}
    try:
        if tree is None:
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return spans(module, (node for node, _ in wanted.values()))
    cst_statements, cst_handlers = _cst_order(module) if order is None else order
    ast_statements, ast_handlers = _ast_order(tree)
    if len(cst_statements) != len(ast_statements) or len(cst_handlers) != len(ast_handlers):
        return spans(module, (node for node, _ in wanted.values()))
    lines = _Lines(text)
    order = {id(node): index for index, node in enumerate(cst_statements)}
    handler_order = {id(node): index for index, node in enumerate(cst_handlers)}
    out: dict[int, Span] = {}
    by_statement: dict[int, tuple[cst.CSTNode, list[str], list[cst.CSTNode], bool]] = {}
    rest: list[cst.CSTNode] = []
    for key, (node, stack) in wanted.items():
        if key in order:
            out[key] = lines.span(ast_statements[order[key]])
            continue
        if key in handler_order:
            out[key] = lines.span(ast_handlers[handler_order[key]])
            continue
        path = _path_to(node, stack)
        at = None if path is None else _statement_around(path)
        if path is None or at is None:
            rest.append(node)
            continue
        statement = path[at]
        group = by_statement.get(id(statement))
        if group is None:
            indents = [
                module.default_indent if block.indent is None else block.indent
                for block in path[:at]
                if isinstance(block, cst.IndentedBlock | cst.Match)  # both indent what they hold
            ]
            parent = path[at - 1] if at else None
            is_elif = isinstance(parent, cst.If) and parent.orelse is statement
            group = by_statement[id(statement)] = (statement, indents, [], is_elif)
        group[2].append(node)
    for statement, indents, nodes, is_elif in by_statement.values():
        start = ast_statements[order[id(statement)]]
        anchor = (start.lineno, lines.column(start.lineno, start.col_offset))  # type: ignore[attr-defined]
        placed = _place_in(module, statement, nodes, indents, anchor, is_elif)
        if placed is None:
            rest.extend(nodes)
        else:
            out.update(placed)
    if rest:
        out.update(spans(module, rest))
    return out


def def_keyword_offset(node: cst.FunctionDef) -> int:
    """Columns from the start of a (possibly ``async``) def statement to its ``def``."""
    if node.asynchronous is None:
        return 0
    return len("async") + len(node.asynchronous.whitespace_after.value)


__all__ = ["Span", "def_keyword_offset", "report_spans", "spans", "statement_classes"]
