"""One redaction policy for everything the runtime writes out: log records, span
attributes, span events and status, dead letters, command errors and message headers.

**Keys.** A key is split into words (separators ``_ - . /`` and spaces, camelCase,
digits), lower-cased, and plurals are made singular (``passwords``, ``api_keys``,
``Cookies``). It is secret-looking when

- a word contains ``password``, ``passwd``, ``passphrase``, ``secret``, ``credential``,
  ``authorization``, ``cookie``, ``bearer`` or ``mnemonic``, or one of the run-together
  compounds ``apikey``, ``privatekey``, ``privkey``, ``accesskey``, ``signingkey``,
  ``secretkey``, ``seedphrase``, ``walletseed`` (``dbpassword``, ``userPassword``,
  ``privkey``, ``clientSecret``, ``Set-Cookie``);
- two neighbouring words form one of those compounds (``api_key``, ``x-api-key``,
  ``priv_key``, ``accessKey``, ``signing-key``, ``seed_phrase``, ``wallet_seed``);
- a whole word is ``pwd``, ``jwt``, ``session``, ``otp``, ``pin``, ``cvv`` or ``cvc``
  (``session_id``, ``user_pin``; not ``spinning``, ``option``);
- the last word is ``token`` or ``seed`` (``token``, ``access_token``, ``authToken``,
  ``session_token``, ``seed``). ``token`` in the middle or at the start names a crypto
  token, not a credential: ``token_symbol``, ``token_count`` and ``tokenAddress`` stay.

:func:`configure_redaction` adds words (a long word or compound matches inside words, a
short one only as a whole word) and exempts keys; ``LUCENT_REDACT_KEYS`` and
``LUCENT_REDACT_ALLOW`` (comma-separated) do the same from the environment.

**Values.** :func:`redact` walks mappings, lists, tuples and sets, pydantic models,
dataclasses and other objects with a ``__dict__``, replacing the values of secret-looking
keys (field names) with ``[REDACTED]``; pydantic ``SecretStr`` / ``SecretBytes`` are always
redacted; strings are scrubbed as free text.

**Free text** (:func:`redact_text`): ``key=value``, ``key: value``, ``"key": "value"``
(and the ``'key': 'value'`` of a Python repr) of secret-looking keys, ``Bearer`` / ``Basic``
credentials, JSON Web Tokens and the password of ``scheme://user:password@host`` URLs are
replaced, in messages, exception texts and tracebacks.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import itertools
import logging
import os
import re
import traceback
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "REDACTED",
    "configure_redaction",
    "exception_text",
    "format_traceback",
    "is_secret_attribute",
    "is_secret_key",
    "redact",
    "redact_attributes",
    "redact_baggage",
    "redact_headers",
    "redact_text",
    "redacting_logger",
]

REDACTED = "[REDACTED]"

#: found inside a word or formed by neighbouring words
_ANYWHERE = frozenset(
    {
        "password", "passwd", "passphrase", "secret", "credential", "authorization",
        "cookie", "bearer", "mnemonic", "apikey", "privatekey", "privkey", "accesskey",
        "signingkey", "secretkey", "seedphrase", "walletseed",
    }
)  # fmt: skip
#: only as a whole word (too short to look for inside words)
_WHOLE = frozenset({"pwd", "jwt", "session", "otp", "pin", "cvv", "cvc"})
#: only as the last word
_LAST = frozenset({"token", "seed"})
#: shorter extra words than this match only as whole words
_MIN_ANYWHERE = 6

_WORDS = re.compile(r"[A-Z]{2,}s(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def _singular(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _words(key: str) -> list[str]:
    return [_singular(w.lower()) for w in _WORDS.findall(key)]


class _Policy:
    def __init__(self) -> None:
        self.anywhere: set[str] = set(_ANYWHERE)
        self.whole: set[str] = set(_WHOLE)
        self.allow: set[str] = set()

    def add(self, words: Iterable[str], allow: Iterable[str]) -> None:
        for word in words:
            joined = "".join(_words(word))
            if joined:
                (self.anywhere if len(joined) >= _MIN_ANYWHERE else self.whole).add(joined)
        self.allow.update("".join(_words(key)) for key in allow)


_policy = _Policy()


def configure_redaction(words: Iterable[str] = (), allow: Iterable[str] = ()) -> None:
    """Add secret ``words`` (``"account_number"``, ``"iban"``) to the policy and exempt
    the keys in ``allow`` (``"session_count"``). Applies process-wide."""
    _policy.add(words, allow)
    is_secret_key.cache_clear()
    is_secret_attribute.cache_clear()
    _redact_short.cache_clear()


def _from_environment() -> None:
    def split(name: str) -> list[str]:
        return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]

    words, allow = split("LUCENT_REDACT_KEYS"), split("LUCENT_REDACT_ALLOW")
    if words or allow:
        _policy.add(words, allow)


@functools.lru_cache(maxsize=4096)
def is_secret_key(key: str) -> bool:
    """True for keys whose values must never be written out (cached: the same few keys
    come back on every call)."""
    words = _words(key)
    if not words or "".join(words) in _policy.allow:
        return False
    anywhere = _policy.anywhere
    for word in words:
        if word in _policy.whole or any(secret in word for secret in anywhere):
            return True
    if any(a + b in anywhere for a, b in itertools.pairwise(words)):
        return True
    return words[-1] in _LAST


@functools.lru_cache(maxsize=4096)
def is_secret_attribute(key: str) -> bool:
    """True for a span attribute or dotted name whose last part is a secret-looking key
    (``business.metadata.api_key``)."""
    return is_secret_key(key.rpartition(".")[2])


# -- structured values --------------------------------------------------------------------

_MAX_DEPTH = 8


def _secret_value(value: Any) -> bool:
    name = type(value).__name__
    return name in ("SecretStr", "SecretBytes") and type(value).__module__.startswith("pydantic")


def _fields(value: Any) -> Mapping[str, Any] | None:
    """The named fields of a pydantic model, a dataclass or a plain object, else None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump) and hasattr(type(value), "model_fields"):
        return {name: getattr(value, name) for name in type(value).model_fields}
    if isinstance(value, BaseException | type) or callable(value):
        return None
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict) and type(value).__module__ != "builtins":
        return {k: v for k, v in attributes.items() if not k.startswith("_")}
    return None


def redact(value: Any, _depth: int = 0) -> Any:
    """A JSON-ready copy of ``value`` with the values of secret-looking keys and field
    names replaced at any depth, secret types replaced and strings scrubbed
    (:func:`redact_text`). Scalars other than strings come back unchanged."""
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if _secret_value(value):
        return REDACTED
    if _depth >= _MAX_DEPTH:
        return redact_text(str(value))
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and is_secret_key(k) else redact(v, _depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v, _depth + 1) for v in value]
    if isinstance(value, enum.Enum):
        return redact(value.value, _depth + 1)
    if isinstance(value, datetime.date | datetime.time):  # a datetime is a date
        return value.isoformat()
    fields = _fields(value)
    if fields is not None:
        return redact(fields, _depth)
    return redact_text(str(value))


def redact_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Span attributes with secret-looking keys redacted (the last dotted part decides:
    ``business.metadata.api_key``) and string values scrubbed as free text."""
    return {
        key: REDACTED
        if is_secret_attribute(key)
        else (redact_text(value) if isinstance(value, str) else value)
        for key, value in attributes.items()
    }


# -- free text ----------------------------------------------------------------------------

_QUOTED = r"""b?"(?:[^"\\\n]|\\.)*"|b?'(?:[^'\\\n]|\\.)*'"""
#: a key, optionally quoted, then = or :, then a quoted or bare value
_KEY_VALUE = re.compile(
    r"""(?P<key>"[A-Za-z_][\w.\-]*"|'[A-Za-z_][\w.\-]*'|\b[A-Za-z_][\w.\-]*)"""
    r"""(?P<sep>\s*[=:]\s*)"""
    rf"""(?P<value>{_QUOTED}|[^\s,;&'"()\[\]{{}}<>]+)"""
)
_AUTH_SCHEME = re.compile(r"\b(?P<scheme>Bearer|Basic|Token)\s+(?P<value>[\w\-.~+/]+=*)", re.I)
_JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.\-]*://[^\s/:@]+:)[^\s/@]+@", re.I)
#: what a text must contain to need any of the passes (a cheap test first)
_HINTS = ("bearer", "basic", "token", "eyj")


def _may_hold_secrets(text: str) -> bool:
    if "=" in text or ":" in text:
        return True
    lowered = text.lower()
    return any(hint in lowered for hint in _HINTS)


def _scrub_key_values(text: str) -> str:
    """Replace the values of secret-looking keys. A value that is not replaced is scanned
    again, since it can hold a pair of its own (``ValueError: password=...``)."""
    out: list[str] = []
    pos = 0
    while (match := _KEY_VALUE.search(text, pos)) is not None:
        if not is_secret_attribute(match["key"].strip("\"'")):
            out.append(text[pos : match.end("sep")])
            pos = match.end("sep")
            continue
        value = match["value"].removeprefix("b")
        quote = value[0] if value[:1] in ("'", '"') and len(value) > 1 else ""
        out.append(f"{text[pos : match.end('sep')]}{quote}{REDACTED}{quote}")
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


#: texts up to this length are scrubbed once and remembered (attribute values repeat)
_CACHED_LENGTH = 256


def redact_text(text: str) -> str:
    """``text`` with credentials replaced: values of secret-looking keys in ``key=value``,
    ``key: value`` and ``"key": "value"`` forms, ``Bearer`` / ``Basic`` credentials,
    JSON Web Tokens and URL passwords."""
    if len(text) <= _CACHED_LENGTH:
        return _redact_short(text)
    return _redact_text(text)


@functools.lru_cache(maxsize=4096)
def _redact_short(text: str) -> str:
    return _redact_text(text)


def _redact_text(text: str) -> str:
    if not text or not _may_hold_secrets(text):
        return text
    text = _AUTH_SCHEME.sub(lambda m: f"{m['scheme']} {REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{REDACTED}@", text)
    return _scrub_key_values(text)


def exception_text(error: BaseException) -> str:
    """``Type: message`` of ``error``, scrubbed."""
    return redact_text(f"{type(error).__qualname__}: {error}")


def format_traceback(error: BaseException) -> str:
    """The full traceback of ``error``, scrubbed."""
    return redact_text("".join(traceback.format_exception(type(error), error, error.__traceback__)))


# -- headers and baggage ------------------------------------------------------------------


def redact_baggage(value: str) -> str:
    """A W3C ``baggage`` header without its secret-looking entries."""
    kept = []
    for member in value.split(","):
        key = member.split("=", 1)[0].strip()
        if key and not is_secret_key(key):
            kept.append(member.strip())
    return ",".join(kept)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Message headers with secret-looking ones redacted, secret baggage entries dropped
    and the other values scrubbed as free text."""
    out: dict[str, str] = {}
    for key, value in headers.items():
        if is_secret_key(key):
            out[key] = REDACTED
        elif key.lower() == "baggage":
            kept = redact_baggage(value)
            if kept:
                out[key] = kept
        else:
            out[key] = redact_text(value)
    return out


# -- standard library logging -------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """Scrubs a record's message, arguments and exception before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "lucent_redacted", False):
            return True
        record.msg = redact_text(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = format_traceback(record.exc_info[1]).rstrip("\n")
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        record.lucent_redacted = True
        return True


_FILTER = RedactingFilter()


def redacting_logger(name: str) -> logging.Logger:
    """``logging.getLogger(name)`` with the redaction filter attached (once)."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


_from_environment()
