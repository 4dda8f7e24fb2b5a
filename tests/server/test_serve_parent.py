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


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_parent_death_signal_stops_the_server_when_its_parent_is_killed(tmp_path) -> None:
    """No pipe here: only the kernel's parent-death signal can tell the server."""
    parent_code = (
        "import subprocess, sys\n"
        "server = subprocess.Popen([sys.executable, '-m', 'stsdesk', 'serve', '--data-dir', "
        f"{str(tmp_path / 'data')!r}, '--port', '0', '--parent-death-signal'], "
        "stdout=subprocess.PIPE, text=True)\n"
        "for line in server.stdout:\n"
        "    if line.startswith('stsdesk server ready at '):\n"
        "        print(server.pid, line.rsplit(':', 1)[1].strip(), flush=True)\n"
        "        break\n"
        "import time; time.sleep(120)\n")
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE,
                              text=True,
                              env=dict(os.environ, STSDESK_ADMIN_PASSWORD="Pdeath-passw0rd"))
    assert parent.stdout is not None
    pid, port = (int(word) for word in parent.stdout.readline().split())
    try:
        assert _port_open(port)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 20
        while _port_open(port) or _running(pid):
            assert time.monotonic() < deadline, "the server outlived its parent"
            time.sleep(0.1)
    finally:
        parent.stdout.close()
        if _running(pid):
            os.kill(pid, 9)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
