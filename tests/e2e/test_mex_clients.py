"""Clients written elsewhere find and use the live STS from its metadata alone.

MSAL (Microsoft's authentication library, whose WS-Trust path ADFS-federated sign-ins take)
discovers the token endpoint from ``/mex`` with its own parser and then asks that address for a
token with its own request builder, for WS-Trust 1.3 and February 2005. zeep, a generic
WSDL-driven SOAP client, loads ``?wsdl`` and builds the token request from Python values.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import msal.mex
import msal.wstrust_request
import pytest
import requests
import zeep
from lxml import etree
from zeep.transports import Transport
from zeep.wsse.username import UsernameToken
from zeep.wsse.utils import WSU

from stsdesk.core import ns
from stsdesk.core.xmlparse import parse_xml
from tests.e2e.conftest import ADMIN_PASSWORD, LiveSts
from tests.helpers.independent import verify_with_signxml

# The audience MSAL asks every federated STS for: Microsoft Online (Entra ID) as relying party.
MICROSOFT_ONLINE = "urn:federation:MicrosoftOnline"
API = "/api/server/v1"


def _session(live_sts: LiveSts) -> requests.Session:
    session = requests.Session()
    session.verify = str(live_sts.ca_file)
    session.trust_env = False  # the environment's CA bundle or proxy must not replace the pin
    return session


@pytest.fixture(scope="module")
def microsoft_online(live_sts: LiveSts) -> Iterator[str]:
    """Microsoft Online registered as a service provider through the admin API."""
    with _session(live_sts) as admin:
        admin.auth = ("admin", ADMIN_PASSWORD)
        answer = admin.post(live_sts.server.url + API + "/applications", json={
            "name": "Microsoft Online",
            "inboundProtocolConfiguration": {"wsTrust": {"audience": MICROSOFT_ONLINE}},
        })
        assert answer.status_code == 201, answer.text
        app_id = answer.json()["id"]
        try:
            yield MICROSOFT_ONLINE
        finally:
            admin.delete(live_sts.server.url + API + f"/applications/{app_id}")


@pytest.fixture
def http(live_sts: LiveSts) -> Iterator[requests.Session]:
    with _session(live_sts) as session:
        yield session


def _mex_url(live_sts: LiveSts) -> str:
    return live_sts.endpoint + "/mex"


def _assert_signed_assertion_for(live_sts: LiveSts, token: bytes, audience: str) -> None:
    assertion = parse_xml(token)
    assert etree.QName(assertion).localname == "Assertion"
    signed = verify_with_signxml(assertion, live_sts.signing_certificate)
    subject = signed.xpath("//*[local-name()='NameID' or local-name()='NameIdentifier']/text()")
    assert subject == ["admin"]
    assert signed.xpath("//*[local-name()='Audience']/text()") == [audience]


def _exc_c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


def test_msal_discovers_the_trust13_endpoint_from_mex_and_gets_a_token(
    live_sts: LiveSts, microsoft_online: str, http: requests.Session
):
    endpoint = msal.mex.send_request(_mex_url(live_sts), http)
    assert endpoint == {"address": live_sts.endpoint, "action": msal.mex.Mex.ACTION_13}
    result = msal.wstrust_request.send_request(
        "admin", ADMIN_PASSWORD, microsoft_online, endpoint["address"], endpoint["action"], http
    )
    assert result["type"] in (ns.TOKEN_SAML20, ns.TOKEN_SAML11)
    _assert_signed_assertion_for(live_sts, result["token"], microsoft_online)


def test_msal_finds_the_feb2005_endpoint_too_and_gets_a_token(
    live_sts: LiveSts, microsoft_online: str, http: requests.Session
):
    # MSAL prefers 1.3 when both are there; the endpoints it chooses among come from the same
    # parser methods its public function calls.
    mex = msal.mex.Mex(http.get(_mex_url(live_sts)).text)
    endpoints = mex._get_endpoints(mex._get_bindings(), mex._get_username_password_policy_ids())
    feb2005 = [e for e in endpoints if e["action"] == msal.mex.Mex.ACTION_2005]
    assert feb2005 == [{"address": live_sts.endpoint, "action": msal.mex.Mex.ACTION_2005}]
    result = msal.wstrust_request.send_request(
        "admin", ADMIN_PASSWORD, microsoft_online, feb2005[0]["address"], feb2005[0]["action"],
        http,
    )
    _assert_signed_assertion_for(live_sts, result["token"], microsoft_online)


def test_msal_reports_the_sts_refusal_of_a_wrong_password(
    live_sts: LiveSts, microsoft_online: str, http: requests.Session
):
    endpoint = msal.mex.send_request(_mex_url(live_sts), http)
    with pytest.raises(RuntimeError, match="FailedAuthentication"):
        msal.wstrust_request.send_request(
            "admin", "not the password", microsoft_online, endpoint["address"],
            endpoint["action"], http,
        )


def test_a_metadata_get_over_soap_12_returns_the_same_wsdl_in_mex_metadata(
    live_sts: LiveSts, http: requests.Session
):
    envelope = (
        f'<s:Envelope xmlns:s="{ns.SOAP12}" xmlns:a="{ns.WSA_2005}"><s:Header>'
        f'<a:Action s:mustUnderstand="1">{ns.TRANSFER_GET}</a:Action>'
        "<a:MessageID>urn:uuid:5c3a2b1e-7d0f-4a51-9e39-1b0d6c1f0a42</a:MessageID>"
        f'<a:To s:mustUnderstand="1">{_mex_url(live_sts)}</a:To>'
        "</s:Header><s:Body/></s:Envelope>"
    )
    answer = http.post(_mex_url(live_sts), data=envelope.encode(),
                       headers={"Content-Type": "application/soap+xml; charset=utf-8"})
    assert answer.status_code == 200, answer.text
    root = parse_xml(answer.content)
    names = {"s": ns.SOAP12, "a": ns.WSA_2005, "wsx": ns.WSX, "wsdl": ns.WSDL}
    assert root.xpath("string(s:Header/a:Action)", namespaces=names) == ns.TRANSFER_GET_RESPONSE
    assert root.xpath("string(s:Header/a:RelatesTo)", namespaces=names) == (
        "urn:uuid:5c3a2b1e-7d0f-4a51-9e39-1b0d6c1f0a42"
    )
    (definitions,) = root.xpath("s:Body/wsx:Metadata/wsx:MetadataSection[@Dialect="
                                f"'{ns.WSDL}']/wsdl:definitions", namespaces=names)
    served = parse_xml(http.get(_mex_url(live_sts)).content)
    assert _exc_c14n(definitions) == _exc_c14n(served)


def _timestamp(lifetime: timedelta = timedelta(minutes=5)) -> etree._Element:
    created = datetime.now(UTC).replace(microsecond=0)
    timestamp = WSU.Timestamp()
    timestamp.append(WSU.Created(created.isoformat().replace("+00:00", "Z")))
    timestamp.append(WSU.Expires((created + lifetime).isoformat().replace("+00:00", "Z")))
    return timestamp


@pytest.mark.parametrize("port", ["wso2carbon-stsHttpsSoap12Endpoint",
                                  "wso2carbon-stsHttpsSoap11Endpoint"])
def test_zeep_loads_the_wsdl_and_issues_a_token_from_python_values(
    live_sts: LiveSts, http: requests.Session, port: str
):
    client = zeep.Client(
        wsdl=live_sts.endpoint + "?wsdl",
        transport=Transport(session=http),
        wsse=UsernameToken("admin", ADMIN_PASSWORD, timestamp_token=_timestamp()),
    )
    service = client.bind("wso2carbon-sts", port)
    audience = "https://rp.example.org/plain"
    result = service.IssueToken(
        TokenType=ns.TOKEN_SAML20,
        RequestType=f"{ns.WST_13}/Issue",
        AppliesTo={"EndpointReference": {"Address": audience}},
        KeyType=f"{ns.WST_13}/Bearer",
    )
    (response,) = result
    assert response.TokenType == ns.TOKEN_SAML20
    assert response.AppliesTo.EndpointReference.Address == audience
    assert response.Lifetime.Created is not None and response.Lifetime.Expires is not None
    (assertion,) = response.RequestedSecurityToken._value_1
    assert assertion.tag == f"{{{ns.SAML2}}}Assertion"
    _assert_signed_assertion_for(live_sts, etree.tostring(assertion), audience)


@pytest.mark.parametrize(("port", "operation", "trust"), [
    ("UserNameWSTrustBinding_IWSTrust13Async", "Trust13IssueAsync", ns.WST_13),
    ("UserNameWSTrustBinding_IWSTrustFeb2005Async", "TrustFeb2005IssueAsync", ns.WST_2005),
])
def test_zeep_reads_the_mex_document_too_and_issues_through_either_contract(
    live_sts: LiveSts, http: requests.Session, port: str, operation: str, trust: str
):
    client = zeep.Client(
        wsdl=_mex_url(live_sts),
        transport=Transport(session=http),
        wsse=UsernameToken("admin", ADMIN_PASSWORD, timestamp_token=_timestamp()),
    )
    issue = getattr(client.bind("wso2carbon-sts", port), operation)
    audience = "https://rp.example.org/plain"
    result = issue(
        TokenType=ns.TOKEN_SAML11,
        RequestType=f"{trust}/Issue",
        AppliesTo={"EndpointReference": {"Address": audience}},
        KeyType=f"{trust}/Bearer",
    )
    response = result[0] if trust == ns.WST_13 else result  # 1.3 answers with a collection
    assert response.TokenType == ns.TOKEN_SAML11
    (assertion,) = response.RequestedSecurityToken._value_1
    assert assertion.tag == f"{{{ns.SAML11}}}Assertion"
    _assert_signed_assertion_for(live_sts, etree.tostring(assertion), audience)
