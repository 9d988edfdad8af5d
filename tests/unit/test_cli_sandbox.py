"""`rpmw sandbox` rejects unusable ports and empty keys with exit code 2 and no traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest


def run_sandbox(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `rpmw sandbox ARGS`, which must exit on its own because every case is invalid."""
    return subprocess.run(
        [sys.executable, "-m", "richpanel_middleware", "sandbox", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port that this test keeps bound and listening."""
    with socket.create_server(("127.0.0.1", 0)) as holder:
        yield int(holder.getsockname()[1])


def error_text(completed: subprocess.CompletedProcess[str]) -> str:
    return " ".join(completed.stderr.split())


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--llm-port", "-1", "--llm-port -1 is not a TCP port. Use 1 to 65535, or 0"),
        ("--llm-port", "70000", "--llm-port 70000 is not a TCP port"),
        ("--shopify-port", "-1", "--shopify-port -1 is not a TCP port"),
        ("--shopify-port", "65536", "--shopify-port 65536 is not a TCP port"),
        ("--port", "0", "--port 0 is not a TCP port. Use 1 to 65535"),
        ("--port", "-1", "--port -1 is not a TCP port"),
        ("--port", "70000", "--port 70000 is not a TCP port"),
    ],
)
def test_sandbox_rejects_port_out_of_range(option: str, value: str, expected: str) -> None:
    completed = run_sandbox(option, value)

    assert completed.returncode == 2
    assert expected in error_text(completed)
    assert "Traceback" not in completed.stderr


@pytest.mark.parametrize("option", ["--api-key", "--webhook-token", "--shopify-token", "--llm-key"])
@pytest.mark.parametrize("value", ["", " "])
def test_sandbox_rejects_empty_key(option: str, value: str) -> None:
    completed = run_sandbox(option, value)

    assert completed.returncode == 2
    assert f"{option} is empty" in error_text(completed)
    assert "Traceback" not in completed.stderr


def test_sandbox_rejects_shared_port() -> None:
    port = str(free_port())
    completed = run_sandbox("--port", port, "--llm-port", port, "--shopify-port", "0")

    assert completed.returncode == 2
    assert f"--llm-port {port} is also given to --port" in error_text(completed)


@pytest.mark.parametrize("option", ["--port", "--shopify-port", "--llm-port"])
def test_sandbox_names_port_in_use(option: str, busy_port: int) -> None:
    ports = {"--port": str(free_port()), "--shopify-port": "0", "--llm-port": "0"}
    ports[option] = str(busy_port)
    arguments = [part for item in ports.items() for part in item]

    completed = run_sandbox(*arguments)

    message = error_text(completed)
    assert completed.returncode == 2
    assert f"{option} {busy_port}: the port is already in use on 127.0.0.1" in message
    assert "Traceback" not in completed.stderr
