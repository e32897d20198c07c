"""Structured logging: one JSON object per record, with the business context.

``service.logger.error(message, fields, error)`` merges, in one record: the current
business context (span attribute names), correlation / request / causation ids, the trace
and span ids, the caller's ``fields`` and the error's type, message and traceback. Values
under secret-looking keys are redacted. The record also goes onto the current span as an
event (redacted the same way), so a trace shows what was logged inside it.

Records are emitted through the standard library logger ``lucent.<service>`` (its message
is the JSON text, ``record.lucent`` the dict), so applications route them with ordinary
logging configuration. Secrets are redacted before the record exists: field names,
structured values (pydantic models, dataclasses, objects), the message, and the error's
message and traceback (see :mod:`lucent_runtime._redact`).

:func:`configure_logging` installs a handler for people and for machines: JSON lines when
the output is not a terminal (or ``LUCENT_LOG_FORMAT=json``), and on a terminal (or
``LUCENT_LOG_FORMAT=text``) one readable line per record, coloured with rich, with the
fields as ``key=value`` and a short traceback (the innermost frame and the error).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

from opentelemetry import trace

from ._context import current_request_context
from ._errors import ConfigurationError
from ._redact import format_traceback, redact, redact_attributes, redact_text

__all__ = ["JsonFormatter", "StructuredLogger", "TextFormatter", "configure_logging"]

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
        self.logger.log(level, _dumps(record), extra={"lucent": record, "lucent_redacted": True})
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
                "message": redact_text(message),
            }
        )
        if error is not None:
            out["error"] = {
                "type": type(error).__qualname__,
                "message": redact_text(str(error)),
                "traceback": format_traceback(error),
            }
        return out


def _dumps(record: Mapping[str, Any]) -> str:
    return json.dumps(record, default=lambda value: redact_text(str(value)), ensure_ascii=False)


def _add_span_event(record: Mapping[str, Any]) -> None:
    span = trace.get_current_span()
    if not span.is_recording():
        return
    attributes: dict[str, Any] = {"log.severity": record["level"], "log.message": record["message"]}
    for key, value in record.items():
        if key in _RESERVED or key in ("trace_id", "span_id"):
            continue
        attributes[f"log.{key}"] = (
            value if isinstance(value, str | bool | int | float) else _dumps(value)
        )
    error = record.get("error")
    if error:
        attributes["exception.type"] = error["type"]
        attributes["exception.message"] = error["message"]
    span.add_event("log", redact_attributes(attributes))


# -- output: JSON lines or one readable line per record --------------------------------------

_FORMATS = ("auto", "json", "text")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: a structured record as it is, any other record as
    timestamp, level, logger, message and error."""

    def format(self, record: logging.LogRecord) -> str:
        return _dumps(_as_dict(record))


_LEVEL_STYLES = {
    "debug": "dim",
    "info": "cyan",
    "warning": "yellow",
    "error": "bold red",
    "critical": "bold white on red",
}
_SKIP = frozenset({"timestamp", "level", "logger", "message", "error", "service.name"})
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<fn>.+)$')


class TextFormatter(logging.Formatter):
    """``12:00:01 ERROR  trading  Arbitrage strategy failed  trade_id=789 ...``, then, for
    an error, its innermost frame and the error line (rich markup when ``color``)."""

    def __init__(self, color: bool = True) -> None:
        super().__init__()
        self.color = color

    def format(self, record: logging.LogRecord) -> str:
        from rich.console import Console
        from rich.text import Text

        data = _as_dict(record)
        level = str(data.get("level", "info"))
        head = Text()
        head.append(str(data.get("timestamp", ""))[11:23] + " ", style="dim")
        head.append(f"{level.upper():<7}", style=_LEVEL_STYLES.get(level, ""))
        head.append(f" {data.get('service.name') or data.get('logger', '')} ", style="magenta")
        head.append(str(data.get("message", "")), style="bold")
        for key, value in data.items():
            if key in _SKIP or key.startswith(("business.", "crypto.")) or key == "span_id":
                continue
            shown = value if isinstance(value, str) else _dumps(value)
            head.append(f"  {key}=", style="dim")
            head.append(shown)
        lines = [head]
        error = data.get("error")
        if isinstance(error, Mapping):
            where = _innermost_frame(str(error.get("traceback", "")))
            if where:
                lines.append(Text(f"    at {where}", style="dim"))
            lines.append(Text(f"    {error.get('type')}: {error.get('message')}", style="red"))
        console = Console(
            file=_Sink(), color_system="standard" if self.color else None, width=100_000
        )
        with console.capture() as capture:
            for line in lines:
                console.print(line, soft_wrap=True, highlight=False)
        return capture.get().rstrip("\n")


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def _innermost_frame(text: str) -> str:
    """``file:line in function`` where the error started: the last frame of the first
    traceback printed (the root cause of a chain)."""
    first = re.split(r"\n(?:The above exception|During handling of the above)", text, maxsplit=1)
    frames = [m for m in map(_FRAME.match, first[0].splitlines()) if m]
    if not frames:
        return ""
    last = frames[-1]
    return f"{os.path.basename(last['file'])}:{last['line']} in {last['fn']}"


#: the attributes every log record has; any other one came with ``extra=``
_RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "lucent",
    "lucent_redacted",
}


def _as_dict(record: logging.LogRecord) -> dict[str, Any]:
    structured = getattr(record, "lucent", None)
    if isinstance(structured, dict):
        return structured
    # the fields a plain record got through ``extra=``, redacted like a structured one's
    extra = {
        key if key not in _RESERVED else f"fields.{key}": value
        for key, value in record.__dict__.items()
        if key not in _RECORD_ATTRIBUTES and not key.startswith("_")
    }
    out: dict[str, Any] = redact(extra) if extra else {}
    out.update(
        {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact_text(record.getMessage()),
        }
    )
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        out["error"] = {
            "type": type(error).__qualname__,
            "message": redact_text(str(error)),
            "traceback": format_traceback(error),
        }
    elif record.exc_text:
        out["error"] = {"type": "", "message": "", "traceback": redact_text(record.exc_text)}
    return out


def configure_logging(
    level: int | str = logging.INFO,
    stream: IO[str] | None = None,
    fmt: str | None = None,
) -> logging.Handler:
    """Send log records to ``stream`` (default stderr) through one root handler, as JSON
    lines or readable text: ``fmt`` is ``"json"``, ``"text"`` or ``"auto"`` (JSON unless
    the stream is a terminal); default ``LUCENT_LOG_FORMAT`` or ``"auto"``. Replaces a
    handler installed by an earlier call; returns the handler."""
    stream = sys.stderr if stream is None else stream
    fmt = (fmt or os.environ.get("LUCENT_LOG_FORMAT") or "auto").strip().lower()
    if fmt not in _FORMATS:
        raise ConfigurationError(
            f"LUCENT_LOG_FORMAT must be one of {', '.join(_FORMATS)}, not {fmt!r}"
        )
    is_tty = bool(getattr(stream, "isatty", lambda: False)())
    if fmt == "auto":
        fmt = "text" if is_tty else "json"
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter() if fmt == "json" else TextFormatter(color=is_tty and not _no_color())
    )
    handler.lucent_handler = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "lucent_handler", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def _no_color() -> bool:
    return bool(os.environ.get("NO_COLOR"))
