"""The client's side of WS-SecureConversation 2005/02: ask for a security context, read the
context (and its key) from the answer, and cancel it.

The mirror of ``secconv`` (the server's side). The RST/SCT carries client entropy, so the
context's key is computed from both sides' entropy (CK/PSHA1) when the STS adds its own, as
the Trust10 assertions of scenarios 9-15 require; an STS that sends the key itself
(BinarySecret) is understood too. Sans-IO: elements in, elements and dataclasses out.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.psha1 import computed_key
from stsdesk.core.xmlutil import decode_base64
from stsdesk.core.xsdatetime import parse_xs_datetime

__all__ = [
    "ClientContext", "build_context_issue_request", "build_context_cancel_request",
    "read_issued_context", "read_context_cancelled", "CONTEXT_KEY_BITS",
]

_WST = f"{{{ns.WST_2005}}}"
_WSC = f"{{{ns.WSC_2005}}}"
_WSSE = f"{{{ns.WSSE}}}"
_RSTR = f"{_WST}RequestSecurityTokenResponse"
_COMPUTED_PSHA1 = f"{ns.WST_2005}/CK/PSHA1"
CONTEXT_KEY_BITS = 256  # what Rampart asks for: one AES-256 key's worth


@dataclass(frozen=True)
class ClientContext:
    """A security context as the client holds it: who it is and its key."""

    identifier: str  # the wsc:Identifier, a URI the STS chose
    key: bytes = field(repr=False)
    created: datetime | None = None
    expires: datetime | None = None
    computed: bool = True  # the key came from both entropies (False: the STS sent it)

    @property
    def bits(self) -> int:
        return len(self.key) * 8


def build_context_issue_request(entropy: bytes, *,
                                key_size: int = CONTEXT_KEY_BITS) -> etree._Element:
    """The RST sent to the RST/SCT action: a context with a key made of ``entropy`` and the
    STS's own (``entropy`` is the client's secret: keep it until the answer is read)."""
    rst = etree.Element(f"{_WST}RequestSecurityToken", nsmap={"wst": ns.WST_2005})
    etree.SubElement(rst, f"{_WST}TokenType").text = ns.WSC_2005_SCT
    etree.SubElement(rst, f"{_WST}RequestType").text = f"{ns.WST_2005}/Issue"
    secret = etree.SubElement(etree.SubElement(rst, f"{_WST}Entropy"), f"{_WST}BinarySecret",
                              Type=f"{ns.WST_2005}/Nonce")
    secret.text = base64.b64encode(entropy).decode("ascii")
    etree.SubElement(rst, f"{_WST}KeySize").text = str(key_size)
    return rst


def build_context_cancel_request(identifier: str) -> etree._Element:
    """The RST sent to the RST/SCT/Cancel action, naming the context by its identifier."""
    rst = etree.Element(f"{_WST}RequestSecurityToken", nsmap={"wst": ns.WST_2005})
    etree.SubElement(rst, f"{_WST}RequestType").text = f"{ns.WST_2005}/Cancel"
    reference = etree.SubElement(etree.SubElement(rst, f"{_WST}CancelTarget"),
                                 f"{_WSSE}SecurityTokenReference", nsmap={"wsse": ns.WSSE})
    etree.SubElement(reference, f"{_WSSE}Reference", URI=identifier, ValueType=ns.WSC_2005_SCT)
    return rst


def _response(body: etree._Element) -> etree._Element:
    if body.tag == _RSTR:
        return body
    found = body.find(_RSTR)  # an RSTR inside a RequestSecurityTokenResponseCollection
    if found is None:
        raise InvalidRequestError(
            "The STS's answer holds no WS-Trust February 2005 RequestSecurityTokenResponse, "
            "so no security context was issued.")
    return found


def read_issued_context(body: etree._Element, client_entropy: bytes) -> ClientContext:
    """The context an RSTR/SCT (the answer's Body content) gives, with its key: computed from
    ``client_entropy`` and the STS's entropy (CK/PSHA1), or sent by the STS."""
    rstr = _response(body)
    token = rstr.find(f"{_WST}RequestedSecurityToken/{_WSC}SecurityContextToken")
    identifier = (token.findtext(f"{_WSC}Identifier") or "").strip() if token is not None else ""
    if not identifier:
        raise InvalidRequestError(
            "The STS's answer holds no wsc:SecurityContextToken with an Identifier.")
    proof = rstr.find(f"{_WST}RequestedProofToken")
    computed = proof.findtext(f"{_WST}ComputedKey") if proof is not None else None
    secret = proof.find(f"{_WST}BinarySecret") if proof is not None else None
    key_size_text = (rstr.findtext(f"{_WST}KeySize") or "").strip()
    if computed is not None:
        if computed.strip() != _COMPUTED_PSHA1:
            raise InvalidRequestError(
                f"The STS computes the context's key with {computed.strip()[:120]!r}; only "
                "CK/PSHA1 is understood.")
        server = rstr.find(f"{_WST}Entropy/{_WST}BinarySecret")
        if server is None:
            raise InvalidRequestError(
                "The STS says the context's key is computed but sent no entropy of its own.")
        server_entropy = decode_base64(server.text, "the STS's entropy", InvalidRequestError)
        bits = _bits(key_size_text, default=len(client_entropy) * 8)
        key = computed_key(client_entropy, server_entropy, bits)
    elif secret is not None:
        key = decode_base64(secret.text, "the context's key", InvalidRequestError)
    else:
        # Neither: the STS took the client's entropy as the key (WS-Trust 4.4.3).
        key = client_entropy
    return ClientContext(identifier, key, _instant(rstr, "Created"), _instant(rstr, "Expires"),
                         computed=computed is not None or secret is None)


def read_context_cancelled(body: etree._Element) -> bool:
    """Whether an RSTR/SCT/Cancel (the answer's Body content) confirms the cancellation."""
    return _response(body).find(f"{_WST}RequestedTokenCancelled") is not None


def _bits(text: str, *, default: int) -> int:
    if not text:
        return default
    try:
        bits = int(text, 10)
    except ValueError as exc:
        raise InvalidRequestError(f"The answer's KeySize {text[:40]!r} is not a number.") from exc
    if bits <= 0 or bits % 8 or bits > 4096:
        raise InvalidRequestError(f"The answer's KeySize {bits} is not a usable key size.")
    return bits


def _instant(rstr: etree._Element, name: str) -> datetime | None:
    text = rstr.findtext(f"{_WST}Lifetime/{{{ns.WSU}}}{name}")
    if not text:
        return None
    try:
        return parse_xs_datetime(text.strip())
    except ValueError:
        return None
