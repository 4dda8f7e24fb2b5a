"""The message schemas the WSDL and MEX documents carry: WS-Trust RST/RSTR typed element by element.

WS-Trust's own schema gives the RequestSecurityToken open content (``xs:any``), which tells a
WSDL-driven client (zeep, svcutil) nothing about what to send. These schemas declare every child
this STS reads or writes, with its type, so that such a client builds a request from plain values
and reads the answer into fields. The elements they borrow from WS-Policy (AppliesTo),
WS-Addressing (EndpointReference) and WS-Security utility (Created, Expires) are declared in
small schemas of their own namespaces beside them, so the document needs no download.
"""

from __future__ import annotations

from lxml import etree

from stsdesk.core import ns

__all__ = ["append_trust_schemas", "PREFIXES"]

_XS = ns.XS
# The prefix of each namespace in the schemas' type= and ref= values. The WSDL documents bind
# these namespaces to the same prefixes and no other: lxml drops a declaration that repeats an
# ancestor's when a tree is moved (into mex:Metadata, into a SOAP Body) and renames element
# prefixes to match, but it cannot rename the prefixes inside attribute values.
PREFIXES = {"xs": ns.XS, "wsp": ns.WSP_2004, "wsa10": ns.WSA_2005, "wsa04": ns.WSA_2004,
            "wsu": ns.WSU, "wst": ns.WST_13, "t": ns.WST_2005}
_PREFIX_OF = {uri: prefix for prefix, uri in PREFIXES.items()}


# Children holding a URI: token, request and key types and the algorithms of a request template.
_URI_CHILDREN = (
    "TokenType", "RequestType", "KeyType", "ComputedKeyAlgorithm", "SignatureAlgorithm",
    "EncryptionAlgorithm", "CanonicalizationAlgorithm", "EncryptWith", "SignWith",
    "KeyWrapAlgorithm", "AuthenticationType",
)
# Children holding another specification's element (a token, a reference, a key), read laxly.
_OPEN_CHILDREN_RST = ("ValidateTarget", "RenewTarget", "CancelTarget", "OnBehalfOf",
                      "SecondaryParameters")
_OPEN_CHILDREN_RSTR = ("RequestedSecurityToken", "RequestedAttachedReference",
                       "RequestedUnattachedReference")


def append_trust_schemas(types: etree._Element, *, versions: tuple[str, ...]) -> None:
    """Append to ``wsdl:types`` the schemas of the given WS-Trust namespaces and what they use."""
    _append_utility_schema(types)
    for wsa in (ns.WSA_2005, ns.WSA_2004):
        _append_addressing_schema(types, wsa)
    _append_policy_schema(types)
    for trust in versions:
        _append_trust_schema(types, trust)


def _schema(types: etree._Element, target: str, imports: tuple[str, ...] = ()) -> etree._Element:
    schema = etree.SubElement(types, _q(_XS, "schema"), nsmap=PREFIXES, targetNamespace=target,
                              elementFormDefault="qualified")
    for namespace in imports:
        etree.SubElement(schema, _q(_XS, "import"), namespace=namespace)
    return schema


def _append_utility_schema(types: etree._Element) -> None:
    schema = _schema(types, ns.WSU)
    for name in ("Created", "Expires"):
        # wsu:AttributedDateTime is a string in WS-Security's own schema too.
        element = etree.SubElement(schema, _q(_XS, "element"), name=name)
        _simple_content(element, "xs:string", ("Id", "xs:ID"))


def _append_addressing_schema(types: etree._Element, wsa: str) -> None:
    schema = _schema(types, wsa)
    reference = etree.SubElement(schema, _q(_XS, "element"), name="EndpointReference")
    sequence = etree.SubElement(etree.SubElement(reference, _q(_XS, "complexType")),
                                _q(_XS, "sequence"))
    etree.SubElement(sequence, _q(_XS, "element"), name="Address", type="xs:anyURI")
    _any(sequence, "##other")


def _append_policy_schema(types: etree._Element) -> None:
    schema = _schema(types, ns.WSP_2004, imports=(ns.WSA_2005, ns.WSA_2004))
    applies_to = etree.SubElement(schema, _q(_XS, "element"), name="AppliesTo")
    # An AppliesTo names the relying party by a WS-Addressing 1.0 or 2004/08 EndpointReference.
    choice = etree.SubElement(etree.SubElement(applies_to, _q(_XS, "complexType")),
                              _q(_XS, "choice"))
    etree.SubElement(choice, _q(_XS, "element"), ref="wsa10:EndpointReference")
    etree.SubElement(choice, _q(_XS, "element"), ref="wsa04:EndpointReference")


def _append_trust_schema(types: etree._Element, trust: str) -> None:
    schema = _schema(types, trust, imports=(ns.WSP_2004, ns.WSU))
    tns = _PREFIX_OF[trust]
    _binary_secret_type(schema)
    _lifetime_type(schema)
    _entropy_types(schema, tns)

    rst_type, rst = _all_type(schema, "RequestSecurityTokenType")
    for name in _URI_CHILDREN:
        _child(rst, name, "xs:anyURI", required=name == "RequestType")
    etree.SubElement(rst, _q(_XS, "element"), ref="wsp:AppliesTo", minOccurs="0")
    _child(rst, "Claims", f"{tns}:ClaimsType")
    _child(rst, "Entropy", f"{tns}:EntropyType")
    _child(rst, "Lifetime", f"{tns}:LifetimeType")
    _child(rst, "KeySize", "xs:unsignedInt")
    _child(rst, "UseKey", f"{tns}:UseKeyType")
    _child(rst, "Renewing", f"{tns}:RenewingType")
    for name in _OPEN_CHILDREN_RST:
        _child(rst, name, f"{tns}:OpenContentType")
    _context_attribute(rst_type)

    rstr_type, rstr = _all_type(schema, "RequestSecurityTokenResponseType")
    for name in ("TokenType", "KeyType"):
        _child(rstr, name, "xs:anyURI")
    for name in _OPEN_CHILDREN_RSTR:
        _child(rstr, name, f"{tns}:OpenContentType")
    etree.SubElement(rstr, _q(_XS, "element"), ref="wsp:AppliesTo", minOccurs="0")
    _child(rstr, "RequestedProofToken", f"{tns}:RequestedProofTokenType")
    _child(rstr, "Entropy", f"{tns}:EntropyType")
    _child(rstr, "Lifetime", f"{tns}:LifetimeType")
    _child(rstr, "KeySize", "xs:unsignedInt")
    _child(rstr, "Status", f"{tns}:StatusType")
    _child(rstr, "RequestedTokenCancelled", f"{tns}:EmptyType")
    _context_attribute(rstr_type)

    _claims_type(schema)
    _use_key_type(schema)
    _renewing_type(schema)
    _status_type(schema)
    _open_content_type(schema)
    etree.SubElement(schema, _q(_XS, "complexType"), name="EmptyType")
    etree.SubElement(schema, _q(_XS, "element"), name="RequestSecurityToken",
                     type=f"{tns}:RequestSecurityTokenType")
    etree.SubElement(schema, _q(_XS, "element"), name="RequestSecurityTokenResponse",
                     type=f"{tns}:RequestSecurityTokenResponseType")
    if trust == ns.WST_13:  # the collection an Issue is answered with exists from 1.3 on
        collection = etree.SubElement(schema, _q(_XS, "element"),
                                      name="RequestSecurityTokenResponseCollection")
        sequence = etree.SubElement(etree.SubElement(collection, _q(_XS, "complexType")),
                                    _q(_XS, "sequence"))
        etree.SubElement(sequence, _q(_XS, "element"), ref=f"{tns}:RequestSecurityTokenResponse",
                         maxOccurs="unbounded")


def _all_type(schema: etree._Element, name: str) -> tuple[etree._Element, etree._Element]:
    # xs:all: WS-Trust fixes no order among an RST's children, and clients send them in any.
    complex_type = etree.SubElement(schema, _q(_XS, "complexType"), name=name)
    return complex_type, etree.SubElement(complex_type, _q(_XS, "all"))


def _child(parent: etree._Element, name: str, type_name: str, *, required: bool = False) -> None:
    etree.SubElement(parent, _q(_XS, "element"), name=name, type=type_name,
                     minOccurs="1" if required else "0")


def _context_attribute(complex_type: etree._Element) -> None:
    etree.SubElement(complex_type, _q(_XS, "attribute"), name="Context", type="xs:anyURI")
    etree.SubElement(complex_type, _q(_XS, "anyAttribute"), namespace="##other",
                     processContents="lax")


def _simple_content(element: etree._Element, base: str, attribute: tuple[str, str]) -> None:
    content = etree.SubElement(etree.SubElement(element, _q(_XS, "complexType")),
                               _q(_XS, "simpleContent"))
    extension = etree.SubElement(content, _q(_XS, "extension"), base=base)
    etree.SubElement(extension, _q(_XS, "attribute"), name=attribute[0], type=attribute[1])
    etree.SubElement(extension, _q(_XS, "anyAttribute"), namespace="##other",
                     processContents="lax")


def _binary_secret_type(schema: etree._Element) -> None:
    element = etree.SubElement(schema, _q(_XS, "element"), name="BinarySecret")
    _simple_content(element, "xs:base64Binary", ("Type", "xs:anyURI"))


def _lifetime_type(schema: etree._Element) -> None:
    complex_type = etree.SubElement(schema, _q(_XS, "complexType"), name="LifetimeType")
    sequence = etree.SubElement(complex_type, _q(_XS, "sequence"))
    etree.SubElement(sequence, _q(_XS, "element"), ref="wsu:Created", minOccurs="0")
    etree.SubElement(sequence, _q(_XS, "element"), ref="wsu:Expires", minOccurs="0")


def _entropy_types(schema: etree._Element, tns: str) -> None:
    # Entropy and a proof token carry a BinarySecret, or (proof) a ComputedKey, or another
    # specification's element such as an xenc:EncryptedKey.
    entropy = etree.SubElement(schema, _q(_XS, "complexType"), name="EntropyType")
    choice = etree.SubElement(entropy, _q(_XS, "choice"))
    etree.SubElement(choice, _q(_XS, "element"), ref=f"{tns}:BinarySecret")
    _any(choice, "##other", unbounded=False, optional=False)
    proof = etree.SubElement(schema, _q(_XS, "complexType"), name="RequestedProofTokenType")
    choice = etree.SubElement(proof, _q(_XS, "choice"))
    etree.SubElement(choice, _q(_XS, "element"), ref=f"{tns}:BinarySecret")
    etree.SubElement(choice, _q(_XS, "element"), name="ComputedKey", type="xs:anyURI")
    _any(choice, "##other", unbounded=False, optional=False)


def _claims_type(schema: etree._Element) -> None:
    complex_type = etree.SubElement(schema, _q(_XS, "complexType"), name="ClaimsType")
    _any(etree.SubElement(complex_type, _q(_XS, "sequence")), "##any")
    etree.SubElement(complex_type, _q(_XS, "attribute"), name="Dialect", type="xs:anyURI")
    # WSO2's client writes Dialect in the WS-Trust namespace, hence any attribute at all.
    etree.SubElement(complex_type, _q(_XS, "anyAttribute"), namespace="##any",
                     processContents="lax")


def _use_key_type(schema: etree._Element) -> None:
    complex_type = etree.SubElement(schema, _q(_XS, "complexType"), name="UseKeyType")
    _any(etree.SubElement(complex_type, _q(_XS, "sequence")), "##other", unbounded=False)
    etree.SubElement(complex_type, _q(_XS, "attribute"), name="Sig", type="xs:anyURI")


def _renewing_type(schema: etree._Element) -> None:
    complex_type = etree.SubElement(schema, _q(_XS, "complexType"), name="RenewingType")
    for name in ("Allow", "OK"):
        etree.SubElement(complex_type, _q(_XS, "attribute"), name=name, type="xs:boolean")


def _status_type(schema: etree._Element) -> None:
    complex_type = etree.SubElement(schema, _q(_XS, "complexType"), name="StatusType")
    sequence = etree.SubElement(complex_type, _q(_XS, "sequence"))
    etree.SubElement(sequence, _q(_XS, "element"), name="Code", type="xs:anyURI")
    etree.SubElement(sequence, _q(_XS, "element"), name="Reason", type="xs:string",
                     minOccurs="0")


def _open_content_type(schema: etree._Element) -> None:
    complex_type = etree.SubElement(schema, _q(_XS, "complexType"), name="OpenContentType")
    _any(etree.SubElement(complex_type, _q(_XS, "sequence")), "##any")
    etree.SubElement(complex_type, _q(_XS, "anyAttribute"), namespace="##any",
                     processContents="lax")


def _any(parent: etree._Element, namespace: str, *, unbounded: bool = True,
         optional: bool = True) -> None:
    etree.SubElement(parent, _q(_XS, "any"), namespace=namespace, processContents="lax",
                     minOccurs="0" if optional else "1",
                     maxOccurs="unbounded" if unbounded else "1")


def _q(namespace: str, local: str) -> str:
    return f"{{{namespace}}}{local}"
