"""Payloads of events and commands: JSON-ready values from dicts, pydantic models and
dataclasses."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_jsonable_python

from ._errors import MessageDecodeError, PayloadError

__all__ = ["decode", "encode", "to_jsonable"]


def to_jsonable(value: Any, what: str = "payload") -> Any:
    """``value`` as plain JSON data (dicts, lists, str, numbers, bool, None).

    Pydantic models are dumped in JSON mode, dataclasses converted, and values JSON has no
    type for are written as a pydantic model writes them: ``Decimal`` as a string
    (``"1.5"``), datetimes, dates and times in ISO 8601, ``UUID`` as text, an ``Enum`` as
    its value, tuples and sets as lists. Anything else (other types, NaN, bytes that are
    not UTF-8, self-references, nesting deeper than Python's recursion limit, integers too
    long to print) raises :class:`PayloadError` naming ``what``.
    """
    try:
        if type(value) is dict:
            try:
                return _copy_plain(value)
            except _NotPlainError:
                pass  # the general way below converts, or names the problem
        if isinstance(value, BaseModel):
            return value.model_dump(mode="json")
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            value = dataclasses.asdict(value)
        if isinstance(value, Mapping) and not isinstance(value, dict):
            value = dict(value)
        return json.loads(json.dumps(value, default=_default, allow_nan=False))
    except RecursionError as err:
        raise PayloadError(f"{what} is nested too deeply (or refers to itself)") from err
    except PayloadError:
        raise
    except Exception as err:  # TypeError, ValueError, pydantic's serialisation errors
        raise PayloadError(f"{what} is not JSON-encodable: {type(err).__name__}: {err}") from err


class _NotPlainError(Exception):
    """A value the plain copy leaves to the JSON round trip."""


_SCALARS = frozenset({str, bool, type(None)})
#: the bits of the longest int ``json`` prints (Python refuses ints over 4,300 digits)
_MAX_INT_BITS = 14_000


def _copy_plain(value: Any) -> Any:
    """What ``json.loads(json.dumps(value))`` gives, for values made only of dicts with
    string keys, lists, strings, ints, bools, None and finite floats (the usual payload),
    without encoding; anything else raises :class:`_NotPlainError`."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is int:
        if value.bit_length() > _MAX_INT_BITS:
            raise _NotPlainError  # the round trip names the problem
        return value
    if kind is float:
        if value - value != 0.0:  # inf or nan: refused by the JSON round trip
            raise _NotPlainError
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlainError
            out[key] = _copy_plain(item)
        return out
    if kind is list or kind is tuple:
        return [_copy_plain(item) for item in value]
    raise _NotPlainError


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple | set | frozenset):
        return list(value)
    try:
        # Decimal, datetime, date, time, timedelta, UUID, Enum, bytes, paths...: as a
        # pydantic model's JSON mode writes them, so a dict and a model agree
        return to_jsonable_python(value)
    except UnicodeDecodeError:
        raise TypeError("bytes that are not UTF-8 text are not JSON serializable") from None
    except (PydanticSerializationError, ValueError):
        raise TypeError(f"{type(value).__name__} is not JSON serializable") from None


_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def encode(value: Any, what: str = "payload") -> bytes:
    """Compact JSON bytes of an already JSON-ready value; :class:`PayloadError` for one
    that cannot be sent (lone surrogates in a string)."""
    try:
        return _compact(value).encode()
    except UnicodeEncodeError as err:
        raise PayloadError(f"{what} holds text that is not valid Unicode: {err}") from err


def decode(data: bytes, what: str = "payload") -> Any:
    """The JSON value of ``data``; :class:`MessageDecodeError` when it is not JSON."""
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise MessageDecodeError(f"{what} is not valid JSON: {err}") from err
