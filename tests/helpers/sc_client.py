"""A WS-SecureConversation 2005/02 client written for the tests, apart from stsdesk's engine.

It asks for a SecurityContextToken as a Rampart client does (RST/SCT with client entropy,
secured by ``wss_client`` under the bootstrap policy), computes the context's key from the
answer itself (P_SHA1 of the two entropies, from the RFC, in ``wss_client``), and secures
requests with keys derived from the context (``wsc:DerivedKeyToken`` referencing the SCT by
its ``wsu:Id``, HMAC-SHA1 signature, AES-256-CBC encryption). Nothing from
``stsdesk.core.wssec`` or ``stsdesk.core.secconv`` is used.
"""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import xmlsec
from lxml import etree

from tests.helpers import wss_client as wc

WST = "http://schemas.xmlsoap.org/ws/2005/02/trust"
WSC = "http://schemas.xmlsoap.org/ws/2005/02/sc"
SCT_TYPE = WSC + "/sct"
ACTION = "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/SCT"
ACTIONS = {"issue": ACTION, "renew": ACTION + "/Renew", "amend": ACTION + "/Amend",
           "cancel": ACTION + "/Cancel"}


@dataclass(frozen=True)
class Context:
    """A security context as the client holds it."""

    identifier: str
    key: bytes = field(repr=False)
    expires: str


def sct_request(entropy: bytes, *, key_size: int = 256) -> etree._Element:
    rst = etree.Element(f"{{{WST}}}RequestSecurityToken", nsmap={"wst": WST})
    etree.SubElement(rst, f"{{{WST}}}TokenType").text = SCT_TYPE
    etree.SubElement(rst, f"{{{WST}}}RequestType").text = WST + "/Issue"
    secret = etree.SubElement(etree.SubElement(rst, f"{{{WST}}}Entropy"),
                              f"{{{WST}}}BinarySecret", Type=WST + "/Nonce")
    secret.text = base64.b64encode(entropy).decode()
    etree.SubElement(rst, f"{{{WST}}}KeySize").text = str(key_size)
    return rst


def _reference(identifier: str) -> etree._Element:
    ref = etree.Element(f"{{{wc.WSSE}}}SecurityTokenReference", nsmap={"wsse": wc.WSSE})
    etree.SubElement(ref, f"{{{wc.WSSE}}}Reference", URI=identifier, ValueType=SCT_TYPE)
    return ref


def control_request(kind: str, identifier: str) -> etree._Element:
    """A Renew, Amend or Cancel of the context ``identifier``."""
    rst = etree.Element(f"{{{WST}}}RequestSecurityToken", nsmap={"wst": WST})
    request_type = {"renew": "Renew", "amend": "Issue", "cancel": "Cancel"}[kind]
    if kind != "cancel":
        etree.SubElement(rst, f"{{{WST}}}TokenType").text = SCT_TYPE
    etree.SubElement(rst, f"{{{WST}}}RequestType").text = f"{WST}/{request_type}"
    if kind in ("renew", "cancel"):
        target = etree.SubElement(rst, f"{{{WST}}}{kind.capitalize()}Target")
        target.append(_reference(identifier))
    return rst


def read_context(rstr: etree._Element, client_entropy: bytes) -> Context:
    """The context an RSTR/SCT gives, its key computed as WS-Trust's CK/PSHA1 says."""
    assert rstr.tag == f"{{{WST}}}RequestSecurityTokenResponse", etree.tostring(rstr)[:300]
    assert rstr.findtext(f"{{{WST}}}TokenType") == SCT_TYPE
    sct = rstr.find(f"{{{WST}}}RequestedSecurityToken/{{{WSC}}}SecurityContextToken")
    assert sct is not None
    identifier = sct.findtext(f"{{{WSC}}}Identifier")
    computed = rstr.findtext(f"{{{WST}}}RequestedProofToken/{{{WST}}}ComputedKey")
    assert computed == WST + "/CK/PSHA1"
    server = base64.b64decode(rstr.findtext(f"{{{WST}}}Entropy/{{{WST}}}BinarySecret"))
    size = int(rstr.findtext(f"{{{WST}}}KeySize"))
    key = wc.p_sha1(client_entropy, server, size // 8)
    expires = rstr.findtext(f"{{{WST}}}Lifetime/{{{wc.WSU}}}Expires")
    return Context(identifier, key, expires)


def secured(body: etree._Element, context: Context, *, sign: bool, encrypt: bool,
            soap: str = wc.SOAP12, now: datetime | None = None, include_token: bool = True,
            derived: bool = True, digest: str = wc.SHA1) -> wc.Sent:
    """``body`` secured with the context: Timestamp, the SCT, derived keys, an HMAC signature
    over the Body (if ``sign``) and the Timestamp, the Body encrypted (if ``encrypt``).

    ``include_token=False`` names the context by its identifier instead of carrying the SCT;
    ``derived=False`` uses the context's key itself; ``digest`` is the suite's (SHA-256 under
    the Sha256 suites; the signature stays HMAC-SHA1, as WS-SecurityPolicy's table says)."""
    env = wc.envelope(body, soap)
    sec = wc._security(env)
    ts = wc._timestamp(sec, now or datetime.now(UTC))
    if include_token:
        sct = etree.SubElement(sec, f"{{{WSC}}}SecurityContextToken", nsmap={"wsc": WSC})
        sct_id = f"sct-{uuid.uuid4().hex[:12]}"
        sct.set(f"{{{wc.WSU}}}Id", sct_id)
        etree.SubElement(sct, f"{{{WSC}}}Identifier").text = context.identifier

    def base_ref() -> etree._Element:
        ref = etree.Element(f"{{{wc.WSSE}}}SecurityTokenReference")
        etree.SubElement(ref, f"{{{wc.WSSE}}}Reference",
                         URI=("#" + sct_id) if include_token else context.identifier,
                         ValueType=SCT_TYPE)
        return ref

    sign_key = enc_key = context.key
    sign_uri = enc_uri = ("#" + sct_id) if include_token else context.identifier
    value_type = SCT_TYPE
    if derived:
        dk_id, sign_key = wc._derived_key_token(sec, base_ref(), context.key, 24, WSC)
        sign_uri, value_type = "#" + dk_id, WSC + "/dk"
        dk_id, enc_key = wc._derived_key_token(sec, base_ref(), context.key, 32, WSC)
        enc_uri = "#" + dk_id
    soap_body = env[1]
    soap_body.set(f"{{{wc.WSU}}}Id", wc._id("Body"))
    sig_ref = etree.Element(f"{{{wc.WSSE}}}SecurityTokenReference")
    etree.SubElement(sig_ref, f"{{{wc.WSSE}}}Reference", URI=sign_uri, ValueType=value_type)
    targets = [soap_body, ts] if sign else [ts]
    sig = wc._sign(sec, targets, xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataHmac,
                                                             sign_key),
                   sig_ref, wc.HMAC_SHA1, digest)
    value = base64.b64decode(sig.findtext(f"{{{wc.DS}}}SignatureValue"))
    if encrypt:
        info = etree.Element(f"{{{wc.DS}}}KeyInfo", nsmap={"ds": wc.DS})
        ref = etree.SubElement(info, f"{{{wc.WSSE}}}SecurityTokenReference")
        etree.SubElement(ref, f"{{{wc.WSSE}}}Reference", URI=enc_uri, ValueType=value_type)
        data_id = wc._encrypt_body(soap_body, enc_key, info).get("Id")
        refs = etree.Element(f"{{{wc.XENC}}}ReferenceList", nsmap={"xenc": wc.XENC})
        etree.SubElement(refs, f"{{{wc.XENC}}}DataReference", URI="#" + data_id)
        sec.insert(sec.index(sig), refs)
    return wc.Sent(etree.tostring(env), value, context.key)


def new_entropy() -> bytes:
    return os.urandom(32)
