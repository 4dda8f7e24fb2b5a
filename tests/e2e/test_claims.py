"""Claims the way WSO2 IS issues them: a requested claim without a value is left out, no fault."""

from __future__ import annotations

import logging

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import RequestType, TrustVersion, build_request
from stsdesk.services.trust_client import Credentials
from tests.e2e.conftest import ADMIN_PASSWORD, RP_CLAIMS, RP_PLAIN
from tests.helpers.independent import verify_with_signxml

GIVEN_NAME = "http://wso2.org/claims/givenname"
EMAIL = "http://wso2.org/claims/emailaddress"
TELEPHONE = "http://wso2.org/claims/telephone"
PASSWORD = "N0-email-password"
GIVEN_NAME_VALUE = "Grace-without-mail"

# What WSO2's STS client (Rampart/Rahas, WS-Trust 2005/02) sends: wsp:Dialect in the WS-Trust
# namespace and one wsid:ClaimType per claim, none marked optional.
RAHAS_RST = f"""
<wst:RequestSecurityToken xmlns:wst="http://schemas.xmlsoap.org/ws/2005/02/trust">
  <wst:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</wst:RequestType>
  <wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy">
    <wsa:EndpointReference xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing">
      <wsa:Address>{{applies_to}}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>
  <wst:TokenType>http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#{{saml}}</wst:TokenType>
  <wst:KeyType>http://schemas.xmlsoap.org/ws/2005/02/trust/Bearer</wst:KeyType>
  <wst:Claims xmlns:wsp="http://schemas.xmlsoap.org/ws/2005/02/trust" wsp:Dialect="http://wso2.org/claims">
    <wsid:ClaimType xmlns:wsid="http://schemas.xmlsoap.org/ws/2005/05/identity" Uri="{GIVEN_NAME}"/>
    <wsid:ClaimType xmlns:wsid="http://schemas.xmlsoap.org/ws/2005/05/identity" Uri="{EMAIL}"/>
    <wsid:ClaimType xmlns:wsid="http://schemas.xmlsoap.org/ws/2005/05/identity" Uri="{TELEPHONE}"/>
  </wst:Claims>
</wst:RequestSecurityToken>
"""


@pytest.fixture(scope="module")
def no_email(live_sts) -> Credentials:
    """An admin-role user whose profile has a given name and no e-mail address or telephone."""
    live_sts.store.users.create(
        "nomail", PASSWORD, roles=["admin"], claims={GIVEN_NAME: GIVEN_NAME_VALUE}
    )
    return Credentials("nomail", PASSWORD)


def _claim_uris(assertion: etree._Element) -> set[str]:
    uris = set(assertion.xpath(".//*[local-name()='Attribute']/@Name"))
    for node in assertion.xpath(".//*[local-name()='Attribute'][@AttributeNamespace]"):
        uris.add(f"{node.get('AttributeNamespace')}/{node.get('AttributeName')}")
    return uris


@pytest.mark.parametrize("saml", ["SAMLV1.1", "SAMLV2.0"])
def test_wso2_client_request_for_a_user_without_email_gets_a_token_without_it(
    live_sts, no_email, saml, caplog
):
    rst = etree.fromstring(RAHAS_RST.format(applies_to=RP_PLAIN, saml=saml).encode())
    with caplog.at_level(logging.INFO, logger="stsdesk.server.sts"), live_sts.client() as client:
        exchange = client.send(
            rst, trust_version=TrustVersion.WST_2005, request_type=RequestType.ISSUE,
            soap_version=SoapVersion.SOAP11, credentials=no_email,
        )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    assertion = exchange.response.token
    verify_with_signxml(assertion, live_sts.signing_certificate)
    assert _claim_uris(assertion) == {GIVEN_NAME}
    assert GIVEN_NAME_VALUE in assertion.xpath("string(.//*[local-name()='AttributeValue'])")

    left_out = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert len(left_out) == 1, caplog.text
    assert EMAIL in left_out[0] and TELEPHONE in left_out[0] and "nomail" in left_out[0]
    assert GIVEN_NAME not in left_out[0]
    assert GIVEN_NAME_VALUE not in caplog.text and PASSWORD not in caplog.text


def test_service_providers_mandatory_claim_without_a_value_is_left_out(live_sts, no_email):
    # RP_CLAIMS asks for the e-mail address as mandatory and the given name as optional.
    with live_sts.client() as client:
        rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, applies_to=RP_CLAIMS,
                            token_type=ns.TOKEN_SAML20)
        exchange = client.send(
            rst, trust_version=TrustVersion.WST_13, request_type=RequestType.ISSUE,
            soap_version=SoapVersion.SOAP12, credentials=no_email,
        )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    assert _claim_uris(exchange.response.token) == {GIVEN_NAME}


def test_a_user_with_every_claim_still_gets_them_all(live_sts):
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, applies_to=RP_CLAIMS,
                        token_type=ns.TOKEN_SAML20)
    with live_sts.client() as client:
        exchange = client.send(
            rst, trust_version=TrustVersion.WST_13, request_type=RequestType.ISSUE,
            soap_version=SoapVersion.SOAP12, credentials=Credentials("admin", ADMIN_PASSWORD),
        )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    assert _claim_uris(exchange.response.token) == {GIVEN_NAME, EMAIL}


def test_the_log_of_claims_left_out_stays_one_bounded_line(live_sts, no_email, caplog):
    hostile = "".join(
        f'<wsid:ClaimType xmlns:wsid="{ns.WSID}" Uri="urn:x:forged&#10;ERROR {n:02d}"/>'
        for n in range(30)
    )
    rst = etree.fromstring(
        RAHAS_RST.format(applies_to=RP_PLAIN, saml="SAMLV2.0")
        .replace("</wst:Claims>", hostile + "</wst:Claims>").encode()
    )
    with caplog.at_level(logging.INFO, logger="stsdesk.server.sts"), live_sts.client() as client:
        exchange = client.send(
            rst, trust_version=TrustVersion.WST_2005, request_type=RequestType.ISSUE,
            soap_version=SoapVersion.SOAP11, credentials=no_email,
        )
    assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
    (message,) = [r.getMessage() for r in caplog.records if "left out" in r.getMessage()]
    assert "\n" not in message
    assert message.endswith("and 12 more")  # e-mail, telephone and 30 forged: 20 shown
