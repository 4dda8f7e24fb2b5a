"""WS-Trust RequestSecurityTokenResponses as the STS writes them: Issue, Renew, Validate, Cancel.

An issue response is the same XML for every token of one shape (WS-Trust version, token type,
which optional parts it has); only the token, its id, the AppliesTo address, the proof, the
lifetime and the request's Context differ. It is written from a text template made once per
shape (xmlskeletons.TextTemplate) with the token's text put in as it is: building the RSTR as a
tree around the token and serialising it cost about as much as the rest of the answer's XML.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.c14ntext import escape_attribute, escape_text
from stsdesk.core.tokentypes import TokenType
from stsdesk.core.wstrust import (
    BinarySecretProof,
    ComputedKeyProof,
    EncryptedKeyProof,
    IssuedToken,
    Proof,
    RequestType,
    TrustVersion,
    applies_to_element,
    binary_secret_element,
    computed_key_psha1_uri,
    lifetime_elements,
    token_type_uri,
    trust_element,
)
from stsdesk.core.xmlskeletons import TextTemplate, hole
from stsdesk.core.xsdatetime import format_xs_datetime

__all__ = ["build_issue_response", "build_validate_response", "build_cancel_response"]


def build_issue_response(version: TrustVersion, issued: IssuedToken, *, context: str | None,
                         request_type: RequestType = RequestType.ISSUE) -> bytes:
    """The RSTR (1.3 Issue: inside an RSTR collection) carrying an issued or renewed token, as
    UTF-8 text with no XML declaration. The token's own text goes in as it is.

    Raises InvalidRequestError when the AppliesTo address or Context holds a character XML
    cannot carry (neither can come from a request that was read as XML).
    """
    if issued.token_type is TokenType.STATUS:
        raise ValueError("an issued token must be SAML 1.1 or 2.0, not the Status type")
    shape = _IssueShape.of(version, issued, request_type, context is not None)
    template, slots = _issue_template(shape)
    token_id = escape_text(issued.token_id, "token id").encode()
    values: list[bytes] = [b""] * template.holes
    values[slots.token] = issued.token
    values[slots.references[0]] = values[slots.references[1]] = token_id
    if slots.context is not None and context is not None:
        values[slots.context] = escape_attribute(context, "request's Context").encode()
    if slots.address is not None and issued.applies_to is not None:
        values[slots.address] = escape_text(issued.applies_to, "AppliesTo address").encode()
    if slots.proof is not None:
        values[slots.proof] = _proof_text(issued.proof)
    values[slots.created] = format_xs_datetime(issued.created).encode()
    values[slots.expires] = format_xs_datetime(issued.expires).encode()
    if slots.key_size is not None:
        values[slots.key_size] = str(issued.key_size).encode()
    return template.fill(values)


def build_validate_response(version: TrustVersion, *, valid: bool, reason: str,
                            context: str | None) -> bytes:
    """The RSTR of a Validate, as UTF-8 text: the Status token type with wst:Status Code and
    Reason."""
    rstr = _rstr(version, context)
    trust_element(rstr, version, "TokenType", token_type_uri(version, TokenType.STATUS))
    status = trust_element(rstr, version, "Status")
    trust_element(status, version, "Code",
                  f"{version.namespace}/status/{'valid' if valid else 'invalid'}")
    trust_element(status, version, "Reason", reason)
    return etree.tostring(rstr, encoding="utf-8")


def build_cancel_response(version: TrustVersion, *, context: str | None) -> bytes:
    """The RSTR of a Cancel, as UTF-8 text."""
    rstr = _rstr(version, context)
    trust_element(rstr, version, "RequestedTokenCancelled")
    return etree.tostring(rstr, encoding="utf-8")


# ---------------------------------------------------------------- the issue response's skeleton

@dataclass(frozen=True)
class _IssueShape:
    """What an issue response's XML depends on; everything else is a value filled into it."""

    version: TrustVersion
    token_type: TokenType
    collection: bool
    context: bool
    applies_to: bool
    proof: type[Proof] | None
    key_size: bool

    @classmethod
    def of(cls, version: TrustVersion, issued: IssuedToken, request_type: RequestType,
           context: bool) -> _IssueShape:
        return cls(
            version, issued.token_type,
            collection=version is TrustVersion.WST_13 and request_type is RequestType.ISSUE,
            context=context,
            applies_to=issued.applies_to is not None,
            proof=type(issued.proof) if issued.proof is not None else None,
            key_size=issued.key_size is not None,
        )


@dataclass(frozen=True)
class _IssueSlots:
    """Which hole of its shape's template each of a token's values goes into."""

    token: int
    references: tuple[int, int]
    context: int | None
    address: int | None
    proof: int | None  # the BinarySecret's text, or the RequestedProofToken's EncryptedKey
    created: int
    expires: int
    key_size: int | None


@functools.cache  # one entry per shape: a few dozen at most
def _issue_template(shape: _IssueShape) -> tuple[TextTemplate, _IssueSlots]:
    """The issue response of ``shape`` as a template, and where a token's values go."""
    holes = iter(range(32))

    def place(element: etree._Element) -> int:
        number = next(holes)
        element.text = hole(number)
        return number

    version = shape.version
    root = rstr = _rstr(version, None)
    if shape.collection:
        root = etree.Element(f"{{{version.namespace}}}RequestSecurityTokenResponseCollection",
                             nsmap={"wst": version.namespace})
        root.append(rstr)
    context = None
    if shape.context:
        context = next(holes)
        rstr.set("Context", hole(context))
    trust_element(rstr, version, "TokenType", token_type_uri(version, shape.token_type))
    token = place(trust_element(rstr, version, "RequestedSecurityToken"))
    references = (
        place(_reference(trust_element(rstr, version, "RequestedAttachedReference"),
                         shape.token_type, version)),
        place(_reference(trust_element(rstr, version, "RequestedUnattachedReference"),
                         shape.token_type, version)),
    )
    address = None
    if shape.applies_to:
        wsa = ns.WSA_2004 if version is TrustVersion.WST_2005 else ns.WSA_2005
        address = place(applies_to_element(rstr, "", wsa))
    proof = None
    if shape.proof is BinarySecretProof:
        proof = place(binary_secret_element(trust_element(rstr, version, "RequestedProofToken"),
                                            version, b"", "SymmetricKey"))
    elif shape.proof is ComputedKeyProof:
        trust_element(trust_element(rstr, version, "RequestedProofToken"), version,
                      "ComputedKey", computed_key_psha1_uri(version))
        proof = place(binary_secret_element(trust_element(rstr, version, "Entropy"), version,
                                            b"", "Nonce"))
    elif shape.proof is EncryptedKeyProof:
        proof = place(trust_element(rstr, version, "RequestedProofToken"))
    created, expires = lifetime_elements(rstr, version, _UNSET, _UNSET)
    key_size = place(trust_element(rstr, version, "KeySize")) if shape.key_size else None
    slots = _IssueSlots(
        token=token, references=references, context=context, address=address, proof=proof,
        created=place(created), expires=place(expires), key_size=key_size,
    )
    return TextTemplate(root), slots


_UNSET = datetime(1970, 1, 1, tzinfo=UTC)  # a skeleton's lifetime, a hole in the template


def _proof_text(proof: Proof | None) -> bytes:
    if isinstance(proof, BinarySecretProof):
        return base64.b64encode(proof.key)
    if isinstance(proof, ComputedKeyProof):
        return base64.b64encode(proof.issuer_entropy)
    if isinstance(proof, EncryptedKeyProof):
        # Standalone, so it declares every namespace it uses (xenc, ds, wsse) itself.
        return etree.tostring(proof.encrypted_key, encoding="utf-8")
    raise ValueError("the shape has a proof but the token has none")  # pragma: no cover


# ---------------------------------------------------------------- elements

def _rstr(version: TrustVersion, context: str | None) -> etree._Element:
    rstr = etree.Element(f"{{{version.namespace}}}RequestSecurityTokenResponse",
                         nsmap={"wst": version.namespace})
    if context is not None:
        rstr.set("Context", context)
    return rstr


def _reference(parent: etree._Element, token_type: TokenType,
               version: TrustVersion) -> etree._Element:
    """A SecurityTokenReference to the issued assertion; its KeyIdentifier, to hold the id."""
    str_el = etree.SubElement(parent, f"{{{ns.WSSE}}}SecurityTokenReference",
                              nsmap={"wsse": ns.WSSE, "wsse11": ns.WSSE11})
    str_el.set(f"{{{ns.WSSE11}}}TokenType", token_type.uri(version))
    key_id = etree.SubElement(str_el, f"{{{ns.WSSE}}}KeyIdentifier")
    key_id.set("ValueType", ns.SAML2_ID if token_type is TokenType.SAML20
               else ns.SAML11_ASSERTION_ID)
    return key_id
