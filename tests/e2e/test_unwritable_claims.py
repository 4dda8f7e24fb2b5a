"""A claim value no XML token can carry: the client gets a fault that names the claim, the
administrator a log line that says what to change; the value itself reaches neither."""

from __future__ import annotations

import logging

import pytest

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import ClaimRequest, RequestType, TrustVersion, build_request
from stsdesk.services.trust_client import Credentials
from tests.e2e.conftest import RP_ENCRYPTED

GIVEN_NAME = "http://wso2.org/claims/givenname"
PASSWORD = "Unwritable-claim-1"


@pytest.mark.parametrize("token_type", [ns.TOKEN_SAML20, ns.TOKEN_SAML11])
def test_a_control_character_in_a_claim_is_a_fault_naming_the_claim(
    live_sts, token_type, caplog
) -> None:
    # Written straight into the user store: a directory synchronised from elsewhere (or an
    # older release) can hold what the admin API would not take.
    username = f"bell-{token_type.rsplit('#', 1)[-1].replace('.', '')}"
    live_sts.store.users.create(
        username, PASSWORD, roles=["admin"], claims={GIVEN_NAME: "Ring\x07the-bell"}
    )
    rst = build_request(
        TrustVersion.WST_13, RequestType.ISSUE, token_type=token_type,
        applies_to=RP_ENCRYPTED, claims=(ClaimRequest(GIVEN_NAME),),
        claims_dialect="http://wso2.org/claims",
    )
    with caplog.at_level(logging.INFO, logger="stsdesk.server.sts"), live_sts.client() as client:
        exchange = client.send(
            rst, trust_version=TrustVersion.WST_13, request_type=RequestType.ISSUE,
            soap_version=SoapVersion.SOAP12, credentials=Credentials(username, PASSWORD),
        )
    assert not exchange.ok
    # Before, lxml's ValueError became the STS's "internal error" fault with a stack trace in
    # the log; now the client reads which claim and which character, as an InvalidRequest.
    assert exchange.fault_code.endswith("InvalidRequest"), exchange.fault_code
    assert f"value of the claim {GIVEN_NAME!r}" in exchange.fault_reason
    assert "U+0007 at position 5" in exchange.fault_reason
    assert "the-bell" not in exchange.fault_reason and "the-bell" not in caplog.text
    assert "Traceback" not in caplog.text
