"""The desktop's admin client facing a server that hangs, restarts or answers garbage."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.errors import ServerUnreachableError, ServiceError

SECRET = "Desk-secret-password1"


class FakeServer:
    """A loopback socket that answers every connection with ``reply`` (None: never answers)."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.reply is None:
                self.held.append(conn)  # accept and never answer
                continue
            try:
                conn.recv(65536)
                conn.sendall(self.reply)
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        # close() alone does not wake a thread blocked in accept() on Linux: the socket would
        # keep accepting (and the port answer) after the "server went away". shutdown() does.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=5)
        for conn in self.held:
            conn.close()


@pytest.fixture
def fake() -> Iterator:
    servers: list[FakeServer] = []

    def make(reply: bytes | None) -> AdminClient:
        server = FakeServer(reply)
        servers.append(server)
        return AdminClient(ServerEndpoint(f"http://127.0.0.1:{server.port}", "admin", SECRET),
                           timeout=1.0)

    yield make
    for server in servers:
        server.close()


def _fails_clearly(client: AdminClient, kind: type[ServiceError], *words: str) -> str:
    with pytest.raises(kind) as caught:
        client.get("/applications")
    message = caught.value.message
    for word in words:
        assert word in message, message
    assert SECRET not in message
    client.close()
    return message


def test_a_server_that_hangs_times_out_with_a_message(fake):
    started = time.monotonic()
    _fails_clearly(fake(None), ServerUnreachableError, "did not answer")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("reply", [
    b"SSH-2.0-OpenSSH_9.0\r\n",  # not HTTP at all
    b"\x00\xff\x13garbage" * 10,
])
def test_not_http_is_a_service_error(fake, reply):
    _fails_clearly(fake(reply), ServiceError)


@pytest.mark.parametrize("reply", [
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 27\r\n\r\n"
    b"<html><body>Hi</body></html>",
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{nope",
])
def test_an_answer_that_is_not_json_is_a_service_error(fake, reply):
    _fails_clearly(fake(reply), ServiceError, "not JSON")


def test_an_html_error_page_is_an_api_error_with_the_status(fake):
    reply = (b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 20\r\n\r\n"
             b"<h1>Bad gateway</h1>")
    with pytest.raises(ServiceError) as caught:
        fake(reply).get("/applications")
    assert getattr(caught.value, "status", 502) == 502
    assert "Traceback" not in caught.value.message


def test_a_server_that_restarts_is_unreachable_then_usable_again(fake):
    server = FakeServer(None)
    port = server.port
    server.close()  # the server went away
    client = AdminClient(ServerEndpoint(f"http://127.0.0.1:{port}", "admin", SECRET), timeout=1.0)
    with pytest.raises(ServerUnreachableError) as caught:
        client.health()
    assert "cannot be reached" in caught.value.message
    body = b'{"status": "ok"}'
    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
             + str(len(body)).encode() + b"\r\n\r\n" + body)
    back = FakeServer(reply)
    try:
        client = AdminClient(ServerEndpoint(f"http://127.0.0.1:{back.port}", "admin", SECRET),
                             timeout=1.0)
        assert client.health() == {"status": "ok"}  # the same client type recovers
    finally:
        client.close()
        back.close()
