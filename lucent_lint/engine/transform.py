"""Applying a round of fixes to a tree: choose fixes that do not overlap, replace their
nodes in one transformation, add the imports they need."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst

from lucent_lint.engine.context import dotted_name
from lucent_lint.engine.rule import Fix
from lucent_lint.engine.walk import children

NodeMap = dict[int, cst.CSTNode]


def parent_map(root: cst.CSTNode) -> NodeMap:
    """``id(node) -> parent`` for every node the walk sees below ``root``."""
    parents: NodeMap = {}
    stack: list[cst.CSTNode] = [root]
    while stack:
        node = stack.pop()
        for child in children(node):
            parents[id(child)] = node
            stack.append(child)
    return parents


def _ancestor_ids(node: cst.CSTNode, parents: NodeMap) -> set[int]:
    out = set()
    current = parents.get(id(node))
    while current is not None:
        out.add(id(current))
        current = parents.get(id(current))
    return out


def choose(fixes: Sequence[Fix], parents: NodeMap) -> list[Fix]:
    """The fixes of ``fixes`` (in order) whose targets neither are, contain, nor lie
    inside a target of a fix chosen before them. The rest wait for the next round."""
    claimed: set[int] = set()
    claimed_ancestors: set[int] = set()
    chosen: list[Fix] = []
    for fix in fixes:
        targets = [id(node) for node in fix.replacements]
        ancestors = [_ancestor_ids(node, parents) for node in fix.replacements]
        if any(t in claimed or t in claimed_ancestors for t in targets):
            continue
        if any(a & claimed for a in ancestors):
            continue
        if not targets and not fix.imports:
            continue
        chosen.append(fix)
        claimed.update(targets)
        for group in ancestors:
            claimed_ancestors.update(group)
    return chosen


class _Replacer(cst.CSTTransformer):
    """Replaces nodes by identity, descending only towards them."""

    def __init__(
        self,
        replacements: dict[int, cst.CSTNode | cst.RemovalSentinel],
        on_path: set[int],
    ) -> None:
        super().__init__()
        self.replacements = replacements
        self.on_path = on_path

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) in self.on_path

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel:
        return self.replacements.get(id(original_node), updated_node)


def apply(module: cst.Module, fixes: Sequence[Fix], parents: NodeMap) -> cst.Module:
    """``module`` with the replacements and imports of ``fixes`` (already non-overlapping)."""
    replacements: dict[int, cst.CSTNode | cst.RemovalSentinel] = {}
    on_path: set[int] = {id(module)}
    imports: list[str] = []
    for fix in fixes:
        for node, replacement in fix.replacements.items():
            replacements[id(node)] = replacement
            on_path |= _ancestor_ids(node, parents)
        imports.extend(line for line in fix.imports if line not in imports)
    if replacements:
        module = module.visit(_Replacer(replacements, on_path))  # type: ignore[assignment]
    return add_imports(module, imports)


# -- imports ----------------------------------------------------------------------------------


def add_imports(module: cst.Module, lines: Iterable[str]) -> cst.Module:
    """Add each ``from x import y`` of ``lines`` unless the module already has it: into an
    existing ``from x import ...`` when there is one, else as a new line after the
    module's leading imports."""
    for line in lines:
        statement = cst.parse_statement(line)
        assert isinstance(statement, cst.SimpleStatementLine)
        wanted = statement.body[0]
        assert isinstance(wanted, cst.ImportFrom) and not isinstance(wanted.names, cst.ImportStar)
        source = dotted_name(wanted.module)
        for alias in wanted.names:
            module = _add_name(module, statement, source or "", alias)
    return module


def _top_level_imports(module: cst.Module) -> list[tuple[int, cst.ImportFrom | cst.Import]]:
    out = []
    for index, statement in enumerate(module.body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Import | cst.ImportFrom):
                    out.append((index, small))
    return out


def _add_name(
    module: cst.Module, statement: cst.SimpleStatementLine, source: str, alias: cst.ImportAlias
) -> cst.Module:
    name = dotted_name(alias.name)
    existing: cst.ImportFrom | None = None
    for _, node in _top_level_imports(module):
        if not isinstance(node, cst.ImportFrom) or node.relative:
            continue
        if dotted_name(node.module) != source or isinstance(node.names, cst.ImportStar):
            continue
        if any(dotted_name(a.name) == name and a.asname is None for a in node.names):
            return module
        existing = existing or node
    if existing is not None:
        return module.deep_replace(existing, _extended(existing, alias))  # type: ignore[return-value]
    new = statement.body[0]
    line = cst.SimpleStatementLine(body=[new])
    body = list(module.body)
    body.insert(_insertion_index(module), line)
    return module.with_changes(body=body)


def _extended(node: cst.ImportFrom, alias: cst.ImportAlias) -> cst.ImportFrom:
    """``node`` with ``alias`` added, in sorted position when the names are sorted, the
    commas keeping the statement's layout (one line or one name per line)."""
    names = list(node.names)  # type: ignore[arg-type]
    commas = [a.comma for a in names]
    keys = [dotted_name(a.name) or "" for a in names]
    position = len(names)
    if keys == sorted(keys):
        new_key = dotted_name(alias.name) or ""
        position = next((i for i, key in enumerate(keys) if key > new_key), len(names))
    between = (
        commas[-2] if len(commas) >= 2 else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    )
    layout = [*commas[:-1], between, commas[-1]]
    names.insert(position, alias)
    names = [a.with_changes(comma=comma) for a, comma in zip(names, layout, strict=True)]
    return node.with_changes(names=names)


def _insertion_index(module: cst.Module) -> int:
    """After the last import of the module's leading block (docstring, imports and simple
    statements before the first compound statement); after the docstring when none."""
    index = 0
    for position, statement in enumerate(module.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            break
        small = statement.body[0] if statement.body else None
        if isinstance(small, cst.Import | cst.ImportFrom):
            index = position + 1
        elif (
            position == 0
            and isinstance(small, cst.Expr)
            and isinstance(small.value, cst.SimpleString | cst.ConcatenatedString)
        ):
            index = 1
    return index
