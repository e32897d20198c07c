"""One redaction policy everywhere: key spellings, structured values, free text, baggage,
and a distinct secret planted in every path the runtime writes, none of which may reach a
log record, a span, a dead letter or an error text."""

from __future__ import annotations

import asyncio
import datetime
import enum
import json
import logging
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import pytest
from opentelemetry import baggage
from opentelemetry import context as context_api
from pydantic import BaseModel, SecretBytes, SecretStr

from lucent_runtime import (
    CryptoTradingServiceBase,
    DomainEvent,
    RemoteCommandError,
    RequestContext,
    command_handler,
    configure_redaction,
    event_handler,
)
from lucent_runtime._redact import (
    REDACTED,
    is_secret_key,
    redact,
    redact_headers,
    redact_text,
    redacting_logger,
)
from lucent_runtime._telemetry import inject_headers
from lucent_runtime.backends.base import Message

from .helpers import eventually, trading_context

# -- keys --------------------------------------------------------------------------------

SECRET_KEYS = [
    # plurals and run-together forms
    "passwords", "api_keys", "dbpassword", "userpassword", "userPassword", "privkey",
    "priv_key", "PRIV-KEY", "apiKeys", "x-api-key",
    # the word list, in several spellings
    "Authorization", "Proxy-Authorization", "credentials", "pwd", "DB_PWD", "passphrase",
    "passwd", "bearer", "jwt", "JWTs", "cookie", "Set-Cookie", "access_key", "accessKeyId",
    "signing_key", "signingKey", "session_token", "session", "sessionId", "client_secret",
    "clientSecret", "seed_phrase", "seedPhrase", "wallet_seed", "walletSeed", "mnemonic",
    "otp", "otp_code", "pin", "card_pin", "cvv", "cvv2", "token", "access_token",
    "authToken", "refresh_tokens", "private_key", "secret",
]  # fmt: skip

ORDINARY_KEYS = [
    "token_symbol", "token_count", "tokenAddress", "strategy_id", "keyboard", "spinning",
    "option", "pinned", "user_id", "seeds_count_total", "status", "access_level",
    "key", "private",
]  # fmt: skip


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_secret_key_spellings(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ORDINARY_KEYS)
def test_ordinary_keys_are_kept(key: str) -> None:
    assert not is_secret_key(key)


@pytest.fixture
def fresh_policy(monkeypatch):
    """A policy of its own for the test, and the caches emptied before and after."""
    from lucent_runtime import _redact

    monkeypatch.setattr(_redact, "_policy", _redact._Policy())
    for cached in (_redact.is_secret_key, _redact.is_secret_attribute, _redact._redact_short):
        cached.cache_clear()
    yield
    for cached in (_redact.is_secret_key, _redact.is_secret_attribute, _redact._redact_short):
        cached.cache_clear()


def test_policy_is_configurable(fresh_policy) -> None:
    assert not is_secret_key("iban")
    assert not is_secret_key("account_number")
    assert is_secret_key("session_count_limit_x")
    configure_redaction(words=["iban", "accountNumber"], allow=["session_count_limit_x"])
    assert is_secret_key("iban")
    assert is_secret_key("customer_iban")
    assert not is_secret_key("ibanking")  # a short word matches only whole
    assert is_secret_key("account_numbers")
    assert is_secret_key("billingaccountnumber")
    assert not is_secret_key("session_count_limit_x")


# -- values ------------------------------------------------------------------------------


class Login(BaseModel):
    user: str
    password: str
    key: SecretStr


@dataclass
class Wallet:
    address: str
    seed_phrase: str


class Plain:
    def __init__(self) -> None:
        self.name = "venue"
        self.apiKey = "plain-object-secret"


def test_structured_values_are_redacted_by_field_name() -> None:
    value = {
        "login": Login(user="ann", password="model-secret", key=SecretStr("secretstr-value")),
        "wallets": [Wallet("0xbeef", "dataclass-secret")],
        "plain": Plain(),
        "raw": SecretBytes(b"secret-bytes"),
        "nested": ({"Cookies": "c1"}, {"note": "ok"}),
    }
    out = redact(value)
    text = json.dumps(out)
    for secret in ("model-secret", "secretstr-value", "dataclass-secret", "plain-object",
                   "secret-bytes", "c1"):  # fmt: skip
        assert secret not in text
    assert out["login"]["user"] == "ann"
    assert out["wallets"][0] == {"address": "0xbeef", "seed_phrase": REDACTED}
    assert out["plain"] == {"name": "venue", "apiKey": REDACTED}
    assert out["nested"][1] == {"note": "ok"}


class Side(enum.Enum):
    BUY = "buy"
    NOTE = "password=enum-secret"


def test_enums_dates_and_numbers_keep_their_value() -> None:
    out = redact(
        {
            "side": Side.BUY,
            "note": Side.NOTE,
            "at": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
            "day": datetime.date(2026, 1, 2),
            "amount": Decimal("1.50"),
            "order": UUID(int=7),
        }
    )
    assert out == {
        "side": "buy",  # an enum's value, not its (empty) public attributes
        "note": f"password={REDACTED}",
        "at": "2026-01-02T03:04:05+00:00",
        "day": "2026-01-02",
        "amount": "1.50",
        "order": "00000000-0000-0000-0000-000000000007",
    }


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("login failed password=hunter2 for ann", "hunter2"),
        ("config: dbpassword: s3cr3t, retries: 3", "s3cr3t"),
        ('body {"api_key": "sk-live-123", "n": 1}', "sk-live-123"),
        ("{'client_secret': 'cs-9', 'n': 2}", "cs-9"),
        ("{'secret': b'raw-bytes'}", "raw-bytes"),
        ("Authorization: Bearer abc.def-123", "abc.def-123"),
        ("header bearer tok_live_77 sent", "tok_live_77"),
        ("nats://app:url-pw-1@h:4222 down", "url-pw-1"),
        ("jwt eyJhbGciOiJI.eyJzdWIiOjEyMzQ.c2lnbmF0dXJl seen", "eyJzdWIiOjEyMzQ"),
        ("ValueError: session_token=st-5 expired", "st-5"),
    ],
)
def test_free_text_is_scrubbed(text: str, secret: str) -> None:
    out = redact_text(text)
    assert secret not in out
    assert REDACTED in out


def test_free_text_keeps_ordinary_pairs() -> None:
    text = "token_symbol=ETH amount: 5 Step 3/3: execute_trades spinning=yes"
    assert redact_text(text) == text


def test_secret_baggage_is_not_forwarded() -> None:
    ctx = baggage.set_baggage("api_key", "baggage-secret")
    ctx = baggage.set_baggage("tenant", "acme", context=ctx)
    token = context_api.attach(ctx)
    try:
        headers = inject_headers(session_token="entry-secret", region="eu")
    finally:
        context_api.detach(token)
    assert "baggage-secret" not in json.dumps(headers)
    assert "entry-secret" not in json.dumps(headers)
    assert "tenant=acme" in headers["baggage"]
    assert "region=eu" in headers["baggage"]
    copied = redact_headers({"baggage": "tenant=acme,password=p1", "X-Api-Key": "k1"})
    assert copied == {"baggage": "tenant=acme", "X-Api-Key": REDACTED}


def test_standard_logging_through_a_redacting_logger(caplog) -> None:
    log = redacting_logger("lucent_runtime.test")
    caplog.set_level(logging.DEBUG, logger="lucent_runtime.test")
    try:
        raise RuntimeError("connect failed: password=tb-secret")
    except RuntimeError as err:
        log.exception("failed with %s", err)
    record = caplog.records[-1]
    formatted = logging.Formatter().format(record)
    assert "tb-secret" not in formatted
    assert "RuntimeError" in formatted


# -- every path --------------------------------------------------------------------------

#: one distinct secret per path; none may be written anywhere
PLANTED = {
    "field_plural": "S01-passwords",
    "field_runtogether": "S02-dbpassword",
    "field_authorization": "S03-authorization",
    "field_nested_list": "S04-api-keys",
    "model_plain_str": "S05-model-password",
    "model_secretstr": "S06-model-secretstr",
    "dataclass_field": "S07-dataclass-seed",
    "object_field": "S08-object-token",
    "log_message": "S09-message-bearer",
    "error_message": "S10-error-password",
    "metadata_dbpassword": "S11-metadata-dbpassword",
    "metadata_authorization": "S12-metadata-authorization",
    "status_and_event": "S13-status-secret",
    "handler_error": "S14-handler-error",
    "baggage": "S15-baggage-apikey",
    "header_copied": "S16-header-cookie",
    "command_error": "S17-command-error",
    "traceback_local": "S18-traceback",
}


class Secretive(BaseModel):
    user: str
    password: str
    key: SecretStr


@dataclass
class Keys:
    label: str
    wallet_seed: str


class Holder:
    def __init__(self) -> None:
        self.session_token = PLANTED["object_field"]


class VaultService(CryptoTradingServiceBase):
    @command_handler("OpenVault")
    async def open_vault(self, data: dict, ctx: RequestContext) -> dict:
        raise PermissionError(f"vault refused: credentials={PLANTED['command_error']}")

    @event_handler("VaultOpened")
    async def handle_vault_opened(self, event: DomainEvent) -> None:
        async def fail(event: DomainEvent, ctx: RequestContext) -> None:
            raise RuntimeError(f"cannot apply: client_secret={PLANTED['handler_error']}")

        await self.handle_domain_event(event, fail)


async def test_no_planted_secret_reaches_logs_spans_dead_letters_or_errors(
    infrastructure, spans, caplog
):
    caplog.set_level(logging.DEBUG)
    dead: list[Message] = []

    async def collect(message: Message) -> None:
        dead.append(message)

    await infrastructure.bus.subscribe("lucent.dlq.>", "dlq-watch", collect)
    vault = VaultService(infrastructure, "vault")
    await vault.start()
    context = trading_context(
        dbpassword=PLANTED["metadata_dbpassword"],
        Authorization=PLANTED["metadata_authorization"],
    )
    errors: list[str] = []

    async def operation(ctx: RequestContext) -> None:
        vault.logger.info(
            f"calling with Bearer {PLANTED['log_message']}",
            {
                "passwords": [PLANTED["field_plural"]],
                "dbpassword": PLANTED["field_runtogether"],
                "Authorization": PLANTED["field_authorization"],
                "venues": [{"api_keys": PLANTED["field_nested_list"]}],
                "login": Secretive(
                    user="ann",
                    password=PLANTED["model_plain_str"],
                    key=SecretStr(PLANTED["model_secretstr"]),
                ),
                "keys": Keys("main", PLANTED["dataclass_field"]),
                "holder": Holder(),
            },
        )
        try:
            secret_local = PLANTED["traceback_local"]
            raise ValueError(
                f"db login failed: password={PLANTED['error_message']} {secret_local=}"
            )
        except ValueError as error:
            vault.logger.error("login failed", {"attempt": 1}, error)  # noqa: PLE1205
        with_baggage = baggage.set_baggage("api_key", PLANTED["baggage"])
        token = context_api.attach(with_baggage)
        try:
            await vault.publish_domain_event(
                "VaultOpened", "vault-1", {"vault": "v1"}, context, ctx
            )
        finally:
            context_api.detach(token)
        try:
            await vault.send_command("vault", "OpenVault", {"vault": "v1"}, context, timeout=5)
        except RemoteCommandError as error:
            errors.append(str(error))
            errors.append(json.dumps(error.remote_error))
            errors.append(repr(error.args))
        raise OSError(f"giving up: secret: {PLANTED['status_and_event']}")

    with pytest.raises(OSError) as raised:
        await vault.execute_business_operation("open_vault", context, operation)
    # the error itself is re-raised unchanged: only what is written is redacted
    assert PLANTED["status_and_event"] in str(raised.value)
    await eventually(lambda: len(dead) == 1)
    await vault.stop()

    # a message header copied into the dead letter
    letter = dead[0]
    published = Message(
        letter.subject, letter.data, {**letter.headers, "Cookie": PLANTED["header_copied"]}, 3
    )
    from lucent_runtime.backends.base import dead_letter_headers

    copied = dead_letter_headers(published, RuntimeError("x"), 3)

    written: list[str] = []
    for record in caplog.records:
        written.append(logging.Formatter().format(record))
        written.append(json.dumps(getattr(record, "lucent", {}), default=str))
    for item in spans.get_finished_spans():
        written.append(json.dumps(dict(item.attributes or {}), default=str))
        written.append(str(item.status.description))
        for event in item.events:
            written.append(json.dumps(dict(event.attributes or {}), default=str))
    for message in dead:
        written.append(json.dumps(message.headers))
    written.append(json.dumps(copied))
    written.extend(errors)
    everything = "\n".join(written)

    assert errors, "the command error was not raised"
    assert any("login failed" in text for text in written)
    assert "dead-lettering" in everything
    leaked = [name for name, secret in PLANTED.items() if secret in everything]
    assert leaked == []
    # and redaction shows where the secrets were
    assert REDACTED in everything


async def test_dead_letter_warning_of_the_bus_is_scrubbed(infrastructure, caplog):
    caplog.set_level(logging.WARNING)
    vault = VaultService(infrastructure, "vault")
    await vault.start()
    dead: list[Message] = []

    async def collect(message: Message) -> None:
        dead.append(message)

    await infrastructure.bus.subscribe("lucent.dlq.>", "dlq-watch", collect)
    await vault.publish_domain_event("VaultOpened", "vault-2", {}, trading_context())
    await eventually(lambda: len(dead) == 1)
    await asyncio.sleep(0.01)
    await vault.stop()
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("lucent_runtime")]
    assert any("dead-lettering" in m for m in messages)
    assert not any(PLANTED["handler_error"] in m for m in messages)
    assert PLANTED["handler_error"] not in json.dumps(dead[0].headers)


async def test_dead_letters_and_warnings_on_nats_are_scrubbed(nats_server, telemetry, caplog):
    from lucent_runtime import Infrastructure
    from lucent_runtime.backends.nats import create_nats_backends

    caplog.set_level(logging.WARNING)
    store, bus = await create_nats_backends(nats_server, max_deliver=2, backoff=(0.02,))
    infrastructure = Infrastructure(store, bus, "nats")
    try:
        vault = VaultService(infrastructure, "vault")
        await vault.start()
        dead: list[Message] = []

        async def collect(message: Message) -> None:
            dead.append(message)

        await bus.subscribe("lucent.dlq.>", "dlq-watch", collect)
        with_baggage = baggage.set_baggage("signing_key", PLANTED["baggage"])
        token = context_api.attach(with_baggage)
        try:
            await vault.publish_domain_event("VaultOpened", "vault-3", {}, trading_context())
        finally:
            context_api.detach(token)
        await eventually(lambda: len(dead) == 1, timeout=15)
        await vault.stop()
    finally:
        await infrastructure.close()
    written = json.dumps(dead[0].headers) + "\n".join(
        logging.Formatter().format(r) for r in caplog.records
    )
    assert "dead-lettering" in written
    assert "client_secret=[REDACTED]" in written
    assert PLANTED["handler_error"] not in written
    assert PLANTED["baggage"] not in written
