"""WS-Trust RequestSecurityTokenResponses as the STS writes them: Issue, Renew, Validate, Cancel.

An issue response is the same tree for every token of one shape (WS-Trust version, token type,
which optional parts it has); only the token, its id, the AppliesTo address, the proof and the
lifetime differ. It is copied from a skeleton built once per shape and filled in: building it
element by element cost about as much as the rest of the answer's XML together.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from stsdesk.core import ns
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
from stsdesk.core.xmlskeletons import fresh_copy
from stsdesk.core.xsdatetime import format_xs_datetime

__all__ = ["build_issue_response", "build_validate_response", "build_cancel_response"]


def build_issue_response(version: TrustVersion, issued: IssuedToken, *, context: str | None,
                         request_type: RequestType = RequestType.ISSUE) -> etree._Element:
    """The RSTR (1.3 Issue: inside an RSTR collection) carrying an issued or renewed token.

    ``issued.token`` (and an EncryptedKey proof) is moved into the RSTR, not copied: an lxml
    element has one parent, and copying the token cost more than filling in the whole RSTR.
    The caller gives them up with ``issued``; whoever still needs the token passes a copy.
    """
    if issued.token_type is TokenType.STATUS:
        raise ValueError("an issued token must be SAML 1.1 or 2.0, not the Status type")
    shape = _IssueShape.of(version, issued, request_type)
    root = fresh_copy(shape, functools.partial(_issue_skeleton, shape))
    slots = _issue_slots(shape)
    nodes = list(root.iter())
    if context is not None:
        nodes[slots.rstr].set("Context", context)
    nodes[slots.token].append(issued.token)
    for position in slots.references:
        nodes[position].text = issued.token_id
    if slots.address is not None:
        nodes[slots.address].text = issued.applies_to
    if slots.proof is not None:
        _fill_proof(nodes[slots.proof], issued.proof)
    nodes[slots.created].text = format_xs_datetime(issued.created)
    nodes[slots.expires].text = format_xs_datetime(issued.expires)
    if slots.key_size is not None:
        nodes[slots.key_size].text = str(issued.key_size)
    return root


def build_validate_response(version: TrustVersion, *, valid: bool, reason: str,
                            context: str | None) -> etree._Element:
    """The RSTR of a Validate: the Status token type with wst:Status Code and Reason."""
    rstr = _rstr(version, context)
    trust_element(rstr, version, "TokenType", token_type_uri(version, TokenType.STATUS))
    status = trust_element(rstr, version, "Status")
    trust_element(status, version, "Code",
                  f"{version.namespace}/status/{'valid' if valid else 'invalid'}")
    trust_element(status, version, "Reason", reason)
    return rstr


def build_cancel_response(version: TrustVersion, *, context: str | None) -> etree._Element:
    rstr = _rstr(version, context)
    trust_element(rstr, version, "RequestedTokenCancelled")
    return rstr


# ---------------------------------------------------------------- the issue response's skeleton

@dataclass(frozen=True)
class _IssueShape:
    """What an issue response's tree depends on; everything else is a value filled into it."""

    version: TrustVersion
    token_type: TokenType
    collection: bool
    applies_to: bool
    proof: type[Proof] | None
    key_size: bool

    @classmethod
    def of(cls, version: TrustVersion, issued: IssuedToken,
           request_type: RequestType) -> _IssueShape:
        return cls(
            version, issued.token_type,
            collection=version is TrustVersion.WST_13 and request_type is RequestType.ISSUE,
            applies_to=issued.applies_to is not None,
            proof=type(issued.proof) if issued.proof is not None else None,
            key_size=issued.key_size is not None,
        )


@dataclass(frozen=True)
class _IssueSlots:
    """Where a token's values go: positions in document order (``iter()``) in any copy of its
    shape's skeleton."""

    rstr: int
    token: int
    references: tuple[int, int]
    address: int | None
    proof: int | None  # the BinarySecret to fill, or the RequestedProofToken of an EncryptedKey
    created: int
    expires: int
    key_size: int | None


_UNSET = datetime(1970, 1, 1, tzinfo=UTC)  # a skeleton's lifetime, overwritten in every copy


def _issue_skeleton(shape: _IssueShape) -> etree._Element:
    return _issue_tree(shape)[0]


@functools.cache  # one entry per shape: a few dozen at most, and plain integers
def _issue_slots(shape: _IssueShape) -> _IssueSlots:
    return _issue_tree(shape)[1]


def _issue_tree(shape: _IssueShape) -> tuple[etree._Element, _IssueSlots]:
    """An issue response of ``shape`` with its values left empty, and where they go."""
    version = shape.version
    root = rstr = _rstr(version, None)
    if shape.collection:
        root = etree.Element(f"{{{version.namespace}}}RequestSecurityTokenResponseCollection",
                             nsmap={"wst": version.namespace})
        root.append(rstr)
    trust_element(rstr, version, "TokenType", token_type_uri(version, shape.token_type))
    token = trust_element(rstr, version, "RequestedSecurityToken")
    attached = _reference(trust_element(rstr, version, "RequestedAttachedReference"),
                          shape.token_type, version)
    unattached = _reference(trust_element(rstr, version, "RequestedUnattachedReference"),
                            shape.token_type, version)
    address = None
    if shape.applies_to:
        wsa = ns.WSA_2004 if version is TrustVersion.WST_2005 else ns.WSA_2005
        address = applies_to_element(rstr, "", wsa)
    proof = None
    if shape.proof is BinarySecretProof:
        proof = binary_secret_element(trust_element(rstr, version, "RequestedProofToken"),
                                      version, b"", "SymmetricKey")
    elif shape.proof is ComputedKeyProof:
        trust_element(trust_element(rstr, version, "RequestedProofToken"), version,
                      "ComputedKey", computed_key_psha1_uri(version))
        proof = binary_secret_element(trust_element(rstr, version, "Entropy"), version, b"",
                                      "Nonce")
    elif shape.proof is EncryptedKeyProof:
        proof = trust_element(rstr, version, "RequestedProofToken")
    created, expires = lifetime_elements(rstr, version, _UNSET, _UNSET)
    key_size = trust_element(rstr, version, "KeySize") if shape.key_size else None

    nodes = list(root.iter())

    def position(element: etree._Element | None) -> int | None:
        return None if element is None else nodes.index(element)

    slots = _IssueSlots(
        rstr=nodes.index(rstr), token=nodes.index(token),
        references=(nodes.index(attached), nodes.index(unattached)),
        address=position(address), proof=position(proof),
        created=nodes.index(created), expires=nodes.index(expires), key_size=position(key_size),
    )
    return root, slots


def _fill_proof(slot: etree._Element, proof: Proof | None) -> None:
    if isinstance(proof, BinarySecretProof):
        slot.text = base64.b64encode(proof.key).decode("ascii")
    elif isinstance(proof, ComputedKeyProof):
        slot.text = base64.b64encode(proof.issuer_entropy).decode("ascii")
    elif isinstance(proof, EncryptedKeyProof):
        slot.append(proof.encrypted_key)


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
