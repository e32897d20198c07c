"""TLS is all or nothing, and permanent connection errors fail fast: against real
nats-servers, with a loopback proxy that records every byte the client sends."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from lucent_runtime._errors import ConfigurationError
from lucent_runtime.backends.nats import create_nats_backends
from tests.runtime.test_nats_connection import certificates, round_trip, server

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


async def test_certificate_failures_fail_fast(tmp_path: Path, certificates: Path) -> None:
    d = certificates
    tls_args = ("--tls", "--tlscert", str(d / "server.pem"), "--tlskey", str(d / "server.key"))
    verify = ("--tlsverify", "--tlscacert", str(d / "ca.pem"))
    with server(tmp_path, *tls_args, *verify, scheme="tls") as (url, port):
        # the server's certificate is not trusted without the CA
        message, elapsed = await refused(f"tls://app:{PASSWORD}@127.0.0.1:{port}", {})
        assert "certificate did not verify" in message
        assert PASSWORD not in message
        assert elapsed < 1.0, elapsed
        # the server wants a client certificate. TLS 1.3 reports that after the handshake,
        # so the first attempts may see only a reset connection and be retried (2 s apart)
        # before the server's alert names the cause: bounded, not yet "at once"
        message, elapsed = await refused(url, {"NATS_TLS_CA": str(d / "ca.pem")})
        assert "TLS" in message
        assert elapsed < 8.0, elapsed
