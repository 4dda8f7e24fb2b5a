"""A pinned server is pinned through an HTTPS proxy too (HTTPS_PROXY is common on desktops).

requests builds a proxied connection's manager apart from its pool manager; a pin that lives
only on the pool manager would leave a pinned session (verify=False) checking nothing behind a
proxy. These tests tunnel through a real CONNECT proxy on loopback to a real TLS server.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization

from stsdesk.services.tls import TrustPolicy, fingerprint, make_session
from tests.helpers.certfactory import make_chain, pem


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@contextmanager
def _listener(handle) -> Iterator[int]:  # type: ignore[no-untyped-def]
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        server.close()


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, bytes]]:
    """A TLS server answering every request with 200; yields its port and certificate (DER)."""
    chain = make_chain("pinned")
    directory = tmp_path_factory.mktemp("pinned")
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(pem(chain.leaf.certificate))
    key_file.write_bytes(chain.leaf.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)

    def handle(conn: socket.socket) -> None:
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        except OSError:
            pass  # a client that refuses the certificate hangs up mid-handshake
        finally:
            conn.close()

    with _listener(handle) as port:
        yield port, chain.leaf.certificate.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def proxy() -> Iterator[str]:
    """A CONNECT proxy on loopback that tunnels to whatever it is asked for."""

    def handle(conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            request += chunk
        host, port = request.split()[1].decode().rsplit(":", 1)
        with conn, socket.create_connection((host, int(port))) as upstream:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            back = threading.Thread(target=_pump, args=(upstream, conn), daemon=True)
            back.start()
            _pump(conn, upstream)
            back.join(5)

    with _listener(handle) as port:
        yield f"http://127.0.0.1:{port}"


def _get(policy: TrustPolicy, port: int, proxy_url: str) -> requests.Response:
    session = make_session(policy)
    try:
        return session.get(f"https://127.0.0.1:{port}/", verify=session.verify, timeout=5,
                           proxies={"https": proxy_url})
    finally:
        session.close()


def test_the_pinned_certificate_is_accepted_through_a_proxy(tls_server, proxy):
    port, der = tls_server
    answer = _get(TrustPolicy(pinned_sha256=fingerprint(der)), port, proxy)
    assert answer.status_code == 200 and answer.text == "ok"


def test_another_certificate_is_refused_through_a_proxy(tls_server, proxy):
    port, _ = tls_server
    with pytest.raises(requests.exceptions.SSLError):
        _get(TrustPolicy(pinned_sha256="ab" * 32), port, proxy)


def test_a_pin_is_refused_without_a_proxy_too(tls_server, tmp_path: Path):
    port, _ = tls_server
    session = make_session(TrustPolicy(pinned_sha256="cd" * 32))
    try:
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"https://127.0.0.1:{port}/", verify=session.verify, timeout=5)
    finally:
        session.close()
