"""The stored and published form of a domain event."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

#: compact JSON, anything unknown as its ``str()``: how events are written (one encoder
#: for every call, not one per ``json.dumps``)
compact_json = json.JSONEncoder(separators=(",", ":"), default=str).encode

#: the last second :func:`utc_now` formatted, and its text
_second: tuple[int, str] = (-1, "")


def utc_now() -> str:
    """Now in UTC as ISO 8601, as ``datetime.now(UTC).isoformat()`` writes it
    (``2026-01-02T03:04:05.678901+00:00``, no fraction on a whole second), at a fifth of
    its cost: the date and time of day are formatted once per second."""
    global _second  # noqa: PLW0603 - a one-entry cache, replaced whole
    seconds, micros = divmod(time.time_ns() // 1000, 1_000_000)
    cached = _second
    if cached[0] != seconds:
        cached = _second = (seconds, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)))
    if micros:
        return f"{cached[1]}.{micros:06d}+00:00"
    return f"{cached[1]}+00:00"


class FrozenTwin(dict):
    """A plain dict (JSON encodes it as one) carrying its frozen form and its compact JSON
    text, made once: a :class:`DomainEvent` holding it takes that form instead of freezing
    it again, :func:`event_body` that text instead of encoding it again. For values that
    many events share (an event's business context)."""

    __slots__ = ("frozen", "json")

    frozen: Any
    json: str


def metadata_json(metadata: Any) -> str:
    """``compact_json(metadata)``. A business context that is a :class:`FrozenTwin` and the
    last entry of ``metadata`` (as events published by the runtime have it) is written from
    its JSON text, made once per context."""
    context = metadata.get("business_context") if type(metadata) is dict else None
    if type(context) is not FrozenTwin or next(reversed(metadata)) != "business_context":
        return compact_json(metadata)
    rest = dict(metadata)
    del rest["business_context"]
    text = compact_json(rest)
    comma = "," if rest else ""
    return f'{text[:-1]}{comma}"business_context":{context.json}}}'


def event_body(
    event_id: str,
    stream_id: str,
    version: int,
    event_type: str,
    data: Any,
    timestamp: str,
    metadata: Any,
) -> bytes:
    """The event's JSON, as ``DomainEvent.to_json()`` writes it (metadata by
    :func:`metadata_json`)."""
    head = compact_json(
        {
            "event_id": event_id,
            "stream_id": stream_id,
            "version": version,
            "type": event_type,
            "data": data,
            "timestamp": timestamp,
        }
    )
    return f'{head[:-1]},"metadata":{metadata_json(metadata)}}}'.encode()


def _freeze(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value  # the usual leaves, without the isinstance checks below
    if kind is FrozenTwin:
        return value.frozen
    if isinstance(value, dict):
        # text and None leaves (most of an event's metadata) without a call each
        return MappingProxyType(
            {k: v if type(v) is str or v is None else _freeze(v) for k, v in value.items()}
        )
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _thaw(value: Any) -> Any:
    if isinstance(value, MappingProxyType | dict):
        return {k: _thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event about to be appended: the store assigns its version. ``subject`` is the
    bus subject it is published on (a store that is also the bus files it under it),
    ``headers`` the message headers (W3C trace context, baggage) such a store sends along.
    ``fresh`` says the event id was made for this append, so no earlier append can have
    stored it: only the store's own retries of this append can, and a store that resolves
    those by stream position needs no de-duplication by id."""

    event_id: str
    type: str
    data: dict[str, Any]
    metadata: dict[str, Any]
    timestamp: str = field(default_factory=utc_now)
    subject: str | None = None
    headers: dict[str, str] | None = None
    fresh: bool = False


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """An immutable, stored domain event.

    ``version`` is dense per stream, starting at 1. ``metadata`` carries ``correlation_id``,
    ``causation_id``, ``request_id``, ``source`` (the publishing service),
    ``business_context`` (``BusinessContext.to_dict()``) and the W3C ``traceparent``
    (and ``tracestate``) of the PRODUCER span.
    """

    event_id: str
    stream_id: str
    version: int
    type: str
    data: Any
    timestamp: str
    metadata: Any

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", _freeze(self.data))
        object.__setattr__(self, "metadata", _freeze(self.metadata))

    @property
    def correlation_id(self) -> str | None:
        return self.metadata.get("correlation_id")

    @property
    def causation_id(self) -> str | None:
        return self.metadata.get("causation_id")

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "stream_id": self.stream_id,
            "version": self.version,
            "type": self.type,
            "data": _thaw(self.data),
            "timestamp": self.timestamp,
            "metadata": _thaw(self.metadata),
        }

    def to_json(self) -> bytes:
        return compact_json(self.to_dict()).encode()

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> DomainEvent:
        """The event of its JSON object; ``KeyError``, ``ValueError`` or ``TypeError`` for
        an object that is not one."""
        metadata = raw.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            raise TypeError(f"an event's metadata is an object, got {type(metadata).__name__}")
        return cls(
            event_id=raw["event_id"],
            stream_id=raw["stream_id"],
            version=int(raw["version"]),
            type=raw["type"],
            data=raw.get("data"),
            timestamp=raw["timestamp"],
            metadata=metadata,
        )

    @classmethod
    def from_json(cls, payload: bytes | str) -> DomainEvent:
        return cls.from_dict(json.loads(payload))

    @classmethod
    def stored(cls, new: NewEvent, stream_id: str, version: int) -> DomainEvent:
        return cls(
            new.event_id, stream_id, version, new.type, new.data, new.timestamp, new.metadata
        )
