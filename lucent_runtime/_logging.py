"""Structured logging: one JSON object per record, with the business context.

``service.logger.error(message, fields, error)`` merges, in one record: the current
business context (span attribute names), correlation / request / causation ids, the trace
and span ids, the caller's ``fields`` and the error's type, message and traceback. Values
under secret-looking keys are redacted. The record also goes onto the current span as an
event (redacted the same way), so a trace shows what was logged inside it.

Records are emitted through the standard library logger ``lucent.<service>`` (its message
is the JSON text, ``record.lucent`` the dict), so applications route them with ordinary
logging configuration.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from ._context import current_request_context
from ._redact import redact, redact_attributes

__all__ = ["StructuredLogger"]

_RESERVED = ("timestamp", "level", "logger", "service.name", "message", "error")


class StructuredLogger:
    """The ``self.logger`` of a service."""

    def __init__(self, service_name: str, logger: logging.Logger | None = None) -> None:
        self.service_name = service_name
        self.logger = logger or logging.getLogger(f"lucent.{service_name}")

    def debug(self, message: str, fields: Mapping[str, Any] | None = None) -> None:
        self.log(logging.DEBUG, message, fields)

    def info(self, message: str, fields: Mapping[str, Any] | None = None) -> None:
        self.log(logging.INFO, message, fields)

    def warning(
        self,
        message: str,
        fields: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> None:
        self.log(logging.WARNING, message, fields, error)

    def error(
        self,
        message: str,
        fields: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Log a failure with its context: ``fields`` plus the error (type, message,
        traceback)."""
        self.log(logging.ERROR, message, fields, error)

    def exception(self, message: str, fields: Mapping[str, Any] | None = None) -> None:
        """Like :meth:`error` with the exception being handled."""
        self.log(logging.ERROR, message, fields, sys.exc_info()[1])

    def log(
        self,
        level: int,
        message: str,
        fields: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> None:
        if not self.logger.isEnabledFor(level):
            return
        record = self.record(level, message, fields, error)
        self.logger.log(
            level, json.dumps(record, default=str, ensure_ascii=False), extra={"lucent": record}
        )
        _add_span_event(record)

    def record(
        self,
        level: int,
        message: str,
        fields: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> dict[str, Any]:
        """The JSON-ready record (already redacted)."""
        out: dict[str, Any] = {}
        ctx = current_request_context()
        if ctx is not None:
            out.update(ctx.business_context.to_attributes())
            out["correlation_id"] = ctx.correlation_id
            out["request_id"] = ctx.request_id
            if ctx.causation_id:
                out["causation_id"] = ctx.causation_id
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            out["trace_id"] = format(span_context.trace_id, "032x")
            out["span_id"] = format(span_context.span_id, "016x")
        for key, value in (fields or {}).items():
            out[key if key not in _RESERVED else f"fields.{key}"] = value
        out = redact(out)
        out.update(
            {
                "timestamp": datetime.now(UTC).isoformat(),
                "level": logging.getLevelName(level).lower(),
                "logger": self.logger.name,
                "service.name": self.service_name,
                "message": message,
            }
        )
        if error is not None:
            out["error"] = {
                "type": type(error).__qualname__,
                "message": str(error),
                "traceback": "".join(
                    traceback.format_exception(type(error), error, error.__traceback__)
                ),
            }
        return out


def _add_span_event(record: Mapping[str, Any]) -> None:
    span = trace.get_current_span()
    if not span.is_recording():
        return
    attributes: dict[str, Any] = {"log.severity": record["level"], "log.message": record["message"]}
    for key, value in record.items():
        if key in _RESERVED or key in ("trace_id", "span_id"):
            continue
        attributes[f"log.{key}"] = (
            value if isinstance(value, str | bool | int | float) else json.dumps(value, default=str)
        )
    error = record.get("error")
    if error:
        attributes["exception.type"] = error["type"]
        attributes["exception.message"] = error["message"]
    span.add_event("log", redact_attributes(attributes))
