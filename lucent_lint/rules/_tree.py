"""Small tree helpers shared by the rules' fixes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import libcst as cst

from lucent_lint.engine.transform import parent_map
from lucent_lint.engine.walk import children, iter_tree


def ancestors(node: cst.CSTNode, stack: Sequence[cst.CSTNode]) -> list[cst.CSTNode]:
    """The ancestors of ``node``, outermost first.

    ``stack`` is the walk's stack when the node was reported: ``node`` is on it, or is a
    descendant of its last entry (a rule may report a child of the node it visits).
    """
    for index in range(len(stack) - 1, -1, -1):
        if stack[index] is node:
            return list(stack[:index])
    if not stack:
        return []
    path = _path_to(stack[-1], node)
    return list(stack[:-1]) + path if path is not None else []


def parent(node: cst.CSTNode, stack: Sequence[cst.CSTNode]) -> cst.CSTNode | None:
    """The parent of ``node``, also when it is off the walk's path (a module constant
    reported from the call that uses it): then looked up in the parent map of the root,
    ``stack[0]``, built once per tree."""
    path = ancestors(node, stack)
    if path:
        return path[-1]
    if not stack or stack[0] is node:
        return None
    root = stack[0]
    if _LAST_MAP[0] is not root:
        _LAST_MAP[:] = [root, parent_map(root)]
    return _LAST_MAP[1].get(id(node))


# [root, {id(node): parent}] of the last tree asked about: a file's fixes are built while
# the engine walks it, so one entry serves them all
_LAST_MAP: list = [None, {}]


def _path_to(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode] | None:
    """The nodes from ``root`` (included) down to ``target`` (excluded)."""
    work: list[tuple[cst.CSTNode, list[cst.CSTNode]]] = [(root, [])]
    while work:
        current, path = work.pop()
        if current is target:
            return path
        for child in children(current):
            work.append((child, [*path, current]))
    return None


def names_in(nodes: Iterable[cst.CSTNode]) -> set[str]:
    """Every identifier in ``nodes`` (names, parameters, and attribute names too, which
    only makes the choice of a fresh name more careful)."""
    out: set[str] = set()
    for node in nodes:
        for item in iter_tree(node):
            if isinstance(item, cst.Name):
                out.add(item.value)
    return out


def fresh_name(preferred: Sequence[str], taken: set[str]) -> str:
    """The first of ``preferred`` not in ``taken``, else the first with a number."""
    for name in preferred:
        if name not in taken:
            return name
    number = 2
    while f"{preferred[0]}{number}" in taken:
        number += 1
    return f"{preferred[0]}{number}"


def scope_of(path: Sequence[cst.CSTNode]) -> cst.CSTNode | None:
    """The innermost function, lambda or class in ``path`` (ancestors, outermost first),
    else the module."""
    for node in reversed(path):
        if isinstance(node, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            return node
    for node in path:
        if isinstance(node, cst.Module):
            return node
    return None
