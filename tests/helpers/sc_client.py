"""A WS-SecureConversation 2005/02 client for the tests of the STS's side.

The RST/SCT and its Cancel, and the reading of the issued context, are the product's client
(``stsdesk.core.secconv_client``, what the test client sends); the context's key it computes is
checked here against P_SHA1 of the two entropies computed independently (``wss_client``, from
the RFC). Securing requests with the context stays apart from stsdesk's engine: keys derived
from the context (``wsc:DerivedKeyToken`` referencing the SCT by its ``wsu:Id``), HMAC-SHA1
signature, AES-256-CBC encryption, built with python-xmlsec by ``wss_client``; nothing from
``stsdesk.core.wssec`` or the server's ``stsdesk.core.secconv`` is used.
"""

from __future__ import annotations

import base64
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import xmlsec
from lxml import etree

from stsdesk.core.secconv_client import (
    build_context_cancel_request,
    build_context_issue_request,
    read_issued_context,
)
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
    """The RST/SCT as the test client sends it."""
    return build_context_issue_request(entropy, key_size=key_size)


def _reference(identifier: str) -> etree._Element:
    ref = etree.Element(f"{{{wc.WSSE}}}SecurityTokenReference", nsmap={"wsse": wc.WSSE})
    etree.SubElement(ref, f"{{{wc.WSSE}}}Reference", URI=identifier, ValueType=SCT_TYPE)
    return ref


def control_request(kind: str, identifier: str) -> etree._Element:
    """A Renew, Amend or Cancel of the context ``identifier`` (a Cancel as the test client
    sends it)."""
    if kind == "cancel":
        return build_context_cancel_request(identifier)
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
    """The context an RSTR/SCT gives, as the test client reads it; its key checked against
    WS-Trust's CK/PSHA1 computed here."""
    assert rstr.tag == f"{{{WST}}}RequestSecurityTokenResponse", etree.tostring(rstr)[:300]
    assert rstr.findtext(f"{{{WST}}}TokenType") == SCT_TYPE
    read = read_issued_context(rstr, client_entropy)
    computed = rstr.findtext(f"{{{WST}}}RequestedProofToken/{{{WST}}}ComputedKey")
    assert computed == WST + "/CK/PSHA1"
    server = base64.b64decode(rstr.findtext(f"{{{WST}}}Entropy/{{{WST}}}BinarySecret"))
    size = int(rstr.findtext(f"{{{WST}}}KeySize"))
    assert read.key == wc.p_sha1(client_entropy, server, size // 8)
    sct = rstr.find(f"{{{WST}}}RequestedSecurityToken/{{{WSC}}}SecurityContextToken")
    assert sct is not None and sct.findtext(f"{{{WSC}}}Identifier") == read.identifier
    expires = rstr.findtext(f"{{{WST}}}Lifetime/{{{wc.WSU}}}Expires")
    return Context(read.identifier, read.key, expires)


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
