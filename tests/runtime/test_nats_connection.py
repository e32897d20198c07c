"""Connection settings of the NATS back-end: credentials and TLS from the URL or the
environment, against real nats-servers started with authentication and TLS."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lucent_runtime._errors import ConfigurationError
from lucent_runtime.backends.nats import connect_options, create_nats_backends, redact_url
from tests.conftest import _free_port, nats_server_binary, wait_until_listening


@contextmanager
def server(tmp_path: Path, *args: str, scheme: str = "nats") -> Iterator[tuple[str, int]]:
    """A nats-server with JetStream and the given extra arguments; yields (url, port)."""
    port = _free_port()
    process = subprocess.Popen(
        [
            nats_server_binary(),
            "-a",
            "127.0.0.1",
            "-p",
            str(port),
            "-js",
            "-sd",
            str(tmp_path / f"js-{port}"),
            *args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_listening(process, port)
        yield f"{scheme}://127.0.0.1:{port}", port
    finally:
        process.terminate()
        process.wait(timeout=10)


async def round_trip(url: str, env: dict[str, str]) -> None:
    store, bus = await create_nats_backends(url, env=env, connect_timeout=2)
    try:
        from lucent_runtime._events import NewEvent

        await store.append("trade-1", [NewEvent("e-1", "TradeExecuted", {}, {})])
        assert [e.version for e in await store.read_stream("trade-1")] == [1]
    finally:
        await store.close()
        await bus.close()


# -- options (no server) ----------------------------------------------------------------


def test_credentials_in_the_url_win_over_the_environment() -> None:
    env = {"NATS_USER": "env-user", "NATS_PASSWORD": "env-pass", "NATS_TOKEN": "t"}
    options = connect_options("nats://app:secret@nats.internal:4222", env)
    assert options == {"servers": ["nats://app:secret@nats.internal:4222"]}


def test_credentials_from_the_environment() -> None:
    env = {"NATS_USER": "app", "NATS_PASSWORD": "secret"}
    assert connect_options("nats://h:4222", env)["user"] == "app"
    assert connect_options("nats://h:4222", env)["password"] == "secret"
    assert connect_options("nats://h:4222", {"NATS_TOKEN": "tok"})["token"] == "tok"
    assert "user" not in connect_options("nats://h:4222", {"NATS_TOKEN": "tok"})


def test_several_servers_and_tls_scheme() -> None:
    options = connect_options("tls://a:4222, tls://b:4222", {})
    assert options["servers"] == ["tls://a:4222", "tls://b:4222"]
    assert isinstance(options["tls"], ssl.SSLContext)
    assert "tls" not in connect_options("nats://a:4222", {})


@pytest.mark.parametrize(
    ("url", "env", "message"),
    [
        ("", {}, "NATS_URL is empty"),
        ("http://h:4222", {}, "must look like nats://"),
        ("nats://h:notaport", {}, "malformed"),
        ("nats://h:99999", {}, "malformed"),
        ("nats://h:0", {}, "port 0"),
        ("nats://app:secret@[::1", {}, r"'nats://\*\*\*@\[::1' is malformed"),
        ("nats://h:4222", {"NATS_TLS_CERT": "c.pem"}, "set together"),
        ("nats://h:4222", {"NATS_TLS_CA": "/nonexistent/ca.pem"}, "not a file"),
    ],
)
def test_bad_settings_are_configuration_errors(url: str, env: dict[str, str], message: str):
    with pytest.raises(ConfigurationError, match=message):
        connect_options(url, env)


def test_redact_url_hides_secrets() -> None:
    assert redact_url("nats://app:secret@h:4222") == "nats://app:***@h:4222"
    assert redact_url("nats://tok@h:4222,nats://h2:4222") == "nats://***@h:4222,nats://h2:4222"


async def test_unknown_option_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown NATS back-end options: colour"):
        await create_nats_backends("nats://127.0.0.1:1", colour="blue")


async def test_unreachable_server_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"cannot connect to NATS at nats://u:\*\*\*@"):
        await create_nats_backends(
            f"nats://u:pw@127.0.0.1:{_free_port()}", connect_timeout=1, initial_connect_timeout=1
        )


# -- real servers -----------------------------------------------------------------------


async def test_token_from_url_or_environment(tmp_path: Path) -> None:
    with server(tmp_path, "--auth", "s3cret") as (url, port):
        await round_trip(url, {"NATS_TOKEN": "s3cret"})
        await round_trip(f"nats://s3cret@127.0.0.1:{port}", {})
        with pytest.raises(ConfigurationError) as caught:
            await create_nats_backends(url, env={"NATS_TOKEN": "wrong"}, initial_connect_timeout=1)
        assert "wrong" not in str(caught.value)


async def test_user_and_password_from_url_or_environment(tmp_path: Path) -> None:
    with server(tmp_path, "--user", "app", "--pass", "pw") as (url, port):
        await round_trip(url, {"NATS_USER": "app", "NATS_PASSWORD": "pw"})
        await round_trip(f"nats://app:pw@127.0.0.1:{port}", {})
        # the server refuses the credentials; under load the refusal can surface as a
        # reset connection before the client reads the error line
        with pytest.raises(ConfigurationError, match=r"Authorization Violation|reset by peer"):
            await create_nats_backends(
                url, env={"NATS_USER": "app", "NATS_PASSWORD": "no"}, initial_connect_timeout=1
            )


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d: Path, ca_name: str, names: tuple[str, ...]) -> Path:
    """In ``d``: a CA ``ca.pem`` and, signed by it, ``NAME.pem`` + ``NAME.key`` for each
    name, valid for 127.0.0.1; made by openssl."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make test certificates")
    d.mkdir()
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "1", "-subj", f"/CN={ca_name}",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=d)  # fmt: skip
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    for name in names:
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-subj", f"/CN={name}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)  # fmt: skip
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "1", "-extfile", "san.ext",
                 "-out", f"{name}.pem", cwd=d)  # fmt: skip
    return d


@pytest.fixture
def certificates(tmp_path: Path) -> Path:
    """A CA, a server certificate for 127.0.0.1 and a client certificate."""
    return make_pki(tmp_path / "pki", "test-ca", ("server", "client"))


async def test_tls_with_ca_and_client_certificate(tmp_path: Path, certificates: Path) -> None:
    d = certificates
    tls_args = ("--tls", "--tlscert", str(d / "server.pem"), "--tlskey", str(d / "server.key"))
    verify = ("--tlsverify", "--tlscacert", str(d / "ca.pem"))
    with server(tmp_path, *tls_args, *verify, scheme="tls") as (url, _port):
        env = {
            "NATS_TLS_CA": str(d / "ca.pem"),
            "NATS_TLS_CERT": str(d / "client.pem"),
            "NATS_TLS_KEY": str(d / "client.key"),
        }
        await round_trip(url, env)
        # without the client certificate the server refuses the connection
        with pytest.raises(ConfigurationError, match="cannot connect"):
            await create_nats_backends(
                url, env={"NATS_TLS_CA": str(d / "ca.pem")}, initial_connect_timeout=1
            )
        # without the CA the server's certificate is not trusted
        with pytest.raises(ConfigurationError, match="cannot connect"):
            await create_nats_backends(url, env={}, initial_connect_timeout=1)
