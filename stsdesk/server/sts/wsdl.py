"""The STS's WSDL: SOAP 1.1 and 1.2 bindings carrying the applied scenario's policy."""

from __future__ import annotations

from functools import cache
from importlib import resources

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.xmlparse import parse_xml
from stsdesk.server.model import SecurityPolicy

__all__ = ["render_wsdl", "scenario_policy"]

_TNS = "http://stsdesk.dev/wso2carbon-sts"
_OPERATIONS = ("Issue", "Validate", "Renew", "Cancel")


@cache
def _policy_bytes(scenario_id: str) -> bytes:
    path = resources.files("stsdesk.resources") / "policies" / f"{scenario_id}-policy.xml"
    return path.read_bytes()


def scenario_policy(scenario_id: str) -> etree._Element:
    """A fresh copy of the scenario's WS-SecurityPolicy document."""
    return parse_xml(_policy_bytes(scenario_id))


def render_wsdl(address: str, security: SecurityPolicy) -> bytes:
    """The WSDL for the endpoint at ``address`` under the applied security policy."""
    nsmap = {
        "wsdl": ns.WSDL,
        "soap": ns.WSDL_SOAP11,
        "soap12": ns.WSDL_SOAP12,
        "wsp": ns.WSP_2004,
        "wsu": ns.WSU,
        "wsa10": ns.WSA_2005,
        "wsaw": ns.WSAW,
        "wst": ns.WST_13,
        "tns": _TNS,
        "xs": ns.XS,
    }
    root = etree.Element(_q(ns.WSDL, "definitions"), nsmap=nsmap, name="wso2carbon-sts",
                         targetNamespace=_TNS)
    policy_id = None
    if security.enabled:
        policy = scenario_policy(security.scenario_id)
        policy_id = policy.get(_q(ns.WSU, "Id"))
        root.append(policy)
    _types(root)
    for operation in _OPERATIONS:
        for direction, element in (("Request", "RequestSecurityToken"),
                                   ("Response", "RequestSecurityTokenResponse")):
            if operation == "Issue" and direction == "Response":
                element = "RequestSecurityTokenResponseCollection"
            message = etree.SubElement(root, _q(ns.WSDL, "message"), name=f"{operation}{direction}")
            etree.SubElement(message, _q(ns.WSDL, "part"), name="body", element=f"wst:{element}")
    port_type = etree.SubElement(root, _q(ns.WSDL, "portType"), name="SecurityTokenService")
    for operation in _OPERATIONS:
        op = etree.SubElement(port_type, _q(ns.WSDL, "operation"), name=f"{operation}Token")
        request_action = f"{ns.WST_13}/RST/{operation}"
        final = "RSTRC/IssueFinal" if operation == "Issue" else f"RSTR/{operation}Final"
        etree.SubElement(op, _q(ns.WSDL, "input"), {_q(ns.WSAW, "Action"): request_action},
                         message=f"tns:{operation}Request")
        etree.SubElement(op, _q(ns.WSDL, "output"), {_q(ns.WSAW, "Action"): f"{ns.WST_13}/{final}"},
                         message=f"tns:{operation}Response")
    for soap_ns, name in ((ns.WSDL_SOAP12, "Soap12"), (ns.WSDL_SOAP11, "Soap11")):
        binding = etree.SubElement(root, _q(ns.WSDL, "binding"), name=f"wso2carbon-stsHttps{name}Binding",
                                   type="tns:SecurityTokenService")
        if policy_id:
            etree.SubElement(binding, _q(ns.WSP_2004, "PolicyReference"), URI=f"#{policy_id}")
        etree.SubElement(binding, _q(soap_ns, "binding"), transport="http://schemas.xmlsoap.org/soap/http")
        for operation in _OPERATIONS:
            op = etree.SubElement(binding, _q(ns.WSDL, "operation"), name=f"{operation}Token")
            etree.SubElement(op, _q(soap_ns, "operation"), soapAction=f"{ns.WST_13}/RST/{operation}",
                             style="document")
            for direction in ("input", "output"):
                io = etree.SubElement(op, _q(ns.WSDL, direction))
                etree.SubElement(io, _q(soap_ns, "body"), use="literal")
    service = etree.SubElement(root, _q(ns.WSDL, "service"), name="wso2carbon-sts")
    for soap_ns, name in ((ns.WSDL_SOAP12, "Soap12"), (ns.WSDL_SOAP11, "Soap11")):
        port = etree.SubElement(service, _q(ns.WSDL, "port"), name=f"wso2carbon-stsHttps{name}Endpoint",
                                binding=f"tns:wso2carbon-stsHttps{name}Binding")
        etree.SubElement(port, _q(soap_ns, "address"), location=address)
        reference = etree.SubElement(port, _q(ns.WSA_2005, "EndpointReference"))
        etree.SubElement(reference, _q(ns.WSA_2005, "Address")).text = address
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _types(root: etree._Element) -> None:
    types = etree.SubElement(root, _q(ns.WSDL, "types"))
    schema = etree.SubElement(types, _q(ns.XS, "schema"), targetNamespace=_TNS)
    etree.SubElement(schema, _q(ns.XS, "import"), namespace=ns.WST_13)


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"
