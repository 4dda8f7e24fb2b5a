"""A response leaves the server as one TLS record: its status line, headers and body joined."""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from stsdesk.server.joined_writes import _JoinedWrites
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings

_APPLICATION_DATA = 23


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> ServerSettings:
    return ServerSettings(
        data_dir=tmp_path_factory.mktemp("joined") / "data", port=0,
        admin_password="Joined-Writes-Pa55",
    )


class _RecordCountingClient:
    """A TLS client over a memory BIO, so the raw records the server sends can be counted."""

    def __init__(self, port: int, ca_file: str) -> None:
        context = ssl.create_default_context(cafile=ca_file)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_hostname="127.0.0.1")
        self.raw = b""
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._pump()
        self._send_pending()

    def _send_pending(self) -> None:
        data = self.outgoing.read()
        if data:
            self.sock.sendall(data)

    def _pump(self) -> None:
        self._send_pending()
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.raw += data
        self.incoming.write(data)

    def exchange(self, request: bytes, expected_body: bytes) -> int:
        """Send ``request``; the number of application-data records its answer came in."""
        self.raw = b""
        self.tls.write(request)
        self._send_pending()
        answer = b""
        while not answer.endswith(expected_body):
            try:
                answer += self.tls.read(65536)
            except ssl.SSLWantReadError:
                self._pump()
        return _application_records(self.raw)

    def close(self) -> None:
        self.sock.close()


def _application_records(raw: bytes) -> int:
    count, offset = 0, 0
    while offset + 5 <= len(raw):
        kind, _version, length = struct.unpack("!BHH", raw[offset:offset + 5])
        count += kind == _APPLICATION_DATA
        offset += 5 + length
    return count


def test_a_response_is_one_tls_record(settings: ServerSettings) -> None:
    body = b"x" * 3000

    async def answer(_: Request) -> Response:
        return Response(body, media_type="text/plain")

    app = Starlette(routes=[Route("/answer", answer)])
    with BackgroundServer(settings, app=app) as server:
        client = _RecordCountingClient(server.port, str(server.ca_file))
        try:
            request = b"GET /answer HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            client.exchange(request, body)  # the first answer may share reads with tickets
            # On a kept-alive connection, the whole answer, headers and body, is one record;
            # uvicorn alone writes the headers and the body as two.
            assert client.exchange(request, body) == 1
            assert client.exchange(request, body) == 1
        finally:
            client.close()


class _Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.calls: list[str] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.calls.append("write")

    def close(self) -> None:
        self.calls.append("close")

    def abort(self) -> None:
        self.calls.append("abort")

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0


def test_writes_of_one_turn_go_out_joined_and_in_order() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes], list[str]]:
        recorder = _Recorder()
        joined = _JoinedWrites(recorder, asyncio.get_running_loop())  # type: ignore[arg-type]
        joined.write(b"head ")
        joined.write(b"")
        joined.write(b"body")
        assert recorder.writes == []  # nothing until the end of this turn
        assert joined.get_write_buffer_size() == len(b"head body")
        await asyncio.sleep(0)
        first = list(recorder.writes)
        joined.write(b"next")
        joined.close()  # what was written before close still goes first
        assert joined.is_closing() is False  # everything else is the transport's
        return first, recorder.writes, recorder.calls

    first, writes, calls = asyncio.run(scenario())
    assert first == [b"head body"]
    assert writes == [b"head body", b"next"]
    assert calls == ["write", "write", "close"]


def test_abort_drops_what_was_not_sent() -> None:
    async def scenario() -> list[str]:
        recorder = _Recorder()
        joined = _JoinedWrites(recorder, asyncio.get_running_loop())  # type: ignore[arg-type]
        joined.write(b"never")
        joined.abort()
        await asyncio.sleep(0)
        return recorder.calls

    assert asyncio.run(scenario()) == ["abort"]
