"""WS-Trust RST parsing (WSO2 Rahas, ADFS/MSAL, CXF-style 1.3), RSTR building, round trips."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, RequestFailedError
from stsdesk.core.rstr import build_cancel_response, build_issue_response, build_validate_response
from stsdesk.core.soap import SoapVersion, build_envelope, parse_envelope
from stsdesk.core.wssecurity import (
    build_security_header,
    parse_security_header,
    password_matches,
)
from stsdesk.core.wstrust import (
    BinarySecretProof,
    ClaimRequest,
    ComputedKeyProof,
    EncryptedKeyProof,
    IssuedToken,
    KeyType,
    Renewing,
    RequestType,
    TokenType,
    TrustVersion,
    build_request,
    key_type_uri,
    parse_request,
    parse_response,
    request_action,
    request_type_uri,
    response_action,
)
from stsdesk.core.xmlparse import parse_xml
from tests.helpers.data import SCHEMAS

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
RP = "https://localhost:10443/services/echo"
W05 = TrustVersion.WST_2005
W13 = TrustVersion.WST_13


class _Trust13Erratum(etree.Resolver):
    """Serve ws-trust-200512.xsd with the namespace the specification and every peer use.

    The published 1.3 schema declares its targetNamespace with a trailing slash
    (".../ws-trust/200512/"), a known erratum; messages use ".../ws-trust/200512".
    """

    def resolve(self, system_url, public_id, context):
        if system_url.endswith("ws-trust-200512.xsd"):
            text = (SCHEMAS / "ws-trust-200512.xsd").read_text(encoding="utf-8")
            return self.resolve_string(text.replace(f"{ns.WST_13}/'", f"{ns.WST_13}'"), context,
                                       base_url=system_url)
        return None


@cache
def trust_schema(version: TrustVersion) -> etree.XMLSchema:
    """The WS-Trust schema of ``version`` plus SAML 2.0 (targets hold assertions, strictly)."""
    name = "ws-trust-200502.xsd" if version is W05 else "ws-trust-200512.xsd"
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'
        f'<xs:import namespace="{version.namespace}" schemaLocation="{name}"/>'
        f'<xs:import namespace="{ns.SAML2}" schemaLocation="saml-schema-assertion-2.0.xsd"/>'
        "</xs:schema>"
    )
    parser = etree.XMLParser()
    parser.resolvers.add(_Trust13Erratum())
    root = etree.fromstring(wrapper.encode(), parser, base_url=str(SCHEMAS / "wrapper.xsd"))
    return etree.XMLSchema(root)


@cache
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def certificate_der() -> bytes:
    key = rsa_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "holder-of-key client")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


def xml(text: str) -> etree._Element:
    return etree.fromstring(text.encode())


def saml2_assertion(assertion_id: str = "_a1b2c3") -> etree._Element:
    assertion = etree.Element(f"{{{ns.SAML2}}}Assertion", nsmap={"saml2": ns.SAML2})
    assertion.set("ID", assertion_id)
    assertion.set("Version", "2.0")
    assertion.set("IssueInstant", "2024-05-01T12:00:00.000Z")
    etree.SubElement(assertion, f"{{{ns.SAML2}}}Issuer").text = "localhost"
    return assertion


def encrypted_key(secret: bytes) -> etree._Element:
    """A real xenc:EncryptedKey: ``secret`` wrapped with RSA-OAEP for the test key."""
    cipher = rsa_key().public_key().encrypt(
        secret, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    )
    ek = etree.Element(f"{{{ns.XENC}}}EncryptedKey", nsmap={"xenc": ns.XENC})
    etree.SubElement(ek, f"{{{ns.XENC}}}EncryptionMethod").set(
        "Algorithm", "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p")
    data = etree.SubElement(ek, f"{{{ns.XENC}}}CipherData")
    etree.SubElement(data, f"{{{ns.XENC}}}CipherValue").text = base64.b64encode(cipher).decode()
    return ek


# ---------------------------------------------------------------- interop: real clients' RSTs

RAHAS_RST = f"""
<wst:RequestSecurityToken xmlns:wst="http://schemas.xmlsoap.org/ws/2005/02/trust">
  <wst:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</wst:RequestType>
  <wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy">
    <wsa:EndpointReference xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">
      <wsa:Address>{RP}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>
  <wst:Lifetime xmlns:wsu="{ns.WSU}">
    <wsu:Created>2024-05-01T12:00:00.000Z</wsu:Created>
    <wsu:Expires>2024-05-01T12:05:00.000Z</wsu:Expires></wst:Lifetime>
  <wst:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0</wst:TokenType>
  <wst:KeyType>http://schemas.xmlsoap.org/ws/2005/02/trust/Bearer</wst:KeyType>
  <wst:Claims xmlns:wsp="http://schemas.xmlsoap.org/ws/2005/02/trust" wsp:Dialect="http://wso2.org/claims">
    <wsid:ClaimType xmlns:wsid="http://schemas.xmlsoap.org/ws/2005/05/identity" Uri="http://wso2.org/claims/givenname"/>
    <wsid:ClaimType xmlns:wsid="http://schemas.xmlsoap.org/ws/2005/05/identity" Uri="http://wso2.org/claims/emailaddress"/>
  </wst:Claims>
</wst:RequestSecurityToken>
"""


def test_wso2_rahas_client_rst() -> None:
    request = parse_request(xml(RAHAS_RST), action=f"{ns.WST_2005}/RST/Issue")
    assert request.version is W05
    assert request.request_type is RequestType.ISSUE
    assert request.token_type is TokenType.SAML20
    assert request.key_type is KeyType.BEARER
    assert request.applies_to == RP
    assert request.lifetime_created == NOW
    assert request.lifetime_expires == NOW + timedelta(minutes=5)
    assert request.claims_dialect == ns.WSO2_CLAIMS
    assert request.claims == (ClaimRequest("http://wso2.org/claims/givenname"),
                              ClaimRequest("http://wso2.org/claims/emailaddress"))
    assert request.client_entropy is None and request.key_size is None
    assert not request.use_key_present and request.target is None and not request.act_as_present


MSAL_ENVELOPE = f"""<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
    xmlns:a="http://www.w3.org/2005/08/addressing" xmlns:u="{ns.WSU}">
  <s:Header>
    <a:Action s:mustUnderstand="1">http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue</a:Action>
    <a:MessageID>urn:uuid:7f0b1f3c-46a1-4b0e-9d0e-2b7d0c9b2c11</a:MessageID>
    <a:ReplyTo><a:Address>http://www.w3.org/2005/08/addressing/anonymous</a:Address></a:ReplyTo>
    <a:To s:mustUnderstand="1">https://sts.example.com/adfs/services/trust/2005/usernamemixed</a:To>
    <o:Security s:mustUnderstand="1" xmlns:o="{ns.WSSE}">
      <u:Timestamp u:Id="_0"><u:Created>2024-05-01T12:00:00.000Z</u:Created>
        <u:Expires>2024-05-01T12:10:00.000Z</u:Expires></u:Timestamp>
      <o:UsernameToken u:Id="uuid-6a9b"><o:Username>alice@example.com</o:Username>
        <o:Password>secret</o:Password></o:UsernameToken>
    </o:Security>
  </s:Header>
  <s:Body>
    <wst:RequestSecurityToken xmlns:wst="http://schemas.xmlsoap.org/ws/2005/02/trust">
      <wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy">
        <a:EndpointReference><a:Address>urn:federation:MicrosoftOnline</a:Address></a:EndpointReference>
      </wsp:AppliesTo>
      <wst:KeyType>http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey</wst:KeyType>
      <wst:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</wst:RequestType>
    </wst:RequestSecurityToken>
  </s:Body>
</s:Envelope>"""


def test_adfs_msal_style_envelope_and_rst() -> None:
    message = parse_envelope(
        MSAL_ENVELOPE.encode(), content_type="application/soap+xml; charset=utf-8",
        soap_action="http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue",
    )
    assert message.addressing_namespace == ns.WSA_2005
    security = parse_security_header(message)
    assert security is not None and security.username_token.username == "alice@example.com"
    assert password_matches(security.username_token, "secret")
    request = parse_request(message.body, action=message.action)
    assert request.version is W05
    assert request.key_type is KeyType.BEARER
    assert request.token_type is None
    assert request.applies_to == "urn:federation:MicrosoftOnline"
    assert request.claims == () and request.claims_dialect is None


def test_ws_trust_13_rst_with_entropy_keysize_usekey_and_act_as() -> None:
    der = certificate_der()
    entropy = os.urandom(32)
    text = f"""
    <wst:RequestSecurityToken xmlns:wst="{ns.WST_13}" xmlns:wst14="{ns.WST_14}" Context="ctx-42">
      <wst:RequestType>{ns.WST_13}/Issue</wst:RequestType>
      <wsp:AppliesTo xmlns:wsp="{ns.WSP_W3C}">
        <wsa:Address xmlns:wsa="{ns.WSA_2005}">{RP}</wsa:Address></wsp:AppliesTo>
      <wst:Entropy><wst:BinarySecret Type="{ns.WST_13}/Nonce">
        {base64.b64encode(entropy).decode()}</wst:BinarySecret></wst:Entropy>
      <wst:ComputedKeyAlgorithm>{ns.WST_13}/CK/PSHA1</wst:ComputedKeyAlgorithm>
      <wst:KeySize>256</wst:KeySize>
      <wst:UseKey><ds:KeyInfo xmlns:ds="{ns.DS}"><ds:X509Data><ds:X509Certificate>
        {base64.encodebytes(der).decode()}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></wst:UseKey>
      <wst14:ActAs><saml2:Assertion xmlns:saml2="{ns.SAML2}" ID="_x"/></wst14:ActAs>
      <wst:Renewing Allow="false"/>
      <wst:SecondaryParameters>
        <wst:TokenType>urn:oasis:names:tc:SAML:1.0:assertion</wst:TokenType>
        <wst:KeyType>{ns.WST_13}/SymmetricKey</wst:KeyType>
        <wst:Claims Dialect="{ns.WSID}">
          <ic:ClaimType xmlns:ic="{ns.WSID}" Uri="urn:c1" Optional="true"/></wst:Claims>
      </wst:SecondaryParameters>
    </wst:RequestSecurityToken>"""
    request = parse_request(xml(text), action=f"{ns.WST_13}/RST/Issue")
    assert request.version is W13
    assert request.context == "ctx-42"
    assert request.client_entropy == entropy
    assert request.computed_key_algorithm == f"{ns.WST_13}/CK/PSHA1"
    assert request.key_size == 256
    assert request.use_key_present and request.use_key_certificate == der
    assert request.act_as_present
    assert request.renewing == Renewing(allow=False, ok=False)
    assert request.applies_to == RP
    # Taken from SecondaryParameters because the primary lacks them:
    assert request.token_type is TokenType.SAML11
    assert request.key_type is KeyType.SYMMETRIC
    assert request.claims == (ClaimRequest("urn:c1", optional=True),)


def test_primary_parameters_win_over_secondary() -> None:
    text = f"""<wst:RequestSecurityToken xmlns:wst="{ns.WST_13}">
      <wst:RequestType>{ns.WST_13}/Issue</wst:RequestType>
      <wst:KeyType>{ns.WST_13}/Bearer</wst:KeyType>
      <wst:SecondaryParameters><wst:KeyType>{ns.WST_13}/PublicKey</wst:KeyType></wst:SecondaryParameters>
    </wst:RequestSecurityToken>"""
    assert parse_request(xml(text)).key_type is KeyType.BEARER


def test_unreadable_use_key_is_present_without_certificate() -> None:
    text = f"""<wst:RequestSecurityToken xmlns:wst="{ns.WST_13}">
      <wst:RequestType>{ns.WST_13}/Issue</wst:RequestType>
      <wst:UseKey>
        <wsse:BinarySecurityToken xmlns:wsse="{ns.WSSE}">!!!</wsse:BinarySecurityToken></wst:UseKey>
    </wst:RequestSecurityToken>"""
    request = parse_request(xml(text))
    assert request.use_key_present and request.use_key_certificate is None


# ---------------------------------------------------------------- URIs and actions

def test_uris_and_actions() -> None:
    assert request_type_uri(W13, RequestType.ISSUE) == f"{ns.WST_13}/Issue"
    assert key_type_uri(W05, KeyType.BEARER) == f"{ns.WST_2005}/Bearer"
    assert request_action(W05, RequestType.RENEW) == f"{ns.WST_2005}/RST/Renew"
    assert response_action(W13, RequestType.ISSUE) == f"{ns.WST_13}/RSTRC/IssueFinal"
    assert response_action(W13, RequestType.VALIDATE) == f"{ns.WST_13}/RSTR/ValidateFinal"
    assert response_action(W13, RequestType.RENEW) == f"{ns.WST_13}/RSTR/RenewFinal"
    assert response_action(W13, RequestType.CANCEL) == f"{ns.WST_13}/RSTR/CancelFinal"
    assert response_action(W05, RequestType.ISSUE) == f"{ns.WST_2005}/RSTR/Issue"
    assert response_action(W05, RequestType.CANCEL) == f"{ns.WST_2005}/RSTR/Cancel"
    assert TrustVersion.WST_13.namespace == ns.WST_13


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (ns.TOKEN_SAML11, TokenType.SAML11),
        (ns.TOKEN_SAML10_URN, TokenType.SAML11),
        (ns.TOKEN_SAML20, TokenType.SAML20),
        (f" {ns.TOKEN_SAML20_URN} ", TokenType.SAML20),
        (f"{ns.WST_13}/RSTR/Status", TokenType.STATUS),
    ],
)
def test_token_type_from_uri(uri: str, expected: TokenType) -> None:
    assert TokenType.from_uri(uri, W13) is expected


def test_unknown_token_type_names_the_supported_ones() -> None:
    with pytest.raises(InvalidRequestError) as info:
        TokenType.from_uri("urn:ietf:params:oauth:token-type:jwt", W13)
    assert ns.TOKEN_SAML20 in info.value.message and ns.TOKEN_SAML11 in info.value.message
    with pytest.raises(InvalidRequestError):
        TokenType.from_uri(f"{ns.WST_2005}/RSTR/Status", W13)


# ---------------------------------------------------------------- round trips and schemas

@pytest.mark.parametrize("version", list(TrustVersion))
@pytest.mark.parametrize("request_type", list(RequestType))
def test_build_request_is_schema_valid_and_round_trips(version: TrustVersion,
                                                       request_type: RequestType) -> None:
    target = saml2_assertion() if request_type is not RequestType.ISSUE else None
    entropy = bytes(range(32))
    rst = build_request(
        version, request_type, token_type=ns.TOKEN_SAML20, key_type=KeyType.SYMMETRIC,
        applies_to=RP,
        addressing_namespace=ns.WSA_2004 if version is W05 else ns.WSA_2005,
        claims=[ClaimRequest("http://wso2.org/claims/givenname"),
                ClaimRequest("http://wso2.org/claims/emailaddress", optional=True)],
        claims_dialect=ns.WSO2_CLAIMS, lifetime_seconds=300, now=NOW, client_entropy=entropy,
        key_size=256, use_key_certificate=certificate_der(), target=target,
        renewing=Renewing(allow=True, ok=True), context="urn:ctx:1",
    )
    trust_schema(version).assertValid(rst)
    parsed = parse_request(rst, action=request_action(version, request_type))
    assert parsed.version is version and parsed.request_type is request_type
    assert parsed.context == "urn:ctx:1"
    assert parsed.token_type is TokenType.SAML20 and parsed.key_type is KeyType.SYMMETRIC
    assert parsed.applies_to == RP
    assert parsed.claims_dialect == ns.WSO2_CLAIMS
    assert parsed.claims[1] == ClaimRequest("http://wso2.org/claims/emailaddress", True)
    assert parsed.lifetime_created == NOW
    assert parsed.lifetime_expires == NOW + timedelta(seconds=300)
    assert parsed.client_entropy == entropy
    assert parsed.computed_key_algorithm == f"{version.namespace}/CK/PSHA1"
    assert parsed.key_size == 256
    assert parsed.use_key_certificate == certificate_der()
    assert parsed.renewing == Renewing(allow=True, ok=True)
    if target is not None:
        assert parsed.target is not None and parsed.target.get("ID") == "_a1b2c3"
    else:
        assert parsed.target is None


def test_build_request_wso2_dialect_form_round_trips() -> None:
    rst = build_request(W05, RequestType.ISSUE, claims=[ClaimRequest("urn:c")],
                        claims_dialect=ns.WSO2_CLAIMS, dialect_in_trust_namespace=True)
    claims = rst.find(f"{{{ns.WST_2005}}}Claims")
    assert claims.get(f"{{{ns.WST_2005}}}Dialect") == ns.WSO2_CLAIMS
    assert claims.get("Dialect") is None
    assert parse_request(rst).claims_dialect == ns.WSO2_CLAIMS


def test_build_request_accepts_a_key_type_uri_string() -> None:
    rst = build_request(W05, RequestType.ISSUE, key_type=ns.IDENTITY_NO_PROOF_KEY)
    assert rst.findtext(f"{{{ns.WST_2005}}}KeyType") == ns.IDENTITY_NO_PROOF_KEY
    assert parse_request(rst).key_type is KeyType.BEARER


def test_build_request_refuses_a_target_for_issue() -> None:
    with pytest.raises(InvalidRequestError, match="only to Validate, Renew or Cancel"):
        build_request(W13, RequestType.ISSUE, target=saml2_assertion())


def _issued(proof=None, token_type=TokenType.SAML20, key_size=None) -> IssuedToken:
    return IssuedToken(token=etree.tostring(saml2_assertion()), token_type=token_type,
                       token_id="_a1b2c3", applies_to=RP, created=NOW,
                       expires=NOW + timedelta(minutes=5), proof=proof, key_size=key_size)


@pytest.mark.parametrize("version", list(TrustVersion))
def test_issue_response_with_binary_secret_round_trips(version: TrustVersion) -> None:
    key = os.urandom(32)
    element = parse_xml(build_issue_response(
        version, _issued(BinarySecretProof(key), key_size=256), context="ctx"))
    trust_schema(version).assertValid(element)
    expected_root = ("RequestSecurityTokenResponseCollection" if version is W13
                     else "RequestSecurityTokenResponse")
    assert etree.QName(element).localname == expected_root
    response = parse_response(element)
    assert response.version is version
    assert response.token is not None and response.token.get("ID") == "_a1b2c3"
    assert response.token_type == ns.TOKEN_SAML20
    assert response.attached_reference == "_a1b2c3"
    assert response.unattached_reference == "_a1b2c3"
    assert response.applies_to == RP
    assert response.created == NOW and response.expires == NOW + timedelta(minutes=5)
    assert response.proof_secret == key
    assert response.key_size == 256
    assert response.computed_key_algorithm is None and response.issuer_entropy is None
    assert not response.cancelled
    secret = element.find(f".//{{{version.namespace}}}RequestedProofToken/"
                          f"{{{version.namespace}}}BinarySecret")
    assert secret.get("Type") == f"{version.namespace}/SymmetricKey"
    assert key.hex() not in repr(response) and base64.b64encode(key).decode() not in repr(response)


@pytest.mark.parametrize("version", list(TrustVersion))
def test_issue_response_with_computed_key(version: TrustVersion) -> None:
    entropy = os.urandom(32)
    element = parse_xml(build_issue_response(
        version, _issued(ComputedKeyProof(entropy), key_size=256), context=None))
    trust_schema(version).assertValid(element)
    response = parse_response(element)
    assert response.computed_key_algorithm == f"{version.namespace}/CK/PSHA1"
    assert response.issuer_entropy == entropy
    assert response.proof_secret is None
    nonce = element.find(f".//{{{version.namespace}}}Entropy/{{{version.namespace}}}BinarySecret")
    assert nonce.get("Type") == f"{version.namespace}/Nonce"


def test_issue_response_with_encrypted_key_and_saml11_references() -> None:
    secret = os.urandom(32)
    proof = EncryptedKeyProof(encrypted_key(secret))
    element = parse_xml(build_issue_response(
        W13, _issued(proof, token_type=TokenType.SAML11), context="c"))
    trust_schema(W13).assertValid(element)
    response = parse_response(element)
    assert response.proof_encrypted_key is not None
    cipher = base64.b64decode(response.proof_encrypted_key.findtext(f".//{{{ns.XENC}}}CipherValue"))
    plain = rsa_key().decrypt(cipher, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()),
                                                   algorithm=hashes.SHA1(), label=None))
    assert plain == secret
    attached = element.find(f".//{{{ns.WST_13}}}RequestedAttachedReference")
    key_id = attached.find(f".//{{{ns.WSSE}}}KeyIdentifier")
    assert key_id.get("ValueType") == ns.SAML11_ASSERTION_ID
    str_el = key_id.getparent()
    assert str_el.get(f"{{{ns.WSSE11}}}TokenType") == ns.TOKEN_SAML11
    assert response.token_type == ns.TOKEN_SAML11


def test_saml20_reference_value_type_and_lifetime_format() -> None:
    element = parse_xml(build_issue_response(W13, _issued(), context=None))
    key_id = element.find(f".//{{{ns.WSSE}}}KeyIdentifier")
    assert key_id.get("ValueType") == ns.SAML2_ID
    assert element.findtext(f".//{{{ns.WSU}}}Created") == "2024-05-01T12:00:00.000Z"
    assert element.find(f".//{{{ns.WST_13}}}RequestedProofToken") is None


@pytest.mark.parametrize("version", list(TrustVersion))
def test_renew_response_is_a_bare_rstr(version: TrustVersion) -> None:
    element = parse_xml(build_issue_response(version, _issued(), context=None,
                                             request_type=RequestType.RENEW))
    assert etree.QName(element).localname == "RequestSecurityTokenResponse"
    trust_schema(version).assertValid(element)
    assert parse_response(element).attached_reference == "_a1b2c3"


@pytest.mark.parametrize("version", list(TrustVersion))
@pytest.mark.parametrize("valid", [True, False])
def test_validate_response(version: TrustVersion, valid: bool) -> None:
    element = parse_xml(
        build_validate_response(version, valid=valid, reason="checked", context="v1"))
    trust_schema(version).assertValid(element)
    response = parse_response(element)
    assert response.token_type == f"{version.namespace}/RSTR/Status"
    assert response.status_code == f"{version.namespace}/status/{'valid' if valid else 'invalid'}"
    assert response.status_reason == "checked"
    assert element.get("Context") == "v1"


@pytest.mark.parametrize("version", list(TrustVersion))
def test_cancel_response(version: TrustVersion) -> None:
    element = parse_xml(build_cancel_response(version, context=None))
    trust_schema(version).assertValid(element)
    assert parse_response(element).cancelled


def test_parse_response_refuses_something_else() -> None:
    with pytest.raises(RequestFailedError, match="not a WS-Trust RequestSecurityTokenResponse"):
        parse_response(build_request(W13, RequestType.ISSUE))


def test_full_request_envelope_round_trip() -> None:
    """Client builders → bytes → server parsers, as the test client and the STS use them."""
    rst = build_request(W13, RequestType.ISSUE, token_type=ns.TOKEN_SAML11, applies_to=RP)
    security = build_security_header(SoapVersion.SOAP12, username="admin", password="admin",
                                     digest=True)
    data = build_envelope(SoapVersion.SOAP12, rst, headers=[security])
    content_type = (f'{SoapVersion.SOAP12.content_type}; '
                    f'action="{request_action(W13, RequestType.ISSUE)}"')
    message = parse_envelope(data, content_type=content_type)
    header = parse_security_header(message)
    assert password_matches(header.username_token, "admin")
    request = parse_request(message.body, action=message.action)
    assert request.token_type is TokenType.SAML11 and request.applies_to == RP


# ---------------------------------------------------------------- errors

def rst13(inner: str, request_type: str | None = "Issue", attrs: str = "") -> etree._Element:
    rt = (f"<wst:RequestType>{ns.WST_13}/{request_type}</wst:RequestType>"
          if request_type else "")
    return xml(f'<wst:RequestSecurityToken xmlns:wst="{ns.WST_13}" xmlns:wsu="{ns.WSU}" '
               f'xmlns:wsp="{ns.WSP_2004}" xmlns:wsa="{ns.WSA_2005}" {attrs}>{rt}{inner}'
               "</wst:RequestSecurityToken>")


def test_missing_request_type() -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_request(rst13("", request_type=None))
    assert "no wst:RequestType" in info.value.message
    assert f"{ns.WST_13}/Issue" in info.value.message


def test_unknown_request_type_names_supported_ones() -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_request(rst13("", request_type="KeyExchangeToken"))
    assert "not supported; send one of" in info.value.message
    assert f"{ns.WST_13}/Validate" in info.value.message


def test_request_type_of_the_other_version_is_refused() -> None:
    body = xml(f'<wst:RequestSecurityToken xmlns:wst="{ns.WST_13}"><wst:RequestType>'
               f"{ns.WST_2005}/Issue</wst:RequestType></wst:RequestSecurityToken>")
    with pytest.raises(InvalidRequestError, match="not supported"):
        parse_request(body)


def test_action_naming_another_request_type_is_refused() -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_request(rst13("", request_type="Validate"), action=f"{ns.WST_13}/RST/Issue")
    assert "contradicts" in info.value.message
    assert f"{ns.WST_13}/RST/Validate" in info.value.message


def test_action_of_the_other_trust_version_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="contradicts"):
        parse_request(rst13(""), action=f"{ns.WST_2005}/RST/Issue")


def test_unknown_action_is_refused_and_no_action_is_fine() -> None:
    with pytest.raises(InvalidRequestError, match="not a WS-Trust request action"):
        parse_request(rst13(""), action="urn:something-else")
    assert parse_request(rst13(""), action=None).request_type is RequestType.ISSUE


def test_unknown_key_type_names_supported_ones() -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_request(rst13(f"<wst:KeyType>{ns.WST_13}/Magic</wst:KeyType>"))
    assert f"{ns.WST_13}/Bearer" in info.value.message
    assert ns.IDENTITY_NO_PROOF_KEY in info.value.message


def test_2005_bearer_alias_is_accepted_in_13() -> None:
    assert parse_request(rst13(f"<wst:KeyType>{ns.WST_2005}/Bearer</wst:KeyType>")).key_type \
        is KeyType.BEARER


def test_unknown_claims_dialect_names_the_two() -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_request(rst13('<wst:Claims Dialect="urn:other"/>'))
    assert ns.WSO2_CLAIMS in info.value.message and ns.WSID in info.value.message


def test_claim_type_in_any_namespace_is_accepted_but_needs_uri() -> None:
    request = parse_request(rst13(f'<wst:Claims Dialect="{ns.WSID}"><ClaimType Uri="urn:a"/>'
                                  "</wst:Claims>"))
    assert request.claims == (ClaimRequest("urn:a"),)
    with pytest.raises(InvalidRequestError, match="name each requested claim"):
        parse_request(rst13("<wst:Claims><ClaimType/></wst:Claims>"))
    with pytest.raises(InvalidRequestError, match="not a boolean"):
        parse_request(rst13('<wst:Claims><ClaimType Uri="u" Optional="maybe"/></wst:Claims>'))


def test_applies_to_length_limit() -> None:
    def applies(address: str) -> etree._Element:
        return rst13("<wsp:AppliesTo><wsa:EndpointReference><wsa:Address>"
                     f"{address}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>")

    ok = "https://rp/" + "a" * (2048 - len("https://rp/"))
    assert parse_request(applies(ok)).applies_to == ok
    with pytest.raises(InvalidRequestError, match="longer than 2048 characters"):
        parse_request(applies(ok + "a"))


def test_applies_to_without_address_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="put the relying party's address there"):
        parse_request(rst13("<wsp:AppliesTo/>"))


@pytest.mark.parametrize("size", ["0", "-1", "4097", "abc", "1e3"])
def test_bad_key_size(size: str) -> None:
    with pytest.raises(InvalidRequestError, match="KeySize") as info:
        parse_request(rst13(f"<wst:KeySize>{size}</wst:KeySize>"))
    assert "e.g. 256" in info.value.message


def test_key_size_limit_edge() -> None:
    assert parse_request(rst13("<wst:KeySize>4096</wst:KeySize>")).key_size == 4096


def test_entropy_limits() -> None:
    def entropy(data: bytes) -> etree._Element:
        return rst13(f"<wst:Entropy><wst:BinarySecret>{base64.b64encode(data).decode()}"
                     "</wst:BinarySecret></wst:Entropy>")

    assert parse_request(entropy(b"e" * 512)).client_entropy == b"e" * 512
    with pytest.raises(InvalidRequestError, match="longer than 512 bytes"):
        parse_request(entropy(b"e" * 513))
    with pytest.raises(InvalidRequestError, match="not valid base64"):
        parse_request(rst13("<wst:Entropy><wst:BinarySecret>@@</wst:BinarySecret></wst:Entropy>"))
    with pytest.raises(InvalidRequestError, match="encrypted entropy is not supported"):
        parse_request(rst13("<wst:Entropy/>"))


@pytest.mark.parametrize(
    ("created", "reason"),
    [
        ("tomorrow", "not written like 2024-05-01T12:00:00Z"),
        ("2024-05-01T12:00:00", "no time zone"),  # WS-Trust's wsu times are UTC
        ("2024-05-01T12:00:00+15:00", "not within -14:00 to +14:00"),
    ],
)
def test_unparsable_lifetime(created: str, reason: str) -> None:
    with pytest.raises(InvalidRequestError, match="cannot be read as an xs:dateTime") as info:
        parse_request(rst13(f"<wst:Lifetime><wsu:Created>{created}</wsu:Created></wst:Lifetime>"))
    assert reason in info.value.message


def test_duplicate_token_type_is_refused() -> None:
    token_type = f"<wst:TokenType>{ns.TOKEN_SAML20}</wst:TokenType>"
    with pytest.raises(InvalidRequestError, match="send it once"):
        parse_request(rst13(token_type * 2))


def test_bad_renewing_flag() -> None:
    with pytest.raises(InvalidRequestError, match="use true or false"):
        parse_request(rst13('<wst:Renewing Allow="yes"/>'))


@pytest.mark.parametrize(
    "body",
    [
        parse_xml(build_validate_response(W13, valid=True, reason="", context=None)),
        xml(f'<RequestSecurityToken xmlns="urn:not-trust"><RequestType>{ns.WST_13}/Issue'
            "</RequestType></RequestSecurityToken>"),
        xml(f'<wst:RequestSecurityToken xmlns:wst="{ns.WST_14}"/>'),
    ],
)
def test_not_an_rst_is_refused(body: etree._Element) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_request(body)
    assert "not a WS-Trust RequestSecurityToken" in info.value.message
    assert ns.WST_13 in info.value.message


@pytest.mark.parametrize(
    ("inner", "words"),
    [
        (f"<wst:RequestType>{ns.WST_13}/Issue</wst:RequestType>", "2 RequestType elements"),
        (f"<wst:TokenType>{ns.TOKEN_SAML20}</wst:TokenType>" * 3, "3 TokenType elements"),
        ("<wst:SecondaryParameters>"
         + f"<wst:KeyType>{ns.WST_13}/Bearer</wst:KeyType>" * 2
         + "</wst:SecondaryParameters>", "2 KeyType elements"),
        ("<wst:Lifetime>" + "<wsu:Created>2024-05-01T12:00:00Z</wsu:Created>" * 2
         + "</wst:Lifetime>", "2 Created elements"),
        ("<wst:Entropy>" + "<wst:BinarySecret>AAAA</wst:BinarySecret>" * 2 + "</wst:Entropy>",
         "2 BinarySecret elements"),
        (f'<wsp:AppliesTo><wsa:Address>{RP}</wsa:Address></wsp:AppliesTo>'
         f'<wsp15:AppliesTo xmlns:wsp15="{ns.WSP_W3C}"><wsa:Address>{RP}</wsa:Address>'
         "</wsp15:AppliesTo>", "more than one wsp:AppliesTo"),
    ],
    ids=["request-type", "token-type", "secondary-key-type", "lifetime-created",
         "entropy-secret", "applies-to-across-policy-versions"],
)
def test_a_repeated_element_is_refused_with_its_count(inner, words) -> None:
    with pytest.raises(InvalidRequestError, match=words):
        parse_request(rst13(inner))


def test_a_repeated_secondary_parameter_is_refused_beside_a_primary_one() -> None:
    inner = (f"<wst:KeyType>{ns.WST_13}/Bearer</wst:KeyType><wst:SecondaryParameters>"
             + f"<wst:TokenType>{ns.TOKEN_SAML20}</wst:TokenType>" * 2
             + "</wst:SecondaryParameters>")
    with pytest.raises(InvalidRequestError, match="2 TokenType elements"):
        parse_request(rst13(inner))


def test_applies_to_address_inside_an_endpoint_reference_or_bare() -> None:
    in_reference = (f"<wsp:AppliesTo><wsa:EndpointReference><wsa:Address>{RP}</wsa:Address>"
                    "</wsa:EndpointReference></wsp:AppliesTo>")
    assert parse_request(rst13(in_reference)).applies_to == RP
    submission = (f'<wsp:AppliesTo><a:EndpointReference xmlns:a="{ns.WSA_2004}">'
                  f"<a:Address>{RP}/2004</a:Address></a:EndpointReference></wsp:AppliesTo>")
    assert parse_request(rst13(submission)).applies_to == f"{RP}/2004"
    with pytest.raises(InvalidRequestError, match="no wsa:EndpointReference/wsa:Address"):
        parse_request(rst13("<wsp:AppliesTo><wsa:EndpointReference/></wsp:AppliesTo>"))
