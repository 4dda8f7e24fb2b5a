"""`stsdesk serve --exit-with-parent`: the server stops when the pipe on its stdin closes;
`stsdesk --help` says that running it with no command opens the console."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from stsdesk.cli import build_parser


def test_help_says_no_command_opens_the_console() -> None:
    text = " ".join(build_parser().format_help().split())
    assert "with no command to open the desktop console" in text
    assert "The commands never open it" in text


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_the_server_stops_when_its_stdin_pipe_closes(tmp_path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "stsdesk", "serve", "--data-dir", str(tmp_path / "data"),
         "--port", "0", "--exit-with-parent"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=dict(os.environ, STSDESK_ADMIN_PASSWORD="Parent-pipe-passw0rd"))
    try:
        assert server.stdout is not None and server.stdin is not None
        port = 0
        for line in server.stdout:
            if line.startswith("stsdesk server ready at "):
                port = int(line.rsplit(":", 1)[1])
                break
        assert port and _port_open(port)
        server.stdin.close()  # what the kernel does when the console ends, however it ends
        assert server.wait(timeout=20) == 0  # a clean stop, not a kill
        deadline = time.monotonic() + 10
        while _port_open(port):
            assert time.monotonic() < deadline, "the port stayed open"
            time.sleep(0.1)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        if server.stdout is not None:
            server.stdout.close()
