"""Naming rules of the Lucent standard, shared by the runtime's checks and the linter.

One source of truth for: event types (PascalCase, last word past tense), command types
(PascalCase, imperative), target services (kebab-case), stream ids
(``{aggregate-type}-{aggregate-id}``) and NATS subjects.

Every check takes an optional set of extra past-tense words, so that a project can extend
the irregular participles from its configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "IRREGULAR_PAST_TENSE",
    "PLACEHOLDER",
    "command_subject",
    "command_type_problem",
    "event_subject",
    "event_type_problem",
    "is_kebab_case",
    "is_pascal_case",
    "is_past_tense",
    "split_words",
    "stream_id_problem",
    "subject_problem",
    "to_pascal_case",
    "to_snake",
]

#: Stands for an interpolated expression in a template (an f-string) given to
#: :func:`stream_id_problem`.
PLACEHOLDER = "\x00"

IRREGULAR_PAST_TENSE: frozenset[str] = frozenset(
    word.lower()
    for word in """
    Arisen Awoken Been Beaten Become Begun Bent Bet Bid Bitten Bled Blown Borne Born Bought
    Bound Broken Brought Built Burnt Burst Cast Caught Chosen Clung Come Cost Crept Cut Dealt
    Done Drawn Dreamt Driven Drunk Dug Dwelt Eaten Fallen Fed Felt Fit Fled Flown Flung
    Forbidden Forgiven Forgotten Fought Found Frozen Given Gone Got Gotten Ground Grown Had
    Heard Held Hid Hidden Hit Hung Hurt Kept Knelt Known Laid Led Leant Learnt Left Lent Let
    Lit Lost Made Meant Met Mistaken Outdone Outrun Overcome Overdrawn Overpaid Overrun
    Oversold Overtaken Paid Prepaid Proven Put Quit Read Rebuilt Redone Rerun Resent Reset
    Resold Retaken Rewritten Rid Ridden Risen Run Rung Said Sat Seen Sent Set Sewn Shaken
    Shed Shone Shot Shown Shrunk Shut Slain Slept Slid Slit Sold Sought Spent Split Spoken
    Spread Sprung Spun Stolen Stood Struck Stuck Stung Strung Sunk Swept Sworn Swum Swung
    Taken Taught Thought Thrown Told Torn Undergone Understood Undertaken Undone Upheld Upset
    Withdrawn Withheld Woken Won Worn Wound Written Wrung
    """.split()
)

# Words that end in "ed" but are not past tense.
_NOT_PAST_ED = frozenset(
    """bed bleed breed creed deed embed exceed feed greed heed hundred need proceed red reed
    seed shred sled speed steed succeed weed""".split()
)

# Particles of phrasal verbs: "UserLoggedIn", "AccountSignedUp", "PositionPaidOff".
_PARTICLES = frozenset("in out up down off on over back away through".split())

_PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*\Z")
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|$)|[A-Z]?[a-z]+|\d+")
_KEBAB = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
_SNAKE_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*\Z")


def split_words(name: str) -> list[str]:
    """Split a PascalCase or camelCase name into its words (``NFTMinted`` → NFT, Minted)."""
    return _WORD.findall(name)


def is_pascal_case(name: str) -> bool:
    """True for ``TradeExecuted``; false for ``trade_executed``, ``tradeExecuted``, ``TRADE``."""
    return bool(_PASCAL.match(name)) and any(c.islower() for c in name)


def is_kebab_case(name: str) -> bool:
    """True for ``risk-assessment`` and ``trading``."""
    return bool(_KEBAB.match(name))


def _is_past_word(word: str, extra: frozenset[str]) -> bool:
    lower = word.lower()
    if lower in extra or lower in IRREGULAR_PAST_TENSE:
        return True
    return lower.endswith("ed") and len(lower) > 3 and lower not in _NOT_PAST_ED


def is_past_tense(name: str, extra_past_tense: Iterable[str] = ()) -> bool:
    """True when the last verb of a PascalCase name is a past participle.

    A trailing particle (``UserLoggedIn``) is skipped so the verb before it decides.
    """
    extra = frozenset(word.lower() for word in extra_past_tense)
    words = [w for w in split_words(name) if not w.isdigit()]
    while len(words) > 1 and words[-1].lower() in _PARTICLES:
        words.pop()
    return bool(words) and _is_past_word(words[-1], extra)


def event_type_problem(name: str, extra_past_tense: Iterable[str] = ()) -> str | None:
    """Why ``name`` is not a valid event type, or None when it is."""
    if not is_pascal_case(name):
        return f"event type {name!r} is not PascalCase (e.g. 'TradeExecuted')"
    if not is_past_tense(name, extra_past_tense):
        last = split_words(name)[-1]
        return f"event type {name!r} does not end in a past-tense verb ({last!r})"
    return None


def command_type_problem(name: str, extra_past_tense: Iterable[str] = ()) -> str | None:
    """Why ``name`` is not a valid command type (PascalCase, imperative), or None."""
    if not is_pascal_case(name):
        return f"command type {name!r} is not PascalCase (e.g. 'ExecuteSwap')"
    extra = frozenset(word.lower() for word in extra_past_tense)
    words = split_words(name)
    if _is_past_word(words[0], extra) or is_past_tense(name, extra):
        return f"command type {name!r} is past tense; commands are imperative (e.g. 'ExecuteSwap')"
    return None


def stream_id_problem(stream_id: str) -> str | None:
    """Why ``stream_id`` is not ``{aggregate-type}-{aggregate-id}``, or None.

    ``stream_id`` may be a template in which :data:`PLACEHOLDER` stands for an interpolated
    expression. A template that starts with an expression cannot be judged and passes.
    """
    if stream_id.startswith(PLACEHOLDER):
        return None
    templated = PLACEHOLDER in stream_id
    if not any(c.isspace() for c in stream_id):
        prefix = stream_id.split(PLACEHOLDER, 1)[0]
        # some "-" must split the literal start into a kebab type and a non-empty id
        for index, char in enumerate(prefix):
            if char == "-" and _KEBAB.match(prefix[:index]) and (templated or prefix[index + 1 :]):
                return None
    shown = stream_id.replace(PLACEHOLDER, "{…}")
    return (
        f"stream id {shown!r} is not '{{aggregate-type}}-{{aggregate-id}}' "
        "with a lower kebab-case type (e.g. 'trade-abc123')"
    )


def to_snake(name: str) -> str:
    """``crypto-trading`` → ``crypto_trading`` (the subject spelling of a context or service)."""
    return name.replace("-", "_")


def to_pascal_case(name: str) -> str:
    """``trade_executed`` / ``trade-executed`` / ``tradeExecuted`` → ``TradeExecuted``."""
    parts = re.split(r"[_\-\s.]+", name)
    out = []
    for part in parts:
        if part:
            out.append(part[0].upper() + part[1:])
    return "".join(out)


def event_subject(bounded_context: str, event_type: str) -> str:
    """``lucent.events.domain.{bounded_context with - as _}.{EventType}``."""
    return f"lucent.events.domain.{to_snake(bounded_context)}.{event_type}"


def command_subject(target_service: str, command_type: str) -> str:
    """``lucent.commands.{target_service with - as _}.{CommandType}``."""
    return f"lucent.commands.{to_snake(target_service)}.{command_type}"


def _wild(token: str, last: bool) -> bool:
    return token == "*" or (last and token == ">")


def subject_problem(subject: str, extra_past_tense: Iterable[str] = ()) -> str | None:
    """Why a ``lucent.`` subject is neither a well-formed event nor command subject, or None.

    Subscription wildcards (``*`` for one token, a final ``>``) are accepted. The runtime's
    own dead-letter subjects ``lucent.dlq.{service}`` are accepted too.
    """
    tokens = subject.split(".")
    bad = f"NATS subject {subject!r} is malformed: expected "
    if len(tokens) >= 2 and tokens[1] == "events":
        expected = bad + "'lucent.events.domain.{snake_domain}.{EventType}'"
        if tokens[-1] == ">" and len(tokens) <= 5:
            ok = len(tokens) < 3 or tokens[2] in ("domain", "*")
            ok = ok and (len(tokens) < 5 or _wild(tokens[3], False) or _snake(tokens[3]))
            return None if ok else expected
        if len(tokens) != 5 or tokens[2] != "domain":
            return expected
        if not (_wild(tokens[3], False) or _snake(tokens[3])):
            return expected
        if _wild(tokens[4], True):
            return None
        return event_type_problem(tokens[4], extra_past_tense) and expected
    if len(tokens) >= 2 and tokens[1] == "commands":
        expected = bad + "'lucent.commands.{snake_service}.{CommandType}'"
        if tokens[-1] == ">" and len(tokens) <= 4:
            ok = len(tokens) < 4 or _wild(tokens[2], False) or _snake(tokens[2])
            return None if ok else expected
        if len(tokens) != 4 or not (_wild(tokens[2], False) or _snake(tokens[2])):
            return expected
        if _wild(tokens[3], True):
            return None
        return command_type_problem(tokens[3], extra_past_tense) and expected
    if len(tokens) == 3 and tokens[1] == "dlq" and (_snake(tokens[2]) or is_kebab_case(tokens[2])):
        return None
    return (
        bad + "'lucent.events.domain.{snake_domain}.{EventType}' or "
        "'lucent.commands.{snake_service}.{CommandType}'"
    )


def _snake(token: str) -> bool:
    return bool(_SNAKE_TOKEN.match(token))
