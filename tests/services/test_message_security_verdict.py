"""The test client's verdict can fail: answers signed by another key, altered after signing, or
without the confirmation of the request's signature are called out, not passed. The answers
are made by the server's own engine (``secure_response``) from requests the client secured."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certificates import SigningIdentity, generate_self_signed
from stsdesk.core.soap import SoapVersion, build_envelope, parse_envelope
from stsdesk.core.wssec import ResponseSecurity, process_inbound, secure_response
from stsdesk.core.wssec.client_request import SecuredRequest
from stsdesk.core.wssec.header_report import Check, read_security_header
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.services.message_security import MessageSecurity, judge_response, secure
from stsdesk.services.token_keys import ClientKeyPair


@pytest.fixture(scope="module")
def sts() -> SigningIdentity:
    return generate_self_signed("verdict-sts.example.org")


@pytest.fixture(scope="module")
def client() -> ClientKeyPair:
    identity = generate_self_signed("verdict-client")
    return ClientKeyPair(identity.certificate, identity.private_key)


def _envelope(body_text: str = "https://rp.example.org/") -> bytes:
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                        key_type=KeyType.BEARER, applies_to=body_text)
    return build_envelope(SoapVersion.SOAP12, rst)


def _answer(request: SecuredRequest, security: MessageSecurity, signer: SigningIdentity,
            service: SigningIdentity, client: ClientKeyPair) -> bytes:
    now = datetime.now(UTC)  # per answer: the verdict checks its Timestamp against the clock
    """The server's engine: accept the request (with ``service``'s key), answer signed by
    ``signer``."""
    message = parse_envelope(request.envelope, content_type=SoapVersion.SOAP12.content_type)
    inbound = process_inbound(message, security.policy, service,
                              known_certificates=(client.certificate,), now=now,
                              skew_seconds=300)
    reply = build_envelope(SoapVersion.SOAP12, etree.fromstring(
        f'<wst:RequestSecurityTokenResponseCollection xmlns:wst="{ns.WST_13}"/>'))
    return secure_response(reply, ResponseSecurity(security.policy, signer, inbound, now))


@pytest.mark.parametrize("scenario", ["scenario2", "scenario5"])
def test_an_answer_from_the_sts_passes(sts, client, scenario):
    security = MessageSecurity.for_scenario(scenario, service_certificate=sts.certificate,
                                            client=client)
    request = secure(_envelope(), security, username=None, password=None)
    verdict, clear = judge_response(_answer(request, security, sts, sts, client), security,
                                    request)
    assert verdict.ok, verdict.lines()
    assert b"RequestSecurityTokenResponseCollection" in clear


def test_an_answer_signed_by_another_key_is_called_out(sts, client):
    security = MessageSecurity.for_scenario("scenario2", service_certificate=sts.certificate,
                                            client=client)
    request = secure(_envelope(), security, username=None, password=None)
    impostor = generate_self_signed("impostor.example.org")
    answer = _answer(request, security, impostor, sts, client)
    verdict, _ = judge_response(answer, security, request)
    assert not verdict.ok
    # The impostor's certificate is named by thumbprint only: its signature cannot be checked.
    assert any("was not checked" in p or "not by the STS" in p for p in verdict.problems)
    assert any("Body of the answer is not covered" in p for p in verdict.problems)


def test_an_answer_altered_after_signing_is_called_out(sts, client):
    security = MessageSecurity.for_scenario("scenario2", service_certificate=sts.certificate,
                                            client=client)
    request = secure(_envelope(), security, username=None, password=None)
    answer = _answer(request, security, sts, sts, client)
    altered = answer.replace(b"RequestSecurityTokenResponseCollection xmlns",
                             b"RequestSecurityTokenResponseCollection Context=\"x\" xmlns", 1)
    assert altered != answer
    verdict, _ = judge_response(altered, security, request)
    assert not verdict.ok
    assert verdict.report.signatures[0].status is Check.INVALID


def test_a_confirmation_of_another_signature_is_called_out(sts, client):
    security = MessageSecurity.for_scenario("scenario5", service_certificate=sts.certificate,
                                            client=client)
    request = secure(_envelope(), security, username=None, password=None)
    answer = _answer(request, security, sts, sts, client)
    other = dataclasses.replace(request, signature_values=(b"another signature value",))
    verdict, _ = judge_response(answer, security, other)
    assert any("does not confirm" in p for p in verdict.problems), verdict.lines()


def test_the_request_reads_back_as_the_sts_would_see_it(sts, client):
    security = MessageSecurity.for_scenario("scenario5", service_certificate=sts.certificate,
                                            client=client)
    request = secure(_envelope(), security, username=None, password=None)
    from stsdesk.core.wssec.header_report import HeaderKeys

    report = read_security_header(request.envelope,
                                  HeaderKeys((sts.private_key,), (sts.certificate,)))
    assert report.signatures[0].status is Check.VALID
    assert "CN=verdict-client" in report.signatures[0].key
    assert [p.status for p in report.encrypted_parts] == [Check.DECRYPTED]
