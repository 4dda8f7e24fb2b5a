"""Hostile WS-Trust requests at the live endpoint, and tokens forged, wrapped or replayed."""

from __future__ import annotations

import copy
import time

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certificates import generate_self_signed
from stsdesk.core.saml import sign_assertion
from stsdesk.core.soap import SoapVersion, addressing_headers, build_envelope
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import (
    MAX_APPLIES_TO_LENGTH,
    RequestType,
    build_request,
    request_action,
    response_action,
)
from stsdesk.services.trust_client import Credentials
from tests.hostile.conftest import ADMIN_PASSWORD, RP, WST13

STATUS = f"{WST13.namespace}/RSTR/Status"
VALID = f"{WST13.namespace}/status/valid"
INVALID = f"{WST13.namespace}/status/invalid"
NAME_ID = f"{{{ns.SAML2}}}NameID"


def call(hostile, request_type: RequestType, rst: etree._Element | None = None, **options):
    rst = rst if rst is not None else build_request(WST13, request_type, **options)
    with hostile.client() as client:
        return client.send(rst, trust_version=WST13, request_type=request_type,
                           soap_version=SoapVersion.SOAP12,
                           credentials=Credentials("admin", ADMIN_PASSWORD))


def refused(hostile, exchange, local_name: str, *words: str) -> None:
    assert not exchange.ok
    assert exchange.fault_code.endswith("}" + local_name), (exchange.fault_code,
                                                            exchange.fault_reason)
    for word in words:
        assert word in exchange.fault_reason, exchange.fault_reason
    hostile.assert_nothing_secret(exchange.response_bytes)
    hostile.assert_still_serving()


def issued_token(hostile, **options) -> etree._Element:
    exchange = hostile.issue(**options)
    assert exchange.ok, exchange.fault_reason
    return exchange.response.token


def validate(hostile, token: etree._Element):
    exchange = call(hostile, RequestType.VALIDATE, token_type=STATUS, target=token)
    hostile.assert_nothing_secret(exchange.response_bytes)
    return exchange


# -- the request ------------------------------------------------------------------------


def test_unknown_request_type(hostile):
    rst = build_request(WST13, RequestType.ISSUE, applies_to=RP)
    rst.find(f"{{{WST13.namespace}}}RequestType").text = f"{WST13.namespace}/Steal"
    refused(hostile, call(hostile, RequestType.ISSUE, rst), "InvalidRequest", "Issue")


def test_unknown_key_type(hostile):
    exchange = call(hostile, RequestType.ISSUE, applies_to=RP, key_type="urn:example:no-such-key")
    refused(hostile, exchange, "InvalidRequest", "KeyType")


def test_applies_to_longer_than_any_sane_url(hostile):
    exchange = hostile.issue(applies_to="https://rp.example.org/" + "a" * 100_000)
    refused(hostile, exchange, "InvalidRequest")
    assert len(exchange.response_bytes) < 4 * MAX_APPLIES_TO_LENGTH  # not echoed in full


# Markup, quotes and the answer templates' own hole markers (U+E000 n U+E001): the answer is
# written as text, so each echoed value must be escaped for where it goes and stay one value.
_ECHOED = ('urn:x"</wsa:RelatesTo><wsa:Action>urn:evil</wsa:Action><wsa:RelatesTo>'
           "\ue0000\ue001\ue0002\ue001 & ]]> 'q'\t\r\nend")


@pytest.mark.parametrize("password", [ADMIN_PASSWORD, "wrong"], ids=["answer", "fault"])
def test_the_request_s_message_id_and_context_come_back_as_text(hostile, password):
    wsa = ns.WSA_2005
    action = request_action(WST13, RequestType.ISSUE)
    addressing = addressing_headers(wsa, action=action)
    addressing[1].text = _ECHOED  # the MessageID
    security = build_security_header(SoapVersion.SOAP12, username="admin", password=password)
    rst = build_request(WST13, RequestType.ISSUE, applies_to=RP, context=_ECHOED)
    answer = hostile.post(build_envelope(SoapVersion.SOAP12, rst, headers=[*addressing, security]),
                          hostile.content_type())
    assert answer.status_code == (200 if password == ADMIN_PASSWORD else 400), answer.content[:300]
    envelope = etree.fromstring(answer.content)
    header = envelope.find(f"{{{ns.SOAP12}}}Header")
    assert [child.tag for child in header] == [
        f"{{{wsa}}}Action", f"{{{wsa}}}MessageID", f"{{{wsa}}}RelatesTo"]
    assert header.findtext(f"{{{wsa}}}RelatesTo") == _ECHOED
    expected_action = (response_action(WST13, RequestType.ISSUE) if password == ADMIN_PASSWORD
                       else ns.WSA_2005_FAULT)
    assert header.findtext(f"{{{wsa}}}Action") == expected_action
    if password == ADMIN_PASSWORD:
        [rstr] = envelope.iter(f"{{{WST13.namespace}}}RequestSecurityTokenResponse")
        assert rstr.get("Context") == _ECHOED
    hostile.assert_nothing_secret(answer.content)


def test_unknown_claims_dialect(hostile):
    from stsdesk.core.wstrust import ClaimRequest

    exchange = hostile.issue(claims_dialect="urn:example:my-claims",
                             claims=[ClaimRequest("urn:example:claim")])
    refused(hostile, exchange, "InvalidRequest", "http://wso2.org/claims")


@pytest.mark.parametrize(("created", "expires"), [
    ("2030-01-01T00:00:10Z", "2030-01-01T00:00:00Z"),  # ends before it starts
    ("1999-01-01T00:00:00Z", "1999-01-01T00:05:00Z"),  # wholly in the past
    ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),  # far future, empty
])
def test_lifetime_out_of_range(hostile, created, expires):
    rst = build_request(WST13, RequestType.ISSUE, applies_to=RP, lifetime_seconds=300)
    lifetime = rst.find(f"{{{WST13.namespace}}}Lifetime")
    lifetime.find(f"{{{ns.WSU}}}Created").text = created
    lifetime.find(f"{{{ns.WSU}}}Expires").text = expires
    refused(hostile, call(hostile, RequestType.ISSUE, rst), "InvalidRequest")


# -- Validate / Renew / Cancel of tokens that are not what they seem -----------------------


def test_token_not_issued_here_cannot_be_cancelled_or_renewed(hostile):
    token = issued_token(hostile)
    token.remove(token.find(f"{{{ns.DS}}}Signature"))
    sign_assertion(token, generate_self_signed("evil-sts"))
    assert validate(hostile, token).response.status_code == INVALID
    refused(hostile, call(hostile, RequestType.CANCEL, target=token), "InvalidSecurityToken")
    renew = call(hostile, RequestType.RENEW, target=token)
    assert not renew.ok
    assert renew.fault_code.rsplit("}", 1)[1] in ("InvalidSecurityToken", "UnableToRenew")
    hostile.assert_still_serving()


def test_cancelled_token_is_invalid_and_stays_cancelled(hostile):
    token = issued_token(hostile)
    assert call(hostile, RequestType.CANCEL, target=token).ok
    verdict = validate(hostile, token)
    assert verdict.response.status_code == INVALID
    assert "cancel" in verdict.response.status_reason
    # Cancelling twice is idempotent (the token stays cancelled); it never revives it.
    again = call(hostile, RequestType.CANCEL, target=token)
    hostile.assert_nothing_secret(again.response_bytes)
    assert validate(hostile, token).response.status_code == INVALID
    hostile.assert_still_serving()


def test_expired_token_is_invalid(hostile):
    token = issued_token(hostile, lifetime_seconds=1)
    time.sleep(1.2)
    verdict = validate(hostile, token)
    assert verdict.response.status_code == INVALID
    assert "expired" in verdict.response.status_reason
    hostile.assert_still_serving()


def test_second_assertion_with_the_same_id_is_not_valid(hostile):
    token = issued_token(hostile)
    evil = copy.deepcopy(token)
    evil.remove(evil.find(f"{{{ns.DS}}}Signature"))
    evil.find(f".//{NAME_ID}").text = "mallory"
    # The forged assertion carries the signed one's ID and wraps the genuine one inside it.
    wrapper = etree.SubElement(evil, f"{{{ns.SAML2}}}Advice")
    wrapper.append(token)
    verdict = validate(hostile, evil)
    assert verdict.response.status_code == INVALID
    assert b"mallory" not in verdict.response_bytes or verdict.response.status_code == INVALID
    hostile.assert_still_serving()


def test_signed_assertion_moved_under_an_unsigned_one_is_not_valid(hostile):
    token = issued_token(hostile)
    evil = etree.Element(token.tag, nsmap=token.nsmap)
    for name, value in token.attrib.items():
        evil.set(name, value)
    evil.set("ID", "_forged")
    issuer = copy.deepcopy(token.find(f"{{{ns.SAML2}}}Issuer"))
    evil.append(issuer)
    subject = copy.deepcopy(token.find(f"{{{ns.SAML2}}}Subject"))
    subject.find(NAME_ID).text = "mallory"
    evil.append(subject)
    evil.append(token.find(f"{{{ns.DS}}}Signature"))  # the signature now points elsewhere
    extensions = etree.SubElement(evil, f"{{{ns.SAML2}}}Advice")
    extensions.append(token)
    verdict = validate(hostile, evil)
    assert verdict.response.status_code == INVALID
    refused(hostile, call(hostile, RequestType.CANCEL, target=evil), "InvalidSecurityToken")


def test_comment_inside_the_name_id_does_not_truncate_the_subject(hostile):
    # exc-c14n drops comments, so the signature still verifies; what matters is that the
    # STS never reads the NameID as only its first text node ("ad" instead of "admin").
    token = issued_token(hostile)
    name_id = token.find(f".//{NAME_ID}")
    full = name_id.text
    name_id.text = full[:2]
    comment = etree.Comment("x")
    comment.tail = full[2:]
    name_id.append(comment)
    verdict = validate(hostile, token)
    if verdict.response.status_code == VALID:
        renewed = call(hostile, RequestType.RENEW, target=token)
        if renewed.ok:
            subject = renewed.response.token.find(f".//{NAME_ID}")
            assert "".join(subject.itertext()) == full
    else:
        assert verdict.response.status_code == INVALID
    hostile.assert_nothing_secret()
    hostile.assert_still_serving()


def test_altered_after_signing_cannot_be_renewed_or_cancelled(hostile):
    token = issued_token(hostile)
    token.find(f".//{NAME_ID}").text = "mallory"
    refused(hostile, call(hostile, RequestType.CANCEL, target=token), "InvalidSecurityToken")
    renew = call(hostile, RequestType.RENEW, target=token)
    assert not renew.ok and b"mallory" not in renew.response_bytes
    hostile.assert_still_serving()
