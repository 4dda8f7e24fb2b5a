"""A new token is handed out only once its record is committed, and never if the commit fails."""

from __future__ import annotations

import threading

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion, build_envelope
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.server.bootstrap import BootstrapResult
from stsdesk.server.model import RelyingParty
from stsdesk.server.passwords import CredentialCache
from stsdesk.server.storage.errors import UNAVAILABLE_MESSAGE, DatabaseUnavailableError
from stsdesk.server.sts.service import SoapReply, TrustService
from tests.server.conftest import ADMIN_PASSWORD

AUDIENCE = "https://rp.example.org/answer"
SOAP12 = f"{{{ns.SOAP12}}}"


@pytest.fixture
def service(bootstrapped: BootstrapResult, fast_password_hashing):
    app_id = bootstrapped.store.applications.create("answer")
    bootstrapped.store.applications.set_relying_party(
        app_id, RelyingParty("", "answer", AUDIENCE, encrypt_token=False)
    )
    trust = TrustService(
        bootstrapped.store, bootstrapped.keystore, CredentialCache(),
        signing_certificates=bootstrapped.keystore.signing_certificates,
    )
    yield trust
    trust.close()


def _issue() -> bytes:
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                        key_type=KeyType.BEARER, applies_to=AUDIENCE)
    header = build_security_header(SoapVersion.SOAP12, username="admin", password=ADMIN_PASSWORD)
    return build_envelope(SoapVersion.SOAP12, rst, headers=[header])


def _answer(service: TrustService):
    return service.answer(_issue(), content_type=SoapVersion.SOAP12.content_type,
                          soap_action=None)


def _assertion_ids(body: bytes) -> list[str]:
    return etree.fromstring(body).xpath("//*[local-name()='Assertion']/@ID")


def test_the_token_goes_out_once_its_record_is_committed(service, held_commits):
    answer = _answer(service)
    [(record, commit)] = held_commits
    assert answer.durable is commit
    delivered: list[SoapReply] = []
    answer.when_settled(delivered.append)
    assert delivered == []  # still waiting for the commit
    committing = threading.Thread(target=commit.set_result, args=(None,))
    committing.start()
    committing.join()
    # Handed over by the thread that completed the commit, as the token journal's writer does.
    [reply] = delivered
    assert reply.status == 200
    assert _assertion_ids(reply.body) == [record.token_id]


def test_a_reply_with_nothing_to_commit_is_handed_over_at_once(service):
    body = _issue().replace(b"answer", b"unknown")  # no such relying party: a fault
    answer = service.answer(body, content_type=SoapVersion.SOAP12.content_type,
                            soap_action=None)
    assert answer.durable is None
    delivered: list[SoapReply] = []
    answer.when_settled(delivered.append)
    assert [reply.status for reply in delivered] == [400]


def test_a_failed_commit_answers_a_fault_and_never_the_token(service, held_commits):
    answer = _answer(service)
    [(record, commit)] = held_commits
    commit.set_exception(DatabaseUnavailableError(UNAVAILABLE_MESSAGE))
    delivered: list[SoapReply] = []
    answer.when_settled(delivered.append)
    for reply in (answer.wait(), *delivered):
        assert reply.status == 500
        envelope = etree.fromstring(reply.body)
        assert envelope.findtext(f".//{SOAP12}Reason/{SOAP12}Text") == UNAVAILABLE_MESSAGE
        assert record.token_id.encode() not in reply.body
        assert _assertion_ids(reply.body) == []


def test_a_commit_that_never_completes_answers_a_fault_and_never_the_token(
        service, held_commits):
    answer = _answer(service)
    [(record, _)] = held_commits
    reply = answer.too_late()
    assert reply.status == 500 and b"internal error" in reply.body
    assert record.token_id.encode() not in reply.body
    assert _assertion_ids(reply.body) == []


def test_a_commit_that_fails_for_a_bug_says_nothing_of_it(service, held_commits, caplog):
    answer = _answer(service)
    [(record, commit)] = held_commits
    commit.set_exception(RuntimeError("disk controller on fire"))
    reply = answer.wait()
    assert reply.status == 500
    assert b"internal error" in reply.body and b"controller" not in reply.body
    assert record.token_id.encode() not in reply.body
    assert "could not commit an issued token's record" in caplog.text


def test_handle_waits_for_the_real_journal(service, bootstrapped):
    reply = service.handle(_issue(), content_type=SoapVersion.SOAP12.content_type,
                           soap_action=None)
    assert reply.status == 200
    [token_id] = _assertion_ids(reply.body)
    # Committed before handle() returned: any worker or node can validate it now.
    assert bootstrapped.store.tokens.get(token_id) is not None
