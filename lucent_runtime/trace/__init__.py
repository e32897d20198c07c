"""``lucent-trace``: the standard's debugging queries (find, show, journey, stats) over the
local span store that the runtime records on the embedded default."""

from __future__ import annotations

from ._query import QueryError, parse_query
from ._store import StoreError, TraceStore

__all__ = ["QueryError", "StoreError", "TraceStore", "parse_query"]
