"""Cutting a requests session's connections from another thread, so a cancelled call ends now.

Closing a ``requests.Session`` only closes the connections resting in its pools: one that a
worker thread is reading from is checked out of its pool, so the worker stays blocked in
``recv`` until the time-out. :class:`ConnectionCutter` keeps a weak reference to every
connection the session's pools open and :meth:`ConnectionCutter.cut` shuts their sockets down;
a blocked read (or TLS handshake) then returns at once and the call fails with a connection
error, which the caller reports as cancelled.
"""

from __future__ import annotations

import logging
import socket
import threading
import weakref
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

if TYPE_CHECKING:  # the type urllib3 gives its pools' connections
    from urllib3._base_connection import BaseHTTPConnection

__all__ = ["ConnectionCutter"]

log = logging.getLogger("stsdesk.services")


class ConnectionCutter:
    """Tracks the connections of the sessions it is installed on; :meth:`cut` ends them all.

    Safe to call from any thread. The connections are held weakly: a connection the pool has
    dropped is forgotten with it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Each connection's socket as first opened: its descriptor and the peer's address.
        # Wrapping it in TLS detaches that socket object before the handshake, and urllib3
        # names the TLS socket only after it, so a handshake that hangs is found by these.
        self._opened: weakref.WeakKeyDictionary[BaseHTTPConnection, tuple[int, Any]] = (
            weakref.WeakKeyDictionary())
        self._pool_classes = {
            "http": self._tracking(HTTPConnectionPool, HTTPConnection),
            "https": self._tracking(HTTPSConnectionPool, HTTPSConnection),
        }

    def install(self, session: requests.Session) -> None:
        """Track every connection that ``session``'s adapters open from now on."""
        for adapter in session.adapters.values():
            if isinstance(adapter, HTTPAdapter):
                self._install_on_adapter(adapter)

    def cut(self) -> int:
        """Shut down the socket of every open connection; how many were cut."""
        with self._lock:
            opened = list(self._opened.items())
        cut = 0
        for connection, (descriptor, peer) in opened:
            sock = getattr(connection, "sock", None)
            if sock is None:
                continue  # closed, or not connected yet
            try:
                if sock.fileno() >= 0:
                    # The plain socket's shutdown, also for a TLS socket: it wakes a thread
                    # blocked reading on this socket, which close() would not.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                elif not _shut_down_descriptor(descriptor, peer):
                    continue
                cut += 1
            except OSError:
                continue  # already closed by the other side or by the worker itself
        if cut:
            log.info("Cut %d connection(s) of a cancelled request", cut)
        return cut

    def _track(self, connection: BaseHTTPConnection, sock: socket.socket) -> None:
        try:
            peer = sock.getpeername()
        except OSError:
            return
        with self._lock:
            self._opened[connection] = (sock.fileno(), peer)

    def _tracking(self, pool: type[HTTPConnectionPool],
                  connection: type[HTTPConnection]) -> type[HTTPConnectionPool]:
        """A pool class like ``pool`` whose connections report their sockets to this cutter."""
        track = self._track

        def _new_conn(conn: HTTPConnection) -> socket.socket:
            sock = connection._new_conn(conn)
            track(conn, sock)
            return sock

        tracked = type(f"Tracked{connection.__name__}", (connection,), {"_new_conn": _new_conn})
        return type(f"Tracked{pool.__name__}", (pool,), {"ConnectionCls": tracked})

    def _install_on_pool_manager(self, manager: PoolManager) -> None:
        # Pools are made lazily, on a connection's first request, from this per-manager table.
        manager.pool_classes_by_scheme = dict(self._pool_classes)

    def _install_on_adapter(self, adapter: HTTPAdapter) -> None:
        self._install_on_pool_manager(adapter.poolmanager)
        make_proxy_manager = adapter.proxy_manager_for

        def proxy_manager_for(proxy: str, **kwargs: Any) -> PoolManager:
            # requests builds a proxied connection's manager apart from the pool manager.
            manager: PoolManager = make_proxy_manager(proxy, **kwargs)
            self._install_on_pool_manager(manager)
            return manager

        setattr(adapter, "proxy_manager_for", proxy_manager_for)  # noqa: B010 - per instance


def _shut_down_descriptor(descriptor: int, peer: Any) -> bool:
    """Shut down the socket open on ``descriptor`` if it is still the one connected to ``peer``
    (a descriptor is reused once closed: never cut another connection)."""
    probe = socket.socket(fileno=descriptor)
    try:
        if probe.getpeername() != peer:
            return False
        probe.shutdown(socket.SHUT_RDWR)
        return True
    finally:
        probe.detach()  # the descriptor stays open: it belongs to the TLS socket
