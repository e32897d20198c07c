"""The NATS back-end: connection settings and :func:`create_nats_backends`.

``InfrastructureFactory.create_default()`` calls :func:`create_nats_backends` when
``NATS_URL`` is set. One connection serves both halves: the JetStream event store
(:mod:`.nats_store`, whose stream is also the event bus) and the bus (:mod:`.nats_bus`:
core request/reply for commands, durable consumers on the event store's stream, dead
letters).

Connection settings, from the URL first and the environment second:

- ``NATS_URL``: one URL or several separated by commas; ``nats://user:pass@host:4222`` and
  ``nats://token@host:4222`` carry credentials, ``tls://`` asks for TLS.
- ``NATS_USER`` / ``NATS_PASSWORD``, or ``NATS_TOKEN``, when the URL has none.
- ``NATS_TLS_CA`` (CA bundle), ``NATS_TLS_CERT`` + ``NATS_TLS_KEY`` (client certificate).

TLS is all or nothing: a ``tls://`` URL, any ``NATS_TLS_*`` variable or a ``tls`` option
makes it required, and a server that does not switch to TLS is refused before the client
sends its ``CONNECT`` (which carries the credentials). A refused credential, a certificate
that does not verify, a client certificate missing or refused and such a downgrade are
permanent: the first connection gives up at once with a :class:`ConfigurationError`
naming the cause (never the secret) instead of retrying until ``initial_connect_timeout``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from nats import errors as nats_errors
from nats.aio.client import Client

from .._errors import ConfigurationError
from .base import EventStore, MessageBus
from .nats_bus import NatsMessageBus
from .nats_client import RecoveringClient
from .nats_store import JetStreamEventStore

__all__ = [
    "ClientCertificateError",
    "TlsDowngradeError",
    "connect_options",
    "create_nats_backends",
    "redact_url",
]

_STORE_OPTIONS = frozenset({"stream", "duplicate_window", "retry_window"})
_BUS_OPTIONS = frozenset(
    {"max_deliver", "backoff", "ack_wait", "batch", "pull_expires", "deliver_policy"}
)
_CONNECT_OPTIONS = frozenset(
    {
        "name",
        "connect_timeout",
        "initial_connect_timeout",
        "max_reconnect_attempts",
        "reconnect_time_wait",
        "allow_reconnect",
        "tls",
        "tls_hostname",
    }
)


def redact_url(url: str) -> str:
    """``url`` with any password or token replaced by ``***`` (for error messages)."""
    parts = []
    for one in url.split(","):
        try:
            split = urlsplit(one.strip())
        except ValueError:  # malformed: hide whatever precedes an "@"
            head, at, tail = one.strip().rpartition("@")
            scheme = head.split("://", 1)[0] + "://" if "://" in head else ""
            parts.append(f"{scheme}***@{tail}" if at else one.strip())
            continue
        if split.username is None and split.password is None:
            parts.append(one.strip())
            continue
        host = split.hostname or ""
        if split.port:
            host = f"{host}:{split.port}"
        user = "***" if split.password is None else f"{split.username}:***"
        parts.append(urlunsplit((split.scheme, f"{user}@{host}", split.path, "", "")))
    return ",".join(parts)


def _tls_context(env: Mapping[str, str], wanted: bool) -> ssl.SSLContext | None:
    ca, cert, key = (env.get(f"NATS_TLS_{name}") or None for name in ("CA", "CERT", "KEY"))
    if not (wanted or ca or cert or key):
        return None
    if bool(cert) != bool(key):
        raise ConfigurationError("NATS_TLS_CERT and NATS_TLS_KEY must be set together")
    for name, path in (("NATS_TLS_CA", ca), ("NATS_TLS_CERT", cert), ("NATS_TLS_KEY", key)):
        if path and not os.path.isfile(path):
            raise ConfigurationError(f"{name} points to {path!r}, which is not a file")
    try:
        context = ssl.create_default_context(cafile=ca)
        if cert and key:
            context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as err:
        raise ConfigurationError(f"cannot load the NATS TLS files: {err}") from err
    return context


def connect_options(url: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The keyword arguments of ``nats.connect`` for ``url`` and the environment.

    Raises :class:`ConfigurationError` for a malformed URL or unusable TLS settings.
    """
    env = os.environ if env is None else env
    servers = [part.strip() for part in url.split(",") if part.strip()]
    if not servers:
        raise ConfigurationError("NATS_URL is empty")
    has_credentials = False
    wants_tls = False
    for server in servers:
        try:
            split = urlsplit(server if "://" in server else f"nats://{server}")
            if split.port == 0:
                raise ValueError("port 0 is not a server port")
        except ValueError as err:
            raise ConfigurationError(
                f"NATS_URL {redact_url(server)!r} is malformed: {err}"
            ) from err
        if split.scheme not in ("nats", "tls") or not split.hostname:
            raise ConfigurationError(
                f"NATS_URL {redact_url(server)!r} must look like nats://host:4222 "
                "or tls://host:4222"
            )
        has_credentials |= split.username is not None
        wants_tls |= split.scheme == "tls"
    options: dict[str, Any] = {"servers": servers}
    if not has_credentials:
        if env.get("NATS_TOKEN"):
            options["token"] = env["NATS_TOKEN"]
        elif env.get("NATS_USER"):
            options["user"] = env["NATS_USER"]
            options["password"] = env.get("NATS_PASSWORD", "")
    tls = _tls_context(env, wants_tls)
    if tls is not None:
        options["tls"] = tls
    return options


class TlsDowngradeError(nats_errors.Error):
    """The server did not switch to TLS although TLS is required."""

    def __str__(self) -> str:
        return (
            "the server does not offer TLS but TLS is required (tls://, NATS_TLS_* or the "
            "tls option); no credentials were sent"
        )


class ClientCertificateError(nats_errors.Error):
    """The server verifies client certificates and refuses the connection: none is
    configured, or the server does not accept the one offered."""

    def __init__(self, configured: bool | None) -> None:
        super().__init__()
        self.configured = configured

    def __str__(self) -> str:
        if self.configured is False:
            return (
                "the server requires a client certificate and none is configured (set "
                "NATS_TLS_CERT and NATS_TLS_KEY); no credentials were sent"
            )
        offered = (
            "the one configured (NATS_TLS_CERT)"
            if self.configured
            else "the one in the tls option's context, or that context holds none"
        )
        return (
            "the server requires a client certificate and dropped the connection right after "
            f"the TLS handshake: it refused {offered}"
        )


class _TlsRequiredClient(RecoveringClient):
    """A client that refuses to send ``CONNECT`` over a connection that is not TLS, and
    names a refused client certificate at once.

    ``nats-py`` upgrades to TLS only when the server's ``INFO`` asks for it, so a server
    (or a man in the middle) that does not ask would receive the credentials in plain
    text. ``_connect_command`` builds the ``CONNECT`` line right before it is written, on
    the first connection and on every reconnect: the check sits there.

    A server that verifies clients says so in its ``INFO`` (``tls_verify``). Under TLS 1.3
    it checks the client's certificate only after the client has finished its handshake,
    then sends an alert and drops the connection; the client, already writing ``CONNECT``
    and ``PING``, often sees only a broken pipe or a reset, the alert unread. So: no
    certificate configured for such a server is refused before the handshake, and a
    connection that such a server drops between the handshake and its ``PONG`` is a
    refused certificate, not a network failure to retry.

    ``client_certificate`` says whether one is configured (None: unknown, the caller gave
    its own ``ssl.SSLContext``).
    """

    def __init__(self, client_certificate: bool | None = None) -> None:
        super().__init__()
        self._client_certificate = client_certificate
        self._handshake_done = False

    async def _process_info(self, info: dict[str, Any], initial_connection: bool = False) -> None:
        if initial_connection and info.get("tls_verify") and self._client_certificate is False:
            raise ClientCertificateError(configured=False)
        await super()._process_info(info, initial_connection)

    def _connect_command(self) -> bytes:
        writer = getattr(self._transport, "_io_writer", None)
        if writer is None or writer.get_extra_info("ssl_object") is None:
            raise TlsDowngradeError()
        self._handshake_done = True
        return super()._connect_command()

    async def _process_connect_init(self) -> None:
        self._handshake_done = False
        try:
            await super()._process_connect_init()
        except ConnectionError as err:  # reset, broken pipe; an ssl.SSLError is no such
            if self._handshake_done and self._server_info.get("tls_verify"):
                raise ClientCertificateError(self._client_certificate) from err
            raise


def _permanent(err: BaseException) -> str | None:
    """Why ``err`` will not go away by retrying (a refused credential, a certificate that
    does not verify, a TLS downgrade), or None for a transient error."""
    if isinstance(err, TlsDowngradeError | ClientCertificateError):
        return str(err)
    if isinstance(err, nats_errors.AuthorizationError):
        return "the server refused the credentials (Authorization Violation)"
    text = str(err)
    if "Authorization Violation" in text or "Authentication" in text:
        return "the server refused the credentials (Authorization Violation)"
    if isinstance(err, ssl.SSLCertVerificationError):
        return f"the server's TLS certificate did not verify: {err.verify_message}"
    if isinstance(err, ssl.SSLError):
        reason = err.reason or text
        if "CERTIFICATE_REQUIRED" in reason:
            return f"the server requires a client certificate and none was offered ({reason})"
        if "ALERT" in reason and ("CERTIFICATE" in reason or "UNKNOWN_CA" in reason):
            # an alert is the server's word: it did not accept our certificate
            return f"the server refused the client certificate ({reason})"
        return f"the TLS handshake failed: {reason}"
    return None


async def connect(url: str, env: Mapping[str, str] | None = None, **extra: Any) -> Client:
    """Connect to NATS; a server that cannot be reached, refuses the credentials or the
    certificate, or does not offer the required TLS is a :class:`ConfigurationError`."""
    env = os.environ if env is None else env
    options = connect_options(url, env)
    tls_option = extra.pop("tls", None)
    if tls_option is not None:
        if not isinstance(tls_option, ssl.SSLContext):
            raise ConfigurationError("the NATS tls option must be an ssl.SSLContext")
        options["tls"] = tls_option
    options.setdefault("name", "lucent-runtime")
    options.setdefault("connect_timeout", 5)
    options.update(extra)

    errors: list[Exception] = []
    loop = asyncio.get_running_loop()
    refused: asyncio.Future[str] = loop.create_future()

    async def _remember(err: Exception) -> None:
        # failures surface as exceptions of the calls that hit them; the last one also
        # explains a first connection that never succeeded
        errors[:] = [err]
        why = _permanent(err)
        if why is not None and not refused.done():
            refused.set_result(why)

    # nats-py keeps retrying an unreachable server (max_reconnect_attempts times
    # reconnect_time_wait, two minutes by default): bound the first connection, and stop
    # at once on an error that retrying cannot fix
    deadline = float(options.pop("initial_connect_timeout", 10.0))
    client: RecoveringClient = RecoveringClient()
    if "tls" in options:
        # whether a client certificate is configured: unknown in a caller's own context
        client = _TlsRequiredClient(
            None if tls_option is not None else bool(env.get("NATS_TLS_CERT"))
        )
    attempt = asyncio.ensure_future(client.connect(error_cb=_remember, **options))
    try:
        done, _ = await asyncio.wait(
            {attempt, refused}, timeout=deadline, return_when="FIRST_COMPLETED"
        )
    except BaseException:
        attempt.cancel()
        raise
    if attempt in done:
        try:
            attempt.result()
        except Exception as err:
            why = _permanent(err) or f"{type(err).__name__}: {err}"
            raise ConfigurationError(f"cannot connect to NATS at {redact_url(url)}: {why}") from err
        return client
    attempt.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await attempt  # cancelled on purpose
    await client.close()
    if refused.done():
        raise ConfigurationError(f"cannot connect to NATS at {redact_url(url)}: {refused.result()}")
    why = f"{type(errors[0]).__name__}: {errors[0]}" if errors else "no answer"
    raise ConfigurationError(
        f"cannot connect to NATS at {redact_url(url)} within {deadline:g} s ({why})"
    )


async def create_nats_backends(url: str, **options: Any) -> tuple[EventStore, MessageBus]:
    """Connect to ``url`` and return the JetStream event store and the NATS bus.

    Options: ``env`` (a mapping used instead of ``os.environ``), ``timeout`` (JetStream
    API calls, seconds); for the store ``stream``, ``duplicate_window``, ``retry_window``
    (how long an append waits for an unavailable server, default 20 s); for the bus
    ``max_deliver``, ``backoff``, ``ack_wait``, ``batch``, ``pull_expires``,
    ``deliver_policy``; for the connection ``name``, ``connect_timeout`` (one attempt),
    ``initial_connect_timeout`` (all first attempts, default 10 s),
    ``max_reconnect_attempts``, ``reconnect_time_wait``, ``allow_reconnect``, ``tls`` (an
    ``ssl.SSLContext``: TLS is then required), ``tls_hostname``.
    Both objects share the connection; it closes when both are closed.
    """
    env = options.pop("env", None)
    timeout = float(options.pop("timeout", 5.0))
    unknown = set(options) - _STORE_OPTIONS - _BUS_OPTIONS - _CONNECT_OPTIONS
    if unknown:
        raise ConfigurationError(f"unknown NATS back-end options: {', '.join(sorted(unknown))}")
    nc = await connect(url, env, **{k: v for k, v in options.items() if k in _CONNECT_OPTIONS})
    shared = _SharedConnection(nc)
    try:
        store = JetStreamEventStore(
            nc,
            timeout=timeout,
            release=shared.release,
            **{k: v for k, v in options.items() if k in _STORE_OPTIONS},
        )
        bus = NatsMessageBus(
            nc,
            timeout=timeout,
            release=shared.release,
            **{k: v for k, v in options.items() if k in _BUS_OPTIONS},
        )
        await store.setup()
        await bus.setup()
    except BaseException:
        await nc.close()
        raise
    return store, bus


class _SharedConnection:
    """Closes the connection when the last of its users released it."""

    def __init__(self, nc: Client, users: int = 2) -> None:
        self._nc = nc
        self._users = users

    async def release(self) -> None:
        self._users -= 1
        if self._users == 0 and not self._nc.is_closed:
            try:
                await self._nc.drain()
            except Exception:
                await self._nc.close()
