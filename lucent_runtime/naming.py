"""Naming rules of the Lucent standard, shared by the runtime's checks and the linter.

One source of truth for: event types (PascalCase, last word past tense), command types
(PascalCase, imperative), target services (kebab-case), stream ids
(``{aggregate-type}-{aggregate-id}``) and NATS subjects.

Every check takes an optional set of extra past-tense words, so that a project can extend
the irregular participles from its configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from . import _verb_forms

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
    "past_tense_of",
    "split_words",
    "stream_id_problem",
    "subject_problem",
    "to_kebab_case",
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
    Arose Ate Awoke Became Began Blew Broke Came Chose Drank Drew Drove Fell Flew Forbade
    Forgave Forgot Froze Gave Grew Knew Leapt Mistook Overcame Overtook Rang Rode Rose Sang
    Sank Shook Smelt Spelt Spilt Spoke Stole Strove Swam Swore Threw Took Tore Undertook
    Underwent Went Withdrew Woke Wore Wrote
    """.split()
)
"""Irregular past participles and simple past forms (``Sent``, ``Withdrawn``, ``Rose``)."""

# Irregular forms that are also the verb's base form (``Set``, ``Cut``, ``Run``): past
# enough for an event (``OrderSet``), but the imperative of a command (``SetLeverage``).
_BASE_FORM_PAST = frozenset(
    """bet bid burst cast come cost cut fit hit hurt let put quit read reset rid run set shed
    shut slit split spread upset become overcome outrun overrun rerun""".split()
)

# Prefixes that keep an irregular participle past: Repaid, Unwound, Unfrozen, Oversold.
_PAST_PREFIXES = ("re", "un", "pre", "over", "under", "mis")

# First words of imperative commands about something that happened: NotifyOrderFilled,
# MarkInvoicePaid. Such a command ends in a past participle and is still imperative.
_EVENT_OBJECT_VERBS = frozenset(
    """acknowledge ack announce broadcast confirm emit flag handle log mark notify process
    publish record replay report signal""".split()
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


def _is_irregular_past(lower: str) -> bool:
    if lower in IRREGULAR_PAST_TENSE:
        return True
    for prefix in _PAST_PREFIXES:
        rest = lower[len(prefix) :]
        if lower.startswith(prefix) and len(rest) >= 3 and rest in IRREGULAR_PAST_TENSE:
            return True
    return False


def _is_past_word(word: str, extra: frozenset[str], *, strict: bool = False) -> bool:
    """``strict``: only forms that cannot be read as an imperative (not ``Set``, ``Cut``)."""
    lower = word.lower()
    if lower in extra:
        return True
    if _is_irregular_past(lower):
        return not (strict and _base_form(lower))
    return lower.endswith("ed") and len(lower) > 3 and lower not in _NOT_PAST_ED


def _base_form(lower: str) -> bool:
    if lower in _BASE_FORM_PAST:
        return True
    return any(
        lower.startswith(prefix) and lower[len(prefix) :] in _BASE_FORM_PAST
        for prefix in _PAST_PREFIXES
    )


def _verb_words(name: str) -> list[str]:
    """The words of ``name`` without digits and without a trailing particle."""
    words = [w for w in split_words(name) if not w.isdigit()]
    while len(words) > 1 and words[-1].lower() in _PARTICLES:
        words.pop()
    return words


def is_past_tense(name: str, extra_past_tense: Iterable[str] = ()) -> bool:
    """True when the last verb of a PascalCase name is past tense (``TradeExecuted``,
    ``OrderSent``, ``LoanRepaid``).

    A trailing particle (``UserLoggedIn``) is skipped so the verb before it decides.
    """
    extra = frozenset(word.lower() for word in extra_past_tense)
    words = _verb_words(name)
    return bool(words) and _is_past_word(words[-1], extra)


def event_type_problem(name: str, extra_past_tense: Iterable[str] = ()) -> str | None:
    """Why ``name`` is not a valid event type, or None when it is."""
    if not is_pascal_case(name):
        return f"event type {name!r} is not PascalCase (e.g. 'TradeExecuted')"
    if not is_past_tense(name, extra_past_tense):
        words = _verb_words(name)
        last = words[-1] if words else name
        return f"event type {name!r} does not end in a past-tense verb ({last!r})"
    return None


def past_tense_of(name: str, extra_past_tense: Iterable[str] = ()) -> str | None:
    """``name`` with its last verb turned into the past participle, when that is obvious:
    ``TradeExecute`` → ``TradeExecuted``, ``FundsWithdraw`` → ``FundsWithdrawn``,
    ``KycVerify`` → ``KycVerified``, ``UserLogIn`` → ``UserLoggedIn``.

    Only verbs of a curated table are inflected (:mod:`lucent_runtime._verb_forms`), so
    None comes back for a last word that may be a noun (``PriceFeed``, ``TradeOrder``,
    ``FundsDeposit``), whose participle is spelled two ways (``OrderCancel``), an acronym or
    digits, and for a name that is not PascalCase. A valid event type comes back unchanged.
    Whatever name is returned is a valid event type (:func:`event_type_problem`).
    """
    if not is_pascal_case(name):
        return None
    if event_type_problem(name, extra_past_tense) is None:
        return name
    words = split_words(name)
    particles: list[str] = []
    while len(words) > 1 and words[-1].lower() in _PARTICLES:
        particles.insert(0, words.pop())
    verb = words[-1]
    if not (verb[0].isupper() and verb[1:].islower()):
        return None
    form = _verb_forms.participle(verb.lower())
    if form is None and particles:
        form = _verb_forms.PHRASAL.get(verb.lower())
    tail = verb + "".join(particles)
    if form is None or not name.endswith(tail):
        return None
    result = name[: -len(tail)] + form.capitalize() + "".join(particles)
    return result if event_type_problem(result, extra_past_tense) is None else None


def command_type_problem(name: str, extra_past_tense: Iterable[str] = ()) -> str | None:
    """Why ``name`` is not a valid command type (PascalCase, imperative), or None.

    A command is past tense when its first word is a past form that is not also a base
    form (``ExecutedSwap``; ``SetLeverage`` is fine), or when its last verb is (``SwapExecuted``)
    unless it starts with a verb that takes an event as its object (``NotifyOrderFilled``).
    """
    if not is_pascal_case(name):
        return f"command type {name!r} is not PascalCase (e.g. 'ExecuteSwap')"
    extra = frozenset(word.lower() for word in extra_past_tense)
    words = _verb_words(name)
    if not words:
        return None
    first_past = _is_past_word(words[0], extra, strict=True)
    last_past = (
        len(words) > 1
        and words[0].lower() not in _EVENT_OBJECT_VERBS
        and _is_past_word(words[-1], extra, strict=True)
    )
    if first_past or last_past:
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
    # braces in a plain string are an f-string that lost its ``f``: "trade-{trade_id}"
    if not any(c.isspace() or c in "{}" for c in stream_id):
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


def to_kebab_case(name: str) -> str:
    """``RiskAssessment`` / ``risk_assessment`` / ``Risk Assessment`` → ``risk-assessment``
    (may still not be kebab-case: ``"42"``, ``""``)."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name.strip())
    return re.sub(r"[^a-z0-9]+", "-", spaced.lower()).strip("-")


def to_pascal_case(name: str) -> str:
    """``trade_executed`` / ``trade-executed`` / ``tradeExecuted`` → ``TradeExecuted``."""
    out = []
    for part in re.split(r"[_\-\s.]+", name):
        if part.isupper():  # TRADE_EXECUTED
            part = part.lower()
        if part:
            out.append(part[0].upper() + part[1:])
    return "".join(out)


def event_subject(bounded_context: str, event_type: str) -> str:
    """``lucent.events.domain.{bounded_context with - as _}.{EventType}``."""
    return f"lucent.events.domain.{to_snake(bounded_context)}.{event_type}"


def command_subject(target_service: str, command_type: str) -> str:
    """``lucent.commands.{target_service with - as _}.{CommandType}``."""
    return f"lucent.commands.{to_snake(target_service)}.{command_type}"


def _wild(token: str) -> bool:
    """A one-token wildcard: ``*``, or a token with an interpolated part (an f-string)."""
    return token == "*" or PLACEHOLDER in token


def _tokens_match(
    tokens: list[str], checks: list[Callable[[str], bool]], *, open_end: bool
) -> bool:
    """``tokens`` (after ``lucent.<kind>``) fit ``checks``; with ``open_end`` the subject
    ended in ``>`` and may stop early."""
    if len(tokens) > len(checks) or (not open_end and len(tokens) != len(checks)):
        return False
    return all(
        _wild(token) or check(token)
        for token, check in zip(tokens, checks[: len(tokens)], strict=True)
    )


def subject_problem(subject: str, extra_past_tense: Iterable[str] = ()) -> str | None:
    """Why a ``lucent.`` subject is neither a well-formed event nor command subject, or None.

    Subscription wildcards (``*`` for one token, a final ``>``) are accepted, and so is a
    token holding a :data:`PLACEHOLDER` (a template from an f-string: it cannot be judged).
    The runtime's own dead-letter subjects ``lucent.dlq.{service}`` are accepted too.
    """
    tokens = subject.split(".")
    open_end = tokens[-1] == ">"
    if open_end:
        tokens.pop()
    if len(tokens) < 2 or tokens[0] != "lucent":
        return None if open_end and tokens == ["lucent"] else _problem(subject, "")
    kind, rest = tokens[1], tokens[2:]

    def event_type(token: str) -> bool:
        return event_type_problem(token, extra_past_tense) is None

    def command_type(token: str) -> bool:
        return command_type_problem(token, extra_past_tense) is None

    events = _tokens_match(rest, [lambda t: t == "domain", _snake, event_type], open_end=open_end)
    commands = _tokens_match(rest, [_snake, command_type], open_end=open_end)
    dlq = _tokens_match(rest, [lambda t: _snake(t) or is_kebab_case(t)], open_end=open_end)
    if _wild(kind):
        return None if events or commands or dlq else _problem(subject, "")
    if kind == "events":
        return None if events else _problem(subject, "events")
    if kind == "commands":
        return None if commands else _problem(subject, "commands")
    if kind == "dlq" and dlq:
        return None
    return _problem(subject, "")


def _problem(subject: str, kind: str) -> str:
    shown = subject.replace(PLACEHOLDER, "{…}")
    event = "'lucent.events.domain.{snake_domain}.{EventType}'"
    command = "'lucent.commands.{snake_service}.{CommandType}'"
    expected = {"events": event, "commands": command}.get(kind, f"{event} or {command}")
    return f"NATS subject {shown!r} is malformed: expected {expected}"


def _snake(token: str) -> bool:
    return bool(_SNAKE_TOKEN.match(token))
