"""The STS's WSDL: SOAP 1.1 and 1.2 bindings carrying the applied scenario's policy."""

from __future__ import annotations

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE, AlgorithmSuite
from stsdesk.core.scenarios import applied_policy
from stsdesk.server.model import SecurityPolicy
from stsdesk.server.sts.published_policy import published_policy
from stsdesk.server.sts.trust_schema import PREFIXES as SCHEMA_PREFIXES
from stsdesk.server.sts.trust_schema import append_trust_schemas

__all__ = ["render_wsdl", "scenario_policy", "OPERATIONS", "TARGET_NAMESPACE", "SERVICE_NAME"]

TARGET_NAMESPACE = "http://stsdesk.dev/wso2carbon-sts"
SERVICE_NAME = "wso2carbon-sts"
OPERATIONS = ("Issue", "Validate", "Renew", "Cancel")
_HTTP_TRANSPORT = ns.SOAP_HTTP_TRANSPORT
_PORT_TYPE = "SecurityTokenService"
# (binding/port name part, WSDL SOAP binding namespace); SOAP 1.2 first, as WCF prefers it.
_SOAP_BINDINGS = (("Soap12", ns.WSDL_SOAP12), ("Soap11", ns.WSDL_SOAP11))
# The WS-Trust 1.3 elements each operation takes and returns: Issue answers with a collection.
_ELEMENTS = {
    "Issue": ("RequestSecurityToken", "RequestSecurityTokenResponseCollection"),
    "Validate": ("RequestSecurityToken", "RequestSecurityTokenResponse"),
    "Renew": ("RequestSecurityToken", "RequestSecurityTokenResponse"),
    "Cancel": ("RequestSecurityToken", "RequestSecurityTokenResponse"),
}


def scenario_policy(
    scenario_id: str, algorithm_suite: AlgorithmSuite = DEFAULT_ALGORITHM_SUITE, *,
    issuer_address: str | None = None,
) -> etree._Element:
    """A fresh copy of the scenario's WS-SecurityPolicy as applied with ``algorithm_suite``;
    its issued-token assertions name ``issuer_address`` (this STS) when given."""
    return applied_policy(scenario_id, algorithm_suite, issuer_address=issuer_address)


def render_wsdl(address: str, security: SecurityPolicy) -> bytes:
    """The WSDL for the endpoint at ``address`` (the public https URL) under ``security``.

    The applied scenario's ``wsp:Policy`` is embedded as WSO2 serves it (WS-SecurityPolicy
    2005/07, which Rampart reads), with the chosen algorithm suite and this STS as the issuer of
    the tokens it asks for; both bindings point at it with a ``wsp:PolicyReference``, the form
    WCF and ADFS-style metadata clients read. While security is disabled the WSDL carries no
    policy (and the STS issues nothing).
    """
    nsmap = {"wsdl": ns.WSDL, "soap": ns.WSDL_SOAP11, "soap12": ns.WSDL_SOAP12, "wsaw": ns.WSAW,
             "tns": TARGET_NAMESPACE, **SCHEMA_PREFIXES}
    root = etree.Element(_q(ns.WSDL, "definitions"), nsmap=nsmap, name=SERVICE_NAME,
                         targetNamespace=TARGET_NAMESPACE)
    policy_id = _append_policy(root, security, address)
    _append_types(root)
    _append_messages(root)
    _append_port_type(root)
    for name, soap_ns in _SOAP_BINDINGS:
        _append_binding(root, name, soap_ns, policy_id)
    _append_service(root, address)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _append_policy(root: etree._Element, security: SecurityPolicy, address: str) -> str | None:
    policy = published_policy(security, issuer_address=address)
    if policy is None:
        return None
    root.append(policy)
    return policy.get(_q(ns.WSU, "Id"))


def _append_types(root: etree._Element) -> None:
    # Typed WS-Trust 1.3 messages, inline, so a WSDL-driven client builds requests from values
    # and needs no schema download.
    append_trust_schemas(etree.SubElement(root, _q(ns.WSDL, "types")), versions=(ns.WST_13,))


def _append_messages(root: etree._Element) -> None:
    for operation, (request, response) in _ELEMENTS.items():
        for direction, element in (("Request", request), ("Response", response)):
            message = etree.SubElement(root, _q(ns.WSDL, "message"),
                                       name=f"{operation}{direction}")
            etree.SubElement(message, _q(ns.WSDL, "part"), name="body", element=f"wst:{element}")


def _request_action(operation: str) -> str:
    return f"{ns.WST_13}/RST/{operation}"


def _response_action(operation: str) -> str:
    final = "RSTRC/IssueFinal" if operation == "Issue" else f"RSTR/{operation}Final"
    return f"{ns.WST_13}/{final}"


def _append_port_type(root: etree._Element) -> None:
    port_type = etree.SubElement(root, _q(ns.WSDL, "portType"), name=_PORT_TYPE)
    for operation in OPERATIONS:
        op = etree.SubElement(port_type, _q(ns.WSDL, "operation"), name=f"{operation}Token")
        etree.SubElement(op, _q(ns.WSDL, "input"),
                         {_q(ns.WSAW, "Action"): _request_action(operation)},
                         message=f"tns:{operation}Request")
        etree.SubElement(op, _q(ns.WSDL, "output"),
                         {_q(ns.WSAW, "Action"): _response_action(operation)},
                         message=f"tns:{operation}Response")


def _append_binding(root: etree._Element, name: str, soap_ns: str, policy_id: str | None) -> None:
    binding = etree.SubElement(root, _q(ns.WSDL, "binding"), name=_binding_name(name),
                               type=f"tns:{_PORT_TYPE}")
    if policy_id:
        # In the policy's own WS-Policy namespace (an own policy may use WS-Policy 1.5).
        policy = root.find("{*}Policy")
        wsp = etree.QName(policy).namespace if policy is not None else ns.WSP_2004
        etree.SubElement(binding, _q(wsp or ns.WSP_2004, "PolicyReference"),
                         URI=f"#{policy_id}")
    etree.SubElement(binding, _q(soap_ns, "binding"), transport=_HTTP_TRANSPORT, style="document")
    # Addressing headers are understood (and answered with RelatesTo) but not required.
    etree.SubElement(binding, _q(ns.WSAW, "UsingAddressing"))
    for operation in OPERATIONS:
        op = etree.SubElement(binding, _q(ns.WSDL, "operation"), name=f"{operation}Token")
        etree.SubElement(op, _q(soap_ns, "operation"), soapAction=_request_action(operation),
                         style="document")
        for direction in ("input", "output"):
            io = etree.SubElement(op, _q(ns.WSDL, direction))
            etree.SubElement(io, _q(soap_ns, "body"), use="literal")


def _append_service(root: etree._Element, address: str) -> None:
    service = etree.SubElement(root, _q(ns.WSDL, "service"), name=SERVICE_NAME)
    for name, soap_ns in _SOAP_BINDINGS:
        port = etree.SubElement(service, _q(ns.WSDL, "port"),
                                name=f"{SERVICE_NAME}Https{name}Endpoint",
                                binding=f"tns:{_binding_name(name)}")
        etree.SubElement(port, _q(soap_ns, "address"), location=address)
        reference = etree.SubElement(port, _q(ns.WSA_2005, "EndpointReference"))
        etree.SubElement(reference, _q(ns.WSA_2005, "Address")).text = address


def _binding_name(name: str) -> str:
    return f"{SERVICE_NAME}Https{name}Binding"


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"
