"""The test client's secured requests against a real embedded STS over HTTPS: each scenario
applied through the typed admin API, as an administrator would, then a token requested with
the client's keys and the answer judged (signature, decryption, SignatureConfirmation)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree

from stsdesk.core.certificate_files import WrongPasswordError
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.wssec.header_report import Check
from stsdesk.core.wstrust import KeyType, TokenType
from stsdesk.server.runner import BackgroundServer
from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.connect import open_admin_api
from stsdesk.services.admin.models import ApplicationDraft, SecurityPolicyRequest, WsTrustConfig
from stsdesk.services.admin_client import ServerEndpoint
from stsdesk.services.message_security import MessageSecurity
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.token_keys import ClientKeyPairError, KeyPairField, load_client_key_pair
from stsdesk.services.token_session import TokenRequestOptions, TokenResult, TokenSession
from tests.helpers import certfactory
from tests.services.conftest import ADMIN_PASSWORD

P12_PASSWORD = "client-p12-Pa55"
RP = "https://rp.example.org/test-client"
RP_ENCRYPTED = "https://rp.example.org/test-client-encrypted"


@pytest.fixture(scope="module")
def client_key() -> certfactory.Issued:
    return certfactory.issue("test-client-signer")


@pytest.fixture(scope="module")
def admin(server: BackgroundServer, client_key: certfactory.Issued) -> Iterator[AdminApi]:
    api = open_admin_api(ServerEndpoint(server.url, "admin", ADMIN_PASSWORD,
                                        TrustPolicy(ca_file=str(server.ca_file))))
    pem = client_key.certificate.public_bytes(serialization.Encoding.PEM).decode()
    api.import_certificate("test-client-signer", pem)
    # The STS as its own relying party (WSO2's trusted service for its own address): a
    # holder-of-key token for it carries its proof key encrypted for the STS (31, 32).
    sts_pem = api.public_certificate()
    api.import_certificate("sts-self", sts_pem)
    for audience, alias in ((RP, None), (server.url + "/services/wso2carbon-sts", "sts-self")):
        app = api.create_application(ApplicationDraft(name=alias or "test-client-rp"))
        api.put_ws_trust(app.id, WsTrustConfig(audience=audience, certificate_alias=alias,
                                               encrypt_token=False))
    # A relying party whose tokens are encrypted for it: token encryption is not message
    # encryption, and the verdict must not mistake one for the other.
    rp = certfactory.issue("test-client-encrypted-rp")
    api.import_certificate("encrypted-rp", rp.certificate.public_bytes(
        serialization.Encoding.PEM).decode())
    app = api.create_application(ApplicationDraft(name="encrypted-rp"))
    api.put_ws_trust(app.id, WsTrustConfig(audience=RP_ENCRYPTED, certificate_alias="encrypted-rp",
                                           encrypt_token=True))
    yield api
    api.apply_security_policy(SecurityPolicyRequest("scenario1", allowed_roles=("admin",)))
    api.close()


@pytest.fixture
def p12(tmp_path: Path, client_key: certfactory.Issued) -> bytes:
    data = pkcs12.serialize_key_and_certificates(
        b"client", client_key.private_key, client_key.certificate, None,  # type: ignore[arg-type]
        serialization.BestAvailableEncryption(P12_PASSWORD.encode()))
    return data


def apply(admin: AdminApi, scenario: str) -> None:
    admin.apply_security_policy(SecurityPolicyRequest(
        scenario, allowed_roles=("admin",), trusted_keystores=("wso2carbon.jks",),
        private_keystore="wso2carbon.jks"))


def request(server: BackgroundServer, admin: AdminApi, security: MessageSecurity | None,
            **changes) -> TokenResult:
    values = {"endpoint": server.url + "/services/wso2carbon-sts", "username": "admin",
              "password": ADMIN_PASSWORD, "tls": TrustPolicy(ca_file=str(server.ca_file)),
              "message_security": security, "applies_to": RP, **changes}
    options = TokenRequestOptions(**values)
    with TokenSession(options) as session:
        return session.issue()


def service_certificate(admin: AdminApi):
    from stsdesk.services.admin.certificates import fetch_server_certificates

    certificates = fetch_server_certificates(admin)
    return certificates.signing[certificates.active_signing or "wso2carbon"]


def security_for(admin: AdminApi, p12: bytes, **extra) -> MessageSecurity:
    applied = admin.get_security_policy()
    return MessageSecurity.for_scenario(
        applied.scenario_id, algorithm_suite=applied.algorithm_suite,
        service_certificate=service_certificate(admin),
        client=load_client_key_pair(p12, None, P12_PASSWORD), **extra)


def test_scenario2_signed_request_and_a_signed_answer(server, admin, p12):
    apply(admin, "scenario2")
    result = request(server, admin, security_for(admin, p12))
    assert result.ok, (result.fault_code, result.fault_reason, result.error)
    assert result.decoded is not None
    assert "test-client-signer" in (result.decoded.subject.name_id or "")
    verdict = result.security.verdict
    assert verdict is not None and verdict.ok, verdict.lines()
    signature = verdict.report.signatures[0]
    assert signature.status is Check.VALID and signature.covers_body
    assert "wso2carbon" in signature.key or "CN=" in signature.key
    sent = etree.fromstring(result.exchange.request_bytes)
    assert sent.find(".//{http://www.w3.org/2000/09/xmldsig#}Signature") is not None


def test_scenario5_sign_and_encrypt_both_ways_with_signature_confirmation(server, admin, p12):
    apply(admin, "scenario5")
    result = request(server, admin, security_for(admin, p12))
    assert result.ok, (result.fault_code, result.fault_reason, result.error)
    verdict = result.security.verdict
    assert verdict.ok, verdict.lines()
    assert any("SignatureConfirmation" in line for line in verdict.checked)
    assert any(p.status is Check.DECRYPTED and p.content.startswith("RequestSecurityTokenResponse")
               for p in verdict.report.encrypted_parts)
    # On the wire the answer's body is encrypted: the bytes shown are as received.
    assert b"RequestSecurityTokenResponse" not in result.exchange.response_bytes
    assert b"EncryptedData" in result.exchange.request_bytes


def test_scenario5_a_token_encrypted_for_its_relying_party_is_not_a_problem(server, admin, p12):
    apply(admin, "scenario5")
    result = request(server, admin, security_for(admin, p12), applies_to=RP_ENCRYPTED)
    assert result.ok, (result.fault_code, result.fault_reason, result.error)
    assert result.decoded is not None and result.decoded.encryption is not None
    verdict = result.security.verdict
    assert verdict.ok, "\n".join(verdict.lines())
    assert [p.location for p in verdict.report.encrypted_parts] == ["SOAP Body content"]


def test_scenario8_username_token_in_a_symmetric_binding(server, admin, p12):
    apply(admin, "scenario8")
    security = MessageSecurity.for_scenario("scenario8",
                                            service_certificate=service_certificate(admin))
    result = request(server, admin, security)
    assert result.ok, (result.fault_code, result.fault_reason, result.error)
    assert result.decoded.subject.name_id == "admin"
    verdict = result.security.verdict
    assert verdict.ok, verdict.lines()
    assert any("HMAC" in s.key for s in verdict.report.signatures)


def test_scenario8_a_wrong_password_is_refused_inside_the_secured_header(server, admin):
    apply(admin, "scenario8")
    security = MessageSecurity.for_scenario("scenario8",
                                            service_certificate=service_certificate(admin))
    result = request(server, admin, security, password="not-the-password")
    assert result.fault_name == "FailedAuthentication", result.fault_reason


@pytest.mark.parametrize("scenario, token_type", [("scenario33", TokenType.SAML20),
                                                   ("scenario34", TokenType.SAML11)])
def test_a_saml_token_from_history_as_supporting_token(server, admin, p12, scenario,
                                                       token_type):
    apply(admin, "scenario2")
    first = request(server, admin, security_for(admin, p12), token_type=token_type)
    assert first.ok and first.token is not None
    apply(admin, scenario)
    security = security_for(admin, p12, saml_token=etree.tostring(first.token))
    result = request(server, admin, security, token_type=token_type)
    assert result.ok, (result.fault_code, result.fault_reason, result.error)
    assert result.security.verdict.ok, result.security.verdict.lines()
    assert "test-client-signer" in (result.decoded.subject.name_id or "")


@pytest.mark.parametrize("scenario, token_type", [("scenario31", TokenType.SAML20),
                                                   ("scenario32", TokenType.SAML11)])
def test_a_holder_of_key_token_signs_with_its_proof_key(server, admin, p12, scenario,
                                                        token_type):
    apply(admin, "scenario2")
    first = request(server, admin, security_for(admin, p12), key_type=KeyType.SYMMETRIC,
                    token_type=token_type,
                    applies_to=server.url + "/services/wso2carbon-sts")
    assert first.ok and first.proof is not None and first.proof.key, first.fault_reason
    apply(admin, scenario)
    security = security_for(admin, p12, saml_token=etree.tostring(first.token),
                            proof_key=first.proof.key)
    result = request(server, admin, security, token_type=token_type)
    assert result.ok, (result.fault_code, result.fault_reason)
    assert result.security.verdict.ok, result.security.verdict.lines()


def test_a_wrong_pkcs12_password_is_named(p12):
    with pytest.raises(ClientKeyPairError, match="password is wrong") as caught:
        load_client_key_pair(p12, None, "wrong")
    assert caught.value.field is KeyPairField.PASSWORD
    assert isinstance(caught.value.__cause__, WrongPasswordError)


def test_a_key_that_does_not_match_the_certificate_is_refused(client_key):
    other = certfactory.issue("someone-else")
    cert = client_key.certificate.public_bytes(serialization.Encoding.PEM)
    key = other.private_key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
    with pytest.raises(ClientKeyPairError, match="does not belong") as caught:
        load_client_key_pair(cert, key)
    assert caught.value.field is KeyPairField.KEY


def test_without_the_client_key_the_request_is_not_sent(server, admin):
    apply(admin, "scenario2")
    security = MessageSecurity.for_scenario("scenario2")
    with pytest.raises(InvalidRequestError, match="client certificate"):
        request(server, admin, security)


@pytest.mark.parametrize("scenario", ["scenario3", "scenario4", "scenario6", "scenario7"])
def test_the_other_symmetric_scenarios_get_a_token_and_a_good_verdict(server, admin, p12,
                                                                      scenario):
    apply(admin, scenario)
    result = request(server, admin, security_for(admin, p12))
    assert result.ok, (result.fault_code, result.fault_reason, result.error)
    verdict = result.security.verdict
    assert verdict.ok, "\n".join(verdict.lines())
    assert verdict.report.signatures and all(
        "HMAC" in s.key for s in verdict.report.signatures)


def test_validate_renew_and_cancel_are_secured_too(server, admin, p12):
    apply(admin, "scenario5")
    options = TokenRequestOptions(
        endpoint=server.url + "/services/wso2carbon-sts", username="",
        tls=TrustPolicy(ca_file=str(server.ca_file)), applies_to=RP,
        message_security=security_for(admin, p12))
    with TokenSession(options) as session:
        issued = session.issue()
        assert issued.ok, issued.fault_reason
        for action in (session.validate, session.renew, session.cancel):
            result = action()
            assert result.ok, (action.__name__, result.fault_name, result.fault_reason)
            assert b"EncryptedData" in result.exchange.request_bytes
            assert result.security.verdict.ok, result.security.verdict.lines()
        assert session.history[1].valid is True and session.history[-1].cancelled
