"""A scenario 20 client written for the tests: a Kerberos AP-REQ from python-gssapi, and the
request laid out as WSS4J's ``KerberosSecurity`` does (Timestamp, the AP-REQ in a
BinarySecurityToken, an HMAC-SHA1 signature over Body and Timestamp keyed with the session key,
the key named by a Reference to the token). Nothing from ``stsdesk.core.wssec`` is used.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import xmlsec
from lxml import etree

from tests.helpers import wss_client as wc

GSS_AP_REQ = ("http://docs.oasis-open.org/wss/oasis-wss-kerberos-token-profile-1.1"
              "#GSS_Kerberosv5_AP_REQ")
AP_REQ_SHA1 = ("http://docs.oasis-open.org/wss/oasis-wss-kerberos-token-profile-1.1"
               "#Kerberosv5APREQSHA1")
# GSS_C_INQ_SSPI_SESSION_KEY: the initiator's key (the authenticator's subkey).
SSPI_SESSION_KEY = "1.2.840.113554.1.2.2.5.5"


@dataclass(frozen=True)
class ApReq:
    token: bytes = field(repr=False)
    session_key: bytes = field(repr=False)

    @property
    def sha1(self) -> str:
        return base64.b64encode(hashlib.sha1(self.token).digest()).decode()


def ap_req(service: str, ccache: Path, *, mutual: bool = False) -> ApReq:
    """An AP-REQ for ``service`` (a full principal name) from the tickets in ``ccache``."""
    import gssapi  # only the tests with a KDC need python-gssapi
    from gssapi.raw import inquire_sec_context_by_oid

    creds = gssapi.Credentials(usage="initiate", store={"ccache": f"FILE:{ccache}"})
    flags = gssapi.RequirementFlag.integrity
    if mutual:
        flags |= gssapi.RequirementFlag.mutual_authentication
    context = gssapi.SecurityContext(
        name=gssapi.Name(service, gssapi.NameType.kerberos_principal), creds=creds,
        usage="initiate", mech=gssapi.MechType.kerberos, flags=flags)
    token = context.step()
    if not context.complete:
        # Mutual authentication waits for an AP-REP the token profile never sends, so the
        # initiator has no key yet: such a request is signed with a random one (the STS must
        # refuse it before it gets to the signature).
        return ApReq(bytes(token), os.urandom(32))
    key = inquire_sec_context_by_oid(context, gssapi.OID.from_int_seq(SSPI_SESSION_KEY))[0]
    return ApReq(bytes(token), bytes(key))


def kerberos_request(body: etree._Element, ticket: ApReq, *, reference: str = "direct",
                     sign_key: bytes | None = None, sign_body: bool = True,
                     now: datetime | None = None, digest: str = wc.SHA1) -> wc.Sent:
    """Scenario 20's request. ``reference`` is "direct" (a Reference to the token, WSS4J's
    default) or "sha1" (a Kerberosv5APREQSHA1 key identifier); ``sign_key`` signs with another
    key than the ticket's; ``digest`` is the algorithm suite's (SHA-256 under the Sha256
    suites)."""
    env = wc.envelope(body)
    sec = wc._security(env)
    ts = wc._timestamp(sec, now or datetime.now(UTC))
    bst = etree.SubElement(sec, f"{{{wc.WSSE}}}BinarySecurityToken", ValueType=GSS_AP_REQ,
                           EncodingType=wc.B64)
    bst.set(f"{{{wc.WSU}}}Id", wc._id("KerbToken"))
    bst.text = base64.b64encode(ticket.token).decode()
    soap_body = env[1]
    soap_body.set(f"{{{wc.WSU}}}Id", wc._id("Body"))
    reference_element = etree.Element(f"{{{wc.WSSE}}}SecurityTokenReference")
    reference_element.set(f"{{{wc.WSSE11}}}TokenType", GSS_AP_REQ)
    if reference == "direct":
        etree.SubElement(reference_element, f"{{{wc.WSSE}}}Reference",
                         URI="#" + bst.get(f"{{{wc.WSU}}}Id"), ValueType=GSS_AP_REQ)
    else:
        identifier = etree.SubElement(reference_element, f"{{{wc.WSSE}}}KeyIdentifier",
                                      ValueType=AP_REQ_SHA1, EncodingType=wc.B64)
        identifier.text = ticket.sha1
    key = xmlsec.Key.from_binary_data(xmlsec.constants.KeyDataHmac,
                                      sign_key or ticket.session_key)
    targets = [soap_body, ts] if sign_body else [ts]
    signature = wc._sign(sec, targets, key, reference_element, wc.HMAC_SHA1, digest)
    value = base64.b64decode(signature.findtext(f"{{{wc.DS}}}SignatureValue"))
    return wc.Sent(etree.tostring(env), value, ticket.session_key, ticket.sha1)


def response_key_reference(data: bytes) -> tuple[str | None, str | None, str | None]:
    """How the answer's signature names its key: (TokenType, ValueType, value)."""
    root = etree.fromstring(data)
    identifier = root.find(f".//{{{wc.DS}}}Signature/{{{wc.DS}}}KeyInfo/"
                           f"{{{wc.WSSE}}}SecurityTokenReference/{{{wc.WSSE}}}KeyIdentifier")
    if identifier is None:
        return None, None, None
    return (identifier.getparent().get(f"{{{wc.WSSE11}}}TokenType"),
            identifier.get("ValueType"), (identifier.text or "").strip())
