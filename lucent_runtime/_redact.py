"""Redaction of secrets in log records and span attributes.

A key is secret-looking when one of its words is ``password``, ``passwd``, ``passphrase``,
``secret``, ``seed`` or ``mnemonic``, when it holds ``api`` + ``key`` or ``private`` +
``key`` (``api_key``, ``apiKey``, ``x-api-key``, ``private_key``), or when it ends in
``token`` (``token``, ``access_token``, ``authToken``). ``token_symbol`` is not secret.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "REDACTED",
    "is_secret_attribute",
    "is_secret_key",
    "redact",
    "redact_attributes",
]

REDACTED = "[REDACTED]"

_SECRET_WORDS = frozenset({"password", "passwd", "passphrase", "secret", "seed", "mnemonic"})
_JOINED = frozenset({"apikey", "privatekey", "secretkey", "seedphrase"})
_PAIRS = frozenset({("api", "key"), ("private", "key")})
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """True for keys whose values must never be written out (cached: the same few keys
    come back on every call)."""
    words = [w.lower() for w in _WORDS.findall(key)]
    if not words:
        return False
    if any(w in _SECRET_WORDS or w in _JOINED for w in words):
        return True
    if any(pair in _PAIRS for pair in itertools.pairwise(words)):
        return True
    return words[-1] in ("token", "tokens")


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret-looking keys' values replaced, at any depth."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and is_secret_key(k) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


@functools.lru_cache(maxsize=4096)
def is_secret_attribute(key: str) -> bool:
    """True for a span attribute whose last dotted part is a secret-looking key
    (``business.metadata.api_key``)."""
    return is_secret_key(key.rpartition(".")[2])


def redact_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Span attributes with secret-looking keys redacted (the last dotted part decides:
    ``business.metadata.api_key``)."""
    return {
        key: REDACTED if is_secret_attribute(key) else value for key, value in attributes.items()
    }
