"""Business context (who and what an operation is about) and request context (which unit of
work, in which flow).

``BusinessContextBuilder`` is the only way the standard allows to make a
``BusinessContext``: a preset for the domain, ``with_*`` calls, then ``build()``, which
validates everything at once and raises :class:`BusinessContextError` naming each problem.
"""

from __future__ import annotations

import math
import os
import re
import reprlib
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from numbers import Real
from types import MappingProxyType
from typing import Any

from . import naming
from ._errors import BusinessContextError
from ._events import FrozenTwin, _freeze, compact_json
from ._redact import redact_attributes

__all__ = [
    "PRIORITIES",
    "BusinessContext",
    "BusinessContextBuilder",
    "RequestContext",
    "current_request_context",
    "new_event_id",
    "new_id",
]

PRIORITIES = ("low", "normal", "high")
AttributeValue = str | bool | int | float

_METADATA_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")

# field name -> span attribute name, in the standard's order
_ATTRIBUTES = (
    ("domain", "business.domain"),
    ("bounded_context", "business.bounded_context"),
    ("aggregate_type", "business.aggregate_type"),
    ("aggregate_id", "business.aggregate_id"),
    ("user_id", "business.user_id"),
    ("workflow_id", "business.workflow_id"),
    ("trading_pair", "crypto.trading_pair"),
    ("exchange", "crypto.exchange"),
    ("protocol", "crypto.protocol"),
    ("amount_usd", "crypto.amount_usd"),
    ("risk_level", "crypto.risk_level"),
    ("strategy_type", "crypto.strategy_type"),
)


# the version and variant (RFC 4122) bits of a UUID: cleared, then set for version 4 or 7
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)
_UUID7_SET = (0x7000 << 64) | (0x8000 << 48)


def _uuid_text(value: int) -> str:
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_id() -> str:
    """A fresh opaque id (UUID4, hex with dashes); ``str(uuid.uuid4())`` at half the cost."""
    return _uuid_text(int.from_bytes(os.urandom(16)) & _UUID_CLEAR | _UUID4_SET)


def new_event_id() -> str:
    """A fresh event id: a UUID version 7 (RFC 9562), the creation time in milliseconds
    followed by 74 random bits. Ids made one after the other sort together, so a store's
    index of event ids takes each new one at its end instead of at a random page (with
    random ids a commit of 16 events rewrote about twice the pages)."""
    stamp = time.time_ns() // 1_000_000
    return _uuid_text((stamp << 80 | int.from_bytes(os.urandom(10))) & _UUID_CLEAR | _UUID7_SET)


class _Derived:
    """Slots for what an immutable :class:`BusinessContext` derives once: its span
    attributes (as given and redacted) and its dict form. Not dataclass fields, so
    equality, ``repr`` and ``dataclasses.asdict`` do not see them."""

    __slots__ = ("_attributes", "_dict", "_frozen", "_json", "_redacted")


@dataclass(frozen=True, slots=True)
class BusinessContext(_Derived):
    """What an operation is about; immutable. Build it with :class:`BusinessContextBuilder`."""

    domain: str
    bounded_context: str
    aggregate_type: str
    aggregate_id: str
    user_id: str | None = None
    workflow_id: str | None = None
    trading_pair: str | None = None
    exchange: str | None = None
    protocol: str | None = None
    amount_usd: float | None = None
    priority: str = "normal"
    risk_level: str | None = None
    strategy_type: str | None = None
    metadata: Mapping[str, AttributeValue] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        self._derive()

    def __reduce__(self) -> tuple[Any, ...]:
        # copy and pickle through the JSON-ready form (the metadata view cannot pickle)
        return (type(self).from_dict, (self.to_dict(),))

    def _derive(self) -> None:
        attributes: dict[str, AttributeValue] = {}
        as_dict: dict[str, Any] = {}
        for name, attribute in _ATTRIBUTES:
            value = getattr(self, name)
            if value is not None:
                attributes[attribute] = value
                as_dict[name] = value
        for key, value in self.metadata.items():
            attributes[f"business.metadata.{key}"] = value
        as_dict["priority"] = self.priority
        if self.metadata:
            as_dict["metadata"] = dict(self.metadata)
        object.__setattr__(self, "_attributes", attributes)
        object.__setattr__(self, "_redacted", redact_attributes(attributes))
        object.__setattr__(self, "_dict", as_dict)
        object.__setattr__(self, "_frozen", _freeze(as_dict))
        object.__setattr__(self, "_json", compact_json(as_dict))

    def _derived(self, slot: str) -> Any:
        try:
            return getattr(self, slot)
        except AttributeError:  # an unpickled or copied context: slots not restored
            self._derive()
            return getattr(self, slot)

    def to_attributes(self) -> dict[str, AttributeValue]:
        """The standard's span attributes; unset values are left out, metadata becomes
        ``business.metadata.<key>``."""
        return dict(self._derived("_attributes"))

    def _span_attributes(self) -> dict[str, AttributeValue]:
        """:meth:`to_attributes` with secret-looking metadata redacted (shared: do not
        modify)."""
        return self._derived("_redacted")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form that :meth:`from_dict` turns back into an equal context."""
        out = dict(self._derived("_dict"))
        if "metadata" in out:
            out["metadata"] = dict(out["metadata"])
        return out

    def _event_dict(self) -> FrozenTwin:
        """:meth:`to_dict` for an event's metadata, with its frozen form and JSON text made
        once."""
        twin = FrozenTwin(self._derived("_dict"))
        if "metadata" in twin:
            twin["metadata"] = dict(twin["metadata"])
        twin.frozen = self._derived("_frozen")
        twin.json = self._derived("_json")
        return twin

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> BusinessContext:
        """Rebuild a context carried by an event or a command; validated like ``build()``.

        Contexts are immutable, so one rebuilt from the same content before is reused
        (every message of a flow carries the same context)."""
        if not isinstance(raw, Mapping):
            raise BusinessContextError(
                f"business context must be a mapping, got {type(raw).__name__}"
            )
        key = _content_key(raw)
        if key is not None:
            cached = _REBUILT.get(key)
            if cached is not None:
                return cached
        context = cls._rebuild(raw)
        if key is not None:
            if len(_REBUILT) >= _REBUILT_CACHED:
                _REBUILT.clear()
            _REBUILT[key] = context
        return context

    @classmethod
    def _rebuild(cls, raw: Mapping[str, Any]) -> BusinessContext:
        builder = BusinessContextBuilder(raw.get("domain"), raw.get("bounded_context"))
        builder.with_aggregate(raw.get("aggregate_type"), raw.get("aggregate_id"))
        for name, method in (
            ("user_id", builder.with_user),
            ("workflow_id", builder.with_workflow),
            ("trading_pair", builder.with_trading_pair),
            ("exchange", builder.with_exchange),
            ("protocol", builder.with_protocol),
            ("amount_usd", builder.with_amount),
            ("priority", builder.with_priority),
            ("risk_level", builder.with_risk_level),
            ("strategy_type", builder.with_strategy_type),
        ):
            if raw.get(name) is not None:
                method(raw[name])
        for key, value in (raw.get("metadata") or {}).items():
            builder.with_metadata(key, value)
        return builder.build()


_REBUILT: dict[tuple[Any, ...], BusinessContext] = {}
_REBUILT_CACHED = 1024


def _content_key(raw: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """A hashable key telling a context dict's content apart, types included (``True``,
    ``1`` and ``1.0`` are equal keys in Python, not equal metadata); None when a value is
    not hashable."""
    items = []
    for key, value in raw.items():
        if isinstance(value, Mapping):
            value = tuple((k, type(v), v) for k, v in value.items())
        items.append((key, type(value), value))
    out = tuple(items)
    try:
        hash(out)
    except TypeError:
        return None
    return out


class BusinessContextBuilder:
    """Fluent builder of :class:`BusinessContext`: start from a preset, chain, ``build()``.

    >>> ctx = (BusinessContextBuilder.for_crypto_trading()
    ...        .with_aggregate("Trade", "trade-abc123").with_amount(50_000).build())
    """

    def __init__(self, domain: str | None = None, bounded_context: str | None = None) -> None:
        self._values: dict[str, Any] = {"domain": domain, "bounded_context": bounded_context}
        self._metadata: dict[str, Any] = {}

    # -- presets ------------------------------------------------------------------------
    @classmethod
    def for_crypto_trading(cls) -> BusinessContextBuilder:
        """Domain ``crypto-trading``, bounded context ``crypto-trading``."""
        return cls("crypto-trading", "crypto-trading")

    @classmethod
    def for_yield_farming(cls) -> BusinessContextBuilder:
        """Domain ``crypto-trading``, bounded context ``yield-farming``."""
        return cls("crypto-trading", "yield-farming")

    @classmethod
    def for_user_management(cls) -> BusinessContextBuilder:
        """Domain ``user-management``, bounded context ``user-management``."""
        return cls("user-management", "user-management")

    @classmethod
    def for_domain(cls, domain: str, bounded_context: str | None = None) -> BusinessContextBuilder:
        """Any other domain (kebab-case); the bounded context defaults to the domain."""
        return cls(domain, bounded_context or domain)

    # -- chain --------------------------------------------------------------------------
    def _set(self, name: str, value: Any) -> BusinessContextBuilder:
        self._values[name] = value
        return self

    def with_aggregate(self, aggregate_type: str, aggregate_id: str) -> BusinessContextBuilder:
        self._values["aggregate_type"] = aggregate_type
        return self._set("aggregate_id", aggregate_id)

    def with_user(self, user_id: str) -> BusinessContextBuilder:
        return self._set("user_id", user_id)

    def with_trading_pair(self, pair: str) -> BusinessContextBuilder:
        return self._set("trading_pair", pair)

    def with_exchange(self, name: str) -> BusinessContextBuilder:
        return self._set("exchange", name)

    def with_protocol(self, name: str) -> BusinessContextBuilder:
        return self._set("protocol", name)

    def with_amount(self, usd: float | Decimal) -> BusinessContextBuilder:
        return self._set("amount_usd", usd)

    def with_workflow(self, workflow_id: str) -> BusinessContextBuilder:
        return self._set("workflow_id", workflow_id)

    def with_priority(self, priority: str) -> BusinessContextBuilder:
        return self._set("priority", priority)

    def with_risk_level(self, level: str) -> BusinessContextBuilder:
        return self._set("risk_level", level)

    def with_strategy_type(self, kind: str) -> BusinessContextBuilder:
        return self._set("strategy_type", kind)

    def with_metadata(self, key: str, value: AttributeValue) -> BusinessContextBuilder:
        self._metadata[key] = value
        return self

    # -- build --------------------------------------------------------------------------
    def build(self) -> BusinessContext:
        """Validate and freeze. Raises :class:`BusinessContextError` listing every problem."""
        values = dict(self._values)
        problems = _problems(values, self._metadata)
        if problems:
            raise BusinessContextError("invalid business context: " + "; ".join(problems))
        if values.get("amount_usd") is not None:
            values["amount_usd"] = float(values["amount_usd"])
        values.setdefault("priority", "normal")
        return BusinessContext(**values, metadata=dict(self._metadata))


def _is_amount(value: Any) -> bool:
    """A finite number >= 0 that a float can hold (an int, a float, a ``Decimal``)."""
    if isinstance(value, bool) or not isinstance(value, Real | Decimal):
        return False
    try:
        as_float = float(value)
    except (OverflowError, ValueError):  # 10**400, Decimal("sNaN")
        return False
    return math.isfinite(as_float) and as_float >= 0


def _problems(values: dict[str, Any], metadata: dict[str, Any]) -> list[str]:
    problems = []
    for name in ("domain", "bounded_context"):
        value = values.get(name)
        if not value:
            problems.append(f"no {name} (start from a for_* preset)")
        elif not isinstance(value, str) or not naming.is_kebab_case(value):
            problems.append(f"{name} {value!r} is not kebab-case (e.g. 'crypto-trading')")
    if not values.get("aggregate_type") or not values.get("aggregate_id"):
        problems.append("no aggregate (call with_aggregate(type, id))")
    for name in (
        "aggregate_type",
        "aggregate_id",
        "user_id",
        "workflow_id",
        "trading_pair",
        "exchange",
        "protocol",
        "risk_level",
        "strategy_type",
    ):
        value = values.get(name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            problems.append(f"{name} must be a non-empty string, got {value!r}")
    amount = values.get("amount_usd")
    if amount is not None and not _is_amount(amount):
        problems.append(f"amount_usd must be a finite number >= 0, got {reprlib.repr(amount)}")
    priority = values.get("priority", "normal")
    if priority not in PRIORITIES:
        problems.append(f"priority {priority!r} is not one of {', '.join(PRIORITIES)}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not _METADATA_KEY.match(key):
            problems.append(f"metadata key {key!r} is not a simple name")
        elif not isinstance(value, str | bool | int | float):
            problems.append(f"metadata {key!r} must be a string, number or bool")
    return problems


@dataclass(frozen=True, slots=True)
class RequestContext:
    """The unit of work an operation, step or handler runs in.

    ``correlation_id`` is shared by a whole flow; ``causation_id`` is the id of what caused
    this work (the handled event, the received command, the enclosing request);
    ``source`` is the service doing the work.
    """

    request_id: str
    correlation_id: str
    causation_id: str | None
    business_context: BusinessContext
    source: str

    @classmethod
    def start(
        cls,
        business_context: BusinessContext,
        source: str,
        parent: RequestContext | None = None,
    ) -> RequestContext:
        """A new unit of work; inside ``parent`` it joins the parent's flow."""
        if parent is None:
            return cls(new_id(), new_id(), None, business_context, source)
        return cls(
            new_id(),
            parent.correlation_id,
            parent.cause,
            business_context,
            source,
        )

    @property
    def cause(self) -> str:
        """The causation id of what this work produces: its own cause, else itself."""
        return self.causation_id or self.request_id


_CURRENT: ContextVar[RequestContext | None] = ContextVar("lucent_request_context", default=None)


def current_request_context() -> RequestContext | None:
    """The request context of the operation, step or handler running now, if any."""
    return _CURRENT.get()
