"""The test client under scenario 20 against a real embedded STS and a real KDC on loopback:
the service principal read from the server's security settings, the user's ticket taken from
the credential cache ``kinit`` filled, the request signed with the ticket's session key, and
the verdict on the answer (signed with the same key, SignatureConfirmation)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.wssec.header_report import Check
from stsdesk.server import passwords
from stsdesk.server.model import RelyingParty
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.connect import open_admin_api
from stsdesk.services.admin.models import SecurityPolicyRequest
from stsdesk.services.admin_client import ServerEndpoint
from stsdesk.services.message_security import MessageSecurity
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.token_session import TokenRequestOptions, TokenSession

pytest.importorskip("gssapi", reason="python-gssapi (the kerberos extra) is missing")
from tests.e2e.test_kerberos_scenario import (  # noqa: E402 - needs gssapi
    PASSWORDS,
    SERVICE,
    Realm,
    throwaway_realm,
)

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "Kerberos-test-client-adm1n"
RP = "https://rp.example.org/kerberos-test-client"


@pytest.fixture(scope="module")
def realm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Realm]:
    yield from throwaway_realm(tmp_path_factory, clockskew=300)


@pytest.fixture(scope="module")
def sts(realm: Realm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher",
                      PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        settings = ServerSettings(data_dir=tmp_path_factory.mktemp("kerberos-client-sts"),
                                  port=0, admin_password=ADMIN_PASSWORD)
        with BackgroundServer(settings) as server:
            store = server.bootstrap.store
            store.users.create("alice", "Al1ce-local-password", roles=[])
            app_id = store.applications.create("kerberos-client-rp")
            store.applications.set_relying_party(
                app_id, RelyingParty("", "", RP, encrypt_token=False))
            yield server


@pytest.fixture(scope="module")
def admin(sts: BackgroundServer, realm: Realm) -> Iterator[AdminApi]:
    api = open_admin_api(ServerEndpoint(sts.url, "admin", ADMIN_PASSWORD,
                                        TrustPolicy(ca_file=str(sts.ca_file))))
    api.apply_security_policy(SecurityPolicyRequest(
        "scenario20", service_principal=realm.kdc.principal(SERVICE),
        keytab=realm.keytab.read_bytes()))
    yield api
    api.close()


def security_from_the_server(admin: AdminApi) -> MessageSecurity:
    """As the test client's page does: the scenario and the principal the server applies."""
    applied = admin.get_security_policy()
    assert applied.scenario_id == "scenario20"
    return MessageSecurity.for_scenario(applied.scenario_id,
                                        algorithm_suite=applied.algorithm_suite,
                                        service_principal=applied.service_principal)


def options(sts: BackgroundServer, security: MessageSecurity) -> TokenRequestOptions:
    return TokenRequestOptions(endpoint=sts.url + "/services/wso2carbon-sts", username="",
                               tls=TrustPolicy(ca_file=str(sts.ca_file)), applies_to=RP,
                               message_security=security)


def test_a_token_for_the_user_whose_ticket_is_in_the_cache(sts, admin, realm, monkeypatch):
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{realm.ccache('alice')}")
    security = security_from_the_server(admin)
    assert security.uses_kerberos and not security.needs_username
    assert not security.needs_client_certificate and not security.needs_service_certificate
    with TokenSession(options(sts, security)) as session:
        result = session.issue()
        assert result.ok, (result.fault_code, result.fault_reason, result.error)
        assert result.decoded.subject.name_id == "alice"
        sent = etree.fromstring(result.exchange.request_bytes)
        (token,) = sent.iter(f"{{{ns.WSSE}}}BinarySecurityToken")
        assert token.get("ValueType") == ns.KERBEROS_GSS_AP_REQ
        verdict = result.security.verdict
        assert verdict.ok, "\n".join(verdict.lines())
        assert any("SignatureConfirmation echoes" in line for line in verdict.checked)
        (signature,) = verdict.report.signatures
        assert signature.status is Check.VALID and signature.covers_body
        assert "Kerberos ticket's session key" in signature.key
        # Each request carries its own AP-REQ: a second one is not refused as a replay.
        again = session.validate()
        assert again.ok and again.valid is True, (again.fault_reason, again.error)
        assert again.security.verdict.ok, again.security.verdict.lines()


def test_without_a_ticket_the_person_is_told_to_kinit(sts, admin, realm, monkeypatch):
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{realm.folder / 'no-such.ccache'}")
    with TokenSession(options(sts, security_from_the_server(admin))) as session, pytest.raises(
        InvalidRequestError, match="kinit"
    ):
        session.issue()


def test_a_principal_the_kdc_does_not_know_is_named(sts, admin, realm, monkeypatch):
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{realm.ccache('alice')}")
    security = MessageSecurity.for_scenario(
        "scenario20", service_principal=realm.kdc.principal("HTTP/nowhere.stsdesk.test"))
    with TokenSession(options(sts, security)) as session, pytest.raises(
        InvalidRequestError, match="nowhere.stsdesk.test"
    ):
        session.issue()


def test_the_cache_decides_who_the_token_is_for(sts, admin, realm, monkeypatch):
    # Bob is in the realm but no user of the STS: the token names his principal.
    assert "bob" in PASSWORDS
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{realm.ccache('bob')}")
    with TokenSession(options(sts, security_from_the_server(admin))) as session:
        result = session.issue()
    assert result.ok, (result.fault_code, result.fault_reason, result.error)
    assert result.decoded.subject.name_id == realm.kdc.principal("bob")
