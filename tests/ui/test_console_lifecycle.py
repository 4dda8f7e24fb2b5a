"""The embedded server lives exactly as long as its console, however the console ends.

These run the real console (``python -m stsdesk``) as a separate process — offscreen, or on
Xvfb where a window-level end is checked — find its embedded server through the state file
the launcher keeps in the data directory, end the console, and check from outside that the
server's process is gone and its port closed.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.x11_close import send_wm_delete_window

pytestmark = pytest.mark.slow

STARTUP_TIMEOUT = 120.0
END_TIMEOUT = 20.0


def _console_env(home: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_CACHE_HOME=str(home / "cache"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", **extra)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return env


def _state_file(home: Path) -> Path:
    return home / "data" / "stsdesk" / "server" / "desktop-server.json"


def _wait_for_server(console: subprocess.Popen[bytes], home: Path,
                     previous: dict[str, int] | None = None) -> dict[str, int]:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        assert console.poll() is None, "the console ended before its server came up"
        try:
            state: dict[str, int] = json.loads(_state_file(home).read_text())
        except (OSError, ValueError):
            time.sleep(0.1)
            continue
        if state != previous and _port_open(state["port"]):
            return state
        time.sleep(0.1)
    raise AssertionError("the embedded server did not come up")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has ended; only its parent has not collected it yet
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _assert_server_ends(state: dict[str, int]) -> None:
    deadline = time.monotonic() + END_TIMEOUT
    while _alive(state["pid"]) or _port_open(state["port"]):
        if time.monotonic() > deadline:
            os.kill(state["pid"], signal.SIGKILL)  # do not leave it behind for the next test
            pytest.fail(f"the embedded server (pid {state['pid']}, port {state['port']}) "
                        "outlived its console")
        time.sleep(0.1)


def _start_console(home: Path, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "stsdesk"], env=_console_env(home, **env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_the_embedded_server_ends_with_its_console(tmp_path, how):
    console = _start_console(tmp_path)
    try:
        state = _wait_for_server(console, tmp_path)
        console.send_signal(how)
        console.wait(timeout=END_TIMEOUT)
    finally:
        if console.poll() is None:
            console.kill()
            console.wait()
    _assert_server_ends(state)


def test_the_next_console_takes_the_same_port(tmp_path):
    console = _start_console(tmp_path)
    try:
        first = _wait_for_server(console, tmp_path)
    finally:
        console.send_signal(signal.SIGTERM)
        console.wait(timeout=END_TIMEOUT)
    _assert_server_ends(first)
    console = _start_console(tmp_path)
    try:
        second = _wait_for_server(console, tmp_path, previous=first)
        assert second["pid"] != first["pid"]
        assert second["port"] == first["port"]  # bookmarks and saved requests keep working
    finally:
        console.send_signal(signal.SIGTERM)
        console.wait(timeout=END_TIMEOUT)
    _assert_server_ends(second)


@pytest.fixture
def xvfb():
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        pytest.skip("needs Xvfb and xdotool (scripts/system-deps.sh installs them)")
    # A random high display: the low ones are where other programs on a shared machine go.
    for _attempt in range(20):
        display = f":{random.randint(200, 899)}"
        if Path(f"/tmp/.X{display[1:]}-lock").exists():
            continue
        server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten",
                                   "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while server.poll() is None and time.monotonic() < deadline:
            if subprocess.run(["xdotool", "getmouselocation"], capture_output=True, check=False,
                              env=dict(os.environ, DISPLAY=display)).returncode == 0:
                break
            time.sleep(0.1)
        else:
            server.kill()
            server.wait()
            continue
        break
    else:
        pytest.fail("Xvfb did not start")
    yield display
    server.terminate()
    server.wait(timeout=10)


def _console_window(display: str) -> int:
    found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^stsdesk — "],
                           env=dict(os.environ, DISPLAY=display), capture_output=True,
                           text=True, check=True)
    return int(found.stdout.split()[0])


@pytest.mark.parametrize("how", ["window manager close", "X connection cut"])
def test_the_embedded_server_ends_when_the_window_goes_on_x11(tmp_path, xvfb, how):
    """A window manager's close button (WM_DELETE_WINDOW), and what `xkill` does."""
    console = _start_console(tmp_path, DISPLAY=xvfb, QT_QPA_PLATFORM="xcb")
    try:
        state = _wait_for_server(console, tmp_path)
        window = _console_window(xvfb)
        if how == "window manager close":
            send_wm_delete_window(xvfb, window)
            assert console.wait(timeout=END_TIMEOUT) == 0  # closed, not crashed
        else:
            subprocess.run(["xdotool", "windowkill", str(window)],
                           env=dict(os.environ, DISPLAY=xvfb), check=True)
            console.wait(timeout=END_TIMEOUT)
        _assert_server_ends(state)
    finally:
        if console.poll() is None:
            console.kill()
            console.wait()


def test_a_second_console_shares_the_server_a_live_console_runs(tmp_path):
    """Two consoles on one data directory: the second must not stop the first one's server."""
    import keyring
    from keyring.backends import fail

    from stsdesk.services.admin_client import AdminClient
    from stsdesk.services.credentials import CredentialStore
    from stsdesk.services.launcher import EmbeddedServer

    console = _start_console(tmp_path)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())  # as the console sees it: the encrypted file
    try:
        state = _wait_for_server(console, tmp_path)
        second = EmbeddedServer(_state_file(tmp_path).parent,
                                CredentialStore(fallback_dir=tmp_path / "data" / "stsdesk"))
        endpoint = second.start()
        assert endpoint.base_url.endswith(f":{state['port']}")
        assert AdminClient(endpoint).health()["status"] == "ok"
        second.stop()  # not its server to stop
        assert _alive(state["pid"]) and _port_open(state["port"])
    finally:
        keyring.set_keyring(previous)
        console.send_signal(signal.SIGTERM)
        console.wait(timeout=END_TIMEOUT)
    _assert_server_ends(state)
