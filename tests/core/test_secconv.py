"""WS-SecureConversation 2005/02 in core: the SC policies' bootstrap, context requests and keys,
and the engine's handling of a message protected with a context (sans-IO, no server)."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError, InvalidSecurityError
from stsdesk.core.scenarios import SCENARIOS, policy_document
from stsdesk.core.secconv import (
    ContextOperation,
    ContextRequest,
    IssuedContext,
    build_context_cancelled,
    build_context_response,
    context_key,
    context_operation,
    parse_context_request,
    response_action,
)
from stsdesk.core.soap import build_response, parse_envelope
from stsdesk.core.wssec import (
    Binding,
    ResponseSecurity,
    TokenKind,
    process_inbound,
    read_policy,
    secure_response,
)
from stsdesk.core.wssec.errors import BadContextTokenError, UnknownDerivationSourceError
from tests.core.pki import identity
from tests.helpers import sc_client as sc
from tests.helpers import wss_client as wc

WST = f"{{{ns.WST_2005}}}"
SERVICE = identity("sc-core-service")
NOW = datetime.now(UTC)


def test_each_secure_conversation_policy_carries_its_bootstrap_policy():
    numbers = [s.id for s in SCENARIOS if s.wsu_id.startswith("SecCon")]
    assert numbers == [f"scenario{n}" for n in range(9, 16)]
    for scenario_id in numbers:
        model = read_policy(policy_document(scenario_id))
        token = model.protection_token
        assert model.binding is Binding.SYMMETRIC
        assert token is not None and token.kind is TokenKind.SECURE_CONVERSATION
        assert {"RequireClientEntropy", "RequireServerEntropy"} <= model.options
        bootstrap = token.bootstrap
        assert bootstrap is not None and bootstrap.encrypted_parts.body
        number = int(scenario_id.removeprefix("scenario"))
        if number <= 11:  # X.509 clients
            assert bootstrap.binding is Binding.ASYMMETRIC
            assert bootstrap.initiator_token.kind is TokenKind.X509
        else:  # anonymous, or a UsernameToken, under an EncryptedKey for the STS
            assert bootstrap.binding is Binding.SYMMETRIC
            assert bootstrap.protection_token.kind is TokenKind.X509
            assert (bootstrap.supporting_of(TokenKind.USERNAME) is not None) is (number >= 14)


def test_actions_name_the_operations_and_their_answers():
    assert context_operation(ns.WSC_2005_ACTION_ISSUE) is ContextOperation.ISSUE
    assert context_operation(f" {ns.WSC_2005_ACTION_CANCEL} ") is ContextOperation.CANCEL
    assert context_operation(f"{ns.WST_2005}/RST/Issue") is None
    assert context_operation(None) is None
    assert response_action(ContextOperation.RENEW) == f"{ns.WST_2005}/RSTR/SCT/Renew"


def test_an_sct_request_is_read_with_its_entropy_and_key_size():
    entropy = os.urandom(32)
    request = parse_context_request(sc.sct_request(entropy, key_size=192),
                                    ContextOperation.ISSUE)
    assert request.client_entropy == entropy and request.key_size == 192
    assert request.target is None


@pytest.mark.parametrize(("change", "words"), [
    (lambda rst: rst.find(f"{WST}TokenType").__setattr__("text", ns.TOKEN_SAML20),
     "security context tokens only"),
    (lambda rst: rst.find(f"{WST}RequestType").__setattr__("text", f"{ns.WST_2005}/Renew"),
     "does not go with the action"),
    (lambda rst: rst.find(f"{WST}KeySize").__setattr__("text", "64"), "KeySize 64"),
    (lambda rst: rst.find(f"{WST}Entropy/{WST}BinarySecret").__setattr__(
        "text", base64.b64encode(b"short").decode()), "between 16 and 512 bytes"),
])
def test_a_malformed_sct_request_is_refused_with_a_reason(change, words):
    rst = sc.sct_request(os.urandom(32))
    change(rst)
    with pytest.raises(InvalidRequestError, match=words):
        parse_context_request(rst, ContextOperation.ISSUE)


def test_renew_and_cancel_name_their_target():
    for kind, operation in (("renew", ContextOperation.RENEW), ("cancel", ContextOperation.CANCEL)):
        request = parse_context_request(sc.control_request(kind, "urn:uuid:ctx"), operation)
        assert request.target == "urn:uuid:ctx"
    untargeted = sc.control_request("cancel", "urn:uuid:ctx")
    untargeted.remove(untargeted.find(f"{WST}CancelTarget"))
    with pytest.raises(InvalidRequestError, match="CancelTarget"):
        parse_context_request(untargeted, ContextOperation.CANCEL)


def _request(entropy: bytes | None, size: int | None = None) -> ContextRequest:
    return ContextRequest(ContextOperation.ISSUE, None, entropy, size, None)


def test_the_context_key_comes_from_the_entropy_the_policy_asks_for():
    client = os.urandom(32)
    both = context_key(_request(client), require_client_entropy=True,
                       require_server_entropy=True, default_bits=256)
    assert both.server_entropy is not None and not both.binary_secret
    assert both.key == wc.p_sha1(client, both.server_entropy, 32)  # CK/PSHA1, from the RFC
    alone = context_key(_request(client), require_client_entropy=True,
                        require_server_entropy=False, default_bits=256)
    assert alone.key == client and alone.server_entropy is None
    server = context_key(_request(None, 128), require_client_entropy=False,
                         require_server_entropy=True, default_bits=256)
    assert server.binary_secret and len(server.key) == 16
    with pytest.raises(InvalidRequestError, match="requires client entropy"):
        context_key(_request(None), require_client_entropy=True, require_server_entropy=True,
                    default_bits=256)


def test_the_answer_says_how_the_key_was_made():
    client = os.urandom(32)
    key = context_key(_request(client), require_client_entropy=True,
                      require_server_entropy=True, default_bits=256)
    rstr = build_context_response(IssuedContext("urn:uuid:one", "sct-1", NOW,
                                                NOW + timedelta(hours=1), key), context="c-1")
    read = sc.read_context(rstr, client)
    assert read.identifier == "urn:uuid:one" and read.key == key.key
    assert rstr.get("Context") == "c-1"
    attached = rstr.find(f"{WST}RequestedAttachedReference//{{{ns.WSSE}}}Reference")
    assert attached.get("URI") == "#sct-1" and attached.get("ValueType") == ns.WSC_2005_SCT
    secret = context_key(_request(None), require_client_entropy=False,
                         require_server_entropy=True, default_bits=256)
    rstr = build_context_response(IssuedContext("urn:uuid:two", "sct-2", NOW, NOW, secret),
                                  context=None)
    proof = rstr.findtext(f"{WST}RequestedProofToken/{WST}BinarySecret")
    assert base64.b64decode(proof) == secret.key
    assert build_context_cancelled(context=None).find(f"{WST}RequestedTokenCancelled") is not None


# -- the engine on a message protected with a context -----------------------------------------

SC_POLICY = read_policy(policy_document("scenario11"))
CONTEXT = sc.Context("urn:uuid:core-context", os.urandom(32), "")


def _contexts(known: dict[str, bytes]):
    def key_of(identifier: str) -> bytes:
        if identifier not in known:
            raise BadContextTokenError(f"The security context {identifier!r} is not known.")
        return known[identifier]
    return key_of


def _receive(sent: wc.Sent, known: dict[str, bytes]):
    message = parse_envelope(sent.envelope, content_type="application/soap+xml")
    return process_inbound(message, SC_POLICY, SERVICE, known_certificates=(), now=NOW,
                           skew_seconds=300, context_keys=_contexts(known))


def _rst() -> etree._Element:
    return etree.fromstring(b'<wst:RequestSecurityToken xmlns:wst="http://docs.oasis-open.org/'
                            b'ws-sx/ws-trust/200512"><wst:RequestType>http://docs.oasis-open.org'
                            b'/ws-sx/ws-trust/200512/Issue</wst:RequestType>'
                            b'</wst:RequestSecurityToken>')


@pytest.mark.parametrize(("include_token", "derived"), [(True, True), (False, True),
                                                        (True, False)])
def test_a_message_protected_with_the_context_is_read_and_answered_with_derived_keys(
    include_token, derived
):
    sent = sc.secured(_rst(), CONTEXT, sign=True, encrypt=True, now=NOW,
                      include_token=include_token, derived=derived)
    result = _receive(sent, {CONTEXT.identifier: CONTEXT.key})
    assert result.context is not None and result.context.context == CONTEXT.identifier
    assert etree.QName(result.message.body).localname == "RequestSecurityToken"
    reply = build_response(result.message, _rst(), action="urn:answer")
    secured = secure_response(reply, ResponseSecurity(SC_POLICY, SERVICE, result, NOW))
    checked = wc.check_response(secured, session_key=CONTEXT.key)
    assert checked.body_was_encrypted
    # The STS's own derived keys, each naming the context by its identifier.
    root = etree.fromstring(secured)
    references = root.xpath("//wsc:DerivedKeyToken/wsse:SecurityTokenReference/wsse:Reference",
                            namespaces={"wsc": ns.WSC_2005, "wsse": ns.WSSE})
    assert len(references) == 2
    assert {(r.get("URI"), r.get("ValueType")) for r in references} == {
        (CONTEXT.identifier, ns.WSC_2005_SCT)}


def test_an_unknown_context_is_a_bad_context_or_an_unknown_derivation_source():
    with pytest.raises(BadContextTokenError) as carried:
        _receive(sc.secured(_rst(), CONTEXT, sign=True, encrypt=True, now=NOW), {})
    assert carried.value.fault_code().qname == f"{{{ns.WSC_2005}}}BadContextToken"
    with pytest.raises(UnknownDerivationSourceError) as named:
        _receive(sc.secured(_rst(), CONTEXT, sign=True, encrypt=True, now=NOW,
                            include_token=False), {})
    assert named.value.fault_code(ns.WST_13).qname == (
        f"{{{ns.WSC_2005}}}UnknownDerivationSource")


def test_a_context_is_refused_where_the_policy_has_none():
    model = read_policy(policy_document("scenario3"))
    sent = sc.secured(_rst(), CONTEXT, sign=True, encrypt=False, now=NOW)
    message = parse_envelope(sent.envelope, content_type="application/soap+xml")
    with pytest.raises(BadContextTokenError, match="no SecureConversation token"):
        process_inbound(message, model, SERVICE, known_certificates=(), now=NOW,
                        skew_seconds=300)


def test_a_message_keyed_otherwise_is_not_taken_as_protected_by_the_context():
    # Scenario 3's shape (an EncryptedKey for the STS) under a SecureConversation policy.
    sent = wc.symmetric_request(_rst(), service_cert=SERVICE.certificate, encrypt_body=True,
                                now=NOW)
    with pytest.raises(InvalidSecurityError, match="security context's key"):
        _receive(sent, {CONTEXT.identifier: CONTEXT.key})


def test_a_policy_that_requires_derived_keys_refuses_the_context_key_itself():
    document = policy_document("scenario11").replace(
        b"<sp:SecureConversationToken sp:IncludeToken="
        b'"http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/AlwaysToRecipient">'
        b"\n                <wsp:Policy>",
        b"<sp:SecureConversationToken sp:IncludeToken="
        b'"http://schemas.xmlsoap.org/ws/2005/07/securitypolicy/IncludeToken/AlwaysToRecipient">'
        b"\n                <wsp:Policy><sp:RequireDerivedKeys/>", 1)
    model = read_policy(document)
    assert model.protection_token.require_derived_keys
    plain = sc.secured(_rst(), CONTEXT, sign=True, encrypt=True, now=NOW, derived=False)
    message = parse_envelope(plain.envelope, content_type="application/soap+xml")
    with pytest.raises(InvalidSecurityError, match="keys derived from it"):
        process_inbound(message, model, SERVICE, known_certificates=(), now=NOW,
                        skew_seconds=300,
                        context_keys=_contexts({CONTEXT.identifier: CONTEXT.key}))
    derived = sc.secured(_rst(), CONTEXT, sign=True, encrypt=True, now=NOW)
    message = parse_envelope(derived.envelope, content_type="application/soap+xml")
    assert process_inbound(message, model, SERVICE, known_certificates=(), now=NOW,
                           skew_seconds=300,
                           context_keys=_contexts({CONTEXT.identifier: CONTEXT.key})).context
