"""Issue over real HTTPS, every token checked by independent implementations."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os

import pytest
from cryptography import x509
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import ClaimRequest, KeyType, RequestType, TrustVersion, build_request
from tests.e2e.conftest import RP_CLAIMS, RP_ENCRYPTED, RP_HOK, RP_PLAIN, LiveSts
from tests.helpers.independent import (
    assert_schema_valid,
    decrypt_with_cryptography,
    unwrap_key,
    verify_with_signxml,
)

SAML2_SCHEMA = "saml-schema-assertion-2.0.xsd"
SAML11_SCHEMA = "oasis-sstc-saml-schema-assertion-1.1.xsd"
TOKEN_TYPES = {"1.1": ns.TOKEN_SAML11, "2.0": ns.TOKEN_SAML20}


def p_sha1(secret: bytes, seed: bytes, length: int) -> bytes:
    """RFC 2246 P_SHA-1, written here from the definition to check the server's computed key."""
    out, a = b"", seed
    while len(out) < length:
        a = hmac.new(secret, a, hashlib.sha1).digest()
        out += hmac.new(secret, a + seed, hashlib.sha1).digest()
    return out[:length]


def _issue(client, admin, *, trust, soap, **options):
    rst = build_request(trust, RequestType.ISSUE, **options)
    return client.send(
        rst,
        trust_version=trust,
        request_type=RequestType.ISSUE,
        soap_version=soap,
        credentials=admin,
    )


def _assertion_of(live_sts: LiveSts, token: etree._Element) -> etree._Element:
    if etree.QName(token).localname in ("EncryptedAssertion", "EncryptedData"):
        return decrypt_with_cryptography(token, live_sts.rp_identity.private_key)
    return token


COMBOS = list(
    itertools.product(
        ("1.1", "2.0"),
        (TrustVersion.WST_2005, TrustVersion.WST_13),
        (SoapVersion.SOAP11, SoapVersion.SOAP12),
    )
)


@pytest.mark.parametrize(("saml", "trust", "soap"), COMBOS)
@pytest.mark.parametrize("applies_to", [RP_PLAIN, RP_ENCRYPTED])
def test_bearer_token_verifies_independently(
    live_sts, client, admin, saml, trust, soap, applies_to
):
    exchange = _issue(
        client,
        admin,
        trust=trust,
        soap=soap,
        token_type=TOKEN_TYPES[saml],
        key_type=KeyType.BEARER,
        applies_to=applies_to,
    )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    response = exchange.response
    assert response.token_type == TOKEN_TYPES[saml]
    assert response.applies_to == applies_to
    encrypted = etree.QName(response.token).localname != "Assertion"
    assert encrypted is (applies_to == RP_ENCRYPTED)
    assertion = _assertion_of(live_sts, response.token)
    verify_with_signxml(assertion, live_sts.signing_certificate)
    assert_schema_valid(assertion, SAML11_SCHEMA if saml == "1.1" else SAML2_SCHEMA)
    assert (assertion.get("ID") or assertion.get("AssertionID")) == response.attached_reference
    text = etree.tostring(assertion).decode()
    assert "cm:bearer" in text
    assert applies_to in assertion.xpath("string(.//*[local-name()='Audience'])")
    subject = assertion.xpath(
        "string(.//*[local-name()='NameID' or local-name()='NameIdentifier'])"
    )
    assert subject == "admin"
    assert response.expires is not None and response.created is not None
    assert 290 <= (response.expires - response.created).total_seconds() <= 300


@pytest.mark.parametrize("saml", ["1.1", "2.0"])
@pytest.mark.parametrize("trust", [TrustVersion.WST_2005, TrustVersion.WST_13])
@pytest.mark.parametrize("entropy", [False, True])
def test_symmetric_holder_of_key_proof_matches_key_for_relying_party(
    live_sts, client, admin, saml, trust, entropy
):
    client_entropy = os.urandom(32) if entropy else None
    exchange = _issue(
        client,
        admin,
        trust=trust,
        soap=SoapVersion.SOAP12,
        token_type=TOKEN_TYPES[saml],
        key_type=KeyType.SYMMETRIC,
        applies_to=RP_HOK,
        client_entropy=client_entropy,
        key_size=256,
    )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    response = exchange.response
    assertion = response.token
    verify_with_signxml(assertion, live_sts.signing_certificate)
    assert_schema_valid(assertion, SAML11_SCHEMA if saml == "1.1" else SAML2_SCHEMA)
    assert "holder-of-key" in etree.tostring(assertion).decode()
    encrypted_key = assertion.find(f".//{{{ns.XENC}}}EncryptedKey")
    relying_party_key = unwrap_key(encrypted_key, live_sts.rp_identity.private_key)
    if entropy:
        assert response.proof_secret is None
        assert response.computed_key_algorithm.endswith("CK/PSHA1")
        client_key = p_sha1(client_entropy, response.issuer_entropy, 32)
    else:
        client_key = response.proof_secret
    assert client_key is not None and len(client_key) == 32
    assert relying_party_key == client_key
    assert response.key_size == 256


@pytest.mark.parametrize("saml", ["1.1", "2.0"])
def test_public_key_token_binds_the_trusted_client_certificate(live_sts, client, admin, saml):
    certificate_der = live_sts.client_identity.certificate_der()
    exchange = _issue(
        client,
        admin,
        trust=TrustVersion.WST_13,
        soap=SoapVersion.SOAP12,
        token_type=TOKEN_TYPES[saml],
        key_type=KeyType.PUBLIC,
        applies_to=RP_ENCRYPTED,
        use_key_certificate=certificate_der,
    )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    assertion = _assertion_of(live_sts, exchange.response.token)
    verify_with_signxml(assertion, live_sts.signing_certificate)
    assert_schema_valid(assertion, SAML11_SCHEMA if saml == "1.1" else SAML2_SCHEMA)
    bound = assertion.findtext(f".//{{{ns.DS}}}X509Certificate[1]", namespaces=None)
    # the first X509Certificate in document order inside the confirmation is the client's
    confirmation_certs = assertion.xpath(
        ".//*[local-name()='SubjectConfirmation']//*[local-name()='X509Certificate']/text()"
    )
    assert confirmation_certs, bound
    presented = x509.load_der_x509_certificate(
        __import__("base64").b64decode(confirmation_certs[0])
    )
    assert presented == live_sts.client_identity.certificate


def test_wso2_client_claims_with_dialect_in_trust_namespace(live_sts, client, admin):
    exchange = _issue(
        client,
        admin,
        trust=TrustVersion.WST_2005,
        soap=SoapVersion.SOAP11,
        token_type=ns.TOKEN_SAML20,
        key_type=KeyType.BEARER,
        applies_to=RP_PLAIN,
        addressing_namespace=ns.WSA_2004,
        claims_dialect=ns.WSO2_CLAIMS,
        dialect_in_trust_namespace=True,
        claims=[
            ClaimRequest("http://wso2.org/claims/givenname"),
            ClaimRequest("http://wso2.org/claims/emailaddress"),
        ],
    )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    assertion = exchange.response.token
    values = {
        a.get("Name"): a.xpath("string(*[local-name()='AttributeValue'])")
        for a in assertion.iter(f"{{{ns.SAML2}}}Attribute")
    }
    assert values == {
        "http://wso2.org/claims/givenname": "Ada",
        "http://wso2.org/claims/emailaddress": "admin@example.org",
    }


def test_saml11_attributes_split_namespace_and_name(live_sts, client, admin):
    exchange = _issue(
        client,
        admin,
        trust=TrustVersion.WST_13,
        soap=SoapVersion.SOAP12,
        token_type=ns.TOKEN_SAML11,
        applies_to=RP_PLAIN,
        claims_dialect=ns.WSO2_CLAIMS,
        claims=[ClaimRequest("http://wso2.org/claims/lastname")],
    )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    attribute = exchange.response.token.find(f".//{{{ns.SAML11}}}Attribute")
    assert attribute.get("AttributeNamespace") == "http://wso2.org/claims"
    assert attribute.get("AttributeName") == "lastname"
    assert attribute.findtext(f"{{{ns.SAML11}}}AttributeValue") == "Admin"


def test_identity_dialect_claims_map_to_local_claims(live_sts, client, admin):
    uri = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
    exchange = _issue(
        client,
        admin,
        trust=TrustVersion.WST_13,
        soap=SoapVersion.SOAP12,
        applies_to=RP_PLAIN,
        claims_dialect=ns.WSID,
        claims=[ClaimRequest(uri)],
    )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    attribute = exchange.response.token.find(f".//{{{ns.SAML2}}}Attribute")
    assert attribute.get("Name") == uri
    assert attribute.findtext(f"{{{ns.SAML2}}}AttributeValue") == "admin@example.org"


def test_service_provider_claims_used_when_request_has_none(live_sts, client, admin):
    exchange = _issue(
        client, admin, trust=TrustVersion.WST_13, soap=SoapVersion.SOAP12, applies_to=RP_CLAIMS
    )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    names = {a.get("Name") for a in exchange.response.token.iter(f"{{{ns.SAML2}}}Attribute")}
    assert names == {"http://wso2.org/claims/emailaddress", "http://wso2.org/claims/givenname"}


def test_adfs_style_request_without_token_and_key_type_gets_defaults(live_sts, client, admin):
    exchange = _issue(
        client,
        admin,
        trust=TrustVersion.WST_2005,
        soap=SoapVersion.SOAP12,
        key_type=ns.IDENTITY_NO_PROOF_KEY,
        applies_to=RP_PLAIN,
    )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    assert exchange.response.token.tag == f"{{{ns.SAML2}}}Assertion"
    assert "cm:bearer" in etree.tostring(exchange.response.token).decode()


def test_requested_lifetime_is_honoured(live_sts, client, admin):
    exchange = _issue(
        client,
        admin,
        trust=TrustVersion.WST_13,
        soap=SoapVersion.SOAP12,
        applies_to=RP_PLAIN,
        lifetime_seconds=60,
    )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    response = exchange.response
    assert (response.expires - response.created).total_seconds() == pytest.approx(60, abs=1)


def test_password_digest_is_accepted(live_sts, client, digest_allowed):
    from stsdesk.services.trust_client import Credentials
    from tests.e2e.conftest import ADMIN_PASSWORD

    exchange = _issue(
        client,
        Credentials("admin", ADMIN_PASSWORD, digest=True),
        trust=TrustVersion.WST_13,
        soap=SoapVersion.SOAP12,
        applies_to=RP_PLAIN,
    )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)


def test_response_answers_ws_addressing(live_sts, client, admin):
    exchange = _issue(
        client, admin, trust=TrustVersion.WST_13, soap=SoapVersion.SOAP12, applies_to=RP_PLAIN
    )
    envelope = etree.fromstring(exchange.response_bytes)
    action = envelope.findtext(f".//{{{ns.WSA_2005}}}Action")
    assert action == f"{ns.WST_13}/RSTRC/IssueFinal"
    sent = etree.fromstring(exchange.request_bytes)
    message_id = sent.findtext(f".//{{{ns.WSA_2005}}}MessageID")
    if message_id:
        assert envelope.findtext(f".//{{{ns.WSA_2005}}}RelatesTo") == message_id
    body = envelope.find(f"{{{ns.SOAP12}}}Body")[0]
    assert body.tag == f"{{{ns.WST_13}}}RequestSecurityTokenResponseCollection"
