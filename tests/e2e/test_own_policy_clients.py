"""An own policy published in the WSDL and MEX documents, read by clients made elsewhere.

The policy (``username-over-https.xml``) means what scenario 1 means but is written in WS-Policy
1.5 and WS-SecurityPolicy 1.2 without a wsu:Id. MSAL finds its username endpoint in the MEX
document and zeep builds its request from the WSDL, as they do under scenario 1.
"""

from __future__ import annotations

from collections.abc import Iterator

import msal.mex
import msal.wstrust_request
import pytest
import zeep
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken

from stsdesk.core import ns
from tests.e2e.conftest import ADMIN_PASSWORD, LiveSts
from tests.e2e.test_mex_clients import (
    MICROSOFT_ONLINE,
    _assert_signed_assertion_for,
    _mex_url,
    _session,
    _timestamp,
)
from tests.helpers.data import DATA

API = "/api/server/v1"
POLICY = (DATA / "own-policies" / "username-over-https.xml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def own_policy(live_sts: LiveSts) -> Iterator[None]:
    with _session(live_sts) as admin:
        admin.auth = ("admin", ADMIN_PASSWORD)
        url = live_sts.server.url + API
        app = admin.post(url + "/applications", json={
            "name": "Microsoft Online (own policy)",
            "inboundProtocolConfiguration": {"wsTrust": {"audience": MICROSOFT_ONLINE}},
        })
        assert app.status_code == 201, app.text
        applied = admin.put(url + "/sts/security", json={
            "policyName": "UT over HTTPS (WS-Policy 1.5)", "policy": POLICY,
            "allowedRoles": ["admin"]})
        assert applied.status_code == 200, applied.text
        try:
            yield
        finally:
            admin.put(url + "/sts/security", json={"scenarioId": "scenario1",
                                                   "allowedRoles": ["admin"]})
            admin.delete(url + f"/applications/{app.json()['id']}")


def test_msal_finds_the_username_endpoint_of_an_own_policy_and_gets_a_token(
        live_sts: LiveSts, own_policy: None) -> None:
    with _session(live_sts) as http:
        endpoint = msal.mex.send_request(_mex_url(live_sts), http)
        assert endpoint == {"address": live_sts.endpoint, "action": msal.mex.Mex.ACTION_13}
        result = msal.wstrust_request.send_request(
            "admin", ADMIN_PASSWORD, MICROSOFT_ONLINE, endpoint["address"], endpoint["action"],
            http)
    _assert_signed_assertion_for(live_sts, result["token"], MICROSOFT_ONLINE)


def test_zeep_loads_the_wsdl_with_an_own_policy_and_issues(
        live_sts: LiveSts, own_policy: None) -> None:
    with _session(live_sts) as http:
        wsdl = http.get(live_sts.endpoint + "?wsdl").text
        assert "OwnSecurityPolicy" in wsdl and "Basic256Sha256" in wsdl
        client = zeep.Client(wsdl=live_sts.endpoint + "?wsdl", transport=Transport(session=http),
                             wsse=UsernameToken("admin", ADMIN_PASSWORD,
                                                timestamp_token=_timestamp()))
        service = client.bind("wso2carbon-sts", "wso2carbon-stsHttpsSoap12Endpoint")
        (response,) = service.IssueToken(
            TokenType=ns.TOKEN_SAML20, RequestType=f"{ns.WST_13}/Issue",
            AppliesTo={"EndpointReference": {"Address": "https://rp.example.org/plain"}},
            KeyType=f"{ns.WST_13}/Bearer")
    assert response.TokenType == ns.TOKEN_SAML20
