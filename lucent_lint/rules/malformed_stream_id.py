"""LUC304: a literal or f-string stream id not of the form ``{aggregate-type}-{id}``."""

from __future__ import annotations

from lucent_lint.rules._named_arguments import NamedArgumentRule
from lucent_runtime.naming import stream_id_problem


class MalformedStreamId(NamedArgumentRule):
    code = "LUC304"
    slug = "malformed-stream-id"
    checklist = "naming conventions"
    message = "stream id {stream_id!r} is not '{{aggregate-type}}-{{aggregate-id}}'"
    parameters = ("stream_id",)
    other_calls = {
        "read_stream": (0, ("stream_id", "stream_name"), "stream_id"),
        "get_stream": (0, ("stream_name", "stream_id"), "stream_id"),
    }
    check_append_stream = True

    def problem(self, parameter: str, value: str) -> str | None:
        return stream_id_problem(value)
