"""uvicorn's HTTP protocol with a response's writes sent as one TLS record.

uvicorn writes a response's status line and headers, then its body, as two transport writes.
Over TLS each write is its own ``SSL_write``, TLS record and ``send``: for a token answer, the
second largest cost on a worker's event loop after reading the request (issue 14, see
``benchmarks/README.md``). :class:`JoinedWritesProtocol` hands uvicorn a transport that keeps
what is written in one turn of the event loop and sends it, joined, at the end of that turn.
Nothing is reordered or held longer than that turn: the header and body writes of one ASGI
response happen in the same turn (``send`` does not yield unless flow control pauses it).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["JoinedWritesProtocol"]


class _JoinedWrites:
    """A transport whose writes within one turn of the event loop go out as one write."""

    __slots__ = ("_transport", "_loop", "_pending")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        self._pending = []
        self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def close(self) -> None:
        # What was written before close goes first, as it would have without the joining.
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        # Everything else (is_closing, get_extra_info, pause_reading, ...) is the transport's.
        return getattr(self._transport, name)


class JoinedWritesProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing through :class:`_JoinedWrites`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_JoinedWrites(transport, self.loop))  # type: ignore[arg-type]
