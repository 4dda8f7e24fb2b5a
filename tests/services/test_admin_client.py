"""The admin client against a real HTTPS server: pinning, CA trust, errors a person can act on."""

from __future__ import annotations

import pytest

from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.errors import (
    AdminApiError,
    CertificateChangedError,
    ServerUnreachableError,
    UntrustedCertificateError,
)
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from tests.services.conftest import ADMIN_PASSWORD


def _pin(server) -> str:
    return fingerprint(fetch_certificate(server.url))


def test_pinned_certificate_is_trusted(server):
    client = AdminClient(ServerEndpoint(server.url, "admin", ADMIN_PASSWORD,
                                        TrustPolicy(pinned_sha256=_pin(server))))
    assert client.get("/claim-dialects/local/claims")
    assert client.health()["status"] == "ok"


def test_ca_file_is_trusted(server):
    client = AdminClient(ServerEndpoint(server.url, "admin", ADMIN_PASSWORD,
                                        TrustPolicy(ca_file=str(server.ca_file))))
    assert client.get("/audit-logs")["count"] >= 0


def test_unknown_certificate_offers_its_fingerprint(server):
    client = AdminClient(ServerEndpoint(server.url, "admin", ADMIN_PASSWORD))
    with pytest.raises(UntrustedCertificateError) as caught:
        client.get("/audit-logs")
    assert caught.value.sha256 == _pin(server)
    assert "localhost" in caught.value.subject or caught.value.subject


def test_changed_certificate_is_refused_with_a_warning(server):
    client = AdminClient(ServerEndpoint(server.url, "admin", ADMIN_PASSWORD,
                                        TrustPolicy(pinned_sha256="00" * 32)))
    with pytest.raises(CertificateChangedError) as caught:
        client.get("/audit-logs")
    assert "CHANGED" in caught.value.message
    assert caught.value.actual_sha256 == _pin(server)


def test_wrong_password_is_an_api_error_with_the_servers_words(server):
    client = AdminClient(ServerEndpoint(server.url, "admin", "wrong",
                                        TrustPolicy(pinned_sha256=_pin(server))))
    with pytest.raises(AdminApiError) as caught:
        client.get("/audit-logs")
    assert caught.value.status == 401
    assert "wrong" in caught.value.description
    server.bootstrap.store.logins.record_success("admin")


def test_server_down_is_unreachable():
    client = AdminClient(ServerEndpoint("https://127.0.0.1:9", "admin", "x"), timeout=2)
    with pytest.raises(ServerUnreachableError) as caught:
        client.get("/configs")
    assert "running" in caught.value.message
