"""Reading what a person pastes or opens into the SAML token it holds, whatever its wrapping."""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
import zlib
from dataclasses import dataclass
from enum import StrEnum

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, StsError
from stsdesk.core.soap import parse_fault
from stsdesk.core.wstrust import TrustResponse, parse_response
from stsdesk.core.xmlparse import DEFAULT_LIMITS, XmlLimits, parse_xml

__all__ = [
    "InputEncoding", "TokenForm", "ExtractedToken", "extract_token", "MAX_INPUT_BYTES",
    "MAX_INFLATED_BYTES",
]

# Pasted text may be base64 of a document close to the XML limit (4/3 larger) plus line breaks.
MAX_INPUT_BYTES = 2 * DEFAULT_LIMITS.max_bytes
# A deflated token is inflated at most this far, so a compression bomb costs nothing.
MAX_INFLATED_BYTES = DEFAULT_LIMITS.max_bytes

_BASE64_TEXT = re.compile(r"^[A-Za-z0-9+/_\-=\s]+$")
_ASSERTIONS = {f"{{{ns.SAML2}}}Assertion", f"{{{ns.SAML11}}}Assertion"}
_ENCRYPTED_ASSERTION = f"{{{ns.SAML2}}}EncryptedAssertion"
_ENCRYPTED_DATA = f"{{{ns.XENC}}}EncryptedData"
_ENVELOPES = {f"{{{ns.SOAP11}}}Envelope": "SOAP 1.1", f"{{{ns.SOAP12}}}Envelope": "SOAP 1.2"}
_TRUST_NAMESPACES = (ns.WST_13, ns.WST_2005)
_SAMLP_RESPONSES = {f"{{{ns.SAML2P}}}Response", f"{{{ns.SAML11P}}}Response"}


class InputEncoding(StrEnum):
    """How the token was written in what the person gave."""

    XML = "xml"
    BASE64 = "base64"
    BASE64_DEFLATE = "base64+deflate"


class TokenForm(StrEnum):
    """What the token element is."""

    SAML11_ASSERTION = "SAML 1.1 assertion"
    SAML20_ASSERTION = "SAML 2.0 assertion"
    ENCRYPTED_ASSERTION = "SAML 2.0 EncryptedAssertion"
    ENCRYPTED_DATA = "xenc:EncryptedData"

    @property
    def encrypted(self) -> bool:
        return self in (TokenForm.ENCRYPTED_ASSERTION, TokenForm.ENCRYPTED_DATA)


@dataclass(frozen=True)
class ExtractedToken:
    """The token found in the input, with where it was found.

    ``element`` stays inside its parsed document (``document``), so signature checks can see
    every ID in the message. ``response`` is the RSTR around the token, when there was one.
    """

    element: etree._Element
    form: TokenForm
    encoding: InputEncoding
    container: str  # "assertion", "RSTR", "RSTR collection", "SOAP 1.2 envelope, RSTR", ...
    document: etree._Element
    response: TrustResponse | None = None

    @property
    def encrypted(self) -> bool:
        return self.form.encrypted


def extract_token(data: bytes | str, *, limits: XmlLimits = DEFAULT_LIMITS) -> ExtractedToken:
    """Find the SAML token in ``data``: XML, base64 of XML, or base64 of raw-deflated XML.

    Accepts a SAML 1.1/2.0 Assertion, a saml2:EncryptedAssertion, an xenc:EncryptedData, an
    RSTR or RSTR collection (either WS-Trust version), a SOAP 1.1/1.2 envelope around one, and a
    SAML protocol Response. Raises :class:`InvalidRequestError` saying what was found instead.
    """
    raw = _as_bytes(data)
    xml, encoding = _decode(raw)
    try:
        root = parse_xml(xml, limits)
    except StsError as exc:
        raise InvalidRequestError(f"This is not a SAML token: {exc.message}") from exc
    element, container, response = _locate(root)
    return ExtractedToken(
        element=element,
        form=_form_of(element),
        encoding=encoding,
        container=container,
        document=root,
        response=response,
    )


def _as_bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not isinstance(data, bytes | bytearray):
        raise InvalidRequestError("This is not a SAML token: give the token as text or bytes.")
    data = bytes(data)
    if len(data) > MAX_INPUT_BYTES:
        raise InvalidRequestError(
            f"This is not a SAML token: the input is {len(data)} bytes, more than the "
            f"{MAX_INPUT_BYTES} a token can take. Give only the token or its response."
        )
    data = data.removeprefix(b"\xef\xbb\xbf").strip()
    if not data:
        raise InvalidRequestError(
            "This is not a SAML token: the input is empty. Paste a SAML assertion, an RSTR or a "
            "SOAP envelope, as XML or base64."
        )
    return data


def _looks_like_xml(data: bytes) -> bool:
    return data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<")


def _decode(data: bytes) -> tuple[bytes, InputEncoding]:
    if _looks_like_xml(data):
        return data, InputEncoding.XML
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise InvalidRequestError(
            "This is not a SAML token: the input is neither XML nor base64 text. Paste the token "
            "as XML, or its base64 form as SAML-tracer shows it."
        ) from None
    if "%" in text:  # an HTTP-Redirect parameter copied still URL-encoded
        text = urllib.parse.unquote(text)
    if not _BASE64_TEXT.match(text):
        raise InvalidRequestError(
            "This is not a SAML token: the input is neither XML nor base64 (it starts with "
            f"{text[:20]!r}). Paste the token as XML, or its base64 form."
        )
    decoded = _base64(text)
    if _looks_like_xml(decoded):
        return decoded, InputEncoding.BASE64
    inflated = _inflate(decoded)
    if inflated is not None and _looks_like_xml(inflated):
        return inflated, InputEncoding.BASE64_DEFLATE
    raise InvalidRequestError(
        "This is not a SAML token: the base64 text decodes neither to XML nor to deflated XML. "
        "Check that the whole value was copied."
    )


def _base64(text: str) -> bytes:
    compact = "".join(text.split())
    if "-" in compact or "_" in compact:
        compact = compact.replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequestError(
            "This is not a SAML token: the text looks like base64 but does not decode. Check "
            "that the whole value was copied."
        ) from exc


def _inflate(data: bytes) -> bytes | None:
    # Raw deflate (RFC 1951) as the SAML HTTP-Redirect binding uses, else a zlib stream.
    for wbits in (-zlib.MAX_WBITS, zlib.MAX_WBITS):
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(data, MAX_INFLATED_BYTES + 1)
        except zlib.error:
            continue
        if len(out) > MAX_INFLATED_BYTES or inflater.unconsumed_tail:
            raise InvalidRequestError(
                f"This is not a SAML token: the deflated data inflates to more than "
                f"{MAX_INFLATED_BYTES} bytes, far more than any token."
            )
        return out
    return None


def _children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _is_token(element: etree._Element) -> bool:
    return element.tag in _ASSERTIONS or element.tag in (_ENCRYPTED_ASSERTION, _ENCRYPTED_DATA)


def _locate(root: etree._Element) -> tuple[etree._Element, str, TrustResponse | None]:
    if _is_token(root):
        return root, "token", None
    container = ""
    body_element = root
    if root.tag in _ENVELOPES:
        soap = etree.QName(root).namespace
        body = root.find(f"{{{soap}}}Body")
        children = _children(body) if body is not None else []
        if not children:
            raise InvalidRequestError(
                f"This is not a SAML token: the {_ENVELOPES[root.tag]} envelope has an empty "
                "Body. Paste the STS's response that carries the token."
            )
        body_element = children[0]
        if etree.QName(body_element).localname == "Fault":
            raise InvalidRequestError(
                f"This is not a SAML token: the {_ENVELOPES[root.tag]} envelope holds a SOAP "
                f"fault ({_fault_text(body_element)}). The STS refused the request."
            )
        container = f"{_ENVELOPES[root.tag]} envelope, "
        if _is_token(body_element):
            return body_element, container.rstrip(", "), None
    name = etree.QName(body_element)
    if name.namespace in _TRUST_NAMESPACES and name.localname in (
        "RequestSecurityTokenResponse", "RequestSecurityTokenResponseCollection"
    ):
        return _from_response(body_element, container)
    if body_element.tag in _SAMLP_RESPONSES:
        for child in _children(body_element):
            if _is_token(child):
                return child, f"{container}SAML {_protocol_version(body_element)} Response", None
        raise InvalidRequestError(
            "This is not a SAML token: the SAML protocol Response carries no Assertion or "
            "EncryptedAssertion (did the login fail?)."
        )
    raise InvalidRequestError(
        f"This is not a SAML token: the XML holds {_describe(body_element)}. Paste a SAML 1.1 or "
        "2.0 Assertion, an EncryptedAssertion, an RSTR or the SOAP envelope around one."
    )


def _from_response(
    element: etree._Element, container: str
) -> tuple[etree._Element, str, TrustResponse | None]:
    collection = etree.QName(element).localname.endswith("Collection")
    try:
        response = parse_response(element)
    except StsError as exc:
        raise InvalidRequestError(
            f"This is not a SAML token: the WS-Trust response cannot be read ({exc.message})"
        ) from exc
    if response.token is None:
        what = "a Validate status" if response.status_code else (
            "a cancellation" if response.cancelled else "no RequestedSecurityToken"
        )
        raise InvalidRequestError(
            f"This is not a SAML token: the WS-Trust response holds {what}, not a token. Paste "
            "the response to an Issue or Renew request."
        )
    if not _is_token(response.token):
        raise InvalidRequestError(
            f"This is not a SAML token: the RequestedSecurityToken holds "
            f"{_describe(response.token)}; only SAML 1.1 and 2.0 tokens can be inspected."
        )
    name = "RSTR collection" if collection else "RSTR"
    return response.token, f"{container}{name}", response


def _form_of(element: etree._Element) -> TokenForm:
    if element.tag == f"{{{ns.SAML2}}}Assertion":
        return TokenForm.SAML20_ASSERTION
    if element.tag == f"{{{ns.SAML11}}}Assertion":
        return TokenForm.SAML11_ASSERTION
    if element.tag == _ENCRYPTED_ASSERTION:
        return TokenForm.ENCRYPTED_ASSERTION
    return TokenForm.ENCRYPTED_DATA


def _protocol_version(element: etree._Element) -> str:
    return "2.0" if etree.QName(element).namespace == ns.SAML2P else "1.1"


def _describe(element: etree._Element) -> str:
    name = etree.QName(element)
    where = f" in the namespace {name.namespace}" if name.namespace else " (no namespace)"
    return f"a {name.localname} element{where}"[:200]


def _fault_text(fault: etree._Element) -> str:
    try:
        code, reason = parse_fault(fault)
    except StsError:
        text = " ".join("".join(fault.itertext()).split())
        return text[:200] or "no reason given"
    return f"{etree.QName(code).localname}: {reason[:200]}"
