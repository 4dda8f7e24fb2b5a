"""The double's validators are WSO2's: they accept WSO2's example messages and refuse others.

A double that accepted anything would make the backend's contract tests worthless; these check
it both ways, against the example envelopes shipped in tests/data/wso2-admin/examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.xmlparse import parse_xml
from stsdesk.services.admin.models import SecurityPolicyRequest
from stsdesk.services.admin.wso2.admin_services import AdminServices
from stsdesk.services.admin.wso2.soap import envelope
from tests.helpers.data import DATA
from tests.helpers.wso2_schema import request_problems
from tests.wso2double.contracts import contract

EXAMPLES = DATA / "wso2-admin" / "examples"
_WSDL = {
    "SecurityAdminService": "SecurityConfigAdmin.fw-5.14.97.wsdl",
    "KeyStoreAdminService": "KeyStoreAdmin.wsdl",
    "IdentityProviderMgtService": "IdentityProviderMgtService.wsdl",
    "ServerAdmin": "ServerAdmin.wsdl",
    "AuthenticationAdmin": "AuthenticationAdmin.wsdl",
    "IdentityApplicationManagementService": "IdentityApplicationManagementService.wsdl",
}


def _wsdl_for(example: Path) -> str:
    service = example.name.split(".")[0]
    if service == "STSAdminService":  # 5.x docs use the framework's namespace
        return ("STSAdmin.fw-5.14.97.wsdl" if "docs-5.x" in example.name
                else "STSAdmin.connector-5.11plus.wsdl")
    return _WSDL[service]


def _wrapper(data: bytes) -> etree._Element:
    body = parse_xml(data).find("{*}Body")
    assert body is not None and len(body) == 1
    return body[0]


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.request.xml")), ids=lambda p: p.name)
def test_wso2s_example_requests_are_accepted(example: Path):
    assert contract(_wsdl_for(example)).problems(_wrapper(example.read_bytes())) == []


def test_a_field_wso2_does_not_have_is_refused():
    example = EXAMPLES / "SecurityAdminService.applySecurity.scenario1.request.xml"
    wrapper = _wrapper(example.read_bytes())
    etree.SubElement(wrapper, f"{{{ns.WSO2_SECURITY_ADMIN}}}allowedRoles").text = "admin"
    assert contract("SecurityConfigAdmin.fw-5.14.97.wsdl").problems(wrapper)


def test_fields_out_of_the_wsdls_order_are_refused():
    wrapper = _wrapper(envelope(ns.WSO2_STS_ADMIN, "addTrustedService"))
    etree.SubElement(wrapper, f"{{{ns.WSO2_STS_ADMIN}}}certAlias").text = "wso2carbon"
    etree.SubElement(wrapper, f"{{{ns.WSO2_STS_ADMIN}}}serviceAddress").text = "https://rp"
    assert contract("STSAdmin.connector-5.11plus.wsdl").problems(wrapper)


def test_the_wrong_sts_namespace_for_the_version_is_refused():
    wrapper = _wrapper(envelope(ns.WSO2_STS_ADMIN_LEGACY, "getProofKeyType"))
    assert contract("STSAdmin.connector-5.11plus.wsdl").problems(wrapper)


def test_our_scenario1_request_says_what_wso2s_example_says():
    """Same fields with values, in the same order; ours adds explicit nils for the nulls, as
    WSO2's Axis2 stubs write them."""
    sent: list[etree._Element] = []

    class Recorder:
        def call(self, service, namespace, operation, fields=()):
            sent.append(_wrapper(envelope(namespace, operation, fields)))

    services = AdminServices(Recorder())  # type: ignore[arg-type]
    services.apply_security(SecurityPolicyRequest("scenario1", allowed_roles=("admin",)),
                            _scenario1())
    example = _wrapper((EXAMPLES / "SecurityAdminService.applySecurity.scenario1.request.xml")
                       .read_bytes())

    def valued(wrapper: etree._Element) -> list[tuple[str, str | None]]:
        return [(e.tag, e.text) for e in wrapper
                if isinstance(e.tag, str) and e.get(f"{{{ns.XSI}}}nil") != "true"]

    assert valued(sent[0]) == valued(example)
    assert contract("SecurityConfigAdmin.fw-5.14.97.wsdl").problems(sent[0]) == []


def _scenario1():
    from stsdesk.services.admin.models import Scenario

    return Scenario(id="scenario1", number=1, summary="UsernameToken", description="",
                    category="ut", asks_for=("roles",))


def test_rest_bodies_are_checked_against_wso2s_openapi():
    path = "/api/server/v1/applications/x/inbound-protocols/ws-trust"
    assert request_problems("PUT", path, {"audience": "https://rp"})  # alias is required
    assert request_problems("PUT", path, {"audience": "https://rp", "certificateAlias": ""}) == []
    assert request_problems("POST", "/api/server/v1/applications", {"name": "a", "id": "x"})
