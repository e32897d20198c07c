"""The libcst internals lucent-lint relies on, in one place.

libcst's public API has no partial code generation and no cheap way to build the tree its
own parser describes: every node goes through its dataclass constructor, which sets each
field through ``object.__setattr__`` (the nodes are frozen) and then re-validates the node,
though the parser only builds valid ones. Both cost a good part of the parse (see
``docs/architecture.md``). The few private names used for them are imported here only, and
``pyproject.toml`` keeps libcst below its next major version, on which this module is
tested (``tests/perf/test_parse.py`` compares its trees with libcst's own).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

__all__ = ["CodegenState", "codegen", "node_classes", "parse_module", "prepare"]


def codegen(node: cst.CSTNode, state: CodegenState, **options: Any) -> None:
    """Generate ``node``'s code into ``state`` (``options`` as the node's own codegen takes
    them, e.g. ``is_elif`` for an ``If`` in its parent's ``orelse``)."""
    node._codegen(state, **options)


def node_classes() -> Iterator[type]:
    """Every libcst node class with a dataclass constructor of its own."""
    seen: set[type] = set()
    pending = [cst.CSTNode]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub in seen:
                continue
            seen.add(sub)
            pending.append(sub)
            if sub.__module__.startswith("libcst.") and "__init__" in sub.__dict__:
                yield sub


def _plain_constructors() -> dict[type, tuple[Any, Any]] | None:
    """For each node class, (libcst's constructor, one that only stores the fields).

    The plain constructor takes the same arguments with the same defaults and stores them
    as the dataclass one does (through the slot descriptors, or the instance dict), without
    the validation. None when a class is not the frozen dataclass this expects: then the
    parse keeps libcst's constructors."""
    lines: list[str] = []
    names: dict[str, Any] = {"MISSING": dataclasses.MISSING}
    classes = list(node_classes())
    for number, cls in enumerate(classes):
        params = getattr(cls, "__dataclass_params__", None)
        if params is None or not params.frozen or "__post_init__" in cls.__dict__:
            return None
        fields = dataclasses.fields(cls)
        if any(not field.init or field.kw_only for field in fields):
            return None
        signature, body = ["self"], []
        slotted = "__slots__" in cls.__dict__
        for index, field in enumerate(fields):
            name, key = field.name, f"{number}_{index}"
            if field.default is not dataclasses.MISSING:
                names[f"d{key}"] = field.default
                signature.append(f"{name}=d{key}")
            elif field.default_factory is not dataclasses.MISSING:
                names[f"f{key}"] = field.default_factory
                signature.append(f"{name}=MISSING")
                body.append(f"    if {name} is MISSING: {name} = f{key}()")
            else:
                signature.append(name)
            if slotted:
                names[f"s{key}"] = getattr(cls, name).__set__
                body.append(f"    s{key}(self, {name})")
        if not slotted and fields:
            stored = ", ".join(f"{field.name!r}: {field.name}" for field in fields)
            body.append(f"    self.__dict__.update({{{stored}}})")
        lines.append(f"def c{number}({', '.join(signature)}):")
        lines.extend(body or ["    pass"])
    namespace = dict(names)
    exec(compile("\n".join(lines), "<plain libcst constructors>", "exec"), namespace)
    return {
        cls: (cls.__dict__["__init__"], namespace[f"c{number}"])
        for number, cls in enumerate(classes)
    }


#: the plain constructors once :func:`prepare` has built them (a plain dict: no global)
_PLAIN: dict[str, dict[type, tuple[Any, Any]] | None] = {}

try:  # validation alone, for the parses of a process that has not prepared
    from libcst._nodes.base import CSTNode as _CSTNode

    _VALIDATE = _CSTNode.__dict__["__post_init__"]
except (ImportError, KeyError):  # pragma: no cover - another libcst layout: validate
    _CSTNode = None


def prepare() -> None:
    """Build the plain constructors (about 40 ms, the compilation of one small function per
    node class). Worth it for a run that parses a few hundred kilobytes or more: such a
    run calls this before it forks its workers; a run over one file keeps libcst's
    constructors and only skips their validation."""
    if "constructors" not in _PLAIN:
        _PLAIN["constructors"] = _plain_constructors()


def _no_validation(self: cst.CSTNode) -> None:
    return None


def parse_module(text: str) -> cst.Module:
    """``cst.parse_module`` without the per-node validation (libcst's own comment on
    ``CSTNode.__post_init__`` suggests skipping it when parsing) and, once
    :func:`prepare` has run, without a call per field: the same tree, faster. The plain
    constructors (or the skipped validation) are in place only while this call parses, in
    this process."""
    constructors = _PLAIN.get("constructors")
    if constructors is not None:
        for cls, (_, plain) in constructors.items():
            cls.__init__ = plain
        try:
            return cst.parse_module(text)
        finally:
            for cls, (own, _) in constructors.items():
                cls.__init__ = own
    if _CSTNode is None:  # pragma: no cover
        return cst.parse_module(text)
    _CSTNode.__post_init__ = _no_validation
    try:
        return cst.parse_module(text)
    finally:
        _CSTNode.__post_init__ = _VALIDATE
