"""A live HTTPS STS of its own for an end-to-end test module, as several modules start one.

Each module that needs its own server (its own scenario, trust store or users, which must not
leak into the shared ``live_sts``) starts it the same way: real argon2id with small parameters,
since these modules create users and sign them in; a fresh data directory; a loopback port.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher
from cryptography import x509

from stsdesk.server import passwords
from stsdesk.server.model import RelyingParty
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.server.storage.store import Store

__all__ = ["OwnSts", "admin_session", "add_relying_party", "running_sts"]


@contextmanager
def running_sts(data_dir: Path, admin_password: str, *,
                database_url: str | None = None) -> Iterator[BackgroundServer]:
    """The STS serving ``data_dir`` until the block ends; passwords hashed cheaply meanwhile
    (hashes made with the default parameters still verify: the parameters live in the hash)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher",
                      PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        server = BackgroundServer(ServerSettings(
            data_dir=data_dir, port=0, admin_password=admin_password, database_url=database_url))
        server.start()
        try:
            yield server
        finally:
            server.stop()


def add_relying_party(store: Store, name: str, address: str) -> str:
    """An application whose relying party at ``address`` gets tokens unencrypted."""
    app_id = store.applications.create(name)
    store.applications.set_relying_party(
        app_id, RelyingParty("", "", address, encrypt_token=False))
    return app_id


@contextmanager
def admin_session(credentials: tuple[str, str]) -> Iterator[requests.Session]:
    """An HTTP session that signs in to the admin API with ``credentials``."""
    with requests.Session() as admin:
        admin.auth = credentials
        yield admin


@dataclass
class OwnSts:
    """A module's own STS and an admin session to it; modules add what they need."""

    server: BackgroundServer
    admin: requests.Session

    @property
    def endpoint(self) -> str:
        return self.server.url + "/services/wso2carbon-sts"

    @property
    def service_certificate(self) -> x509.Certificate:
        """The STS's signing certificate, which WSO2's scenarios also encrypt for."""
        return self.server.bootstrap.keystore.signing_identity("wso2carbon").certificate

    def post(self, envelope: bytes) -> requests.Response:
        """A SOAP 1.2 request to the STS, as a client sends it."""
        return requests.post(self.endpoint, data=envelope, timeout=30,
                             verify=str(self.server.ca_file),
                             headers={"Content-Type": "application/soap+xml; charset=utf-8"})
