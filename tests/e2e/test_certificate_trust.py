"""Issue 12's trust decisions over real HTTPS, with real keys: CRLs in the trust store, client
certificates mapped to users, and SAML tokens from a second, trusted issuer.

Everything is configured through the admin API (and SCIM) as an administrator would; requests
are built by ``tests.helpers.wss_client`` (a Rampart-shaped sender apart from the engine), and
the foreign issuer's assertion is signed with signxml, outside software.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml import SignatureConstructionMethod, XMLSigner

from stsdesk.core import ns
from stsdesk.core.certificates import SigningIdentity
from stsdesk.core.saml import AssertionSpec, SamlVersion, build_assertion, new_assertion_id
from stsdesk.core.soap import parse_fault
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.server.model import RequestedClaim
from tests.helpers import certfactory, live_server
from tests.helpers import wss_client as wc

ADMIN = ("admin", "Adm1n-trust12-e2e")
RP = "https://rp.example.org/trust12"
EMAIL = "http://wso2.org/claims/emailaddress"
SAML2 = "{urn:oasis:names:tc:SAML:2.0:assertion}"
PARTNER = "https://partner-idp.example.org"
API = "/api/server/v1"
SCIM = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def identity(issued: certfactory.Issued) -> SigningIdentity:
    return SigningIdentity(private_key=issued.private_key,  # type: ignore[arg-type]
                           certificate=issued.certificate)


def der_b64(certificate: x509.Certificate) -> str:
    return base64.b64encode(certificate.public_bytes(Encoding.DER)).decode()


@dataclass
class Sts(live_server.OwnSts):
    ca: certfactory.Issued  # a client CA in the trust store

    def call(self, method: str, path: str, body: object = None, *,
             status: int | None = None) -> requests.Response:
        base = self.server.url + (path if path.startswith("/scim2") else API + path)
        answer = self.admin.request(method, base, json=body, timeout=30,
                                    verify=str(self.server.ca_file))
        if status is not None:
            assert answer.status_code == status, answer.text
        return answer

    def apply(self, scenario: str, **extra: object) -> None:
        self.call("PUT", "/sts/security", {
            "scenarioId": scenario, "trustedKeystores": ["wso2carbon.jks"],
            "privateKeystore": "wso2carbon.jks", **extra}, status=200)

    def signed_request(self, client: certfactory.Issued,
                       assertion: etree._Element | None = None) -> requests.Response:
        """A request signed with ``client``'s key as a WSO2 client signs it under the applied
        scenario (2; 33 when ``assertion`` rides along as a signed supporting token)."""
        if assertion is None:
            sent = wc.asymmetric_request(rst(), client_key=client.private_key,  # type: ignore[arg-type]
                                         client_cert=client.certificate)
        else:
            sent = wc.asymmetric_request(rst(), client_key=client.private_key,  # type: ignore[arg-type]
                                         client_cert=client.certificate,
                                         service_cert=self.service_certificate,
                                         assertion=assertion, sign_assertion=True)
        return self.post(sent.envelope)


@pytest.fixture(scope="module")
def sts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sts]:
    with live_server.running_sts(tmp_path_factory.mktemp("trust12-sts"), ADMIN[1]) as server:
        store = server.bootstrap.store
        store.roles.create("signers")
        app_id = live_server.add_relying_party(store, "trust12-rp", RP)
        store.applications.update(app_id, requested_claims=[RequestedClaim(EMAIL)])
        ca = certfactory.issue("Trust12 Client CA", ca=True, path_length=0)
        with live_server.admin_session(ADMIN) as admin:
            sts = Sts(server, admin, ca)
            sts.call("POST", "/keystores/certs", {
                "alias": "trust12-client-ca",
                "certificate": ca.certificate.public_bytes(Encoding.PEM).decode()},
                status=201)
            yield sts


def rst() -> etree._Element:
    return build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                         key_type=KeyType.BEARER, applies_to=RP)


def issued(answer: requests.Response, sts: Sts, client: certfactory.Issued | None = None
           ) -> etree._Element:
    assert answer.status_code == 200, answer.text[:600]
    checked = wc.check_response(answer.content, service_cert=sts.service_certificate,
                                client_key=None if client is None else client.private_key)
    found = checked.body.find(f".//{SAML2}Assertion")
    assert found is not None
    return found


def subject_of(assertion: etree._Element) -> str:
    return "".join(assertion.find(f"{SAML2}Subject/{SAML2}NameID").itertext())


def attribute(assertion: etree._Element, name: str) -> list[str]:
    return [v.text or "" for a in assertion.iter(f"{SAML2}Attribute")
            if a.get("Name") in (name, name.rsplit("/", 1)[-1])
            for v in a.iter(f"{SAML2}AttributeValue")]


def fault(answer: requests.Response) -> tuple[str, str]:
    assert answer.status_code in (400, 500), answer.text[:300]
    return parse_fault(answer.content)


def client(sts: Sts, name: str) -> certfactory.Issued:
    return certfactory.issue(name, issuer=sts.ca)


def crl_of(ca: certfactory.Issued, *revoked: x509.Certificate, next_update_in: dt.timedelta =
           dt.timedelta(days=7), issued_ago: dt.timedelta = dt.timedelta(hours=1)) -> str:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.certificate.subject)
               .last_update(now - issued_ago).next_update(now + next_update_in))
    for certificate in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(certificate.serial_number)
            .revocation_date(now - dt.timedelta(minutes=5)).build())
    crl = builder.sign(ca.private_key, hashes.SHA256())  # type: ignore[arg-type]
    return crl.public_bytes(serialization.Encoding.PEM).decode()


def audit_actions(sts: Sts) -> list[tuple[str, str]]:
    entries = sts.call("GET", "/audit-logs?limit=30", status=200).json()["entries"]
    return [(e["action"], e["target"]) for e in entries]


# -- revocation --------------------------------------------------------------------------------

@pytest.fixture
def no_crls(sts: Sts) -> Iterator[None]:
    yield
    for crl in sts.call("GET", "/keystores/crls", status=200).json():
        sts.call("DELETE", f"/keystores/crls/{crl['id']}", status=204)
    sts.call("PUT", "/keystores/revocation", {"staleCrl": "refuse", "requireCrl": False},
             status=200)


def test_a_certificate_its_ca_revoked_is_refused_and_audited_once_the_crl_is_imported(
    sts: Sts, no_crls: None
) -> None:
    sts.apply("scenario2")
    revoked, good = client(sts, "revoked-client"), client(sts, "good-client")
    assert sts.signed_request(revoked).status_code == 200  # no CRL yet: nothing is known

    listed = sts.call("POST", "/keystores/crls",
                      {"crl": crl_of(sts.ca, revoked.certificate)}, status=201).json()

    assert listed["entries"] == 1 and listed["issuer"] == "CN=Trust12 Client CA"
    assert listed["stale"] is False
    code, reason = fault(sts.signed_request(revoked))
    assert code == f"{{{ns.WSSE}}}FailedCheck"
    assert "revoked" in reason
    assert subject_of(issued(sts.signed_request(good), sts)) == "CN=good-client"
    assert ("sts.certificate.revoked", "CN=revoked-client") in audit_actions(sts)
    details = sts.call("GET", f"/keystores/crls/{listed['id']}", status=200).json()
    assert details["revoked"][0]["serialNumber"] == f"{revoked.certificate.serial_number:X}"


def test_an_out_of_date_crl_refuses_unless_the_administrator_accepts_it(
    sts: Sts, no_crls: None
) -> None:
    sts.apply("scenario2")
    good = client(sts, "client-under-stale-crl")
    stale = crl_of(sts.ca, next_update_in=-dt.timedelta(hours=1),
                   issued_ago=dt.timedelta(days=8))
    assert sts.call("POST", "/keystores/crls", {"crl": stale}, status=201).json()["stale"]

    code, reason = fault(sts.signed_request(good))
    assert code == f"{{{ns.WSSE}}}FailedCheck"
    assert "out of date" in reason

    sts.call("PUT", "/keystores/revocation", {"staleCrl": "accept", "requireCrl": False},
             status=200)
    assert subject_of(issued(sts.signed_request(good), sts)) == "CN=client-under-stale-crl"
    assert any(action == "sts.crl.stale" for action, _ in audit_actions(sts))


def test_a_ca_without_a_crl_is_refused_when_the_policy_requires_one(
    sts: Sts, no_crls: None
) -> None:
    sts.apply("scenario2")
    sts.call("PUT", "/keystores/revocation", {"staleCrl": "refuse", "requireCrl": True},
             status=200)
    code, reason = fault(sts.signed_request(client(sts, "client-without-crl")))
    assert code == f"{{{ns.WSSE}}}FailedCheck"
    assert "no CRL" in reason


def test_a_crl_is_imported_only_from_a_trusted_ca_and_never_replaced_by_an_older_one(
    sts: Sts, no_crls: None
) -> None:
    stranger = certfactory.issue("Trust12 Client CA", ca=True,  # the same name, another key
                                 key=certfactory.rsa_key("impostor-ca"))
    refused = sts.call("POST", "/keystores/crls", {"crl": crl_of(stranger)}, status=400)
    assert "not signed by a certificate in the trust store" in refused.json()["description"]
    assert sts.call("POST", "/keystores/crls", {"crl": "bm90IGEgQ1JM"},
                    status=400).json()["description"].startswith("The data is not")

    sts.call("POST", "/keystores/crls", {"crl": crl_of(sts.ca)}, status=201)
    older = crl_of(sts.ca, issued_ago=dt.timedelta(days=2))
    assert "newer CRL" in sts.call("POST", "/keystores/crls", {"crl": older},
                                   status=409).json()["description"]


# -- certificate -> user mapping ---------------------------------------------------------------

def scim_user(sts: Sts, name: str, **attributes: object) -> dict:
    created = sts.call("POST", "/scim2/Users", {"schemas": [SCIM], "userName": name,
                                                "password": "Mapped-user-Pa55",
                                                **attributes}, status=201).json()
    signers = sts.call("GET", '/scim2/Groups?filter=displayName eq "signers"',
                       status=200).json()["Resources"][0]
    sts.call("PATCH", f"/scim2/Groups/{signers['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": created["id"]}]}]}, status=200)
    return created


def test_a_mapped_certificate_obtains_the_token_for_its_user_with_their_claims(sts: Sts) -> None:
    sts.apply("scenario2", allowedRoles=["signers"])
    dana_cert, other = client(sts, "dana-laptop"), client(sts, "unmapped-laptop")
    dana = scim_user(sts, "dana", emails=[{"value": "dana@example.org", "primary": True}])
    patched = sts.call("PATCH", f"/scim2/Users/{dana['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "add", "path": "x509Certificates",
         "value": [{"value": der_b64(dana_cert.certificate)}]}]}, status=200).json()
    assert patched["x509Certificates"] == [{"value": der_b64(dana_cert.certificate)}]

    token = issued(sts.signed_request(dana_cert), sts)
    assert subject_of(token) == "dana"
    assert attribute(token, EMAIL) == ["dana@example.org"], etree.tostring(token)
    # Unmapped: the certificate's subject, as before; its lack of roles does not matter.
    sts.apply("scenario2")
    assert subject_of(issued(sts.signed_request(other), sts)) == "CN=unmapped-laptop"

    # The user's state applies: a disabled user's certificate obtains nothing.
    sts.call("PATCH", f"/scim2/Users/{dana['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "active", "value": False}]}, status=200)
    code, reason = fault(sts.signed_request(dana_cert))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "mapped to cannot obtain tokens" in reason


def test_a_mapped_user_needs_a_role_the_policy_allows(sts: Sts) -> None:
    sts.apply("scenario2", allowedRoles=["admin"])
    erin_cert = client(sts, "erin-laptop")
    scim_user(sts, "erin", x509Certificates=[{"value": der_b64(erin_cert.certificate)}])
    _, reason = fault(sts.signed_request(erin_cert))
    assert "not authorised" in reason


def test_a_certificate_maps_to_one_user_only(sts: Sts) -> None:
    shared = client(sts, "shared-laptop")
    scim_user(sts, "frank", x509Certificates=[{"value": der_b64(shared.certificate)}])
    answer = sts.call("POST", "/scim2/Users", {
        "schemas": [SCIM], "userName": "grace",
        "x509Certificates": [{"value": der_b64(shared.certificate)}]}, status=409)
    assert "already mapped to the user 'frank'" in answer.json()["detail"]
    assert sts.call("GET", '/scim2/Users?filter=userName eq "grace"',
                    status=200).json()["totalResults"] == 0


# -- trusted SAML issuers (scenario 33) --------------------------------------------------------

def partner_assertion(partner: certfactory.Issued, subject: str, *, issuer: str = PARTNER,
                      audience: str | None = RP, issued_ago: dt.timedelta = dt.timedelta(0)
                      ) -> etree._Element:
    """A SAML 2.0 bearer assertion from the partner identity provider, signed with its key by
    signxml (enveloped, exclusive c14n, the signature after the Issuer as the schema wants)."""
    now = dt.datetime.now(dt.UTC) - issued_ago
    assertion_id = new_assertion_id()
    element = build_assertion(AssertionSpec(
        version=SamlVersion.SAML20, assertion_id=assertion_id, issuer=issuer,
        issue_instant=now, not_before=now - dt.timedelta(minutes=1),
        not_on_or_after=now + dt.timedelta(minutes=5), subject_name=subject,
        name_id_format=ns.NAMEID_UNSPECIFIED, audiences=(audience,) if audience else (),
        authn_instant=now,
        authn_method="urn:oasis:names:tc:SAML:2.0:ac:classes:Password"))
    placeholder = etree.Element(f"{{{ns.DS}}}Signature", Id="placeholder", nsmap={"ds": ns.DS})
    element.insert(1, placeholder)
    signer = XMLSigner(method=SignatureConstructionMethod.enveloped,
                       signature_algorithm="rsa-sha256", digest_algorithm="sha256",
                       c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
    key = partner.private_key.private_bytes(  # type: ignore[union-attr]
        Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return signer.sign(element, key=key, cert=partner.certificate.public_bytes(Encoding.PEM),
                       reference_uri=f"#{assertion_id}", id_attribute="ID")


@pytest.fixture(scope="module")
def partner(sts: Sts) -> certfactory.Issued:
    issuer = certfactory.issue("Partner IdP signing", key=certfactory.rsa_key("partner-idp"))
    sts.call("POST", "/keystores/certs", {
        "alias": "partner-idp", "certificate": issuer.certificate.public_bytes(
            Encoding.PEM).decode()}, status=201)
    return issuer


def test_an_assertion_from_a_trusted_issuer_is_accepted_for_its_subject(
    sts: Sts, partner: certfactory.Issued
) -> None:
    presenter = client(sts, "scenario33-client")
    scim_user(sts, "henry", emails=[{"value": "henry@example.org", "primary": True}])
    sts.apply("scenario33", allowedRoles=["signers"])
    # Not trusted yet: the partner's certificate is only in the trust store.
    code, reason = fault(sts.signed_request(presenter, partner_assertion(partner, "henry")))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "SAML tokens from other issuers are not accepted" in reason

    trusted = sts.call("PUT", "/sts/saml-issuers/partner-idp", {"issuer": PARTNER},
                       status=201).json()
    assert trusted["subject"] == "CN=Partner IdP signing"
    try:
        token = issued(sts.signed_request(presenter, partner_assertion(partner, "henry")), sts,
                       presenter)
        # A federated subject, as WSO2 treats one: the name, no local user's claims.
        assert subject_of(token) == "henry"
        assert attribute(token, EMAIL) == []

        for assertion, why in (
            (partner_assertion(partner, "henry", issuer="https://other.example.org"),
             "names another issuer"),
            (partner_assertion(partner, "henry", audience="https://elsewhere.example.org"),
             "audiences this STS does not serve"),
            (partner_assertion(partner, "henry", issued_ago=dt.timedelta(minutes=20)),
             "expired"),
        ):
            code, reason = fault(sts.signed_request(presenter, assertion))
            assert code == f"{{{ns.WSSE}}}FailedAuthentication", why
            assert why in reason
        listed = sts.call("GET", "/sts/saml-issuers", status=200).json()
        assert [(i["certificateAlias"], i["issuer"]) for i in listed] == [
            ("partner-idp", PARTNER)]
    finally:
        sts.call("DELETE", "/sts/saml-issuers/partner-idp", status=204)

    code, _ = fault(sts.signed_request(presenter, partner_assertion(partner, "henry")))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"


def test_an_assertion_signed_by_another_key_under_the_trusted_issuers_name_is_refused(
    sts: Sts, partner: certfactory.Issued
) -> None:
    presenter = client(sts, "scenario33-forger")
    forger = certfactory.issue("Partner IdP signing", key=certfactory.rsa_key("forger"))
    sts.apply("scenario33")
    sts.call("PUT", "/sts/saml-issuers/partner-idp", {"issuer": PARTNER}, status=201)
    try:
        code, reason = fault(sts.signed_request(presenter, partner_assertion(forger, "admin")))
    finally:
        sts.call("DELETE", "/sts/saml-issuers/partner-idp", status=204)
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "not from a trusted issuer" in reason


def test_a_token_issued_to_a_federated_subject_never_becomes_the_local_user_of_that_name(
    sts: Sts, partner: certfactory.Issued
) -> None:
    # The partner may name any subject, "iris" too, who is a local user with an e-mail and a
    # role. Its assertion gets a token for the federated "iris" without her claims; that token,
    # presented back to this STS, must still stand for the federated subject, not for her.
    presenter = client(sts, "scenario33-relay")
    scim_user(sts, "iris", emails=[{"value": "iris@example.org", "primary": True}])
    sts.apply("scenario33", allowedRoles=["signers"])
    sts.call("PUT", "/sts/saml-issuers/partner-idp", {"issuer": PARTNER}, status=201)
    try:
        federated = issued(sts.signed_request(presenter, partner_assertion(partner, "iris")),
                           sts, presenter)
        assert attribute(federated, EMAIL) == []
        relayed = issued(sts.signed_request(presenter, federated), sts, presenter)
        assert subject_of(relayed) == "iris"
        assert attribute(relayed, EMAIL) == [], etree.tostring(relayed)
    finally:
        sts.call("DELETE", "/sts/saml-issuers/partner-idp", status=204)


def test_an_assertion_from_a_trusted_issuer_must_name_its_audience(
    sts: Sts, partner: certfactory.Issued
) -> None:
    # Without an AudienceRestriction the partner's assertion could have been issued for any
    # of its relying parties, which could then replay it here for a token of this STS's.
    presenter = client(sts, "scenario33-no-audience")
    sts.apply("scenario33")
    sts.call("PUT", "/sts/saml-issuers/partner-idp", {"issuer": PARTNER}, status=201)
    try:
        code, reason = fault(sts.signed_request(
            presenter, partner_assertion(partner, "kim", audience=None)))
    finally:
        sts.call("DELETE", "/sts/saml-issuers/partner-idp", status=204)
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "names no audience" in reason


def test_a_trusted_issuers_assertion_for_any_audience_is_not_taken_for_this_sts(
    sts: Sts, partner: certfactory.Issued
) -> None:
    # The "*" service provider is this STS's fallback for an AppliesTo no other entry has; it
    # is no audience a partner's assertion can be restricted to ("*" would be any party's).
    store = sts.server.bootstrap.store
    fallback = live_server.add_relying_party(store, "trust12-any-rp", "*")
    presenter = client(sts, "scenario33-any-audience")
    sts.apply("scenario33")
    sts.call("PUT", "/sts/saml-issuers/partner-idp", {"issuer": PARTNER}, status=201)
    try:
        code, reason = fault(sts.signed_request(
            presenter, partner_assertion(partner, "lee", audience="*")))
    finally:
        sts.call("DELETE", "/sts/saml-issuers/partner-idp", status=204)
        store.applications.delete(fallback)
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "audiences this STS does not serve" in reason
