"""Server errors reaching the WS-Trust endpoint: the one table turns them into SOAP faults."""

from __future__ import annotations

from lxml import etree

from stsdesk.core import ns
from stsdesk.core.errors import RequestFailedError
from stsdesk.core.soap import SoapVersion, build_envelope
from stsdesk.core.wstrust import RequestType, TrustVersion, build_request
from stsdesk.server.bootstrap import BootstrapResult
from stsdesk.server.errors import NotFoundError, UnavailableError, fault_for
from stsdesk.server.passwords import CredentialCache
from stsdesk.server.storage.errors import UNAVAILABLE_MESSAGE, DatabaseUnavailableError
from stsdesk.server.sts.service import TrustService

SOAP12 = f"{{{ns.SOAP12}}}"


def _issue_request() -> bytes:
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                        applies_to="https://rp.example.org/")
    return build_envelope(SoapVersion.SOAP12, rst)


def _answer(bootstrapped: BootstrapResult, error: Exception) -> tuple[int, etree._Element]:
    service = TrustService(
        bootstrapped.store, bootstrapped.keystore, CredentialCache(),
        signing_certificates=bootstrapped.keystore.signing_certificates,
    )

    def failing(*_args: object) -> int:
        raise error

    service._reads.fresh_state = failing  # the first database read of every request
    try:
        reply = service.handle(_issue_request(), content_type=SoapVersion.SOAP12.content_type,
                               soap_action=None)
    finally:
        service.close()
    return reply.status, etree.fromstring(reply.body)


def test_an_unavailable_database_is_a_request_failed_fault_with_its_message(bootstrapped):
    status, envelope = _answer(bootstrapped, DatabaseUnavailableError(UNAVAILABLE_MESSAGE))
    assert status == 500  # the receiver's fault, even on SOAP 1.2
    subcode = envelope.findtext(f".//{SOAP12}Subcode/{SOAP12}Value")
    assert subcode is not None and subcode.endswith(":RequestFailed")
    assert envelope.findtext(f".//{SOAP12}Reason/{SOAP12}Text") == UNAVAILABLE_MESSAGE


def test_other_server_errors_are_internal_and_say_nothing_of_their_insides(bootstrapped):
    status, envelope = _answer(bootstrapped, NotFoundError("There is no signing key 'x'."))
    assert status == 500
    reason = envelope.findtext(f".//{SOAP12}Reason/{SOAP12}Text")
    assert "internal error" in reason and "signing key" not in reason


def test_the_table_maps_unavailable_only():
    fault = fault_for(UnavailableError("busy; try again"))
    assert isinstance(fault, RequestFailedError) and fault.message == "busy; try again"
    assert not fault.sender
    assert fault_for(NotFoundError("x")) is None
