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

__all__ = ["CodegenState", "codegen"]


def codegen(node: cst.CSTNode, state: CodegenState, **options: Any) -> None:
    """Generate ``node``'s code into ``state`` (``options`` as the node's own codegen takes
    them, e.g. ``is_elif`` for an ``If`` in its parent's ``orelse``)."""
    node._codegen(state, **options)
