"""fetch_chain against real TLS servers on loopback: the chain presented, and every failure."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from stsdesk.services.errors import ServerUnreachableError
from stsdesk.services.tls_chain import (
    Endpoint,
    InvalidEndpointError,
    fetch_chain,
    parse_endpoint,
)
from tests.helpers.certfactory import make_chain, pem


@contextmanager
def _serve(handle: Callable[[socket.socket], None]) -> Iterator[int]:
    """A loopback TCP server that runs ``handle`` on each connection until the block ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                try:
                    handle(conn)
                except OSError:
                    pass  # the client hanging up early is not what these tests check

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


@pytest.fixture(scope="module")
def chain_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    chain = make_chain("tls")
    directory = tmp_path_factory.mktemp("tls")
    cert_file = directory / "leaf-and-intermediate.pem"
    cert_file.write_bytes(pem(chain.leaf.certificate, chain.intermediate.certificate))
    key_file = directory / "leaf.key"
    key_file.write_bytes(chain.leaf.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return cert_file, key_file


@contextmanager
def _tls_server(cert_file: Path, key_file: Path, *, max_version=None) -> Iterator[int]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    if max_version is not None:
        context.maximum_version = max_version

    def handle(conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)  # wait for the client to close
        except (ssl.SSLError, OSError):
            pass

    with _serve(handle) as port:
        yield port


@pytest.mark.parametrize("max_version", [None, ssl.TLSVersion.TLSv1_2], ids=["tls1.3", "tls1.2"])
def test_chain_presented_by_a_real_server_is_returned_leaf_first(chain_files, max_version):
    chain = make_chain("tls")
    with _tls_server(*chain_files, max_version=max_version) as port:
        fetched = fetch_chain(f"https://127.0.0.1:{port}", timeout=5)
    assert fetched == (chain.leaf.certificate, chain.intermediate.certificate)


def test_host_port_form_and_host_name_work(chain_files):
    with _tls_server(*chain_files) as port:
        fetched = fetch_chain(f"localhost:{port}", timeout=5)
    assert fetched[0] == make_chain("tls").leaf.certificate
    assert len(fetched) == 2


def test_refused_port_says_nothing_listens():
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(ServerUnreachableError, match="refused the connection"):
        fetch_chain(f"127.0.0.1:{port}", timeout=2)


def test_plain_tcp_server_is_reported_as_not_tls():
    def answer_http(conn: socket.socket) -> None:
        conn.settimeout(2)
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    with _serve(answer_http) as port:
        with pytest.raises(ServerUnreachableError, match="did not complete a TLS handshake"):
            fetch_chain(f"127.0.0.1:{port}", timeout=2)


def test_silent_server_times_out():
    release = threading.Event()

    def stay_silent(conn: socket.socket) -> None:
        release.wait(3)

    with _serve(stay_silent) as port:
        try:
            with pytest.raises(ServerUnreachableError, match="did not answer within 0.5 seconds"):
                fetch_chain(f"127.0.0.1:{port}", timeout=0.5)
        finally:
            release.set()


def test_unknown_host_says_the_name_could_not_be_resolved(monkeypatch):
    def no_dns(*_args, **_kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(ServerUnreachableError,
                       match="'no-such-host.invalid' could not be resolved"):
        fetch_chain("https://no-such-host.invalid:8443", timeout=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("idp.example.org", Endpoint("idp.example.org", 443)),
        ("idp.example.org:9443", Endpoint("idp.example.org", 9443)),
        ("https://idp.example.org", Endpoint("idp.example.org", 443)),
        ("HTTPS://idp.example.org:9443/services/wso2carbon-sts?wsdl",
         Endpoint("idp.example.org", 9443)),
        ("  127.0.0.1:8443 ", Endpoint("127.0.0.1", 8443)),
        ("[::1]:9443", Endpoint("::1", 9443)),
    ],
)
def test_endpoint_forms(text, expected):
    assert parse_endpoint(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Give the server"),
        ("http://idp.example.org", "does not use https"),
        ("ftp://idp.example.org", "does not use https"),
        ("idp.example.org:99999", "port must be a number"),
        ("idp.example.org:abc", "port must be a number"),
        ("https://:9443", "names no host"),
        ("idp.example.org:0", "Port 0"),
    ],
)
def test_bad_endpoints_are_refused_before_connecting(text, message):
    with pytest.raises(InvalidEndpointError, match=message):
        fetch_chain(text, timeout=1)


def test_ipv6_endpoint_is_shown_with_brackets():
    assert str(Endpoint("::1", 443)) == "[::1]:443"
    assert str(Endpoint("localhost", 8443)) == "localhost:8443"
