"""WS-SecureConversation 2005/02 (the version Rampart speaks): the requests that issue, renew,
amend and cancel a security context, the context's key, and the answers.

A client obtains a ``wsc:SecurityContextToken`` with an RST sent to the ``RST/SCT`` action under
the bootstrap policy, then protects its requests with the context's key (or keys derived from
it). Renew, Amend and Cancel are sent with their own actions under the SecureConversation
policy itself: only the holder of the context's key may change it. Sans-IO: elements in,
elements out; the server keeps the contexts.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.psha1 import computed_key
from stsdesk.core.xmlutil import decode_base64
from stsdesk.core.xsdatetime import format_xs_datetime

__all__ = [
    "ContextOperation", "ContextRequest", "ContextKey", "IssuedContext", "context_operation",
    "parse_context_request", "context_key", "build_context_response",
    "build_context_cancelled", "response_action", "MIN_CONTEXT_KEY_BITS",
]

_WST = f"{{{ns.WST_2005}}}"
_WSC = f"{{{ns.WSC_2005}}}"
_WSSE = f"{{{ns.WSSE}}}"
_WSU_ID = f"{{{ns.WSU}}}Id"
_CONTEXT_TOKENS = (f"{_WSC}SecurityContextToken", f"{{{ns.WSC_13}}}SecurityContextToken")
_MAX_ENTROPY_BYTES = 512
MIN_CONTEXT_KEY_BITS = 128  # below this a context key is refused, whatever the client asks
_MAX_CONTEXT_KEY_BITS = 512


class ContextOperation(StrEnum):
    ISSUE = "Issue"
    RENEW = "Renew"
    AMEND = "Amend"
    CANCEL = "Cancel"


_BY_ACTION = {
    ns.WSC_2005_ACTION_ISSUE: ContextOperation.ISSUE,
    ns.WSC_2005_ACTION_RENEW: ContextOperation.RENEW,
    ns.WSC_2005_ACTION_AMEND: ContextOperation.AMEND,
    ns.WSC_2005_ACTION_CANCEL: ContextOperation.CANCEL,
}
# The RequestType each operation's RST carries (WS-SecureConversation 2005/02 section 3-6;
# an Amend is an Issue request sent to the Amend action).
_REQUEST_TYPES = {
    ContextOperation.ISSUE: f"{ns.WST_2005}/Issue",
    ContextOperation.RENEW: f"{ns.WST_2005}/Renew",
    ContextOperation.AMEND: f"{ns.WST_2005}/Issue",
    ContextOperation.CANCEL: f"{ns.WST_2005}/Cancel",
}
_TARGETS = {ContextOperation.RENEW: "RenewTarget", ContextOperation.CANCEL: "CancelTarget"}


def context_operation(action: str | None) -> ContextOperation | None:
    """The context operation a message's action names, or None for any other request."""
    return _BY_ACTION.get((action or "").strip())


def response_action(operation: ContextOperation) -> str:
    """The answer's action: the request's with ``RST`` turned into ``RSTR``."""
    request = next(action for action, op in _BY_ACTION.items() if op is operation)
    return request.replace("/trust/RST/", "/trust/RSTR/")


@dataclass(frozen=True)
class ContextRequest:
    """An RST about a security context, read but not yet judged."""

    operation: ContextOperation
    context: str | None  # the RST's Context attribute, echoed in the answer
    client_entropy: bytes | None = field(repr=False)
    key_size: int | None  # bits
    target: str | None  # the wsc:Identifier a Renew or Cancel names


def parse_context_request(body: etree._Element, operation: ContextOperation) -> ContextRequest:
    """Read the RST in ``body`` sent to ``operation``'s action (WS-Trust 2005/02 only)."""
    if body.tag != f"{_WST}RequestSecurityToken":
        raise InvalidRequestError(
            f"A {operation.value} of a security context needs a wst:RequestSecurityToken in "
            f"the WS-Trust February 2005 namespace ({ns.WST_2005}), as WS-SecureConversation "
            "2005/02 defines."
        )
    request_type = (body.findtext(f"{_WST}RequestType") or "").strip()
    if request_type != _REQUEST_TYPES[operation]:
        raise InvalidRequestError(
            f"The RequestType {request_type[:200]!r} does not go with the action of a security "
            f"context {operation.value}; send {_REQUEST_TYPES[operation]}."
        )
    token_type = (body.findtext(f"{_WST}TokenType") or "").strip()
    if operation is ContextOperation.ISSUE and token_type not in ("", ns.WSC_2005_SCT):
        raise InvalidRequestError(
            f"The RST/SCT action issues security context tokens only; send the TokenType "
            f"{ns.WSC_2005_SCT}, or send other token requests to the Issue action."
        )
    key_size = None
    key_size_text = body.findtext(f"{_WST}KeySize")
    if key_size_text is not None:
        try:
            key_size = int(key_size_text.strip(), 10)
        except ValueError as exc:
            raise InvalidRequestError(
                "The KeySize is not a number; send the key size in bits, e.g. 256.") from exc
        if not MIN_CONTEXT_KEY_BITS <= key_size <= _MAX_CONTEXT_KEY_BITS or key_size % 8:
            raise InvalidRequestError(
                f"The KeySize {key_size} is not usable for a security context; ask for a "
                f"multiple of 8 bits between {MIN_CONTEXT_KEY_BITS} and {_MAX_CONTEXT_KEY_BITS}."
            )
    target = None
    target_name = _TARGETS.get(operation)
    if target_name is not None:
        target = _target_identifier(body, target_name)
    return ContextRequest(operation, body.get("Context"), _entropy(body), key_size, target)


def _entropy(body: etree._Element) -> bytes | None:
    entropy = body.find(f"{_WST}Entropy")
    if entropy is None:
        return None
    secret = entropy.find(f"{_WST}BinarySecret")
    if secret is None:
        raise InvalidRequestError(
            "The wst:Entropy holds no wst:BinarySecret; send the client entropy as a base64 "
            "wst:BinarySecret (encrypted entropy is not supported)."
        )
    if len(secret.text or "") > _MAX_ENTROPY_BYTES * 2:
        raise InvalidRequestError("The client entropy is too long; send 32 random bytes.")
    value = decode_base64(secret.text, "wst:Entropy BinarySecret", InvalidRequestError)
    if not 16 <= len(value) <= _MAX_ENTROPY_BYTES:
        raise InvalidRequestError(
            "The client entropy must hold between 16 and 512 bytes; send 32 random bytes.")
    return value


def _target_identifier(body: etree._Element, name: str) -> str:
    """The identifier of the context a RenewTarget or CancelTarget names: the token itself, a
    reference to the token in the message by ``#wsu:Id``, or its wsc:Identifier."""
    target = body.find(f"{_WST}{name}")
    children = [] if target is None else [c for c in target if isinstance(c.tag, str)]
    if len(children) != 1:
        raise InvalidRequestError(
            f"The request has no wst:{name} naming one security context; send a "
            "wsse:SecurityTokenReference to the SecurityContextToken."
        )
    found = children[0]
    if found.tag == f"{_WSSE}SecurityTokenReference":
        reference = found.find(f"{_WSSE}Reference")
        uri = "" if reference is None else (reference.get("URI") or "").strip()
        if not uri:
            raise InvalidRequestError(f"The wst:{name} reference has no URI.")
        if not uri.startswith("#"):
            return uri
        root = body.getroottree().getroot()
        matches = [e for e in root.iter(*_CONTEXT_TOKENS) if e.get(_WSU_ID) == uri[1:]]
        if len(matches) != 1:
            raise InvalidRequestError(
                f"The wst:{name} reference {uri[:80]!r} names no SecurityContextToken in this "
                "message."
            )
        found = matches[0]
    if found.tag not in _CONTEXT_TOKENS:
        raise InvalidRequestError(f"The wst:{name} does not name a SecurityContextToken.")
    identifier = (found.findtext(f"{{{etree.QName(found).namespace}}}Identifier") or "").strip()
    if not identifier:
        raise InvalidRequestError(f"The SecurityContextToken in wst:{name} has no Identifier.")
    return identifier


@dataclass(frozen=True)
class ContextKey:
    """A new context's key and what the answer tells the client about it."""

    key: bytes = field(repr=False)
    server_entropy: bytes | None = field(default=None, repr=False)  # computed key (CK/PSHA1)
    binary_secret: bool = False  # the key itself goes in RequestedProofToken

    @property
    def bits(self) -> int:
        return len(self.key) * 8


def context_key(request: ContextRequest, *, require_client_entropy: bool,
                require_server_entropy: bool, default_bits: int) -> ContextKey:
    """The key of a new context, from the entropy the policy's Trust10 assertion asks for:
    both sides (P_SHA1 computed key), the client's alone, or the server's alone."""
    bits = request.key_size or default_bits
    entropy = request.client_entropy
    if require_client_entropy and entropy is None:
        raise InvalidRequestError(
            "The security policy requires client entropy for the context's key; send "
            "wst:Entropy/wst:BinarySecret with 32 random bytes."
        )
    if entropy is not None and require_server_entropy:
        server = os.urandom(bits // 8)
        return ContextKey(computed_key(entropy, server, bits), server_entropy=server)
    if entropy is not None:
        if len(entropy) * 8 < MIN_CONTEXT_KEY_BITS:  # pragma: no cover - _entropy refuses it
            raise InvalidRequestError("The client entropy is too short to be a context key.")
        return ContextKey(entropy)
    return ContextKey(os.urandom(bits // 8), binary_secret=True)


@dataclass(frozen=True)
class IssuedContext:
    """A context as the answer shows it."""

    identifier: str
    token_id: str  # the SecurityContextToken's wsu:Id in this answer
    created: datetime
    expires: datetime
    key: ContextKey | None  # None: a renewal or amendment keeps the key the client has


def context_token(identifier: str, token_id: str) -> etree._Element:
    token = etree.Element(f"{_WSC}SecurityContextToken", nsmap={"wsc": ns.WSC_2005,
                                                                   "wsu": ns.WSU})
    token.set(_WSU_ID, token_id)
    etree.SubElement(token, f"{_WSC}Identifier").text = identifier
    return token


def _reference(parent: etree._Element, uri: str) -> None:
    reference = etree.SubElement(parent, f"{_WSSE}SecurityTokenReference",
                                 nsmap={"wsse": ns.WSSE})
    etree.SubElement(reference, f"{_WSSE}Reference", URI=uri, ValueType=ns.WSC_2005_SCT)


def _secret(parent: etree._Element, value: bytes, kind: str) -> None:
    secret = etree.SubElement(parent, f"{_WST}BinarySecret", Type=f"{ns.WST_2005}/{kind}")
    secret.text = base64.b64encode(value).decode("ascii")


def build_context_response(issued: IssuedContext, *, context: str | None) -> etree._Element:
    """The RSTR carrying a new, renewed or amended SecurityContextToken."""
    rstr = etree.Element(f"{_WST}RequestSecurityTokenResponse", nsmap={"wst": ns.WST_2005})
    if context is not None:
        rstr.set("Context", context)
    etree.SubElement(rstr, f"{_WST}TokenType").text = ns.WSC_2005_SCT
    etree.SubElement(rstr, f"{_WST}RequestedSecurityToken").append(
        context_token(issued.identifier, issued.token_id))
    _reference(etree.SubElement(rstr, f"{_WST}RequestedAttachedReference"),
               f"#{issued.token_id}")
    _reference(etree.SubElement(rstr, f"{_WST}RequestedUnattachedReference"), issued.identifier)
    key = issued.key
    if key is not None and key.server_entropy is not None:
        proof = etree.SubElement(rstr, f"{_WST}RequestedProofToken")
        etree.SubElement(proof, f"{_WST}ComputedKey").text = f"{ns.WST_2005}/CK/PSHA1"
        _secret(etree.SubElement(rstr, f"{_WST}Entropy"), key.server_entropy, "Nonce")
    elif key is not None and key.binary_secret:
        _secret(etree.SubElement(rstr, f"{_WST}RequestedProofToken"), key.key, "SymmetricKey")
    lifetime = etree.SubElement(rstr, f"{_WST}Lifetime")
    etree.SubElement(lifetime, f"{{{ns.WSU}}}Created", nsmap={"wsu": ns.WSU}).text = (
        format_xs_datetime(issued.created))
    etree.SubElement(lifetime, f"{{{ns.WSU}}}Expires", nsmap={"wsu": ns.WSU}).text = (
        format_xs_datetime(issued.expires))
    if key is not None:
        etree.SubElement(rstr, f"{_WST}KeySize").text = str(key.bits)
    return rstr


def build_context_cancelled(*, context: str | None) -> etree._Element:
    """The RSTR confirming a cancelled context."""
    rstr = etree.Element(f"{_WST}RequestSecurityTokenResponse", nsmap={"wst": ns.WST_2005})
    if context is not None:
        rstr.set("Context", context)
    etree.SubElement(rstr, f"{_WST}RequestedTokenCancelled")
    return rstr
