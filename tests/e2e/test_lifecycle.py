"""Validate, Renew and Cancel over real HTTPS, state kept in the database."""

from __future__ import annotations

import time

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import KeyType, Renewing, RequestType, TrustVersion, build_request
from tests.e2e.conftest import RP_ENCRYPTED, RP_PLAIN
from tests.helpers.independent import verify_with_signxml

TOKEN_TYPES = {"1.1": ns.TOKEN_SAML11, "2.0": ns.TOKEN_SAML20}


def _call(client, admin, trust, request_type, soap=SoapVersion.SOAP12, **options):
    rst = build_request(trust, request_type, **options)
    return client.send(
        rst, trust_version=trust, request_type=request_type, soap_version=soap, credentials=admin
    )


def _status(trust):
    return f"{trust.namespace}/RSTR/Status"


def _valid(trust):
    return f"{trust.namespace}/status/valid"


def _invalid(trust):
    return f"{trust.namespace}/status/invalid"


def _reference(token_id: str) -> etree._Element:
    reference = etree.Element(f"{{{ns.WSSE}}}SecurityTokenReference", nsmap={"wsse": ns.WSSE})
    identifier = etree.SubElement(reference, f"{{{ns.WSSE}}}KeyIdentifier", ValueType=ns.SAML2_ID)
    identifier.text = token_id
    return reference


@pytest.mark.parametrize("saml", ["1.1", "2.0"])
@pytest.mark.parametrize("trust", [TrustVersion.WST_2005, TrustVersion.WST_13])
@pytest.mark.parametrize("soap", [SoapVersion.SOAP11, SoapVersion.SOAP12])
def test_issue_validate_renew_cancel(live_sts, client, admin, saml, trust, soap):
    issued = _call(
        client,
        admin,
        trust,
        RequestType.ISSUE,
        soap,
        token_type=TOKEN_TYPES[saml],
        key_type=KeyType.BEARER,
        applies_to=RP_PLAIN,
    )
    assert issued.ok, issued.fault_reason
    token = issued.response.token

    validated = _call(
        client, admin, trust, RequestType.VALIDATE, soap, token_type=_status(trust), target=token
    )
    assert validated.ok, validated.fault_reason
    assert validated.response.status_code == _valid(trust), validated.response.status_reason

    renewed = _call(
        client, admin, trust, RequestType.RENEW, soap, token_type=TOKEN_TYPES[saml], target=token
    )
    assert renewed.ok, renewed.fault_reason
    new_token = renewed.response.token
    new_id = new_token.get("ID") or new_token.get("AssertionID")
    old_id = token.get("ID") or token.get("AssertionID")
    assert new_id != old_id
    verify_with_signxml(new_token, live_sts.signing_certificate)
    assert new_token.xpath("string(.//*[local-name()='Audience'])") == RP_PLAIN

    old_again = _call(
        client, admin, trust, RequestType.VALIDATE, soap, token_type=_status(trust), target=token
    )
    assert old_again.response.status_code == _invalid(trust)
    assert "renewed" in old_again.response.status_reason

    cancelled = _call(client, admin, trust, RequestType.CANCEL, soap, target=new_token)
    assert cancelled.ok, cancelled.fault_reason
    assert cancelled.response.cancelled

    after_cancel = _call(
        client,
        admin,
        trust,
        RequestType.VALIDATE,
        soap,
        token_type=_status(trust),
        target=new_token,
    )
    assert after_cancel.response.status_code == _invalid(trust)
    assert "cancelled" in after_cancel.response.status_reason

    renew_cancelled = _call(
        client,
        admin,
        trust,
        RequestType.RENEW,
        soap,
        token_type=TOKEN_TYPES[saml],
        target=new_token,
    )
    assert not renew_cancelled.ok
    assert renew_cancelled.fault_code.endswith("}UnableToRenew")
    assert "cancelled" in renew_cancelled.fault_reason


def test_altered_token_is_invalid(live_sts, client, admin):
    trust = TrustVersion.WST_13
    issued = _call(client, admin, trust, RequestType.ISSUE, applies_to=RP_PLAIN)
    token = issued.response.token
    name_id = token.find(f".//{{{ns.SAML2}}}NameID")
    name_id.text = "mallory"
    verdict = _call(
        client, admin, trust, RequestType.VALIDATE, token_type=_status(trust), target=token
    )
    assert verdict.response.status_code == _invalid(trust)
    assert "altered" in verdict.response.status_reason or "digest" in verdict.response.status_reason


def test_token_from_another_issuer_is_invalid(live_sts, client, admin):
    from stsdesk.core.certificates import generate_self_signed
    from stsdesk.core.saml import sign_assertion

    trust = TrustVersion.WST_13
    issued = _call(client, admin, trust, RequestType.ISSUE, applies_to=RP_PLAIN)
    token = issued.response.token
    token.remove(token.find(f"{{{ns.DS}}}Signature"))
    sign_assertion(token, generate_self_signed("evil"))
    verdict = _call(
        client, admin, trust, RequestType.VALIDATE, token_type=_status(trust), target=token
    )
    assert verdict.response.status_code == _invalid(trust)
    assert "trust" in verdict.response.status_reason


def test_encrypted_token_is_validated_and_cancelled_by_reference(live_sts, client, admin):
    trust = TrustVersion.WST_13
    issued = _call(client, admin, trust, RequestType.ISSUE, applies_to=RP_ENCRYPTED)
    assert etree.QName(issued.response.token).localname == "EncryptedAssertion"
    reference = _reference(issued.response.attached_reference)
    verdict = _call(
        client, admin, trust, RequestType.VALIDATE, token_type=_status(trust), target=reference
    )
    assert verdict.response.status_code == _valid(trust)
    cancelled = _call(
        client,
        admin,
        trust,
        RequestType.CANCEL,
        target=_reference(issued.response.attached_reference),
    )
    assert cancelled.ok
    verdict = _call(
        client,
        admin,
        trust,
        RequestType.VALIDATE,
        token_type=_status(trust),
        target=_reference(issued.response.attached_reference),
    )
    assert verdict.response.status_code == _invalid(trust)


def test_expired_token_renews_only_when_issued_with_renewing_ok(live_sts, client, admin):
    trust = TrustVersion.WST_13
    strict = _call(client, admin, trust, RequestType.ISSUE, applies_to=RP_PLAIN, lifetime_seconds=1)
    lenient = _call(
        client,
        admin,
        trust,
        RequestType.ISSUE,
        applies_to=RP_PLAIN,
        lifetime_seconds=1,
        renewing=Renewing(allow=True, ok=True),
    )
    assert strict.ok and lenient.ok
    time.sleep(1.2)
    verdict = _call(
        client,
        admin,
        trust,
        RequestType.VALIDATE,
        token_type=_status(trust),
        target=strict.response.token,
    )
    assert verdict.response.status_code == _invalid(trust)
    assert "expired" in verdict.response.status_reason
    refused = _call(client, admin, trust, RequestType.RENEW, target=strict.response.token)
    assert refused.fault_code.endswith("}UnableToRenew")
    renewed = _call(client, admin, trust, RequestType.RENEW, target=lenient.response.token)
    assert renewed.ok, renewed.fault_reason


def test_renewing_not_allowed_is_refused(live_sts, client, admin):
    trust = TrustVersion.WST_2005
    issued = _call(
        client, admin, trust, RequestType.ISSUE, applies_to=RP_PLAIN, renewing=Renewing(allow=False)
    )
    refused = _call(client, admin, trust, RequestType.RENEW, target=issued.response.token)
    assert refused.fault_code == f"{{{ns.WST_2005}}}UnableToRenew"


def test_cancel_of_unknown_token_is_refused(live_sts, client, admin):
    trust = TrustVersion.WST_13
    refused = _call(client, admin, trust, RequestType.CANCEL, target=_reference("_deadbeef"))
    assert refused.fault_code == f"{{{ns.WST_13}}}InvalidSecurityToken"
    assert "not issued by this STS" in refused.fault_reason


def test_token_state_is_in_the_database(live_sts, client, admin):
    """A second store on the same database (another worker) sees the cancellation."""
    from stsdesk.server.storage.store import Store

    trust = TrustVersion.WST_13
    issued = _call(client, admin, trust, RequestType.ISSUE, applies_to=RP_PLAIN)
    token_id = issued.response.attached_reference
    _call(client, admin, trust, RequestType.CANCEL, target=issued.response.token)
    other = Store.open(live_sts.store_url)
    try:
        assert other.tokens.get(token_id).status.value == "cancelled"
    finally:
        other.close()
