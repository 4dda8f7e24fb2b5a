"""The embedded-server launcher (a real child process) and server profiles with the keyring."""

from __future__ import annotations

import json

import pytest

from stsdesk.services.admin_client import AdminClient
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.launcher import ADMIN_KEY, EmbeddedServer
from stsdesk.services.profiles import ProfileError, ProfileStore, ServerProfile


@pytest.mark.slow
def test_embedded_server_starts_pins_and_stops(tmp_path, memory_keyring_backend):
    launcher = EmbeddedServer(tmp_path / "server", CredentialStore())
    endpoint = launcher.start()
    try:
        password = memory_keyring_backend.secrets[("stsdesk", ADMIN_KEY)]
        assert endpoint.password == password
        client = AdminClient(endpoint)
        assert client.get("/audit-logs")["count"] >= 0
    finally:
        launcher.stop()
    assert not launcher.running
    # A second start reuses the data directory and the same password.
    endpoint = launcher.start()
    try:
        assert AdminClient(endpoint).health()["status"] == "ok"
        assert endpoint.password == password
    finally:
        launcher.stop()


def test_profiles_keep_passwords_out_of_the_file(tmp_path, memory_keyring_backend):
    store = ProfileStore(tmp_path / "profiles.json", CredentialStore())
    store.save(ServerProfile("prod", "https://sts.example.org:9443/"), password="s3cret-pass")
    text = (tmp_path / "profiles.json").read_text()
    assert "s3cret-pass" not in text
    assert json.loads(text)["profiles"][0]["url"] == "https://sts.example.org:9443"
    assert store.password("prod") == "s3cret-pass"
    store.remove("prod")
    assert store.list() == []
    assert store.password("prod") is None


@pytest.mark.parametrize("url", ["http://sts.example.org", "sts.example.org", "https://", "https://h/p"])
def test_profile_urls_are_validated(tmp_path, memory_keyring_backend, url):
    store = ProfileStore(tmp_path / "profiles.json", CredentialStore())
    with pytest.raises(ProfileError):
        store.save(ServerProfile("x", url))
