"""TLS is all or nothing, and permanent connection errors fail fast: against real
nats-servers, with a loopback proxy that records every byte the client sends."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from lucent_runtime._errors import ConfigurationError
from lucent_runtime.backends.nats import create_nats_backends
from tests.runtime.test_nats_connection import certificates, make_pki, round_trip, server

__all__ = ["certificates"]  # the fixture, used by name

PASSWORD = "pw-6f1d93c2-never-in-clear"
TOKEN = "tok-2b7e51a8-never-in-clear"


class RecordingProxy:
    """Forwards 127.0.0.1:port to a server and keeps what the client sent."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.sent = bytearray()
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> RecordingProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter, keep: bool) -> None:
            try:
                while data := await src.read(65536):
                    if keep:
                        self.sent.extend(data)
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False))


async def refused(url: str, env: dict[str, str], **options: object) -> tuple[str, float]:
    """The error message of a connection that must fail, and how long it took."""
    start = time.perf_counter()
    with pytest.raises(ConfigurationError) as caught:
        await create_nats_backends(url, env=env, **options)
    return str(caught.value), time.perf_counter() - start


@pytest.fixture
async def plain_server(tmp_path: Path) -> AsyncIterator[int]:
    """A nats-server without TLS that wants a user and password; yields its port."""
    with server(tmp_path, "--user", "app", "--pass", PASSWORD) as (_url, port):
        yield port


async def test_proxy_sees_the_password_of_a_plain_connection(plain_server: int) -> None:
    # the control: without TLS the password crosses the wire, and the proxy sees it
    async with RecordingProxy(plain_server) as proxy:
        await round_trip(f"nats://app:{PASSWORD}@127.0.0.1:{proxy.port}", {})
    assert PASSWORD.encode() in proxy.sent


@pytest.mark.parametrize(
    ("scheme", "tls_env"),
    [("tls", {}), ("nats", {"NATS_TLS_CA": "ca"})],
    ids=["tls-scheme", "NATS_TLS_CA"],
)
async def test_server_without_tls_is_refused_before_the_password_is_sent(
    plain_server: int, certificates: Path, scheme: str, tls_env: dict[str, str]
) -> None:
    env = {k: str(certificates / "ca.pem") for k in tls_env}
    async with RecordingProxy(plain_server) as proxy:
        url = f"{scheme}://app:{PASSWORD}@127.0.0.1:{proxy.port}"
        message, elapsed = await refused(url, env)
    assert "does not offer TLS" in message
    assert PASSWORD not in message
    assert elapsed < 1.0, elapsed
    assert b"CONNECT" not in proxy.sent
    assert PASSWORD.encode() not in proxy.sent


async def test_tls_option_requires_tls_too(plain_server: int) -> None:
    async with RecordingProxy(plain_server) as proxy:
        message, _ = await refused(
            f"nats://127.0.0.1:{proxy.port}",
            {"NATS_USER": "app", "NATS_PASSWORD": PASSWORD},
            tls=ssl.create_default_context(),
        )
    assert "does not offer TLS" in message
    assert PASSWORD.encode() not in proxy.sent


async def test_wrong_password_and_token_fail_fast(tmp_path: Path) -> None:
    with server(tmp_path, "--user", "app", "--pass", PASSWORD) as (url, _port):
        message, elapsed = await refused(url, {"NATS_USER": "app", "NATS_PASSWORD": "wrong-pw"})
        assert "refused the credentials" in message
        assert "wrong-pw" not in message
        assert elapsed < 1.0, elapsed
    with server(tmp_path, "--auth", TOKEN) as (url, port):
        message, elapsed = await refused(f"nats://bad-token-77@127.0.0.1:{port}", {})
        assert "refused the credentials" in message
        assert "bad-token-77" not in message
        assert elapsed < 1.0, elapsed


@pytest.fixture
def foreign_client(certificates: Path) -> tuple[Path, Path]:
    """A client certificate and key signed by a CA that the server does not trust."""
    d = make_pki(certificates / "foreign", "foreign-ca", ("client",))
    return d / "client.pem", d / "client.key"


@pytest.fixture
def verifying_server(tmp_path: Path, certificates: Path) -> Iterator[str]:
    """A nats-server with TLS that wants a password and a client certificate from the
    test CA; yields its tls:// URL with the right password."""
    d = certificates
    tls_args = ("--tls", "--tlscert", str(d / "server.pem"), "--tlskey", str(d / "server.key"))
    verify = ("--tlsverify", "--tlscacert", str(d / "ca.pem"))
    with server(tmp_path, "--user", "app", "--pass", PASSWORD, *tls_args, *verify) as (_, port):
        yield f"tls://app:{PASSWORD}@127.0.0.1:{port}"


async def test_untrusted_server_certificate_fails_fast(
    verifying_server: str, certificates: Path
) -> None:
    # without the CA the server's certificate is not trusted
    d = certificates
    env = {"NATS_TLS_CERT": str(d / "client.pem"), "NATS_TLS_KEY": str(d / "client.key")}
    message, elapsed = await refused(verifying_server, env)
    assert "certificate did not verify" in message
    assert PASSWORD not in message
    assert elapsed < 1.0, elapsed


# Under TLS 1.3 the server checks the client's certificate after the client has finished
# its handshake, so the refusal races the client's first writes: some attempts read the
# server's alert, others see only a reset. Every attempt must name the cause at once.
ATTEMPTS = 8


async def test_missing_client_certificate_fails_fast(
    verifying_server: str, certificates: Path
) -> None:
    env = {"NATS_TLS_CA": str(certificates / "ca.pem")}
    for _ in range(ATTEMPTS):
        message, elapsed = await refused(verifying_server, env)
        assert "requires a client certificate and none is configured" in message, message
        assert "NATS_TLS_CERT" in message
        assert PASSWORD not in message
        assert elapsed < 1.0, elapsed


async def test_context_without_client_certificate_fails_fast(
    verifying_server: str, certificates: Path
) -> None:
    # a caller's own SSLContext: whether it holds a certificate is not known beforehand
    context = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    for _ in range(ATTEMPTS):
        message, elapsed = await refused(verifying_server, {}, tls=context)
        assert "requires a client certificate" in message, message
        assert PASSWORD not in message
        assert elapsed < 1.0, elapsed


async def test_refused_client_certificate_fails_fast(
    verifying_server: str, certificates: Path, foreign_client: tuple[Path, Path]
) -> None:
    cert, key = foreign_client
    env = {"NATS_TLS_CA": str(certificates / "ca.pem"), "NATS_TLS_CERT": str(cert)}
    env["NATS_TLS_KEY"] = str(key)
    for _ in range(ATTEMPTS):
        message, elapsed = await refused(verifying_server, env)
        assert "refused" in message and "client certificate" in message, message
        assert PASSWORD not in message
        assert elapsed < 1.0, elapsed


async def test_trusted_client_certificate_connects(
    verifying_server: str, certificates: Path
) -> None:
    # the control for the three above: the same server accepts the right certificate
    d = certificates
    env = {"NATS_TLS_CA": str(d / "ca.pem"), "NATS_TLS_CERT": str(d / "client.pem")}
    env["NATS_TLS_KEY"] = str(d / "client.key")
    await round_trip(verifying_server, env)
