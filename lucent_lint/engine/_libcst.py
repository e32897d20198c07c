"""The libcst internals lucent-lint relies on, in one place.

libcst's public API has no partial code generation and no way to parse without
re-validating every node its own parser built; both cost more than the parse itself (see
``docs/architecture.md``). The few private names used for them are imported here only, and
``pyproject.toml`` keeps libcst below its next major version, on which this module is
tested.
"""

from __future__ import annotations

from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

try:  # libcst validates every node it builds, though its parser only builds valid ones
    from libcst._nodes.base import CSTNode as _CSTNode

    _VALIDATE = _CSTNode.__dict__["__post_init__"]
except (ImportError, KeyError):  # pragma: no cover - another libcst layout: validate
    _CSTNode = None

__all__ = ["CodegenState", "codegen", "parse_module"]


def codegen(node: cst.CSTNode, state: CodegenState, **options: Any) -> None:
    """Generate ``node``'s code into ``state`` (``options`` as the node's own codegen takes
    them, e.g. ``is_elif`` for an ``If`` in its parent's ``orelse``)."""
    node._codegen(state, **options)


def _no_validation(self: cst.CSTNode) -> None:
    return None


def parse_module(text: str) -> cst.Module:
    """``cst.parse_module`` without the per-node validation (a fifth of the parse time;
    libcst's own comment on ``CSTNode.__post_init__`` suggests skipping it when parsing).
    Validation is off only while this call parses, in this thread's process."""
    if _CSTNode is None:  # pragma: no cover
        return cst.parse_module(text)
    _CSTNode.__post_init__ = _no_validation
    try:
        return cst.parse_module(text)
    finally:
        _CSTNode.__post_init__ = _VALIDATE
