"""WS-Trust (February 2005 and 1.3) RequestSecurityToken and RequestSecurityTokenResponse.

The STS writes its responses with core/rstr.py.
"""

from __future__ import annotations

import base64
import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, RequestFailedError
from stsdesk.core.tokentypes import TokenType
from stsdesk.core.xmlutil import ChildIndex, at_most_one, decode_base64
from stsdesk.core.xsdatetime import format_xs_datetime, parse_xs_datetime

__all__ = [
    "TrustVersion", "RequestType", "KeyType", "TokenType", "request_type_uri", "key_type_uri",
    "token_type_uri", "request_action", "response_action", "computed_key_psha1_uri",
    "ClaimRequest", "Renewing", "SecurityTokenRequest", "parse_request",
    "BinarySecretProof", "ComputedKeyProof", "EncryptedKeyProof", "Proof", "IssuedToken",
    "applies_to_element", "lifetime_elements", "binary_secret_element", "trust_element",
    "build_request", "TrustResponse", "parse_response",
    "MAX_APPLIES_TO_LENGTH", "MAX_KEY_SIZE", "MAX_ENTROPY_BYTES",
]

log = logging.getLogger("stsdesk.core.wstrust")

MAX_APPLIES_TO_LENGTH = 2048
MAX_KEY_SIZE = 4096
MAX_ENTROPY_BYTES = 512

_WSP_NAMESPACES = (ns.WSP_2004, ns.WSP_W3C, ns.WSP_2006)
_WSA_NAMESPACES = (ns.WSA_2005, ns.WSA_2004)
_CLAIM_DIALECTS = (ns.WSO2_CLAIMS, ns.WSID)
_TARGETS = {"Validate": "ValidateTarget", "Renew": "RenewTarget", "Cancel": "CancelTarget"}


class TrustVersion(StrEnum):
    """The WS-Trust version, identified by its namespace."""

    WST_2005 = ns.WST_2005
    WST_13 = ns.WST_13

    @property
    def namespace(self) -> str:
        # The member's own attribute: ``.value`` goes through enum's descriptor machinery,
        # about a microsecond a read, and every request and answer reads this a dozen times.
        namespace: str = self._value_
        return namespace


class RequestType(StrEnum):
    ISSUE = "Issue"
    VALIDATE = "Validate"
    RENEW = "Renew"
    CANCEL = "Cancel"


class KeyType(StrEnum):
    BEARER = "Bearer"
    SYMMETRIC = "SymmetricKey"
    PUBLIC = "PublicKey"


def request_type_uri(version: TrustVersion, request_type: RequestType) -> str:
    return f"{version.namespace}/{request_type.value}"


def key_type_uri(version: TrustVersion, key_type: KeyType) -> str:
    return f"{version.namespace}/{key_type.value}"


def token_type_uri(version: TrustVersion, token_type: TokenType) -> str:
    """The URI written in a TokenType element (the WSS SAML token profile URIs)."""
    return token_type.uri(version)


def computed_key_psha1_uri(version: TrustVersion) -> str:
    return f"{version.namespace}/CK/PSHA1"


def request_action(version: TrustVersion, request_type: RequestType) -> str:
    return f"{version.namespace}/RST/{request_type.value}"


def response_action(version: TrustVersion, request_type: RequestType) -> str:
    if version is TrustVersion.WST_2005:
        return f"{version.namespace}/RSTR/{request_type.value}"
    if request_type is RequestType.ISSUE:
        return f"{version.namespace}/RSTRC/IssueFinal"
    return f"{version.namespace}/RSTR/{request_type.value}Final"


# What a request's URIs name, per WS-Trust version, in the order the URIs are listed to a
# client that sent something else.
_REQUEST_TYPES = {
    version: {request_type_uri(version, request_type): request_type
              for request_type in RequestType}
    for version in TrustVersion
}
_KEY_TYPES = {
    version: {key_type_uri(version, key_type): key_type for key_type in KeyType}
    for version in TrustVersion
}
_REQUEST_ACTIONS = {
    request_action(version, request_type): (version, request_type)
    for version in TrustVersion for request_type in RequestType
}


# ---------------------------------------------------------------- request model

@dataclass(frozen=True)
class ClaimRequest:
    uri: str
    optional: bool = False


@dataclass(frozen=True)
class Renewing:
    allow: bool = True
    ok: bool = False


# With slots a frozen dataclass's __init__ sets its fields a third faster (one per request).
@dataclass(frozen=True, slots=True)
class SecurityTokenRequest:
    """What a wst:RequestSecurityToken asks for, read but not yet judged against policy."""

    version: TrustVersion
    request_type: RequestType
    context: str | None
    token_type: TokenType | None
    key_type: KeyType | None
    applies_to: str | None
    lifetime_created: datetime | None
    lifetime_expires: datetime | None
    claims_dialect: str | None
    claims: tuple[ClaimRequest, ...]
    client_entropy: bytes | None
    computed_key_algorithm: str | None
    key_size: int | None
    use_key_certificate: bytes | None
    use_key_present: bool
    target: etree._Element | None
    renewing: Renewing | None
    act_as_present: bool


# ---------------------------------------------------------------- helpers

def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _only(parent: etree._Element, tag: str) -> etree._Element | None:
    return at_most_one(parent, tag, lambda count: _repeated(tag, count))


def _repeated(tag: str, count: int) -> InvalidRequestError:
    return InvalidRequestError(
        f"The request has {count} {etree.QName(tag).localname} elements in one place; "
        "send it once.")


def _b64(text: str | None, what: str) -> bytes:
    return decode_base64(text, what, InvalidRequestError)


def _bool(value: str, what: str) -> bool:
    text = value.strip()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise InvalidRequestError(f"The {what} {text[:40]!r} is not a boolean; use true or false.")


def _datetime(element: etree._Element, what: str) -> datetime:
    try:
        return parse_xs_datetime(element.text or "")
    except ValueError as exc:
        raise InvalidRequestError(
            f"The {what} {(element.text or '').strip()[:40]!r} cannot be read as an xs:dateTime: "
            f"{exc}."
        ) from exc


_VERSION_OF_NAMESPACE = {version.namespace: version for version in TrustVersion}
_RST_VERSIONS = {f"{{{version.namespace}}}RequestSecurityToken": version
                 for version in TrustVersion}
_APPLIES_TO_TAGS = tuple(f"{{{wsp}}}AppliesTo" for wsp in _WSP_NAMESPACES)
# For each WS-Addressing version: the EndpointReference and Address tags.
_ADDRESS_TAGS = tuple((f"{{{wsa}}}EndpointReference", f"{{{wsa}}}Address")
                      for wsa in _WSA_NAMESPACES)


def _version_of(element: etree._Element) -> TrustVersion | None:
    return _VERSION_OF_NAMESPACE.get(etree.QName(element).namespace or "")


def _address(container: etree._Element) -> str | None:
    """The address in a wsp:AppliesTo: an EndpointReference/Address or a bare Address."""
    for reference_tag, address_tag in _ADDRESS_TAGS:
        for reference in container.iterchildren(reference_tag):
            found = next(reference.iterchildren(address_tag), None)
            if found is not None:
                return _text(found)
        found = next(container.iterchildren(address_tag), None)
        if found is not None:
            return _text(found)
    return None


def _find_applies_to(parent: etree._Element | ChildIndex) -> etree._Element | None:
    children = parent if isinstance(parent, ChildIndex) else ChildIndex(parent, _repeated)
    found = children.all(*_APPLIES_TO_TAGS)
    if len(found) > 1:
        raise InvalidRequestError("The request has more than one wsp:AppliesTo; send one.")
    return found[0] if found else None


# ---------------------------------------------------------------- parsing requests

def parse_request(body: etree._Element, *, action: str | None = None) -> SecurityTokenRequest:
    """Read a wst:RequestSecurityToken (2005/02 or 1.3); ``action`` is the message's action."""
    version = _RST_VERSIONS.get(body.tag)
    if version is None:
        raise InvalidRequestError(
            f"The SOAP Body holds {body.tag}, not a WS-Trust RequestSecurityToken; send a "
            f"wst:RequestSecurityToken in the WS-Trust 1.3 ({ns.WST_13}) or February 2005 "
            f"({ns.WST_2005}) namespace."
        )
    wst = f"{{{version.namespace}}}"
    children = ChildIndex(body, _repeated)
    request_type = _parse_request_type(children.only(f"{wst}RequestType"), version)
    _check_action(action, version, request_type)

    secondary_el = children.only(f"{wst}SecondaryParameters")
    secondary = ChildIndex(secondary_el, _repeated) if secondary_el is not None else None

    def primary_or_secondary(local: str) -> etree._Element | None:
        element = children.only(f"{wst}{local}")
        if element is None and secondary is not None:
            element = secondary.only(f"{wst}{local}")
        return element

    token_type_el = primary_or_secondary("TokenType")
    token_type = (TokenType.from_uri(_text(token_type_el), version)
                  if token_type_el is not None else None)
    key_type_el = primary_or_secondary("KeyType")
    key_type = _parse_key_type(_text(key_type_el), version) if key_type_el is not None else None
    claims_el = primary_or_secondary("Claims")
    claims_dialect, claims = (_parse_claims(claims_el, version)
                              if claims_el is not None else (None, ()))

    lifetime_created = lifetime_expires = None
    lifetime = children.only(f"{wst}Lifetime")
    if lifetime is not None:
        created_el = _only(lifetime, f"{{{ns.WSU}}}Created")
        expires_el = _only(lifetime, f"{{{ns.WSU}}}Expires")
        if created_el is not None:
            lifetime_created = _datetime(created_el, "Lifetime's wsu:Created")
        if expires_el is not None:
            lifetime_expires = _datetime(expires_el, "Lifetime's wsu:Expires")

    key_size = None
    key_size_el = children.only(f"{wst}KeySize")
    if key_size_el is not None:
        key_size = _parse_key_size(_text(key_size_el))

    use_key_el = children.only(f"{wst}UseKey")
    target = None
    target_name = _TARGETS.get(request_type.value)
    if target_name is not None:
        target_el = children.only(f"{wst}{target_name}")
        if target_el is not None:
            target = next(target_el.iterchildren(etree.Element), None)

    renewing = None
    renewing_el = children.only(f"{wst}Renewing")
    if renewing_el is not None:
        allow, ok = renewing_el.get("Allow"), renewing_el.get("OK")
        renewing = Renewing(
            allow=_bool(allow, "Renewing Allow") if allow is not None else True,
            ok=_bool(ok, "Renewing OK") if ok is not None else False,
        )

    applies_to_el = _find_applies_to(children)
    computed_el = children.only(f"{wst}ComputedKeyAlgorithm")
    return SecurityTokenRequest(
        version=version,
        request_type=request_type,
        context=body.get("Context"),
        token_type=token_type,
        key_type=key_type,
        applies_to=_parse_applies_to(applies_to_el) if applies_to_el is not None else None,
        lifetime_created=lifetime_created,
        lifetime_expires=lifetime_expires,
        claims_dialect=claims_dialect,
        claims=claims,
        client_entropy=_parse_entropy(children.only(f"{wst}Entropy"), version),
        computed_key_algorithm=_text(computed_el) or None if computed_el is not None else None,
        key_size=key_size,
        use_key_certificate=_use_key_certificate(use_key_el) if use_key_el is not None else None,
        use_key_present=use_key_el is not None,
        target=target,
        renewing=renewing,
        act_as_present=children.has(f"{{{ns.WST_14}}}ActAs"),
    )


def _parse_request_type(element: etree._Element | None, version: TrustVersion) -> RequestType:
    if element is None:
        raise InvalidRequestError(
            f"The request has no wst:RequestType; send one of {_supported_request_types(version)}."
        )
    value = _text(element)
    request_type = _REQUEST_TYPES[version].get(value)
    if request_type is None:
        raise InvalidRequestError(
            f"The RequestType {value[:200]!r} is not supported; send one of "
            f"{_supported_request_types(version)}."
        )
    return request_type


def _supported_request_types(version: TrustVersion) -> str:
    return ", ".join(_REQUEST_TYPES[version])


def _check_action(action: str | None, version: TrustVersion, request_type: RequestType) -> None:
    if action is None or not action.strip():
        return
    action = action.strip()
    named = _REQUEST_ACTIONS.get(action)
    if named == (version, request_type):
        return
    expected = request_action(version, request_type)
    if named is not None:
        raise InvalidRequestError(
            f"The action {action!r} contradicts the body's RequestType "
            f"{request_type_uri(version, request_type)!r}; send the action {expected}."
        )
    raise InvalidRequestError(
        f"The action {action[:200]!r} is not a WS-Trust request action; send {expected} for "
        "this request."
    )


def _parse_key_type(value: str, version: TrustVersion) -> KeyType:
    key_type = _KEY_TYPES[version].get(value)
    if key_type is not None:
        return key_type
    if value in (ns.IDENTITY_NO_PROOF_KEY, f"{ns.WST_2005}/Bearer"):
        return KeyType.BEARER
    supported = ", ".join([*_KEY_TYPES[version], ns.IDENTITY_NO_PROOF_KEY])
    raise InvalidRequestError(
        f"The KeyType {value[:200]!r} is not supported; send one of {supported}."
    )


def _parse_claims(element: etree._Element,
                  version: TrustVersion) -> tuple[str | None, tuple[ClaimRequest, ...]]:
    # WSO2's Rahas client writes the Dialect attribute in the WS-Trust namespace.
    dialect = element.get("Dialect")
    if dialect is None:
        dialect = element.get(f"{{{version.namespace}}}Dialect")
    if dialect is not None:
        dialect = dialect.strip()
        if dialect not in _CLAIM_DIALECTS:
            raise InvalidRequestError(
                f"The Claims dialect {dialect[:200]!r} is not supported; use {ns.WSO2_CLAIMS} or "
                f"{ns.WSID}."
            )
    claims = []
    for child in _children(element):
        if etree.QName(child).localname != "ClaimType":
            continue
        uri = (child.get("Uri") or "").strip()
        if not uri:
            raise InvalidRequestError(
                "A ClaimType in wst:Claims has no Uri; name each requested claim in its Uri "
                "attribute."
            )
        optional = child.get("Optional")
        claims.append(ClaimRequest(
            uri, _bool(optional, "ClaimType Optional") if optional is not None else False
        ))
    return dialect, tuple(claims)


def _parse_applies_to(element: etree._Element) -> str:
    address = _address(element)
    if not address:
        raise InvalidRequestError(
            "The wsp:AppliesTo holds no wsa:EndpointReference/wsa:Address; put the relying "
            "party's address there."
        )
    if len(address) > MAX_APPLIES_TO_LENGTH:
        raise InvalidRequestError(
            f"The AppliesTo address is longer than {MAX_APPLIES_TO_LENGTH} characters; use the "
            "relying party's registered address."
        )
    return address


def _parse_key_size(value: str) -> int:
    try:
        size = int(value, 10)
    except ValueError as exc:
        raise InvalidRequestError(
            f"The KeySize {value[:40]!r} is not a number; send the key size in bits, e.g. 256."
        ) from exc
    if not 0 < size <= MAX_KEY_SIZE:
        raise InvalidRequestError(
            f"The KeySize {size} is out of range; send a size in bits between 1 and "
            f"{MAX_KEY_SIZE}, e.g. 256."
        )
    return size


def _parse_entropy(element: etree._Element | None, version: TrustVersion) -> bytes | None:
    if element is None:
        return None
    secret = _only(element, f"{{{version.namespace}}}BinarySecret")
    if secret is None:
        raise InvalidRequestError(
            "The wst:Entropy holds no wst:BinarySecret; send the client entropy as a base64 "
            "wst:BinarySecret (encrypted entropy is not supported)."
        )
    if len(secret.text or "") > MAX_ENTROPY_BYTES * 2:
        raise InvalidRequestError(
            f"The client entropy is longer than {MAX_ENTROPY_BYTES} bytes; send at most "
            f"{MAX_ENTROPY_BYTES} bytes (32 are plenty)."
        )
    value = _b64(secret.text, "wst:Entropy BinarySecret")
    if len(value) > MAX_ENTROPY_BYTES:
        raise InvalidRequestError(
            f"The client entropy is longer than {MAX_ENTROPY_BYTES} bytes; send at most "
            f"{MAX_ENTROPY_BYTES} bytes (32 are plenty)."
        )
    if not value:
        raise InvalidRequestError("The client entropy is empty; send random bytes, e.g. 32.")
    return value


def _use_key_certificate(element: etree._Element) -> bytes | None:
    """The DER certificate inside UseKey, or None when it is absent or unreadable."""
    candidates = [
        element.find(f"{{{ns.WSSE}}}BinarySecurityToken"),
        element.find(f"{{{ns.DS}}}KeyInfo/{{{ns.DS}}}X509Data/{{{ns.DS}}}X509Certificate"),
        element.find(f"{{{ns.DS}}}X509Data/{{{ns.DS}}}X509Certificate"),
    ]
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            return _b64(candidate.text, "UseKey certificate") or None
        except InvalidRequestError:
            return None
    return None


# ---------------------------------------------------------------- responses (server side)

@dataclass(frozen=True)
class BinarySecretProof:
    key: bytes

    def __repr__(self) -> str:
        return "BinarySecretProof(key=<hidden>)"


@dataclass(frozen=True)
class ComputedKeyProof:
    issuer_entropy: bytes

    def __repr__(self) -> str:
        return "ComputedKeyProof(issuer_entropy=<hidden>)"


@dataclass(frozen=True)
class EncryptedKeyProof:
    encrypted_key: etree._Element


Proof = BinarySecretProof | ComputedKeyProof | EncryptedKeyProof


@dataclass(frozen=True)
class IssuedToken:
    """What the STS issued, for the RSTR (``rstr.build_issue_response``).

    ``token`` is the token as the STS wrote it: UTF-8 text, no XML declaration, declaring every
    namespace it uses (a signed assertion, or its EncryptedAssertion or EncryptedData).
    """

    token: bytes
    token_type: TokenType
    token_id: str
    applies_to: str | None
    created: datetime
    expires: datetime
    proof: Proof | None = None
    key_size: int | None = None


def trust_element(parent: etree._Element, version: TrustVersion, local: str,
                  text: str | None = None) -> etree._Element:
    """A child of ``parent`` in ``version``'s namespace, with ``text`` if given."""
    element = etree.SubElement(parent, f"{{{version.namespace}}}{local}")
    if text is not None:
        element.text = text
    return element


# Elements a request (build_request) and a response (core/rstr.py) write alike.

def applies_to_element(parent: etree._Element, address: str, wsa: str) -> etree._Element:
    """A wsp:AppliesTo naming ``address`` under ``parent``; returns its wsa:Address."""
    applies = etree.SubElement(parent, f"{{{ns.WSP_2004}}}AppliesTo",
                               nsmap={"wsp": ns.WSP_2004})
    epr = etree.SubElement(applies, f"{{{wsa}}}EndpointReference", nsmap={"wsa": wsa})
    address_el = etree.SubElement(epr, f"{{{wsa}}}Address")
    address_el.text = address
    return address_el


def lifetime_elements(parent: etree._Element, version: TrustVersion, created: datetime,
                      expires: datetime) -> tuple[etree._Element, etree._Element]:
    """A wst:Lifetime under ``parent``; returns its wsu:Created and wsu:Expires."""
    lifetime = trust_element(parent, version, "Lifetime")
    created_el = etree.SubElement(lifetime, f"{{{ns.WSU}}}Created", nsmap={"wsu": ns.WSU})
    created_el.text = format_xs_datetime(created)
    expires_el = etree.SubElement(lifetime, f"{{{ns.WSU}}}Expires", nsmap={"wsu": ns.WSU})
    expires_el.text = format_xs_datetime(expires)
    return created_el, expires_el


def binary_secret_element(parent: etree._Element, version: TrustVersion, value: bytes,
                          kind: str) -> etree._Element:
    """A wst:BinarySecret of type ``kind`` (SymmetricKey, Nonce) holding ``value``."""
    secret = trust_element(parent, version, "BinarySecret", base64.b64encode(value).decode("ascii"))
    secret.set("Type", f"{version.namespace}/{kind}")
    return secret


# ---------------------------------------------------------------- client side

def build_request(version: TrustVersion, request_type: RequestType, *,
                  token_type: str | None = None, key_type: KeyType | str | None = None,
                  applies_to: str | None = None, addressing_namespace: str = ns.WSA_2005,
                  claims: Sequence[ClaimRequest] = (), claims_dialect: str | None = None,
                  dialect_in_trust_namespace: bool = False, lifetime_seconds: int | None = None,
                  now: datetime | None = None, client_entropy: bytes | None = None,
                  key_size: int | None = None, use_key_certificate: bytes | None = None,
                  target: etree._Element | None = None, renewing: Renewing | None = None,
                  context: str | None = None) -> etree._Element:
    """A wst:RequestSecurityToken as a client sends it.

    With claims and no ``claims_dialect`` the identity dialect is used. ``target`` is copied
    into the Validate/Renew/Cancel target element; ``dialect_in_trust_namespace`` writes the
    Claims Dialect attribute the way WSO2's Rahas client does.
    """
    wst = version.namespace
    rst = etree.Element(f"{{{wst}}}RequestSecurityToken", nsmap={"wst": wst})
    if context is not None:
        rst.set("Context", context)
    if token_type is not None:
        trust_element(rst, version, "TokenType", token_type)
    trust_element(rst, version, "RequestType", request_type_uri(version, request_type))
    if applies_to is not None:
        applies_to_element(rst, applies_to, addressing_namespace)
    if claims or claims_dialect is not None:
        claims_el = trust_element(rst, version, "Claims")
        dialect = claims_dialect or ns.WSID
        claims_el.set(f"{{{wst}}}Dialect" if dialect_in_trust_namespace else "Dialect", dialect)
        for claim in claims:
            claim_el = etree.SubElement(claims_el, f"{{{ns.WSID}}}ClaimType",
                                        nsmap={"wsid": ns.WSID})
            claim_el.set("Uri", claim.uri)
            if claim.optional:
                claim_el.set("Optional", "true")
    if client_entropy is not None:
        binary_secret_element(trust_element(rst, version, "Entropy"), version, client_entropy,
                              "Nonce")
    if lifetime_seconds is not None:
        start = now if now is not None else datetime.now(UTC)
        lifetime_elements(rst, version, start, start + timedelta(seconds=lifetime_seconds))
    if renewing is not None:
        renewing_el = trust_element(rst, version, "Renewing")
        renewing_el.set("Allow", "true" if renewing.allow else "false")
        renewing_el.set("OK", "true" if renewing.ok else "false")
    if key_type is not None:
        uri = key_type_uri(version, key_type) if isinstance(key_type, KeyType) else key_type
        trust_element(rst, version, "KeyType", uri)
    if key_size is not None:
        trust_element(rst, version, "KeySize", str(key_size))
    if client_entropy is not None:
        trust_element(rst, version, "ComputedKeyAlgorithm", computed_key_psha1_uri(version))
    if use_key_certificate is not None:
        use_key = trust_element(rst, version, "UseKey")
        bst = etree.SubElement(use_key, f"{{{ns.WSSE}}}BinarySecurityToken",
                               nsmap={"wsse": ns.WSSE})
        bst.set("ValueType", ns.X509V3)
        bst.set("EncodingType", ns.BASE64_BINARY)
        bst.text = base64.b64encode(use_key_certificate).decode("ascii")
    if target is not None:
        target_name = _TARGETS.get(request_type.value)
        if target_name is None:
            raise InvalidRequestError(
                "An Issue request has no target token; pass a target only to Validate, Renew "
                "or Cancel."
            )
        trust_element(rst, version, target_name).append(copy.deepcopy(target))
    return rst


@dataclass(frozen=True)
class TrustResponse:
    """What a client reads from an RSTR."""

    version: TrustVersion
    token: etree._Element | None
    token_type: str | None
    attached_reference: str | None
    unattached_reference: str | None
    applies_to: str | None
    created: datetime | None
    expires: datetime | None
    proof_secret: bytes | None
    computed_key_algorithm: str | None
    issuer_entropy: bytes | None
    proof_encrypted_key: etree._Element | None
    key_size: int | None
    status_code: str | None
    status_reason: str | None
    cancelled: bool

    def __repr__(self) -> str:  # the proof secret and entropy stay out of logs
        return (f"TrustResponse(version={self.version.name}, token_type={self.token_type!r}, "
                f"attached_reference={self.attached_reference!r}, applies_to={self.applies_to!r}, "
                f"created={self.created!r}, expires={self.expires!r}, "
                f"status_code={self.status_code!r}, cancelled={self.cancelled})")


def _reference_text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    key_id = element.find(f".//{{{ns.WSSE}}}KeyIdentifier")
    if key_id is not None:
        return _text(key_id) or None
    reference = element.find(f".//{{{ns.WSSE}}}Reference")
    if reference is not None:
        return (reference.get("URI") or "").strip() or None
    return None


def parse_response(body: etree._Element) -> TrustResponse:
    """Read an RSTR, or the first RSTR of an RSTR collection, in either WS-Trust version."""
    version = _version_of(body)
    local = etree.QName(body).localname
    rstr = None
    if version is not None and local == "RequestSecurityTokenResponseCollection":
        rstr = body.find(f"{{{version.namespace}}}RequestSecurityTokenResponse")
    elif version is not None and local == "RequestSecurityTokenResponse":
        rstr = body
    if version is None or rstr is None:
        raise RequestFailedError(
            f"The STS answered with {body.tag}, not a WS-Trust RequestSecurityTokenResponse; "
            "check the STS address and the WS-Trust version."
        )
    wst = f"{{{version.namespace}}}"

    def child(path: str) -> etree._Element | None:
        return rstr.find(path)

    token_holder = child(f"{wst}RequestedSecurityToken")
    token = None
    if token_holder is not None:
        token_children = _children(token_holder)
        token = token_children[0] if token_children else None
    lifetime = child(f"{wst}Lifetime")
    created = expires = None
    if lifetime is not None:
        created_el = lifetime.find(f"{{{ns.WSU}}}Created")
        expires_el = lifetime.find(f"{{{ns.WSU}}}Expires")
        created = _datetime(created_el, "Lifetime's Created") if created_el is not None else None
        expires = _datetime(expires_el, "Lifetime's Expires") if expires_el is not None else None
    proof = child(f"{wst}RequestedProofToken")
    proof_secret_el = proof.find(f"{wst}BinarySecret") if proof is not None else None
    computed_el = proof.find(f"{wst}ComputedKey") if proof is not None else None
    encrypted_key = proof.find(f"{{{ns.XENC}}}EncryptedKey") if proof is not None else None
    entropy_el = child(f"{wst}Entropy/{wst}BinarySecret")
    key_size_el = child(f"{wst}KeySize")
    applies_to_el = _find_applies_to(rstr)
    return TrustResponse(
        version=version,
        token=token,
        token_type=_text(child(f"{wst}TokenType")) or None,
        attached_reference=_reference_text(child(f"{wst}RequestedAttachedReference")),
        unattached_reference=_reference_text(child(f"{wst}RequestedUnattachedReference")),
        applies_to=_address(applies_to_el) if applies_to_el is not None else None,
        created=created,
        expires=expires,
        proof_secret=(_b64(proof_secret_el.text, "proof BinarySecret")
                      if proof_secret_el is not None else None),
        computed_key_algorithm=_text(computed_el) or None,
        issuer_entropy=_b64(entropy_el.text, "issuer entropy") if entropy_el is not None else None,
        proof_encrypted_key=encrypted_key,
        key_size=_parse_key_size(_text(key_size_el)) if key_size_el is not None else None,
        status_code=_text(child(f"{wst}Status/{wst}Code")) or None,
        status_reason=_text(child(f"{wst}Status/{wst}Reason")) or None,
        cancelled=child(f"{wst}RequestedTokenCancelled") is not None,
    )
