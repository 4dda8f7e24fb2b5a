"""A server profile names the server's kind and WSO2 tenant, and keeps them across a restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stsdesk.services.admin import open_admin_api
from stsdesk.services.admin.stsdesk_backend import StsdeskAdminApi
from stsdesk.services.admin.wso2 import Wso2AdminApi
from stsdesk.services.admin_client import ServerKind
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.profiles import ProfileError, ProfileStore, ServerProfile


def test_kind_and_tenant_survive_the_profiles_file(tmp_path: Path, memory_keyring_backend):
    store = ProfileStore(tmp_path / "profiles.json", CredentialStore())
    store.save(ServerProfile("IS", "https://is.example.org:9443/", kind="wso2",
                             tenant="example.org"), "pw")
    data = json.loads((tmp_path / "profiles.json").read_text())
    assert data["profiles"][0]["kind"] == "wso2"
    [loaded] = ProfileStore(tmp_path / "profiles.json", CredentialStore()).list()
    assert loaded.kind is ServerKind.WSO2 and loaded.tenant == "example.org"
    endpoint = loaded.endpoint("pw")
    assert (endpoint.kind, endpoint.tenant, endpoint.base_url) == (
        ServerKind.WSO2, "example.org", "https://is.example.org:9443")
    api = open_admin_api(endpoint)
    assert isinstance(api, Wso2AdminApi)
    assert api.client.endpoint.base_url == "https://is.example.org:9443/t/example.org"
    assert api.client.endpoint.username == "admin@example.org"  # WSO2 reads the tenant here
    api.close()


def test_a_profile_written_before_kinds_is_an_stsdesk_server(tmp_path: Path,
                                                             memory_keyring_backend):
    (tmp_path / "profiles.json").write_text(json.dumps({"profiles": [
        {"name": "Old", "url": "https://sts.example.org", "username": "admin",
         "pinned_sha256": None, "ca_file": None}]}))
    [old] = ProfileStore(tmp_path / "profiles.json", CredentialStore()).list()
    assert old.kind is ServerKind.STSDESK and old.tenant == "carbon.super"
    api = open_admin_api(old.endpoint("pw"))
    assert isinstance(api, StsdeskAdminApi)
    api.close()


@pytest.mark.parametrize("tenant", ["bad/tenant", "-leading.org", "a b"])
def test_a_tenant_that_is_not_a_domain_is_refused(tenant: str):
    with pytest.raises(ProfileError, match="tenant domain"):
        ServerProfile("IS", "https://is.example.org", kind="wso2", tenant=tenant).validated()


def test_an_unknown_kind_is_refused():
    with pytest.raises(ProfileError, match="server kind"):
        ServerProfile("IS", "https://is.example.org", kind="openam")
