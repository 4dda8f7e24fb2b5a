"""The client's side of WS-SecureConversation: what it sends is what the STS's reader accepts,
and the key it reads from an answer is the one the STS keeps (P_SHA1 checked independently)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError
from stsdesk.core.scenarios import applied_policy_document
from stsdesk.core.secconv import (
    ContextKey,
    ContextOperation,
    IssuedContext,
    build_context_cancelled,
    build_context_response,
    context_key,
    parse_context_request,
)
from stsdesk.core.secconv_client import (
    ClientContext,
    build_context_cancel_request,
    build_context_issue_request,
    read_context_cancelled,
    read_issued_context,
)
from stsdesk.core.wssec.client_request import RequestSecurity, secure_request
from stsdesk.core.wssec.header_report import Check, HeaderKeys, read_security_header
from stsdesk.core.wssec.policy import read_policy
from tests.helpers import wss_client as wc

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def issued(key: ContextKey) -> etree._Element:
    return build_context_response(
        IssuedContext("urn:uuid:ctx-1", "sct-1", NOW, NOW + timedelta(hours=1), key),
        context=None)


def test_the_issue_request_is_what_the_sts_reads_and_the_key_is_the_one_it_keeps():
    entropy = os.urandom(32)
    request = parse_context_request(build_context_issue_request(entropy), ContextOperation.ISSUE)
    assert request.client_entropy == entropy and request.key_size == 256
    kept = context_key(request, require_client_entropy=True, require_server_entropy=True,
                       default_bits=256)
    context = read_issued_context(issued(kept), entropy)
    assert context.key == kept.key == wc.p_sha1(entropy, kept.server_entropy, 32)
    assert context.identifier == "urn:uuid:ctx-1" and context.computed and context.bits == 256
    assert context.expires == NOW + timedelta(hours=1)


def test_a_key_the_sts_sends_itself_is_taken_as_it_is():
    secret = os.urandom(32)
    context = read_issued_context(issued(ContextKey(secret, binary_secret=True)), os.urandom(32))
    assert context.key == secret and not context.computed


def test_the_cancel_names_the_context_the_sts_looks_for():
    rst = build_context_cancel_request("urn:uuid:ctx-1")
    assert parse_context_request(rst, ContextOperation.CANCEL).target == "urn:uuid:ctx-1"
    assert read_context_cancelled(build_context_cancelled(context=None))
    assert not read_context_cancelled(issued(ContextKey(b"k" * 32, binary_secret=True)))


def test_an_answer_without_a_context_is_refused_with_a_reason():
    empty = etree.Element(f"{{{ns.WST_2005}}}RequestSecurityTokenResponse")
    with pytest.raises(InvalidRequestError, match="SecurityContextToken"):
        read_issued_context(empty, os.urandom(32))
    other = etree.Element(f"{{{ns.WST_13}}}RequestSecurityTokenResponse")
    with pytest.raises(InvalidRequestError, match="February 2005"):
        read_issued_context(other, os.urandom(32))


def test_an_unknown_key_computation_is_refused():
    answer = issued(ContextKey(b"k" * 32, server_entropy=os.urandom(32)))
    answer.find(f".//{{{ns.WST_2005}}}ComputedKey").text = "urn:example:other"
    with pytest.raises(InvalidRequestError, match="CK/PSHA1"):
        read_issued_context(answer, os.urandom(32))


def _secured_under_a_context(context):
    envelope = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
                b'<x xmlns="urn:example"/></s:Body></s:Envelope>')
    policy = read_policy(applied_policy_document("scenario11"))
    return secure_request(envelope, RequestSecurity(policy=policy, now=datetime.now(UTC),
                                                    context=context))


def test_a_request_under_a_context_reads_back_with_its_key_and_not_without():
    context = ClientContext("urn:uuid:ctx-2", os.urandom(32))
    sent = _secured_under_a_context(context)
    assert sent.context_identifier == context.identifier and sent.session_key == context.key
    held = read_security_header(sent.envelope, HeaderKeys(contexts={context.identifier:
                                                                    context.key}))
    assert [s.status for s in held.signatures] == [Check.VALID]
    assert held.signatures[0].covers_body
    assert [p.status for p in held.encrypted_parts] == [Check.DECRYPTED]
    assert not held.problems
    stranger = read_security_header(sent.envelope, HeaderKeys())
    assert any("its key is not known here" in t.description for t in stranger.tokens)
    assert [s.status for s in stranger.signatures] == [Check.NOT_CHECKED]


def test_without_a_context_a_request_under_a_context_policy_is_not_built():
    with pytest.raises(InvalidRequestError, match="security context"):
        _secured_under_a_context(None)
