"""Every refusal is a SOAP fault with the right code and a reason a person can act on."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import requests
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.certificates import generate_self_signed
from stsdesk.core.soap import SoapVersion, build_envelope, parse_fault
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request, request_action
from stsdesk.services.trust_client import Credentials
from tests.e2e.conftest import ADMIN_PASSWORD, RP_PLAIN

WST13 = TrustVersion.WST_13


def _issue(client, credentials, soap=SoapVersion.SOAP12, trust=WST13, **options):
    options.setdefault("applies_to", RP_PLAIN)
    rst = build_request(trust, RequestType.ISSUE, **options)
    return client.send(rst, trust_version=trust, request_type=RequestType.ISSUE,
                       soap_version=soap, credentials=credentials)


def _post(live_sts, body: bytes, content_type: str, **headers):
    return requests.post(live_sts.endpoint, data=body, verify=str(live_sts.ca_file),
                         headers={"Content-Type": content_type, **headers}, timeout=10)


def _raw_issue(live_sts, header: etree._Element | None, soap=SoapVersion.SOAP12):
    rst = build_request(WST13, RequestType.ISSUE, applies_to=RP_PLAIN)
    body = build_envelope(soap, rst, headers=[header] if header is not None else [])
    action = request_action(WST13, RequestType.ISSUE)
    answer = _post(live_sts, body, f'{soap.content_type}; action="{action}"')
    return answer, parse_fault(answer.content)


def test_wrong_password_and_unknown_user_get_the_same_fault(live_sts, client):
    wrong = _issue(client, Credentials("admin", "not-the-password"))
    unknown = _issue(client, Credentials("nobody-here", "whatever"))
    assert wrong.fault_code == unknown.fault_code == f"{{{ns.WST_13}}}FailedAuthentication"
    assert wrong.fault_reason == unknown.fault_reason
    assert "password" in wrong.fault_reason
    assert wrong.status == 400  # SOAP 1.2: the sender's fault
    live_sts.store.logins.record_success("admin")


def test_soap11_fault_is_http_500_with_faultcode(live_sts, client):
    exchange = _issue(client, Credentials("admin", "wrong"), soap=SoapVersion.SOAP11,
                      trust=TrustVersion.WST_2005)
    assert exchange.status == 500
    assert exchange.fault_code == f"{{{ns.WST_2005}}}FailedAuthentication"
    live_sts.store.logins.record_success("admin")


def test_missing_security_header(live_sts):
    answer, (code, reason) = _raw_issue(live_sts, None)
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "Security" in reason


def test_missing_timestamp(live_sts):
    header = build_security_header(SoapVersion.SOAP12, username="admin", password=ADMIN_PASSWORD,
                                   timestamp_ttl=None)
    _, (code, reason) = _raw_issue(live_sts, header)
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "Timestamp" in reason


def test_expired_timestamp(live_sts):
    past = datetime.now(UTC) - timedelta(hours=1)
    header = build_security_header(SoapVersion.SOAP12, username="admin", password=ADMIN_PASSWORD,
                                   now=past)
    _, (code, _) = _raw_issue(live_sts, header)
    assert code == f"{{{ns.WSSE}}}MessageExpired"


def test_timestamp_from_the_future(live_sts):
    future = datetime.now(UTC) + timedelta(minutes=10)
    header = build_security_header(SoapVersion.SOAP12, username="admin", password=ADMIN_PASSWORD,
                                   now=future)
    _, (code, reason) = _raw_issue(live_sts, header)
    assert code == f"{{{ns.WSSE}}}MessageExpired"
    assert "clock" in reason


def test_password_digest_replay_is_refused(live_sts, digest_allowed):
    nonce = os.urandom(16)
    now = datetime.now(UTC)
    first = build_security_header(SoapVersion.SOAP12, username="admin", password=ADMIN_PASSWORD,
                                  digest=True, now=now, nonce=nonce)
    rst = build_request(WST13, RequestType.ISSUE, applies_to=RP_PLAIN)
    body = build_envelope(SoapVersion.SOAP12, rst, headers=[first])
    action = request_action(WST13, RequestType.ISSUE)
    content_type = f'{SoapVersion.SOAP12.content_type}; action="{action}"'
    assert _post(live_sts, body, content_type).status_code == 200
    replay = _post(live_sts, body, content_type)
    code, reason = parse_fault(replay.content)
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "replay" in reason


def test_unknown_applies_to(live_sts, client, admin):
    exchange = _issue(client, admin, applies_to="https://nobody.example.org/")
    assert exchange.fault_code == f"{{{ns.WST_13}}}InvalidRequest"
    assert "https://nobody.example.org/" in exchange.fault_reason


def test_public_key_without_use_key(live_sts, client, admin):
    exchange = _issue(client, admin, key_type=KeyType.PUBLIC)
    assert exchange.fault_code == f"{{{ns.WST_13}}}InvalidRequest"
    assert "UseKey" in exchange.fault_reason


def test_public_key_with_untrusted_certificate(live_sts, client, admin):
    stranger = generate_self_signed("stranger").certificate_der()
    exchange = _issue(client, admin, key_type=KeyType.PUBLIC, use_key_certificate=stranger)
    assert exchange.fault_code == f"{{{ns.WST_13}}}InvalidSecurityToken"
    assert "trust store" in exchange.fault_reason


def test_symmetric_key_for_party_without_certificate(live_sts, client, admin):
    exchange = _issue(client, admin, key_type=KeyType.SYMMETRIC)
    assert exchange.fault_code == f"{{{ns.WST_13}}}RequestFailed"
    assert "certificate" in exchange.fault_reason


def test_lifetime_beyond_maximum(live_sts, client, admin):
    exchange = _issue(client, admin, lifetime_seconds=10 * 24 * 3600)
    assert exchange.fault_code == f"{{{ns.WST_13}}}InvalidRequest"
    assert "maximum" in exchange.fault_reason


def test_unknown_token_type(live_sts, client, admin):
    exchange = _issue(client, admin, token_type="urn:example:jwt")
    assert exchange.fault_code == f"{{{ns.WST_13}}}InvalidRequest"
    assert "SAML" in exchange.fault_reason


def test_user_without_allowed_role_is_refused(live_sts, client):
    live_sts.store.users.create("norole", "N0role-password")
    exchange = _issue(client, Credentials("norole", "N0role-password"))
    assert exchange.fault_code == f"{{{ns.WST_13}}}FailedAuthentication"
    # Told only that they are not authorised: which roles would do is for the server log.
    assert "not authorised" in exchange.fault_reason
    assert "role" not in exchange.fault_reason


def test_repeated_failures_lock_the_account_and_an_admin_can_unlock(live_sts, client):
    live_sts.store.roles.create("tokens")
    live_sts.store.users.create("victim", "V1ctim-password", roles=["admin"])
    for _ in range(5):
        failed = _issue(client, Credentials("victim", "wrong"))
        assert failed.fault_code.endswith("FailedAuthentication")
    locked = _issue(client, Credentials("victim", "V1ctim-password"))
    assert "locked" in locked.fault_reason
    assert live_sts.store.users.get("victim").locked_until is not None
    # Other accounts keep working: one user's lock does not lock the STS.
    assert _issue(client, Credentials("admin", ADMIN_PASSWORD)).ok
    live_sts.store.logins.unlock("victim")
    assert _issue(client, Credentials("victim", "V1ctim-password")).ok


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "DTD"),
        (b"not xml at all", "well-formed"),
        (b"<a>" * 200 + b"</a>" * 200, "nested"),
    ],
)
def test_hostile_xml_gets_a_fault(live_sts, body, expected):
    answer = _post(live_sts, body, "application/soap+xml")
    assert answer.status_code == 400
    code, reason = parse_fault(answer.content)
    assert code.endswith("}InvalidRequest")
    assert expected in reason


def test_oversized_body_is_refused_without_reading_it_all(live_sts):
    answer = _post(live_sts, b"<a>" + b"x" * 2_000_000 + b"</a>", "text/xml")
    assert answer.status_code == 413
    assert "larger" in parse_fault(answer.content)[1]


def test_wrong_content_type(live_sts):
    rst = build_request(WST13, RequestType.ISSUE, applies_to=RP_PLAIN)
    body = build_envelope(SoapVersion.SOAP12, rst)
    answer = _post(live_sts, body, "text/xml")
    code, reason = parse_fault(answer.content)
    assert code.endswith("}InvalidRequest")
    assert "application/soap+xml" in reason


def test_security_disabled_refuses_tokens(live_sts, client, admin):
    import dataclasses

    store = live_sts.store
    policy = store.config.get_security_policy()
    store.config.set_security_policy(dataclasses.replace(policy, enabled=False))
    try:
        exchange = _issue(client, admin)
        assert not exchange.ok
        assert "Security is not configured" in exchange.fault_reason
    finally:
        store.config.set_security_policy(policy)
    assert _issue(client, admin).ok


def test_wsdl_describes_endpoint_with_policy(live_sts):
    answer = requests.get(live_sts.endpoint + "?wsdl", verify=str(live_sts.ca_file), timeout=10)
    assert answer.status_code == 200
    wsdl = etree.fromstring(answer.content)
    policy = wsdl.find(f"{{{ns.WSP_2004}}}Policy")
    assert policy.get(f"{{{ns.WSU}}}Id") == "UTOverTransport"
    references = wsdl.findall(f".//{{{ns.WSP_2004}}}PolicyReference")
    assert {r.get("URI") for r in references} == {"#UTOverTransport"}
    addresses = [a.text for a in wsdl.iter(f"{{{ns.WSA_2005}}}Address")]
    assert addresses and all(a == live_sts.endpoint for a in addresses)


def test_fault_never_leaks_the_password(live_sts, client):
    secret = "Sup3r-secret-value"
    exchange = _issue(client, Credentials("admin", secret))
    assert secret.encode() not in exchange.response_bytes
    live_sts.store.logins.record_success("admin")

