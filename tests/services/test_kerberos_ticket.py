"""Scenario 20 in the test client where it cannot work: no principal, or no python-gssapi on
this computer. The person is told what to give or what to install; nothing is sent."""

from __future__ import annotations

import pytest

from stsdesk.core.errors import InvalidRequestError
from stsdesk.services.kerberos_ticket import kerberos_ap_req
from stsdesk.services.message_security import MessageSecurity, secure
from tests.helpers.kerberos_absent import without_kerberos

ENVELOPE = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
            b'<x xmlns="urn:example"/></s:Body></s:Envelope>')


def test_without_python_gssapi_the_person_is_told_what_to_install():
    security = MessageSecurity.for_scenario("scenario20",
                                            service_principal="HTTP/sts.example.org@EXAMPLE.ORG")
    with without_kerberos(), pytest.raises(InvalidRequestError) as raised:
        secure(ENVELOPE, security, username=None, password=None)
    assert "python-gssapi" in raised.value.message and "kinit" in raised.value.message


def test_without_a_principal_it_asks_for_one():
    with pytest.raises(InvalidRequestError, match="service principal"):
        kerberos_ap_req("  ")
