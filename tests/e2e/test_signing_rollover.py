"""Signing-key roll-over and certificate import through the admin API, over real HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.exceptions import InvalidSignature

from stsdesk.core.certificates import SigningIdentity, generate_self_signed
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.server.model import RelyingParty
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.trust_client import Credentials, TrustClient
from tests.helpers.independent import decrypt_with_cryptography, verify_with_signxml

ADMIN_PASSWORD = "Rollover-admin-secret"
API = "/api/server/v1"
RP_PLAIN = "https://rollover.example.org/plain"
RP_ENCRYPTED = "https://rollover.example.org/encrypted"
TRUST = TrustVersion.WST_13


@dataclass
class Rollover:
    server: BackgroundServer
    admin_api: requests.Session
    sts: TrustClient
    credentials: Credentials

    def url(self, path: str) -> str:
        return f"{self.server.url}{API}{path}"


@pytest.fixture(scope="module")
def rollover(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rollover]:
    settings = ServerSettings(
        data_dir=tmp_path_factory.mktemp("rollover-data"), port=0, admin_password=ADMIN_PASSWORD
    )
    server = BackgroundServer(settings)
    server.start()
    store = server.bootstrap.store
    store.applications.set_relying_party(
        store.applications.create("plain"), RelyingParty("", "plain", RP_PLAIN)
    )
    session = requests.Session()
    session.auth = ("admin", ADMIN_PASSWORD)
    session.verify = str(server.ca_file)
    # Otherwise REQUESTS_CA_BUNDLE from the environment silently overrides session.verify.
    session.trust_env = False
    sts = TrustClient(server.url + "/services/wso2carbon-sts",
                      trust=TrustPolicy(ca_file=str(server.ca_file)))
    try:
        yield Rollover(server, session, sts, Credentials("admin", ADMIN_PASSWORD))
    finally:
        sts.close()
        session.close()
        server.stop()


def _issue(rollover: Rollover, applies_to: str) -> etree._Element:
    rst = build_request(TRUST, RequestType.ISSUE, key_type=KeyType.BEARER, applies_to=applies_to)
    exchange = rollover.sts.send(rst, trust_version=TRUST, request_type=RequestType.ISSUE,
                                 soap_version=SoapVersion.SOAP12,
                                 credentials=rollover.credentials)
    assert exchange.ok, exchange.fault_reason
    return exchange.response.token


def _validate(rollover: Rollover, token: etree._Element) -> str:
    rst = build_request(TRUST, RequestType.VALIDATE, token_type=f"{TRUST.namespace}/RSTR/Status",
                        target=token)
    exchange = rollover.sts.send(rst, trust_version=TRUST, request_type=RequestType.VALIDATE,
                                 soap_version=SoapVersion.SOAP12,
                                 credentials=rollover.credentials)
    assert exchange.ok, exchange.fault_reason
    return exchange.response.status_code


def _signing_keys(rollover: Rollover) -> dict[str, dict]:
    answer = rollover.admin_api.get(rollover.url("/keystores/signing-keys"))
    assert answer.status_code == 200, answer.text
    return {entry["alias"]: entry for entry in answer.json()}


def test_signing_key_rolls_over_without_invalidating_earlier_tokens(rollover):
    old_cert = x509.load_pem_x509_certificate(
        _signing_keys(rollover)["wso2carbon"]["pem"].encode())
    before = _issue(rollover, RP_PLAIN)
    verify_with_signxml(before, old_cert)

    created = rollover.admin_api.post(rollover.url("/keystores/signing-keys"), json={
        "alias": "sts-2026", "generate": {"commonName": "sts.example.org", "keySize": 2048,
                                          "validityDays": 365}})
    assert created.status_code == 201, created.text
    switched = rollover.admin_api.put(rollover.url("/keystores/signing-keys/active"),
                                      json={"alias": "sts-2026"})
    assert switched.status_code == 200, switched.text

    keys = _signing_keys(rollover)
    assert keys["sts-2026"]["active"] and not keys["wso2carbon"]["active"]
    new_cert = x509.load_pem_x509_certificate(keys["sts-2026"]["pem"].encode())
    assert new_cert != old_cert

    after = _issue(rollover, RP_PLAIN)
    verify_with_signxml(after, new_cert)
    with pytest.raises(InvalidSignature):
        verify_with_signxml(after, old_cert)
    public = requests.get(rollover.url("/keystores/certs/public"),
                          verify=str(rollover.server.ca_file))
    assert x509.load_pem_x509_certificate(public.content) == new_cert

    # The STS accepts every signing key it holds, so the token from before the switch is valid.
    assert _validate(rollover, before) == f"{TRUST.namespace}/status/valid"
    assert _validate(rollover, after) == f"{TRUST.namespace}/status/valid"


def test_imported_certificate_encrypts_the_next_token(rollover):
    relying_party: SigningIdentity = generate_self_signed("encrypted.rollover.example.org")
    imported = rollover.admin_api.post(rollover.url("/keystores/certs"), json={
        "alias": "rollover-rp",
        "certificate": relying_party.certificate.public_bytes(Encoding.PEM).decode()})
    assert imported.status_code == 201, imported.text
    assert imported.json()["usedBy"] == []

    store = rollover.server.bootstrap.store
    app_id = store.applications.create("encrypted")
    store.applications.set_relying_party(
        app_id, RelyingParty("", "encrypted", RP_ENCRYPTED, certificate_alias="rollover-rp")
    )
    listed = rollover.admin_api.get(rollover.url("/keystores/certs"),
                                    params={"filter": "alias eq rollover-rp"}).json()
    assert [entry["usedBy"] for entry in listed] == [["encrypted"]]

    token = _issue(rollover, RP_ENCRYPTED)
    assert etree.QName(token).localname == "EncryptedAssertion"
    assertion = decrypt_with_cryptography(token, relying_party.private_key)
    assert etree.QName(assertion).localname == "Assertion"
    audience = assertion.xpath("string(.//*[local-name()='Audience'])")
    assert audience == RP_ENCRYPTED
    active = rollover.admin_api.get(rollover.url("/keystores/signing-keys/active")).json()["alias"]
    signer = x509.load_pem_x509_certificate(_signing_keys(rollover)[active]["pem"].encode())
    verify_with_signxml(assertion, signer)

    refused = rollover.admin_api.delete(rollover.url("/keystores/certs/rollover-rp"))
    assert refused.status_code == 409
    assert "'encrypted'" in refused.json()["description"]
