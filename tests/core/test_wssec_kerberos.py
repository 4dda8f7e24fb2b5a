"""The engine under scenario 20's policy: the Kerberos token, its session key, and the answer.

Accepting a real AP-REQ needs a KDC (``tests/e2e/test_kerberos_scenario.py``); here the acceptor
is a recording double at the engine's I/O boundary, so the engine's own rules are tested alone:
which token keys the binding, which references name it, what is refused.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import os
from datetime import UTC, datetime

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidSecurityError
from stsdesk.core.scenarios import applied_policy_document
from stsdesk.core.soap import build_response, parse_envelope
from stsdesk.core.wssec import (
    Binding,
    FailedCheckError,
    ResponseSecurity,
    SecurityTokenUnavailableError,
    TokenKind,
    WsseInvalidTokenError,
    process_inbound,
    read_policy,
    secure_response,
)
from stsdesk.core.wssec.kerberos import KerberosAcceptance, gss_framed, read_kerberos_token
from stsdesk.core.wssec.policy import Inclusion
from stsdesk.core.wssec.tokens import MessageTokens
from tests.core.pki import identity
from tests.helpers import kerberos_client as kc
from tests.helpers import wss_client as wc

SERVICE = identity("sts.kerberos.example")
WST = ns.WST_13
SCENARIO20 = applied_policy_document("scenario20")
PRINCIPAL = "alice@EXAMPLE.ORG"


class RecordingAcceptor:
    """Accepts the one AP-REQ it was made for, with its session key; records what it saw."""

    def __init__(self, token: bytes, key: bytes) -> None:
        self.token, self.key, self.seen = token, key, []

    def accept(self, gss_token: bytes) -> KerberosAcceptance:
        self.seen.append(gss_token)
        if gss_token != self.token:
            raise WsseInvalidTokenError("not the AP-REQ this double accepts")
        return KerberosAcceptance(PRINCIPAL, self.key)


def rst() -> etree._Element:
    element = etree.Element(f"{{{WST}}}RequestSecurityToken", nsmap={"wst": WST})
    etree.SubElement(element, f"{{{WST}}}RequestType").text = f"{WST}/Issue"
    return element


def ticket() -> kc.ApReq:
    # Shaped like a GSS-API initial context token; its content is the double's business.
    return kc.ApReq(gss_framed(b"\x6e\x03ap-req " + os.urandom(16)), os.urandom(32))


def receive(envelope: bytes, acceptor, document: bytes = SCENARIO20):
    message = parse_envelope(envelope, content_type="application/soap+xml")
    return process_inbound(message, read_policy(document), SERVICE, known_certificates=(),
                           now=datetime.now(UTC), skew_seconds=300, kerberos=acceptor)


def test_wso2s_scenario20_reads_as_a_kerberos_symmetric_binding():
    model = read_policy(SCENARIO20)
    assert model.binding is Binding.SYMMETRIC
    token = model.protection_token
    assert token.kind is TokenKind.KERBEROS
    assert token.inclusion is Inclusion.ALWAYS_TO_RECIPIENT
    assert token.options == frozenset({"WssKerberosV5ApReqToken11"})
    assert model.include_timestamp and model.signature_confirmation
    assert model.signed_parts.body and model.encrypted_parts.empty


@pytest.mark.parametrize("reference", ["direct", "sha1"])
def test_the_session_key_verifies_the_request_and_keys_the_answer(reference):
    sent_ticket = ticket()
    acceptor = RecordingAcceptor(sent_ticket.token, sent_ticket.session_key)
    sent = kc.kerberos_request(rst(), sent_ticket, reference=reference)
    result = receive(sent.envelope, acceptor)
    assert acceptor.seen == [sent_ticket.token]
    assert result.kerberos_principal == PRINCIPAL
    assert result.request_key.sha1 == base64.b64encode(
        hashlib.sha1(sent_ticket.token).digest()).decode()
    envelope = build_response(result.message, copy.deepcopy(result.message.body),
                              action="urn:answer")
    secured = secure_response(envelope, ResponseSecurity(read_policy(SCENARIO20), SERVICE,
                                                         result, datetime.now(UTC)))
    checked = wc.check_response(secured, session_key=sent_ticket.session_key)
    assert checked.confirmations == [base64.b64encode(sent.signature_value).decode()]
    assert kc.response_key_reference(secured) == (kc.GSS_AP_REQ, kc.AP_REQ_SHA1,
                                                  sent_ticket.sha1)


def test_a_bare_ap_req_is_framed_for_gss_api_and_named_by_its_own_bytes():
    bare = b"\x6e" + bytes(200)
    framed = gss_framed(bare)
    # [APPLICATION 0] with a long-form length, the Kerberos V5 OID, the AP-REQ token id.
    assert framed[:3] == b"\x60\x81\xd6" and framed[3:14] == bytes.fromhex("06092a864886f712010202")
    assert framed[14:16] == b"\x01\x00" and framed[16:] == bare
    element = etree.Element(f"{{{ns.WSSE}}}BinarySecurityToken", ValueType=ns.KERBEROS_AP_REQ)
    element.text = base64.b64encode(bare).decode()
    read = read_kerberos_token(element)
    assert read.gss_token == framed
    assert read.key(KerberosAcceptance(PRINCIPAL, b"k" * 32)).sha1 == base64.b64encode(
        hashlib.sha1(bare).digest()).decode()


def test_a_signature_with_another_key_fails():
    sent_ticket = ticket()
    sent = kc.kerberos_request(rst(), sent_ticket, sign_key=os.urandom(32))
    with pytest.raises(FailedCheckError):
        receive(sent.envelope, RecordingAcceptor(sent_ticket.token, sent_ticket.session_key))


def test_a_message_without_a_kerberos_token_is_refused_and_nothing_is_accepted():
    sent = wc.symmetric_request(rst(), service_cert=SERVICE.certificate, encrypt_body=False)
    acceptor = RecordingAcceptor(b"", b"")
    with pytest.raises(InvalidSecurityError, match="EncryptedKey"):
        receive(sent.envelope, acceptor)
    assert acceptor.seen == []


def test_two_kerberos_tokens_are_refused():
    sent_ticket = ticket()
    sent = kc.kerberos_request(rst(), sent_ticket)
    root = etree.fromstring(sent.envelope)
    token = root.find(f".//{{{wc.WSSE}}}BinarySecurityToken")
    second = copy.deepcopy(token)
    second.set(f"{{{wc.WSU}}}Id", "KerbToken-two")
    token.addnext(second)
    with pytest.raises(InvalidSecurityError, match="two Kerberos tokens"):
        receive(etree.tostring(root), RecordingAcceptor(sent_ticket.token,
                                                        sent_ticket.session_key))


def test_without_an_acceptor_the_engine_says_the_service_is_not_configured():
    sent = kc.kerberos_request(rst(), ticket())
    with pytest.raises(InvalidSecurityError, match="no Kerberos service configured"):
        receive(sent.envelope, None)


def test_under_another_policy_a_kerberos_token_keys_nothing():
    sent_ticket = ticket()
    acceptor = RecordingAcceptor(sent_ticket.token, sent_ticket.session_key)
    sent = kc.kerberos_request(rst(), sent_ticket)
    with pytest.raises((InvalidSecurityError, SecurityTokenUnavailableError)):
        receive(sent.envelope, acceptor, applied_policy_document("scenario3"))
    assert acceptor.seen == []


def test_an_encrypted_key_identifier_never_names_a_kerberos_key():
    key = read_kerberos_token(_token_element(b"ap-req")).key(
        KerberosAcceptance(PRINCIPAL, b"k" * 32))
    tokens = MessageTokens(ids={})
    tokens.add_key(key)
    for value_type, found in ((ns.KERBEROS_AP_REQ_SHA1, True), (ns.ENCRYPTED_KEY_SHA1, False)):
        reference = etree.Element(f"{{{ns.WSSE}}}SecurityTokenReference")
        identifier = etree.SubElement(reference, f"{{{ns.WSSE}}}KeyIdentifier",
                                      ValueType=value_type)
        identifier.text = key.sha1
        if found:
            assert tokens.key_named_by(reference) is key
        else:
            with pytest.raises(SecurityTokenUnavailableError):
                tokens.key_named_by(reference)


def _token_element(token: bytes) -> etree._Element:
    element = etree.Element(f"{{{ns.WSSE}}}BinarySecurityToken",
                            ValueType=ns.KERBEROS_GSS_AP_REQ, EncodingType=ns.BASE64_BINARY)
    element.text = base64.b64encode(token).decode()
    return element
