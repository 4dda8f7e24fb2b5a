"""WS-MetadataExchange: the STS described the way ADFS and WSO2's MEX service describe theirs.

ADFS-style clients (MSAL's and ADAL's WS-Trust path, Office, the Azure CLI behind a federated
domain) find an STS's token endpoint in a metadata document: a WSDL whose bindings are all SOAP
1.2, each pointing with a ``wsp:PolicyReference`` at the policy it requires, and whose ports
carry the endpoint's public ``https://`` address in a ``wsa10:EndpointReference``. The bindings
follow the applied scenario: the credential its policy asks the client for names them
(``UserNameWSTrustBinding_IWSTrust13Async``, ``CertificateWSTrustBinding_...``), with one for
WS-Trust 1.3 (in WS-SecurityPolicy 1.2) and one for February 2005 (in 2005/07, as WSO2 states
every scenario). Only Issue is described, as ADFS does: the document says where to get a token.

Served two ways, as ADFS and WSO2 do: ``GET .../mex`` answers with the WSDL itself (the
``wsdl:definitions`` MSAL's parser reads); a SOAP ``GetMetadata`` or WS-Transfer ``Get`` POSTed
to the same address answers with ``mex:Metadata`` holding that WSDL in a ``MetadataSection``.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, RequestFailedError, StsError
from stsdesk.core.soap import SoapMessage, build_response, parse_envelope
from stsdesk.core.wstrust import RequestType, TrustVersion, request_action, response_action
from stsdesk.core.xmlparse import DEFAULT_LIMITS, XmlLimits
from stsdesk.server.model import SecurityPolicy
from stsdesk.server.sts.mex_policy import (
    ClientCredential,
    client_credential,
    trust13_policy,
    trust2005_policy,
)
from stsdesk.server.sts.published_policy import mex_source, published_policy
from stsdesk.server.sts.service import SoapReply, fault_reply, soap_version_of
from stsdesk.server.sts.trust_schema import PREFIXES as SCHEMA_PREFIXES
from stsdesk.server.sts.trust_schema import append_trust_schemas
from stsdesk.server.sts.wsdl import SERVICE_NAME, TARGET_NAMESPACE

__all__ = ["MexBinding", "mex_bindings", "render_mex_wsdl", "metadata", "MetadataService"]

log = logging.getLogger("stsdesk.server.sts")

_HTTP_TRANSPORT = "http://schemas.xmlsoap.org/soap/http"
# Message-security bindings need the STS's certificate to protect the request for it.
_MESSAGE_BINDINGS = tuple(f"{{{sp}}}{local}" for sp in (ns.SP_12, ns.SP_2005)
                          for local in ("AsymmetricBinding", "SymmetricBinding"))


@dataclass(frozen=True)
class _Contract:
    """One WS-Trust version's Issue contract, under ADFS's port type and operation names."""

    version: TrustVersion
    prefix: str
    port_type: str
    operation: str
    response_element: str

    @property
    def request_action(self) -> str:
        return request_action(self.version, RequestType.ISSUE)

    @property
    def response_action(self) -> str:
        return response_action(self.version, RequestType.ISSUE)


_TRUST_13 = _Contract(TrustVersion.WST_13, "wst", "IWSTrust13Async", "Trust13IssueAsync",
                      "RequestSecurityTokenResponseCollection")
_TRUST_2005 = _Contract(TrustVersion.WST_2005, "t", "IWSTrustFeb2005Async",
                        "TrustFeb2005IssueAsync", "RequestSecurityTokenResponse")
_CONTRACTS = (_TRUST_13, _TRUST_2005)


@dataclass(frozen=True)
class MexBinding:
    """A SOAP 1.2 binding of the metadata document and the policy it references."""

    name: str
    credential: ClientCredential
    version: TrustVersion
    policy: etree._Element

    @property
    def policy_id(self) -> str:
        return f"{self.name}_policy"

    @property
    def message_security(self) -> bool:
        return next(self.policy.iter(*_MESSAGE_BINDINGS), None) is not None


def mex_bindings(security: SecurityPolicy, *,
                 issuer_address: str | None = None) -> tuple[MexBinding, ...]:
    """The bindings the applied scenario offers: none while security is disabled.

    ``issuer_address`` (this STS's public address) replaces WSO2's default issuer in the
    issued-token assertions of the SAML-token scenarios.
    """
    policy = published_policy(security, issuer_address=issuer_address)
    if policy is None:
        return ()
    policy = mex_source(policy)
    credential = client_credential(policy)
    bindings = []
    for contract in _CONTRACTS:
        name = f"{credential.value}WSTrustBinding_{contract.port_type}"
        policy_id = f"{name}_policy"
        if contract is _TRUST_13:
            stated = trust13_policy(policy, policy_id)
        else:
            stated = trust2005_policy(policy, policy_id)
        bindings.append(MexBinding(name, credential, contract.version, stated))
    return tuple(bindings)


def render_mex_wsdl(address: str, security: SecurityPolicy, *,
                    service_certificate: bytes | None = None) -> etree._Element:
    """The metadata WSDL for the STS at ``address`` (its public https URL) under ``security``.

    ``service_certificate`` (DER) is the STS's certificate; the ports of message-security
    bindings carry it as their endpoint identity, which a client needs to protect its request.
    """
    nsmap = {"wsdl": ns.WSDL, "soap12": ns.WSDL_SOAP12, "wsaw": ns.WSAW,
             "tns": TARGET_NAMESPACE, **SCHEMA_PREFIXES}
    root = etree.Element(_q(ns.WSDL, "definitions"), nsmap=nsmap, name=SERVICE_NAME,
                         targetNamespace=TARGET_NAMESPACE)
    bindings = mex_bindings(security, issuer_address=address)
    for binding in bindings:
        root.append(binding.policy)
    types = etree.SubElement(root, _q(ns.WSDL, "types"))
    append_trust_schemas(types, versions=(ns.WST_13, ns.WST_2005))
    for contract in _CONTRACTS:
        _append_messages(root, contract)
    for contract in _CONTRACTS:
        _append_port_type(root, contract)
    for binding in bindings:
        _append_binding(root, binding)
    if bindings:
        service = etree.SubElement(root, _q(ns.WSDL, "service"), name=SERVICE_NAME)
        for binding in bindings:
            certificate = service_certificate if binding.message_security else None
            _append_port(service, binding, address, certificate)
    etree.indent(root)
    return root


def metadata(definitions: etree._Element | None) -> etree._Element:
    """``mex:Metadata`` with the WSDL in one ``MetadataSection``, or empty when None."""
    root = etree.Element(_q(ns.WSX, "Metadata"), nsmap={"wsx": ns.WSX})
    if definitions is not None:
        section = etree.SubElement(root, _q(ns.WSX, "MetadataSection"), Dialect=ns.WSDL,
                                   Identifier=TARGET_NAMESPACE)
        section.append(definitions)
    return root


def _contract(version: TrustVersion) -> _Contract:
    return _TRUST_13 if version is TrustVersion.WST_13 else _TRUST_2005


def _message_name(contract: _Contract, direction: str) -> str:
    return f"{contract.port_type}_{contract.operation}_{direction}Message"


def _append_messages(root: etree._Element, contract: _Contract) -> None:
    for direction, part, element in (("Input", "request", "RequestSecurityToken"),
                                     ("Output", f"{contract.operation}Result",
                                      contract.response_element)):
        message = etree.SubElement(root, _q(ns.WSDL, "message"),
                                   name=_message_name(contract, direction))
        etree.SubElement(message, _q(ns.WSDL, "part"), name=part,
                         element=f"{contract.prefix}:{element}")


def _append_port_type(root: etree._Element, contract: _Contract) -> None:
    port_type = etree.SubElement(root, _q(ns.WSDL, "portType"), name=contract.port_type)
    operation = etree.SubElement(port_type, _q(ns.WSDL, "operation"), name=contract.operation)
    etree.SubElement(operation, _q(ns.WSDL, "input"),
                     {_q(ns.WSAW, "Action"): contract.request_action},
                     message=f"tns:{_message_name(contract, 'Input')}")
    etree.SubElement(operation, _q(ns.WSDL, "output"),
                     {_q(ns.WSAW, "Action"): contract.response_action},
                     message=f"tns:{_message_name(contract, 'Output')}")


def _append_binding(root: etree._Element, binding: MexBinding) -> None:
    contract = _contract(binding.version)
    element = etree.SubElement(root, _q(ns.WSDL, "binding"), name=binding.name,
                               type=f"tns:{contract.port_type}")
    etree.SubElement(element, _q(ns.WSP_2004, "PolicyReference"), URI=f"#{binding.policy_id}")
    etree.SubElement(element, _q(ns.WSDL_SOAP12, "binding"), transport=_HTTP_TRANSPORT)
    operation = etree.SubElement(element, _q(ns.WSDL, "operation"), name=contract.operation)
    etree.SubElement(operation, _q(ns.WSDL_SOAP12, "operation"),
                     soapAction=contract.request_action, style="document")
    for direction in ("input", "output"):
        body = etree.SubElement(operation, _q(ns.WSDL, direction))
        etree.SubElement(body, _q(ns.WSDL_SOAP12, "body"), use="literal")


def _append_port(service: etree._Element, binding: MexBinding, address: str,
                 certificate: bytes | None) -> None:
    port = etree.SubElement(service, _q(ns.WSDL, "port"), name=binding.name,
                            binding=f"tns:{binding.name}")
    etree.SubElement(port, _q(ns.WSDL_SOAP12, "address"), location=address)
    reference = etree.SubElement(port, _q(ns.WSA_2005, "EndpointReference"))
    etree.SubElement(reference, _q(ns.WSA_2005, "Address")).text = address
    if certificate is not None:
        identity = etree.SubElement(reference, _q(ns.WSAID, "Identity"), nsmap={None: ns.WSAID})
        key_info = etree.SubElement(identity, _q(ns.DS, "KeyInfo"), nsmap={None: ns.DS})
        x509_data = etree.SubElement(key_info, _q(ns.DS, "X509Data"))
        etree.SubElement(x509_data, _q(ns.DS, "X509Certificate")).text = (
            base64.b64encode(certificate).decode("ascii")
        )


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"


# ---------------------------------------------------------------- the SOAP endpoint

_RESPONSE_ACTIONS = {
    ns.MEX_GET_METADATA_REQUEST: ns.MEX_GET_METADATA_RESPONSE,
    ns.TRANSFER_GET: ns.TRANSFER_GET_RESPONSE,
}


class MetadataService:
    """Answers WS-MetadataExchange GetMetadata and WS-Transfer Get requests; safe to share."""

    def __init__(self, *, limits: XmlLimits = DEFAULT_LIMITS) -> None:
        self._limits = limits

    def handle(self, body: bytes, *, content_type: str | None, soap_action: str | None,
               describe: Callable[[], etree._Element]) -> SoapReply:
        """Answer one request; ``describe`` renders the WSDL, called only when it is wanted."""
        version = soap_version_of(content_type)
        message: SoapMessage | None = None
        try:
            message = parse_envelope(body, content_type=content_type, soap_action=soap_action,
                                     limits=self._limits, allow_empty_body=True)
            version = message.version
            action, wanted = _read_request(message)
            definitions = describe() if wanted else None
            reply = build_response(message, metadata(definitions), action=action)
            return SoapReply(200, version.content_type, reply)
        except StsError as error:
            log.info("metadata request refused: %s", error.message)
            return fault_reply(version, error, ns.WST_13, message)
        except Exception:  # a bug: log it, tell the caller nothing of its insides
            log.exception("unexpected error while answering a metadata request")
            internal = RequestFailedError(
                "The STS could not describe itself because of an internal error. "
                "The administrator can find the details in the server log."
            )
            return fault_reply(version, internal, ns.WST_13, message)


def _read_request(message: SoapMessage) -> tuple[str, bool]:
    """The response action, and whether the WSDL is wanted (a GetMetadata may filter it out)."""
    action = message.action
    get_metadata = (not message.body_is_empty
                    and message.body.tag == _q(ns.WSX, "GetMetadata"))
    if action is None:  # no action given: the body tells which request it is
        action = ns.MEX_GET_METADATA_REQUEST if get_metadata else ns.TRANSFER_GET
    if action not in _RESPONSE_ACTIONS:
        raise InvalidRequestError(
            f"The action {action[:200]!r} is not a metadata request; this address answers "
            f"WS-MetadataExchange GetMetadata ({ns.MEX_GET_METADATA_REQUEST}) and WS-Transfer "
            f"Get ({ns.TRANSFER_GET}). Send token requests to the STS endpoint."
        )
    if action == ns.TRANSFER_GET:
        if not message.body_is_empty:
            raise InvalidRequestError(
                "A WS-Transfer Get has an empty SOAP Body; send it without a body element."
            )
        return _RESPONSE_ACTIONS[action], True
    if not get_metadata:
        raise InvalidRequestError(
            f"A GetMetadata request holds a wsx:GetMetadata element ({ns.WSX}) in its Body; "
            "send one."
        )
    return _RESPONSE_ACTIONS[action], _wanted(message.body)


def _wanted(request: etree._Element) -> bool:
    # GetMetadata may name a Dialect and an Identifier; this STS has one WSDL section, so any
    # other dialect or identifier gets an empty Metadata, as WS-MetadataExchange 2004/09 says.
    dialect = request.findtext(_q(ns.WSX, "Dialect"))
    identifier = request.findtext(_q(ns.WSX, "Identifier"))
    if dialect is not None and dialect.strip() != ns.WSDL:
        return False
    return identifier is None or identifier.strip() == TARGET_NAMESPACE
