"""The STS's WSDL: structure checked by hand (there is no WSDL 1.1 schema), policy, addresses."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree
from starlette.testclient import TestClient

from stsdesk.core import ns
from stsdesk.core.algorithm_suite import AlgorithmSuite
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.core.xmlparse import parse_xml
from stsdesk.server.app import build_app
from stsdesk.server.model import SecurityPolicy
from stsdesk.server.sts.wsdl import OPERATIONS, TARGET_NAMESPACE, render_wsdl
from tests.helpers.wsdl import addressing_schema, assert_valid, inline_schemas, policy_schemas

ADDRESS = "https://sts.example.org:9443/services/wso2carbon-sts"
NSMAP = {
    "wsdl": ns.WSDL, "soap": ns.WSDL_SOAP11, "soap12": ns.WSDL_SOAP12, "wsp": ns.WSP_2004,
    "wsu": ns.WSU, "wsa10": ns.WSA_2005, "wsaw": ns.WSAW, "xs": ns.XS, "sp": ns.SP_2005,
}


def xp(node: etree._Element, path: str) -> list:
    return node.xpath(path, namespaces=NSMAP)


def render(security: SecurityPolicy | None = None) -> etree._Element:
    return parse_xml(render_wsdl(ADDRESS, security or SecurityPolicy()))


def resolve(node: etree._Element, qname: str) -> tuple[str, str]:
    """A QName-valued attribute as (namespace, local name), using the node's own prefixes."""
    prefix, _, local = qname.rpartition(":")
    return node.nsmap[prefix or None], local


def named(root: etree._Element, kind: str, qname_node: etree._Element, qname: str):
    namespace, local = resolve(qname_node, qname)
    assert namespace == TARGET_NAMESPACE, qname
    found = xp(root, f"/wsdl:definitions/wsdl:{kind}[@name='{local}']")
    assert len(found) == 1, f"{kind} {qname} does not resolve"
    return found[0]


def test_every_reference_resolves():
    root = render()
    assert root.tag == f"{{{ns.WSDL}}}definitions"
    assert root.get("targetNamespace") == TARGET_NAMESPACE
    declared = {
        (schema.get("targetNamespace"), element.get("name"))
        for schema in xp(root, "/wsdl:definitions/wsdl:types/xs:schema")
        for element in xp(schema, "xs:element")
    }
    messages = xp(root, "/wsdl:definitions/wsdl:message")
    assert len(messages) == 2 * len(OPERATIONS)
    for message in messages:
        (part,) = xp(message, "wsdl:part")
        assert resolve(part, part.get("element")) in declared, part.get("element")
    (port_type,) = xp(root, "/wsdl:definitions/wsdl:portType")
    operations = [op.get("name") for op in xp(port_type, "wsdl:operation")]
    assert operations == [f"{op}Token" for op in OPERATIONS]
    for io in xp(port_type, "wsdl:operation/wsdl:input | wsdl:operation/wsdl:output"):
        named(root, "message", io, io.get("message"))
    bindings = xp(root, "/wsdl:definitions/wsdl:binding")
    assert len(bindings) == 2
    for binding in bindings:
        assert named(root, "portType", binding, binding.get("type")) is port_type
        assert [op.get("name") for op in xp(binding, "wsdl:operation")] == operations
    ports = xp(root, "/wsdl:definitions/wsdl:service/wsdl:port")
    assert {named(root, "binding", port, port.get("binding")).get("name") for port in ports} == {
        b.get("name") for b in bindings
    }


def test_types_declare_typed_ws_trust_13_messages_and_accept_real_requests(tmp_path):
    root = render()
    trust_schemas = xp(root, f"//wsdl:types/xs:schema[@targetNamespace='{ns.WST_13}']")
    assert len(trust_schemas) == 1
    # Typed children, not open content: a WSDL-driven client builds the request from values.
    (rst_type,) = xp(trust_schemas[0], "xs:complexType[@name='RequestSecurityTokenType']")
    children = {e.get("name") or e.get("ref") for e in xp(rst_type, "xs:all/xs:element")}
    assert {"TokenType", "RequestType", "KeyType", "wsp:AppliesTo", "Claims", "Lifetime",
            "Entropy", "UseKey", "ValidateTarget", "RenewTarget", "CancelTarget"} <= children
    assert xp(rst_type, "xs:all/xs:element[@name='RequestType']/@minOccurs") == ["1"]
    schema = inline_schemas(root, tmp_path)
    for request_type in RequestType:
        rst = build_request(TrustVersion.WST_13, request_type, token_type=ns.TOKEN_SAML20,
                            key_type=KeyType.BEARER, applies_to="https://rp.example.org",
                            lifetime_seconds=60)
        assert schema.validate(etree.ElementTree(rst)), schema.error_log
    other = etree.Element(f"{{{ns.WST_2005}}}RequestSecurityToken")
    assert not schema.validate(etree.ElementTree(other))
    wrong = build_request(TrustVersion.WST_13, RequestType.ISSUE, key_size=256)
    wrong.find(f"{{{ns.WST_13}}}KeySize").text = "large"
    assert not schema.validate(etree.ElementTree(wrong))


def test_policy_and_endpoint_references_are_valid_against_the_standards():
    root = render()
    (policy,) = xp(root, "/wsdl:definitions/wsp:Policy")
    assert_valid(policy, policy_schemas())
    references = xp(root, "//wsa10:EndpointReference")
    assert len(references) == 2
    for reference in references:
        assert_valid(reference, addressing_schema())


def test_port_type_actions_are_ws_trust_13():
    root = render()
    for operation in OPERATIONS:
        (op,) = xp(root, f"//wsdl:portType/wsdl:operation[@name='{operation}Token']")
        (request,) = xp(op, "wsdl:input")
        (response,) = xp(op, "wsdl:output")
        assert request.get(f"{{{ns.WSAW}}}Action") == f"{ns.WST_13}/RST/{operation}"
        expected = "RSTRC/IssueFinal" if operation == "Issue" else f"RSTR/{operation}Final"
        assert response.get(f"{{{ns.WSAW}}}Action") == f"{ns.WST_13}/{expected}"


@pytest.mark.parametrize(("prefix", "port"), [("soap12", "Soap12"), ("soap", "Soap11")])
def test_each_soap_version_has_a_binding_with_the_policy_and_an_https_port(prefix, port):
    root = render()
    (binding,) = xp(root, f"//wsdl:binding[{prefix}:binding]")
    (soap_binding,) = xp(binding, f"{prefix}:binding")
    assert soap_binding.get("transport") == "http://schemas.xmlsoap.org/soap/http"
    assert soap_binding.get("style") == "document"
    (reference,) = xp(binding, "wsp:PolicyReference")
    assert reference.get("URI") == "#UTOverTransport"
    for operation in OPERATIONS:
        (soap_op,) = xp(binding, f"wsdl:operation[@name='{operation}Token']/{prefix}:operation")
        assert soap_op.get("soapAction") == f"{ns.WST_13}/RST/{operation}"
        assert len(xp(binding, f"wsdl:operation[@name='{operation}Token']/*/{prefix}:body"
                               "[@use='literal']")) == 2
    port_name = f"wso2carbon-stsHttps{port}Endpoint"
    (service_port,) = xp(root, f"//wsdl:service/wsdl:port[@name='{port_name}']")
    assert xp(service_port, f"string({prefix}:address/@location)") == ADDRESS
    assert xp(service_port, "string(wsa10:EndpointReference/wsa10:Address)") == ADDRESS


def test_policy_reference_points_at_the_embedded_scenario_policy():
    root = render()
    policies = xp(root, "/wsdl:definitions/wsp:Policy")
    assert len(policies) == 1
    ids = {p.get(f"{{{ns.WSU}}}Id") for p in policies}
    for reference in xp(root, "//wsp:PolicyReference"):
        assert reference.get("URI").removeprefix("#") in ids
    # scenario1 as WSO2 serves it (WS-SecurityPolicy 2005/07, which Rampart reads): HTTPS
    # transport binding and a signed supporting UT.
    assert xp(policies[0], ".//sp:TransportBinding//sp:HttpsToken")
    assert xp(policies[0], ".//sp:SignedSupportingTokens//sp:UsernameToken")
    assert_valid(policies[0], policy_schemas())


def test_another_scenario_embeds_its_own_policy_with_the_chosen_suite():
    root = render(SecurityPolicy(scenario_id="scenario2", allowed_roles=()))
    (policy,) = xp(root, "/wsdl:definitions/wsp:Policy")
    assert policy.get(f"{{{ns.WSU}}}Id") == "SigOnly"
    assert {r.get("URI") for r in xp(root, "//wsp:PolicyReference")} == {"#SigOnly"}
    assert xp(policy, "local-name(.//sp:AsymmetricBinding/wsp:Policy/sp:AlgorithmSuite/"
                      "wsp:Policy/*)") == "Basic256"
    stronger = render(SecurityPolicy(scenario_id="scenario5", allowed_roles=(),
                                     algorithm_suite=AlgorithmSuite.BASIC256_SHA256))
    (policy,) = xp(stronger, "/wsdl:definitions/wsp:Policy")
    assert policy.get(f"{{{ns.WSU}}}Id") == "SigEncr"
    assert [e.tag for e in xp(policy, ".//sp:AlgorithmSuite/wsp:Policy/*")] == [
        f"{{{ns.SP_2005}}}Basic256Sha256"]


def test_a_saml_scenario_names_this_sts_as_the_issuer_of_its_token():
    for scenario_id in ("scenario31", "scenario33"):
        root = render(SecurityPolicy(scenario_id=scenario_id, allowed_roles=()))
        assert xp(root, "//sp:IssuedToken/sp:Issuer/wsa10:Address/text()") == [ADDRESS]


@pytest.mark.parametrize(
    "security",
    [SecurityPolicy(enabled=False), SecurityPolicy(scenario_id="no-such-scenario")],
    ids=["disabled", "unknown"],
)
def test_without_an_applicable_policy_the_wsdl_carries_none(security):
    root = render(security)
    assert xp(root, "//wsp:Policy | //wsp:PolicyReference") == []
    assert len(xp(root, "//wsdl:service/wsdl:port")) == 2


def test_served_at_question_wsdl_with_the_public_address(bootstrapped, server_settings,
                                                          fast_password_hashing):
    app = build_app(bootstrapped, server_settings)
    with TestClient(app, base_url="https://sts.local:8443") as client:
        answer = client.get("/services/wso2carbon-sts?wsdl")
    assert answer.status_code == 200
    root = parse_xml(answer.content)
    locations = set(xp(root, "//wsdl:port/*/@location"))
    assert locations == {"https://sts.local:8443/services/wso2carbon-sts"}
    assert xp(root, "//wsp:PolicyReference/@URI") == ["#UTOverTransport"] * 2
    public = dataclasses.replace(server_settings, public_host="sts.example.org")
    with TestClient(build_app(bootstrapped, public), base_url="https://127.0.0.1:1") as client:
        root = parse_xml(client.get("/services/wso2carbon-sts?wsdl").content)
    assert set(xp(root, "//wsa10:Address/text()")) == {
        "https://sts.example.org/services/wso2carbon-sts"
    }
