"""Changes made through the admin API over HTTPS take effect on the very next token."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certificates import SigningIdentity
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import KeyType, RequestType, TrustResponse, TrustVersion, build_request
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.trust_client import Credentials, TrustClient
from tests.core.pki import identity
from tests.helpers.independent import decrypt_with_cryptography, verify_with_signxml

API = "/api/server/v1"
ADMIN_PASSWORD = "Adm1n-takes-effect"
EMAIL = "http://wso2.org/claims/emailaddress"
GIVEN = "http://wso2.org/claims/givenname"


@dataclass
class Live:
    server: BackgroundServer
    admin: requests.Session
    trust: TrustClient
    rp: SigningIdentity

    def url(self, path: str) -> str:
        return self.server.url + API + path

    @property
    def signing_certificate(self):
        return self.server.bootstrap.keystore.signing_identity("wso2carbon").certificate


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    # A server of this module's own: the changes here must not leak into the shared live_sts.
    data_dir: Path = tmp_path_factory.mktemp("takes-effect")
    server = BackgroundServer(ServerSettings(data_dir=data_dir, port=0,
                                             admin_password=ADMIN_PASSWORD))
    server.start()
    rp = identity("rp.takes-effect.example")
    store = server.bootstrap.store
    store.keys.add_trusted_certificate("rp-cert", rp.certificate_der())
    store.users.set_claims("admin", {EMAIL: "admin@example.org", GIVEN: "Ada"})
    session = requests.Session()
    session.auth = ("admin", ADMIN_PASSWORD)
    session.verify = str(server.ca_file)
    # Otherwise REQUESTS_CA_BUNDLE or a proxy from the environment would override the pin.
    session.trust_env = False
    trust = TrustClient(server.url + "/services/wso2carbon-sts",
                        trust=TrustPolicy(ca_file=str(server.ca_file)))
    try:
        yield Live(server, session, trust, rp)
    finally:
        trust.close()
        session.close()
        server.stop()


def _application(live: Live, name: str, audience: str, **ws_trust) -> str:
    answer = live.admin.post(live.url("/applications"), json={
        "name": name,
        "inboundProtocolConfiguration": {"wsTrust": {"audience": audience, **ws_trust}},
    })
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _issue(live: Live, audience: str) -> TrustResponse:
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                        key_type=KeyType.BEARER, applies_to=audience)
    exchange = live.trust.send(rst, trust_version=TrustVersion.WST_13,
                               request_type=RequestType.ISSUE, soap_version=SoapVersion.SOAP12,
                               credentials=Credentials("admin", ADMIN_PASSWORD))
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    return exchange.response


def _attribute_names(assertion: etree._Element) -> set[str]:
    return set(assertion.xpath(".//*[local-name()='Attribute']/@Name"))


def test_setting_a_certificate_encrypts_the_next_token_for_it(live):
    audience = "https://rp.takes-effect.example/encrypt"
    app_id = _application(live, "encrypt-me", audience)
    before = _issue(live, audience).token
    assert etree.QName(before).localname == "Assertion"

    answer = live.admin.put(live.url(f"/applications/{app_id}/inbound-protocols/ws-trust"),
                            json={"audience": audience, "certificateAlias": "rp-cert"})
    assert answer.status_code == 200, answer.text

    after = _issue(live, audience).token
    assert etree.QName(after).localname == "EncryptedAssertion"
    assertion = decrypt_with_cryptography(after, live.rp.private_key)
    verify_with_signxml(assertion, live.signing_certificate)
    assert audience in assertion.xpath("string(.//*[local-name()='Audience'])")


def test_changing_requested_claims_changes_the_next_token(live):
    audience = "https://rp.takes-effect.example/claims"
    app_id = _application(live, "claims", audience, encryptToken=False)
    assert _attribute_names(_issue(live, audience).token) == set()

    def request_claims(*uris):
        answer = live.admin.patch(live.url(f"/applications/{app_id}"), json={
            "claimConfiguration": {"requestedClaims": [{"claim": {"uri": u}} for u in uris]}})
        assert answer.status_code == 200, answer.text

    request_claims(EMAIL)
    token = _issue(live, audience).token
    assert _attribute_names(token) == {EMAIL}
    assert "admin@example.org" in token.xpath("string(.//*[local-name()='AttributeValue'])")
    request_claims(GIVEN)
    assert _attribute_names(_issue(live, audience).token) == {GIVEN}


def test_changing_the_issuer_name_changes_the_next_token(live):
    audience = "https://rp.takes-effect.example/issuer"
    _application(live, "issuer", audience, encryptToken=False)
    assert _issue(live, audience).token.findtext(f"{{{ns.SAML2}}}Issuer") == "localhost"
    answer = live.admin.patch(live.url("/configs"), json=[
        {"operation": "REPLACE", "path": "/stsIssuer", "value": "https://sts.takes-effect.example"}
    ])
    assert answer.status_code == 200, answer.text
    try:
        token = _issue(live, audience).token
        assert token.findtext(f"{{{ns.SAML2}}}Issuer") == "https://sts.takes-effect.example"
        verify_with_signxml(token, live.signing_certificate)
    finally:
        live.admin.patch(live.url("/configs"), json=[
            {"operation": "REPLACE", "path": "/stsIssuer", "value": "localhost"}])


def test_changing_the_token_lifetime_changes_the_next_token(live):
    audience = "https://rp.takes-effect.example/lifetime"
    app_id = _application(live, "lifetime", audience, encryptToken=False)
    default = _issue(live, audience)
    assert (default.expires - default.created).total_seconds() == 300

    answer = live.admin.put(live.url(f"/applications/{app_id}/inbound-protocols/ws-trust"),
                            json={"audience": audience, "encryptToken": False,
                                  "tokenLifetimeSeconds": 45})
    assert answer.status_code == 200, answer.text
    response = _issue(live, audience)
    assert (response.expires - response.created).total_seconds() == 45
    conditions = response.token.find(f"{{{ns.SAML2}}}Conditions")
    assert conditions is not None
    assert conditions.get("NotOnOrAfter") != default.token.find(
        f"{{{ns.SAML2}}}Conditions").get("NotOnOrAfter")


def test_deleting_the_service_provider_refuses_the_next_token(live):
    audience = "https://rp.takes-effect.example/deleted"
    app_id = _application(live, "deleted", audience, encryptToken=False)
    _issue(live, audience)
    assert live.admin.delete(live.url(f"/applications/{app_id}")).status_code == 204
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                        key_type=KeyType.BEARER, applies_to=audience)
    exchange = live.trust.send(rst, trust_version=TrustVersion.WST_13,
                               request_type=RequestType.ISSUE,
                               credentials=Credentials("admin", ADMIN_PASSWORD))
    assert not exchange.ok
    assert audience in exchange.fault_reason
