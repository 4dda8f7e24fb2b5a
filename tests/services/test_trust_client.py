"""The WS-Trust client against a real STS over HTTPS: one TLS trust type, one WS-Addressing."""

from __future__ import annotations

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request, request_action
from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.errors import InputError, ServiceError, TrustClientError
from stsdesk.services.tls import TrustPolicy, display_fingerprint, fetch_certificate, fingerprint
from stsdesk.services.trust_client import Credentials, TrustClient
from tests.e2e import conftest as e2e
from tests.e2e.conftest import ADMIN_PASSWORD, RP_PLAIN
from tests.helpers.independent import assert_schema_valid

live_sts = e2e.live_sts

ANONYMOUS = {
    ns.WSA_2005: "http://www.w3.org/2005/08/addressing/anonymous",
    ns.WSA_2004: "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous",
}
SCHEMA = {ns.WSA_2005: "ws-addr-200508.xsd", ns.WSA_2004: "ws-addr-200408.xsd"}


def _issue(client: TrustClient, *, addressing: str = ns.WSA_2005,
           version: TrustVersion = TrustVersion.WST_13):
    rst = build_request(version, RequestType.ISSUE, key_type=KeyType.BEARER, applies_to=RP_PLAIN,
                        addressing_namespace=addressing)
    return client.send(rst, trust_version=version, request_type=RequestType.ISSUE,
                       soap_version=SoapVersion.SOAP12, addressing_namespace=addressing,
                       credentials=Credentials("admin", ADMIN_PASSWORD))


def _header(message: bytes, namespace: str, name: str) -> etree._Element:
    found = etree.fromstring(message).findall(f"{{{ns.SOAP12}}}Header/{{{namespace}}}{name}")
    assert len(found) == 1, f"{len(found)} wsa:{name} headers"
    return found[0]


def test_one_trust_policy_serves_the_admin_client_and_the_sts_client(live_sts):
    pin = fingerprint(fetch_certificate(live_sts.endpoint))
    # As a person copies it from a certificate dialog: colons, upper case.
    typed = TrustPolicy(pinned_sha256=display_fingerprint(pin))
    assert typed.pinned_sha256 == pin
    with TrustClient(live_sts.endpoint, trust=typed) as client:
        assert _issue(client).ok
    admin = AdminClient(ServerEndpoint(live_sts.server.url, "admin", ADMIN_PASSWORD, typed))
    try:
        assert admin.health()
    finally:
        admin.close()
    with TrustClient(live_sts.endpoint, trust=TrustPolicy(ca_file=str(live_sts.ca_file))) as client:
        assert _issue(client).ok
    with TrustClient(live_sts.endpoint, trust=TrustPolicy(insecure=True)) as client:
        assert _issue(client).ok


def test_untrusted_or_changed_certificates_are_service_errors(live_sts):
    with TrustClient(live_sts.endpoint, trust=TrustPolicy(pinned_sha256="00" * 32)) as client:
        with pytest.raises(TrustClientError) as changed:
            _issue(client)
    with TrustClient(live_sts.endpoint) as client, pytest.raises(ServiceError) as untrusted:
        _issue(client)
    # One boundary in the desktop app shows ServiceErrors: the STS client's are among them.
    assert isinstance(untrusted.value, TrustClientError)
    for error in (changed.value, untrusted.value):
        assert "not trusted" in error.message and live_sts.endpoint in error.message


def test_a_blank_pin_is_no_pin_and_a_bad_one_says_what_to_type():
    assert TrustPolicy(pinned_sha256="  ").pinned_sha256 is None
    with pytest.raises(InputError, match="64 hex digits"):
        TrustPolicy(pinned_sha256="12:34")
    with pytest.raises(InputError, match="one way"):
        TrustPolicy(pinned_sha256="ab" * 32, insecure=True)
    # A profile may keep a CA file and later pin the certificate: the pin decides.
    both = TrustPolicy(pinned_sha256="AB" * 32, ca_file="ca.pem")
    assert both.pinned_sha256 == "ab" * 32 and both.warning is None
    assert "OFF" in (TrustPolicy(insecure=True).warning or "")


@pytest.mark.parametrize("addressing, version", [(ns.WSA_2005, TrustVersion.WST_13),
                                                 (ns.WSA_2004, TrustVersion.WST_2005)])
def test_requests_carry_ws_addressing_and_the_answer_relates_to_them(
        live_sts, addressing, version):
    with live_sts.client() as client:
        exchange = _issue(client, addressing=addressing, version=version)
    assert exchange.ok, exchange.fault_reason
    sent = {name: _header(exchange.request_bytes, addressing, name)
            for name in ("Action", "MessageID", "To", "ReplyTo")}
    assert sent["Action"].text == request_action(version, RequestType.ISSUE)
    assert sent["To"].text == live_sts.endpoint
    assert sent["ReplyTo"].findtext(f"{{{addressing}}}Address") == ANONYMOUS[addressing]
    assert sent["MessageID"].text.startswith("urn:uuid:")
    for header in sent.values():
        assert_schema_valid(header, SCHEMA[addressing])
    relates_to = _header(exchange.response_bytes, addressing, "RelatesTo")
    assert relates_to.text == sent["MessageID"].text
    assert_schema_valid(relates_to, SCHEMA[addressing])
    answered = _header(exchange.response_bytes, addressing, "MessageID").text
    assert answered != sent["MessageID"].text
