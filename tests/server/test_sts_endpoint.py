"""The token endpoint as a bare ASGI application: what it reads of a request, what it sends."""

from __future__ import annotations

import asyncio

from lxml import etree

from stsdesk.core import ns
from stsdesk.server.app import STS_PATH, build_app

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
