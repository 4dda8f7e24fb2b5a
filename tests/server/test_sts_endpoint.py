"""The token endpoint as a bare ASGI application: what it reads of a request, what it sends."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion, build_envelope
from stsdesk.core.wssecurity import build_security_header
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.server import app as app_module
from stsdesk.server.app import STS_PATH, build_app
from stsdesk.server.bootstrap import BootstrapResult
from stsdesk.server.model import RelyingParty
from stsdesk.server.sts.service import TrustService
from tests.server.conftest import ADMIN_PASSWORD

SOAP12 = b"application/soap+xml; charset=utf-8"


def _call(app, headers: list[tuple[bytes, bytes]], messages: list[dict]) -> list[dict]:
    """One POST to the token endpoint; the ASGI messages the application sent back."""
    sent: list[dict] = []
    incoming = iter(messages)

    async def receive() -> dict:
        return next(incoming)

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": STS_PATH, "headers": headers,
             "query_string": b"", "scheme": "https", "server": ("127.0.0.1", 8443),
             "client": ("127.0.0.1", 50000), "root_path": "", "http_version": "1.1",
             "asgi": {"version": "3.0"}}
    asyncio.run(app(scope, receive, send))
    return sent


def test_a_body_in_several_chunks_is_read_whole_and_answered_with_a_soap_fault(
    bootstrapped, server_settings, fast_password_hashing
):
    app = build_app(bootstrapped, server_settings)
    envelope = (b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
                b'<x:Other xmlns:x="urn:example"/></s:Body></s:Envelope>')
    half = len(envelope) // 2
    sent = _call(app, [(b"content-type", SOAP12), (b"content-length", str(len(envelope)).encode())],
                 [{"type": "http.request", "body": envelope[:half], "more_body": True},
                  {"type": "http.request", "body": envelope[half:], "more_body": False}])
    start, body = sent
    headers = dict(start["headers"])
    assert start["status"] == 400  # a sender fault in SOAP 1.2
    assert headers[b"content-type"] == SOAP12
    assert int(headers[b"content-length"]) == len(body["body"])
    fault = etree.fromstring(body["body"]).find(f".//{{{ns.SOAP12}}}Fault")
    assert fault is not None  # the whole envelope was parsed: the fault names the Body's content
    assert "RequestSecurityToken" in etree.tostring(fault).decode()


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    bootstrapped, server_settings
):
    app = build_app(bootstrapped, server_settings)
    sent = _call(app, [(b"content-type", b"text/xml"), (b"content-length", b"99999999")], [])
    assert sent[0]["status"] == 413
    assert b"larger than this STS accepts" in sent[1]["body"]


def test_a_client_that_goes_away_gets_nothing_sent(bootstrapped, server_settings):
    app = build_app(bootstrapped, server_settings)
    sent = _call(app, [(b"content-type", SOAP12)],
                 [{"type": "http.request", "body": b"<s:Env", "more_body": True},
                  {"type": "http.disconnect"}])
    assert sent == []


AUDIENCE = "https://rp.example.org/endpoint"


def _issue_request() -> bytes:
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                        key_type=KeyType.BEARER, applies_to=AUDIENCE)
    header = build_security_header(SoapVersion.SOAP12, username="admin", password=ADMIN_PASSWORD)
    return build_envelope(SoapVersion.SOAP12, rst, headers=[header])


@pytest.fixture
def held_commits(held_commits, bootstrapped: BootstrapResult):
    """A relying party, and the token journal's commits held (conftest's fixture)."""
    app_id = bootstrapped.store.applications.create("endpoint")
    bootstrapped.store.applications.set_relying_party(
        app_id, RelyingParty("", "endpoint", AUDIENCE, encrypt_token=False))
    return held_commits


def _post_issue(app) -> tuple[list[dict], float]:
    """One Issue request; the messages sent back and when the first of them was sent."""
    body = _issue_request()
    sent = _call(app, [(b"content-type", SOAP12)],
                 [{"type": "http.request", "body": body, "more_body": False}])
    return sent, time.monotonic()


def test_the_token_is_sent_only_once_the_journal_has_committed_it(
    bootstrapped, server_settings, fast_password_hashing, held_commits
):
    app = build_app(bootstrapped, server_settings)
    committed_at: list[float] = []

    def commit_later() -> None:  # as the journal's writer thread does, a moment later
        while not held_commits:
            time.sleep(0.01)
        time.sleep(0.3)
        committed_at.append(time.monotonic())
        held_commits[0][1].set_result(None)

    committer = threading.Thread(target=commit_later)
    committer.start()
    sent, answered_at = _post_issue(app)
    committer.join()
    [(record, _)] = held_commits
    start, body = sent
    assert start["status"] == 200
    assert etree.fromstring(body["body"]).xpath("//*[local-name()='Assertion']/@ID") == [
        record.token_id]
    assert answered_at >= committed_at[0]


def test_a_commit_that_never_completes_gets_a_fault_in_time_and_never_the_token(
    bootstrapped, server_settings, fast_password_hashing, held_commits, monkeypatch
):
    # Long enough for the token to be minted (a first request decrypts the signing key).
    monkeypatch.setattr(app_module, "WAIT_SECONDS", 3.0)
    app = build_app(bootstrapped, server_settings)
    began = time.monotonic()
    sent, answered_at = _post_issue(app)
    [(record, _)] = held_commits
    start, body = sent
    assert start["status"] == 500
    assert 3.0 <= answered_at - began < 10
    assert b"internal error" in body["body"]
    assert record.token_id.encode() not in body["body"]


def test_a_request_no_thread_gets_to_in_time_is_refused_as_too_busy(
    bootstrapped, server_settings, monkeypatch
):
    monkeypatch.setattr(app_module, "WAIT_SECONDS", 0.3)
    release = threading.Event()
    answer = TrustService.answer

    def held_up(self, *args, **kwargs):  # the minting threads are all busy elsewhere
        release.wait(10)
        return answer(self, *args, **kwargs)

    monkeypatch.setattr(TrustService, "answer", held_up)
    app = build_app(bootstrapped, server_settings)
    try:
        sent, _ = _post_issue(app)
    finally:
        release.set()  # the late answer finds its event loop gone and is dropped
    start, body = sent
    assert start["status"] == 500
    assert b"too busy to answer in time" in body["body"]


def test_a_request_that_fails_for_a_bug_gets_the_internal_error_at_once(
    bootstrapped, server_settings, monkeypatch, caplog
):
    # A bug in answering (an exception TrustService.answer lets out) must not leave the client
    # waiting the whole WAIT_SECONDS only to be told the STS was too busy.
    monkeypatch.setattr(app_module, "WAIT_SECONDS", 5.0)

    def bug(self, *args, **kwargs):
        raise RuntimeError("a bug with an inside detail")

    monkeypatch.setattr(TrustService, "answer", bug)
    app = build_app(bootstrapped, server_settings)
    began = time.monotonic()
    sent, answered_at = _post_issue(app)
    start, body = sent
    assert answered_at - began < 2.5
    assert start["status"] == 500
    assert b"internal error" in body["body"]
    assert b"too busy" not in body["body"]
    assert b"inside detail" not in body["body"]  # the log has it, the client does not
    assert "a bug with an inside detail" in caplog.text
