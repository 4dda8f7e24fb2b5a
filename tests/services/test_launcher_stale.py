"""The embedded server's launcher: stale servers stopped, ports kept, the admin password changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from stsdesk.services.admin_client import AdminClient
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.launcher import ADMIN_KEY, EmbeddedServer, stop_stale_server

pytestmark = pytest.mark.slow

PASSWORD = "Stale-admin-passw0rd"


def _leftover_server(data_dir, port: str = "0") -> tuple[subprocess.Popen[str], int]:
    """A `stsdesk serve` not tied to any console, as an older console version left them."""
    process = subprocess.Popen(
        [sys.executable, "-m", "stsdesk", "serve", "--data-dir", str(data_dir), "--port", port],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env=dict(os.environ, STSDESK_ADMIN_PASSWORD=PASSWORD), start_new_session=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("stsdesk server ready at "):
            return process, int(line.rsplit(":", 1)[1])
    raise AssertionError("the leftover server did not start")


def test_a_start_stops_the_stale_server_and_keeps_its_port(tmp_path, memory_keyring_backend):
    data_dir = tmp_path / "server"
    memory_keyring_backend.secrets[("stsdesk", ADMIN_KEY)] = PASSWORD
    stale, port = _leftover_server(data_dir)
    (data_dir / "desktop-server.json").write_text(json.dumps({"pid": stale.pid, "port": port}))
    launcher = EmbeddedServer(data_dir, CredentialStore())
    try:
        endpoint = launcher.start()
        assert stale.wait(timeout=20) is not None  # the leftover one was stopped
        assert endpoint.base_url.endswith(f":{port}")  # and its port taken over
        assert launcher.pid != stale.pid
        assert AdminClient(endpoint).health()["status"] == "ok"
    finally:
        launcher.stop()
        if stale.poll() is None:
            stale.kill()
        stale.wait()
        if stale.stdout is not None:
            stale.stdout.close()


def test_an_unrelated_process_with_a_recorded_pid_is_left_alone(tmp_path):
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (data_dir / "desktop-server.json").write_text(
            json.dumps({"pid": bystander.pid, "port": 1}))
        assert stop_stale_server(data_dir) is False
        time.sleep(0.2)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_changing_the_embedded_admin_password_reaches_server_and_store(
        tmp_path, memory_keyring_backend):
    from stsdesk.services.admin import open_admin_api
    from stsdesk.services.errors import AuthenticationError

    launcher = EmbeddedServer(tmp_path / "server", CredentialStore())
    try:
        old = launcher.start()
        new = launcher.change_admin_password(open_admin_api(old), "Changed-admin-passw0rd")
        assert memory_keyring_backend.secrets[("stsdesk", ADMIN_KEY)] == "Changed-admin-passw0rd"
        assert AdminClient(new).get("/configs")["idleSessionTimeoutPeriod"]
        with pytest.raises(AuthenticationError):
            AdminClient(old).get("/configs")
        assert "OS keyring" in launcher.admin_password_location
    finally:
        launcher.stop()


def test_a_leftover_server_of_another_user_is_left_alone(tmp_path, monkeypatch):
    """Stopping it is refused (EPERM): the console says so in the log and starts anyway."""
    from stsdesk.services import launcher

    data_dir = tmp_path / "server"
    data_dir.mkdir()
    (data_dir / "desktop-server.json").write_text(json.dumps({"pid": 4242, "port": 1}))
    monkeypatch.setattr(launcher, "_serves", lambda pid, directory: True)

    def refuse(pid: int, sig: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(launcher.os, "kill", refuse)
    assert stop_stale_server(data_dir) is False
