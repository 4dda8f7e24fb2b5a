"""The metadata exchange document and endpoint: the shape ADFS-style clients read, per scenario."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import msal.mex
import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from starlette.testclient import TestClient

from stsdesk.core import ns
from stsdesk.core.algorithm_suite import AlgorithmSuite
from stsdesk.core.rstr import build_cancel_response, build_validate_response
from stsdesk.core.scenarios import SCENARIOS, ScenarioCategory
from stsdesk.core.wstrust import (
    ClaimRequest,
    KeyType,
    Renewing,
    RequestType,
    TrustVersion,
    build_request,
)
from stsdesk.core.xmlparse import parse_xml
from stsdesk.server.app import build_app
from stsdesk.server.model import SecurityPolicy
from stsdesk.server.sts.mex import MetadataService, mex_bindings, render_mex_wsdl
from stsdesk.server.sts.mex_policy import ClientCredential, client_credential
from stsdesk.server.sts.wsdl import TARGET_NAMESPACE, scenario_policy
from tests.helpers.wsdl import addressing_schema, assert_valid, inline_schemas, policy_schemas

ADDRESS = "https://sts.example.org:9443/services/wso2carbon-sts"
CERTIFICATE = b"0\x82\x01\x0a stand-in DER bytes of the STS certificate"
MEX = "/services/wso2carbon-sts/mex"
NSMAP = {
    "wsdl": ns.WSDL, "soap": ns.WSDL_SOAP11, "soap12": ns.WSDL_SOAP12, "wsp": ns.WSP_2004,
    "wsu": ns.WSU, "wsa10": ns.WSA_2005, "sp": ns.SP_12, "sp05": ns.SP_2005, "wsx": ns.WSX,
    "s": ns.SOAP12, "s11": ns.SOAP11, "id": ns.WSAID, "ds": ns.DS,
}
USERNAME_13 = "UserNameWSTrustBinding_IWSTrust13Async"
USERNAME_2005 = "UserNameWSTrustBinding_IWSTrustFeb2005Async"


def xp(node: etree._Element, path: str) -> list:
    return node.xpath(path, namespaces=NSMAP)


def render(security: SecurityPolicy | None = None) -> etree._Element:
    # Through bytes, as a client receives it.
    root = render_mex_wsdl(ADDRESS, security or SecurityPolicy(), service_certificate=CERTIFICATE)
    return parse_xml(etree.tostring(root))


def policy_of(root: etree._Element, binding_name: str) -> etree._Element:
    (uri,) = xp(root, f"//wsdl:binding[@name='{binding_name}']/wsp:PolicyReference/@URI")
    (policy,) = xp(root, f"/wsdl:definitions/wsp:Policy[@wsu:Id='{uri.removeprefix('#')}']")
    return policy


def msal_endpoints(document: bytes | str) -> list[dict]:
    """The username/password endpoints MSAL's own MEX parser finds, 1.3 and 2005 alike."""
    mex = msal.mex.Mex(document if isinstance(document, str) else document.decode())
    return mex._get_endpoints(mex._get_bindings(), mex._get_username_password_policy_ids())


# ---------------------------------------------------------------- the document


def test_scenario1_offers_username_endpoints_for_trust_13_and_2005_over_soap_12_only():
    root = render()
    bindings = xp(root, "/wsdl:definitions/wsdl:binding")
    assert [b.get("name") for b in bindings] == [USERNAME_13, USERNAME_2005]
    for binding in bindings:
        # Every binding is SOAP 1.2 (MSAL's parser reads each binding as one), over HTTP.
        assert xp(binding, "soap12:binding/@transport") == ["http://schemas.xmlsoap.org/soap/http"]
        assert xp(binding, "soap:binding") == []
    assert xp(root, "//soap:*") == []
    actions = {b.get("name"): xp(b, "string(wsdl:operation/soap12:operation/@soapAction)")
               for b in bindings}
    assert actions == {USERNAME_13: f"{ns.WST_13}/RST/Issue",
                       USERNAME_2005: f"{ns.WST_2005}/RST/Issue"}
    ports = xp(root, "/wsdl:definitions/wsdl:service/wsdl:port")
    assert {p.get("binding") for p in ports} == {f"tns:{USERNAME_13}", f"tns:{USERNAME_2005}"}
    for port in ports:
        assert xp(port, "string(soap12:address/@location)") == ADDRESS
        assert xp(port, "string(wsa10:EndpointReference/wsa10:Address)") == ADDRESS
        # Transport security: no certificate identity that a client would hold TLS against.
        assert xp(port, "wsa10:EndpointReference/id:Identity") == []


def test_msal_parser_finds_both_username_endpoints_and_prefers_trust_13():
    document = etree.tostring(render())
    assert msal_endpoints(document) == [
        {"address": ADDRESS, "action": f"{ns.WST_13}/RST/Issue"},
        {"address": ADDRESS, "action": f"{ns.WST_2005}/RST/Issue"},
    ]
    assert msal.mex.Mex(document.decode()).get_wstrust_username_password_endpoint() == {
        "address": ADDRESS, "action": f"{ns.WST_13}/RST/Issue"}


def test_trust13_policy_is_wso2s_scenario1_as_adfs_usernamemixed_in_securitypolicy_12():
    policy = policy_of(render(), USERNAME_13)
    (all_,) = xp(policy, "wsp:ExactlyOne/wsp:All")
    (binding,) = xp(all_, "sp:TransportBinding/wsp:Policy")
    # 1.2 states "no client certificate" as an empty nested policy, not an attribute.
    (https,) = xp(binding, "sp:TransportToken/wsp:Policy/sp:HttpsToken")
    assert xp(https, "wsp:Policy/*") == [] and https.get("RequireClientCertificate") is None
    assert xp(binding, "sp:AlgorithmSuite/wsp:Policy/sp:Basic256")
    assert xp(binding, "sp:Layout/wsp:Policy/sp:Lax")
    assert xp(binding, "sp:IncludeTimestamp")
    # Over TLS a signed supporting token is an encrypted one too, as ADFS's 1.3 binding says,
    # and its token profile is named, as MSAL looks for it.
    (token,) = xp(all_, "sp:SignedEncryptedSupportingTokens/wsp:Policy/sp:UsernameToken")
    assert xp(token, "wsp:Policy/sp:WssUsernameToken10")
    assert token.get(f"{{{ns.SP_12}}}IncludeToken") == f"{ns.SP_12}/IncludeToken/AlwaysToRecipient"
    # WSO2's scenario1 asks nothing of WS-Trust, so neither does its 1.3 binding.
    assert xp(all_, "sp:Trust13") == []
    assert [etree.QName(a).localname for a in all_] == [
        "TransportBinding", "SignedEncryptedSupportingTokens"]
    assert xp(policy, ".//sp05:*") == []


def test_trust2005_policy_is_wso2s_scenario1_as_it_is():
    policy = policy_of(render(), USERNAME_2005)
    (all_,) = xp(policy, "wsp:ExactlyOne/wsp:All")
    (https,) = xp(all_, "sp05:TransportBinding/wsp:Policy/sp05:TransportToken/wsp:Policy/"
                        "sp05:HttpsToken")
    assert https.get("RequireClientCertificate") == "false"
    assert xp(all_, "sp05:TransportBinding/wsp:Policy/sp05:IncludeTimestamp")
    assert xp(all_, "sp05:TransportBinding/wsp:Policy/sp05:AlgorithmSuite/wsp:Policy/"
                    "sp05:Basic256")
    (token,) = xp(all_, "sp05:SignedSupportingTokens/wsp:Policy/sp05:UsernameToken")
    assert token.get(f"{{{ns.SP_2005}}}IncludeToken") == (
        f"{ns.SP_2005}/IncludeToken/AlwaysToRecipient")
    assert xp(token, "wsp:Policy/sp05:WssUsernameToken10")  # what MSAL's 2005 path looks for
    assert xp(policy, ".//sp:*") == []


def test_the_chosen_algorithm_suite_is_stated_in_both_bindings():
    security = SecurityPolicy(scenario_id="scenario8",
                              algorithm_suite=AlgorithmSuite.BASIC256_SHA256)
    root = render(security)
    for name, prefix in ((USERNAME_13, "sp"), (USERNAME_2005, "sp05")):
        suites = xp(policy_of(root, name), f".//{prefix}:AlgorithmSuite/wsp:Policy/*")
        assert [etree.QName(s).localname for s in suites] == ["Basic256Sha256"], name


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_every_policy_and_endpoint_reference_is_valid_against_the_standards(scenario):
    root = render(SecurityPolicy(scenario_id=scenario.id))
    policies = xp(root, "/wsdl:definitions/wsp:Policy")
    assert policies
    for policy in policies:
        assert_valid(policy, policy_schemas())
    references = xp(root, "//wsa10:EndpointReference")
    assert len(references) == len(policies)
    for reference in references:
        assert_valid(reference, addressing_schema())


def _credential_by_catalogue_text(scenario) -> ClientCredential:
    """What the catalogue's own words say the client authenticates with."""
    if scenario.category is ScenarioCategory.KERBEROS:
        return ClientCredential.KERBEROS
    if "Username Token" in scenario.description:
        return ClientCredential.USERNAME
    if "Clients have X509" in scenario.description or "X509 Authentication" in scenario.summary:
        return ClientCredential.CERTIFICATE
    if "protection token" in scenario.summary:
        return ClientCredential.ISSUED_TOKEN
    return ClientCredential.ANONYMOUS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_the_credential_read_from_each_policy_agrees_with_the_catalogue(scenario):
    assert client_credential(scenario_policy(scenario.id)) is _credential_by_catalogue_text(
        scenario)


def test_an_x509_scenario_offers_certificate_endpoints_with_the_sts_certificate():
    root = render(SecurityPolicy(scenario_id="scenario2", allowed_roles=()))
    names = [b.get("name") for b in xp(root, "/wsdl:definitions/wsdl:binding")]
    assert names == ["CertificateWSTrustBinding_IWSTrust13Async",
                     "CertificateWSTrustBinding_IWSTrustFeb2005Async"]
    policy_13 = policy_of(root, names[0])
    assert xp(policy_13, "wsp:ExactlyOne/wsp:All/sp:AsymmetricBinding/wsp:Policy/"
                         "sp:InitiatorToken/wsp:Policy/sp:X509Token")
    policy_2005 = policy_of(root, names[1])
    (initiator,) = xp(policy_2005, "wsp:ExactlyOne/wsp:All/sp05:AsymmetricBinding/wsp:Policy/"
                                   "sp05:InitiatorToken/wsp:Policy/sp05:X509Token")
    assert initiator.get(f"{{{ns.SP_2005}}}IncludeToken") == (
        f"{ns.SP_2005}/IncludeToken/AlwaysToRecipient")
    # Message security: each port names the certificate to protect the request for.
    for port in xp(root, "//wsdl:port"):
        (value,) = xp(port, "wsa10:EndpointReference/id:Identity/ds:KeyInfo/ds:X509Data/"
                            "ds:X509Certificate/text()")
        assert base64.b64decode(value) == CERTIFICATE
    # No user name endpoint: MSAL's parser finds nothing to send a password to.
    assert msal_endpoints(etree.tostring(root)) == []


def test_scenario8_is_offered_over_both_versions_as_wso2_states_it():
    # WSO2's scenario8 signs the UsernameToken (SignedSupportingTokens) and encrypts the Body;
    # both forms say so, and Trust10's entropy requirements become Trust13's.
    bindings = mex_bindings(SecurityPolicy(scenario_id="scenario8"))
    assert [(b.name, b.version) for b in bindings] == [
        (USERNAME_13, TrustVersion.WST_13), (USERNAME_2005, TrustVersion.WST_2005)]
    root = render(SecurityPolicy(scenario_id="scenario8"))
    (all_13,) = xp(policy_of(root, USERNAME_13), "wsp:ExactlyOne/wsp:All")
    assert xp(all_13, "sp:SymmetricBinding/wsp:Policy/sp:ProtectionToken/wsp:Policy/"
                      "sp:X509Token/wsp:Policy/sp:RequireThumbprintReference")
    assert xp(all_13, "sp:SignedSupportingTokens/wsp:Policy/sp:UsernameToken/wsp:Policy/"
                      "sp:WssUsernameToken10")
    assert xp(all_13, "sp:EncryptedParts/sp:Body") and xp(all_13, "sp:SignedParts/sp:Body")
    assert xp(all_13, "sp:Wss11/wsp:Policy/sp:RequireSignatureConfirmation")
    assert [etree.QName(a).localname for a in xp(all_13, "sp:Trust13/wsp:Policy/*")] == [
        "MustSupportIssuedTokens", "RequireClientEntropy", "RequireServerEntropy"]
    (all_2005,) = xp(policy_of(root, USERNAME_2005), "wsp:ExactlyOne/wsp:All")
    assert xp(all_2005, "sp05:Trust10/wsp:Policy/sp05:RequireClientEntropy")
    # A message-security binding is no user name endpoint for MSAL (it sends passwords over
    # TLS only).
    assert msal_endpoints(etree.tostring(root)) == []


def test_a_saml_scenario_states_its_issued_token_for_this_sts_in_each_version():
    root = render(SecurityPolicy(scenario_id="scenario31"))
    names = [b.get("name") for b in xp(root, "/wsdl:definitions/wsdl:binding")]
    assert names == ["IssuedTokenWSTrustBinding_IWSTrust13Async",
                     "IssuedTokenWSTrustBinding_IWSTrustFeb2005Async"]
    (token_13,) = xp(policy_of(root, names[0]), ".//sp:InitiatorToken/wsp:Policy/sp:IssuedToken")
    assert xp(token_13, "string(sp:Issuer/wsa10:Address)") == ADDRESS
    template = xp(token_13, "sp:RequestSecurityTokenTemplate/*")
    assert [(e.tag, e.text) for e in template] == [
        (f"{{{ns.WST_13}}}TokenType", ns.TOKEN_SAML20_URN),
        (f"{{{ns.WST_13}}}KeyType", f"{ns.WST_13}/SymmetricKey"),
        (f"{{{ns.WST_13}}}KeySize", "256")]
    (token_2005,) = xp(policy_of(root, names[1]),
                       ".//sp05:InitiatorToken/wsp:Policy/sp05:IssuedToken")
    assert xp(token_2005, f"string(sp05:Issuer/*[namespace-uri()='{ns.WSA_2004}'])") == ADDRESS
    assert xp(token_2005, "string(sp05:RequestSecurityTokenTemplate/*[local-name()='KeyType'])"
              ) == f"{ns.WST_2005}/SymmetricKey"


@pytest.mark.parametrize(
    "security", [SecurityPolicy(enabled=False), SecurityPolicy(scenario_id="no-such-scenario")],
    ids=["disabled", "unknown"],
)
def test_without_an_applied_scenario_there_is_no_endpoint(security):
    root = render(security)
    assert xp(root, "//wsp:Policy | //wsdl:binding | //wsdl:service") == []
    assert msal_endpoints(etree.tostring(root)) == []
    # The contracts stay, so the document still says what the STS would speak.
    assert [p.get("name") for p in xp(root, "//wsdl:portType")] == [
        "IWSTrust13Async", "IWSTrustFeb2005Async"]


def test_every_reference_in_the_document_resolves():
    root = render()
    names = {kind: {e.get("name") for e in xp(root, f"/wsdl:definitions/wsdl:{kind}")}
             for kind in ("message", "portType", "binding")}
    for io in xp(root, "//wsdl:portType/wsdl:operation/*"):
        assert io.get("message").removeprefix("tns:") in names["message"]
    for binding in xp(root, "//wsdl:binding"):
        assert binding.get("type").removeprefix("tns:") in names["portType"]
    for port in xp(root, "//wsdl:port"):
        assert port.get("binding").removeprefix("tns:") in names["binding"]
    assert root.get("targetNamespace") == TARGET_NAMESPACE


def _requests() -> list[etree._Element]:
    made = []
    for version in TrustVersion:
        made.append(build_request(version, RequestType.ISSUE, token_type=ns.TOKEN_SAML11,
                                  key_type=KeyType.SYMMETRIC, applies_to="https://rp.example.org",
                                  claims=[ClaimRequest("http://wso2.org/claims/emailaddress")],
                                  client_entropy=b"\x01" * 32, key_size=256,
                                  lifetime_seconds=300, context="urn:uuid:1"))
        made.append(build_request(version, RequestType.ISSUE, key_type=KeyType.PUBLIC,
                                  use_key_certificate=b"\x30\x03\x02\x01\x01",
                                  applies_to="https://rp.example.org",
                                  addressing_namespace=ns.WSA_2004))
        target = etree.Element(f"{{{ns.SAML2}}}Assertion")
        made.append(build_request(version, RequestType.RENEW, target=target,
                                  renewing=Renewing(allow=True, ok=False)))
        made.append(build_request(version, RequestType.VALIDATE, target=target))
    return made


def test_the_inline_schemas_accept_what_clients_send_and_the_sts_answers(tmp_path: Path):
    schema = inline_schemas(render(), tmp_path)
    messages = _requests()
    for version in TrustVersion:
        messages.append(parse_xml(
            build_validate_response(version, valid=True, reason="ok", context="c")))
        messages.append(parse_xml(build_cancel_response(version, context=None)))
    for message in messages:
        assert schema.validate(etree.ElementTree(message)), (message.tag, schema.error_log)
    # A request without its RequestType is not one.
    incomplete = etree.Element(f"{{{ns.WST_13}}}RequestSecurityToken")
    etree.SubElement(incomplete, f"{{{ns.WST_13}}}TokenType").text = ns.TOKEN_SAML20
    assert not schema.validate(etree.ElementTree(incomplete))


# ---------------------------------------------------------------- the endpoint


@pytest.fixture
def client(bootstrapped, server_settings, fast_password_hashing):
    with TestClient(build_app(bootstrapped, server_settings),
                    base_url="https://sts.local:8443") as test_client:
        yield test_client


def _signing_der(bootstrapped) -> bytes:
    return bootstrapped.keystore.signing_certificate("wso2carbon").public_bytes(Encoding.DER)


def test_get_serves_the_wsdl_with_the_public_address(bootstrapped, server_settings,
                                                     fast_password_hashing):
    with TestClient(build_app(bootstrapped, server_settings),
                    base_url="https://sts.local:8443") as client:
        answer = client.get(MEX)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/xml")
    assert [e["address"] for e in msal_endpoints(answer.text)] == [
        "https://sts.local:8443/services/wso2carbon-sts"] * 2
    public = dataclasses.replace(server_settings, public_host="sts.example.org")
    with TestClient(build_app(bootstrapped, public), base_url="https://127.0.0.1:1") as client:
        root = parse_xml(client.get(MEX).content)
    assert set(xp(root, "//wsa10:Address/text()")) == {
        "https://sts.example.org/services/wso2carbon-sts"}


def test_the_served_document_follows_the_applied_scenario(client, bootstrapped):
    store = bootstrapped.store
    assert xp(parse_xml(client.get(MEX).content), "//wsdl:binding/@name") == [
        USERNAME_13, USERNAME_2005]
    store.config.set_security_policy(SecurityPolicy(
        scenario_id="scenario2", allowed_roles=(), algorithm_suite=AlgorithmSuite.BASIC256_SHA256))
    root = parse_xml(client.get(MEX).content)
    assert xp(root, "//wsdl:binding/@name") == [
        "CertificateWSTrustBinding_IWSTrust13Async",
        "CertificateWSTrustBinding_IWSTrustFeb2005Async"]
    # The suite the administrator chose, in both bindings and in ?wsdl.
    suites = xp(root, "//sp:AlgorithmSuite/wsp:Policy/* | //sp05:AlgorithmSuite/wsp:Policy/*")
    assert [etree.QName(e).localname for e in suites] == ["Basic256Sha256"] * 2
    (wsdl_policy,) = xp(parse_xml(client.get("/services/wso2carbon-sts?wsdl").content),
                        "/wsdl:definitions/wsp:Policy")
    assert xp(wsdl_policy, "local-name(.//sp05:AlgorithmSuite/wsp:Policy/*)") == "Basic256Sha256"
    (identity,) = set(xp(root, "//ds:X509Certificate/text()"))
    assert base64.b64decode(identity) == _signing_der(bootstrapped)
    store.config.set_security_policy(SecurityPolicy(enabled=False))
    assert xp(parse_xml(client.get(MEX).content), "//wsdl:binding") == []


def _envelope(action: str | None, body: str = "", *, soap: str = ns.SOAP12) -> bytes:
    header = ""
    if action is not None:
        header = (f'<s:Header xmlns:a="{ns.WSA_2005}"><a:Action>{action}</a:Action>'
                  "<a:MessageID>urn:uuid:0b9a7d0e-5a39-4a3e-8f1f-2f7c1b4b9a11</a:MessageID>"
                  "</s:Header>")
    return f'<s:Envelope xmlns:s="{soap}">{header}<s:Body>{body}</s:Body></s:Envelope>'.encode()


SOAP12_TYPE = "application/soap+xml; charset=utf-8"
SOAP12 = {"Content-Type": SOAP12_TYPE}
GET_METADATA = f'<wsx:GetMetadata xmlns:wsx="{ns.WSX}"/>'


@pytest.mark.parametrize(("action", "body", "answer_action"), [
    (ns.TRANSFER_GET, "", ns.TRANSFER_GET_RESPONSE),
    (ns.MEX_GET_METADATA_REQUEST, GET_METADATA, ns.MEX_GET_METADATA_RESPONSE),
    (ns.MEX_GET_METADATA_REQUEST,
     f'<wsx:GetMetadata xmlns:wsx="{ns.WSX}"><wsx:Dialect>{ns.WSDL}</wsx:Dialect>'
     f"<wsx:Identifier>{TARGET_NAMESPACE}</wsx:Identifier></wsx:GetMetadata>",
     ns.MEX_GET_METADATA_RESPONSE),
])
def test_a_soap_metadata_request_gets_the_wsdl_in_a_metadata_section(client, action, body,
                                                                      answer_action):
    answer = client.post(MEX, content=_envelope(action, body), headers=SOAP12)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/soap+xml")
    root = parse_xml(answer.content)
    assert xp(root, "string(s:Header/wsa10:Action)") == answer_action
    assert xp(root, "string(s:Header/wsa10:RelatesTo)") == (
        "urn:uuid:0b9a7d0e-5a39-4a3e-8f1f-2f7c1b4b9a11")
    (section,) = xp(root, "s:Body/wsx:Metadata/wsx:MetadataSection")
    assert section.get("Dialect") == ns.WSDL
    assert section.get("Identifier") == TARGET_NAMESPACE
    (definitions,) = xp(section, "wsdl:definitions")
    assert [e["address"] for e in msal_endpoints(etree.tostring(definitions))] == [
        "https://sts.local:8443/services/wso2carbon-sts"] * 2


def test_the_section_moved_into_the_envelope_keeps_its_schemas_compilable(client, tmp_path):
    answer = client.post(MEX, content=_envelope(ns.TRANSFER_GET), headers=SOAP12)
    (definitions,) = xp(parse_xml(answer.content), "//wsdl:definitions")
    schema = inline_schemas(definitions, tmp_path)
    rst = build_request(TrustVersion.WST_2005, RequestType.ISSUE, applies_to="urn:rp")
    assert schema.validate(etree.ElementTree(rst)), schema.error_log


def test_without_an_action_the_body_says_which_request_it_is(client):
    for body in ("", GET_METADATA):
        answer = client.post(MEX, content=_envelope(None, body), headers=SOAP12)
        assert answer.status_code == 200, answer.text
        assert xp(parse_xml(answer.content), "s:Body/wsx:Metadata/wsx:MetadataSection")


def test_soap_11_works_too(client):
    body = _envelope(None, GET_METADATA, soap=ns.SOAP11)
    answer = client.post(MEX, content=body, headers={"Content-Type": "text/xml; charset=utf-8",
                                                      "SOAPAction": ns.MEX_GET_METADATA_REQUEST})
    assert answer.status_code == 200, answer.text
    assert xp(parse_xml(answer.content), "s11:Body/wsx:Metadata/wsx:MetadataSection")


@pytest.mark.parametrize("body", [
    f'<wsx:GetMetadata xmlns:wsx="{ns.WSX}"><wsx:Dialect>{ns.XS}</wsx:Dialect></wsx:GetMetadata>',
    f'<wsx:GetMetadata xmlns:wsx="{ns.WSX}"><wsx:Identifier>urn:other</wsx:Identifier>'
    "</wsx:GetMetadata>",
], ids=["other-dialect", "other-identifier"])
def test_a_request_for_metadata_this_sts_does_not_have_gets_an_empty_metadata(client, body):
    answer = client.post(MEX, content=_envelope(ns.MEX_GET_METADATA_REQUEST, body),
                         headers=SOAP12)
    assert answer.status_code == 200
    (metadata,) = xp(parse_xml(answer.content), "s:Body/wsx:Metadata")
    assert len(metadata) == 0


@pytest.mark.parametrize(("action", "body", "says"), [
    (f"{ns.WST_13}/RST/Issue", "", "not a metadata request"),
    (ns.TRANSFER_GET, GET_METADATA, "empty SOAP Body"),
    (ns.MEX_GET_METADATA_REQUEST, "", "holds a wsx:GetMetadata"),
], ids=["token-request", "get-with-body", "getmetadata-without-body"])
def test_other_requests_are_refused_with_a_fault_that_says_what_to_send(client, action, body,
                                                                         says):
    answer = client.post(MEX, content=_envelope(action, body), headers=SOAP12)
    assert answer.status_code == 400
    root = parse_xml(answer.content)
    assert xp(root, "string(s:Body/s:Fault/s:Code/s:Subcode/s:Value)") == "wst:InvalidRequest"
    assert says in xp(root, "string(s:Body/s:Fault/s:Reason/s:Text)")


def test_a_message_over_the_size_limit_is_refused_before_it_is_read(client):
    huge = _envelope(ns.TRANSFER_GET, "<x>" + "a" * 2_000_000 + "</x>")
    answer = client.post(MEX, content=huge, headers=SOAP12)
    assert answer.status_code == 413


def test_a_failure_while_describing_is_a_fault_that_leaks_nothing(caplog):
    def broken() -> etree._Element:
        raise OSError("/var/lib/stsdesk/secret-path is unreadable")

    reply = MetadataService().handle(_envelope(ns.TRANSFER_GET), content_type=SOAP12_TYPE,
                                     soap_action=None, describe=broken)
    assert reply.status == 500
    root = parse_xml(reply.body)
    assert xp(root, "string(s:Body/s:Fault/s:Code/s:Subcode/s:Value)") == "wst:RequestFailed"
    assert b"secret-path" not in reply.body
    assert "secret-path" in caplog.text  # the administrator finds it in the log


def test_a_refused_request_does_not_render_the_document():
    def must_not_run() -> etree._Element:
        raise AssertionError("rendered for a refused request")

    reply = MetadataService().handle(_envelope(f"{ns.WST_13}/RST/Issue"),
                                     content_type=SOAP12_TYPE, soap_action=None,
                                     describe=must_not_run)
    assert reply.status == 400


def test_an_external_entity_in_a_metadata_request_is_refused_unread(client):
    hostile = (b'<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY x SYSTEM '
               b'"file:///etc/passwd">]>' + _envelope(None, "<x>&x;</x>"))
    answer = client.post(MEX, content=hostile, headers=SOAP12)
    assert answer.status_code == 400
    assert b"root:" not in answer.content
    root = parse_xml(answer.content)
    assert xp(root, "string(s:Body/s:Fault/s:Code/s:Subcode/s:Value)") == "wst:InvalidRequest"
