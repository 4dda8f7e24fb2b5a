"""The Kerberos token profile 1.1 in a message: an AP-REQ in a BinarySecurityToken, and its key.

A client under scenario 20 sends a Kerberos v5 AP-REQ for the STS's service principal in a
``wsse:BinarySecurityToken`` (ValueType ``...#GSS_Kerberosv5_AP_REQ``) and signs the message
with the session key of that AP-REQ (the authenticator's subkey when it has one, which MIT and
Java initiators always send). The answer names that key by ``Kerberosv5APREQSHA1``: the SHA-1
of the token's bytes.

Accepting an AP-REQ needs the service's keys and a replay cache, which is I/O: the caller hands
the engine a :class:`KerberosAcceptor` (the server's is GSS-API over a keytab).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.wssec.errors import WsseInvalidTokenError
from stsdesk.core.wssec.tokens import WSU_ID, SymmetricKey
from stsdesk.core.xmlutil import decode_base64

__all__ = [
    "KERBEROS_TOKEN_TYPES", "KerberosAcceptance", "KerberosAcceptor", "KerberosTicket",
    "read_kerberos_token", "ap_req_sha1", "gss_framed",
]

KERBEROS_TOKEN_TYPES = frozenset({ns.KERBEROS_GSS_AP_REQ, ns.KERBEROS_AP_REQ})
# DER of the Kerberos V5 mechanism OID (1.2.840.113554.1.2.2) and the AP-REQ token id (RFC 1964
# 1.1): what frames a bare AP-REQ as a GSS-API initial context token.
_KRB5_OID_DER = bytes.fromhex("06092a864886f712010202")
_AP_REQ_TOKEN_ID = b"\x01\x00"


@dataclass(frozen=True)
class KerberosAcceptance:
    """What accepting an AP-REQ proved: who the client is, and the key it holds."""

    client_principal: str  # e.g. alice@EXAMPLE.ORG
    session_key: bytes = field(repr=False)


class KerberosAcceptor(Protocol):
    """Accepts a GSS-API Kerberos AP-REQ for this service, or raises a WS-Security fault
    (expired, replayed, for another service, unreadable)."""

    def accept(self, gss_token: bytes) -> KerberosAcceptance: ...


@dataclass(frozen=True)
class KerberosTicket:
    """A Kerberos token read from a message: its bytes as sent, and its wsu:Id."""

    token: bytes = field(repr=False)
    value_type: str
    element_id: str | None

    @property
    def gss_token(self) -> bytes:
        """The AP-REQ as a GSS-API initial context token (a bare one framed here)."""
        if self.value_type == ns.KERBEROS_GSS_AP_REQ:
            return self.token
        return gss_framed(self.token)

    def key(self, acceptance: KerberosAcceptance) -> SymmetricKey:
        """The session key as the message's symmetric key, named by the token's wsu:Id and by
        its Kerberosv5APREQSHA1."""
        return SymmetricKey(
            key=acceptance.session_key, element_id=self.element_id,
            sha1=ap_req_sha1(self.token), reference_type=ns.KERBEROS_AP_REQ_SHA1,
            token_type=ns.KERBEROS_GSS_AP_REQ,
        )


def read_kerberos_token(element: etree._Element) -> KerberosTicket:
    """The Kerberos token a ``wsse:BinarySecurityToken`` of a Kerberos ValueType carries."""
    value_type = (element.get("ValueType") or "").strip()
    if value_type not in KERBEROS_TOKEN_TYPES:
        raise WsseInvalidTokenError(
            f"The BinarySecurityToken's ValueType {value_type[:120]!r} is not a Kerberos AP-REQ; "
            f"send the ticket with ValueType {ns.KERBEROS_GSS_AP_REQ}."
        )
    encoding = (element.get("EncodingType") or ns.BASE64_BINARY).strip()
    if encoding != ns.BASE64_BINARY:
        raise WsseInvalidTokenError(
            "The Kerberos BinarySecurityToken is not base64-encoded; send it with EncodingType "
            f"{ns.BASE64_BINARY}."
        )
    token = decode_base64(element.text, "Kerberos BinarySecurityToken", WsseInvalidTokenError)
    if not token:
        raise WsseInvalidTokenError("The Kerberos BinarySecurityToken is empty.")
    return KerberosTicket(token, value_type, element.get(WSU_ID))


def ap_req_sha1(token: bytes) -> str:
    """Kerberosv5APREQSHA1: base64 of the SHA-1 of the token's bytes as sent."""
    digest = hashlib.sha1(token, usedforsecurity=False).digest()
    return base64.b64encode(digest).decode("ascii")


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def gss_framed(ap_req: bytes) -> bytes:
    """A bare AP-REQ framed as a GSS-API initial context token (RFC 2743 3.1, RFC 1964 1.1)."""
    inner = _KRB5_OID_DER + _AP_REQ_TOKEN_ID + ap_req
    return b"\x60" + _der_length(len(inner)) + inner
