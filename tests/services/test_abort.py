"""Cancelling a request on the wire cuts its connection: the worker ends now, not at the time-out."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from stsdesk.core.soap import SoapVersion
from stsdesk.services.errors import RequestCancelledError
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.token_session import TokenRequestOptions, TokenSession
from stsdesk.services.trust_client import TrustClient

TIMEOUT = 30.0  # the test client's default: nothing here may wait for it


@dataclass
class SilentServer:
    """Accepts connections on loopback, reads what comes, never answers."""

    port: int
    accepted: list[socket.socket] = field(default_factory=list)
    received: bytearray = field(default_factory=bytearray)
    closed_by_peer: threading.Event = field(default_factory=threading.Event)

    def url(self, scheme: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}/services/wso2carbon-sts"


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.1)
    server = SilentServer(listener.getsockname()[1])
    stop = threading.Event()

    def read(conn: socket.socket) -> None:
        conn.settimeout(0.1)
        while not stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                server.closed_by_peer.set()  # what the client's cut looks like from here
                break
            server.received.extend(data)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn = listener.accept()[0]
            except OSError:
                continue
            server.accepted.append(conn)
            threading.Thread(target=read, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join(2)
    for conn in server.accepted:
        conn.close()
    listener.close()


def _in_thread(work) -> tuple[threading.Thread, list[BaseException]]:  # type: ignore[no-untyped-def]
    raised: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, raised


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_abort_ends_a_worker_blocked_on_a_silent_server(silent_server, scheme):
    # https: the server never answers the TLS handshake; http: it reads the request and is quiet.
    client = TrustClient(silent_server.url(scheme), trust=TrustPolicy(insecure=True),
                         timeout=TIMEOUT)
    cancel = threading.Event()
    thread, raised = _in_thread(lambda: client.post(
        b"<Envelope/>", soap_version=SoapVersion.SOAP12, action=None, cancel_event=cancel))
    deadline = time.monotonic() + 5
    while not silent_server.received and time.monotonic() < deadline:
        time.sleep(0.02)
    assert silent_server.received, "the request never reached the server"
    thread.join(0.5)
    assert thread.is_alive()  # blocked, waiting for an answer that does not come

    cut_at = time.monotonic()
    cancel.set()
    client.abort()
    thread.join(1.0)
    assert not thread.is_alive(), "the worker still waits for the time-out"
    assert time.monotonic() - cut_at < 1.0
    assert len(raised) == 1 and isinstance(raised[0], RequestCancelledError), raised
    assert silent_server.closed_by_peer.wait(1.0)  # the server sees the connection end


def test_abandoning_a_token_request_ends_its_worker(silent_server):
    options = TokenRequestOptions(endpoint=silent_server.url("https"), username="alice",
                                  password="not sent anywhere real",
                                  tls=TrustPolicy(insecure=True), timeout_seconds=TIMEOUT)
    session = TokenSession(options)
    thread, raised = _in_thread(lambda: session.issue(options))
    deadline = time.monotonic() + 5
    while not silent_server.received and time.monotonic() < deadline:
        time.sleep(0.02)
    thread.join(0.3)
    assert thread.is_alive()

    session.abandon()
    thread.join(1.0)
    assert not thread.is_alive(), "the worker still waits for the time-out"
    assert len(raised) == 1 and isinstance(raised[0], RequestCancelledError), raised
    assert session.history == ()  # the abandoned request left nothing behind
