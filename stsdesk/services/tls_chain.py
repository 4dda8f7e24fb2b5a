"""The certificate chain a TLS server presents, fetched without trusting it (to import from)."""

from __future__ import annotations

import logging
import select
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography import x509
from OpenSSL import SSL

from stsdesk.services.errors import ServerUnreachableError, ServiceError

__all__ = ["Endpoint", "InvalidEndpointError", "fetch_chain", "parse_endpoint", "DEFAULT_PORT"]

log = logging.getLogger("stsdesk.services.tls_chain")

DEFAULT_PORT = 443


class InvalidEndpointError(ServiceError, ValueError):
    """The text typed is not a host, host:port or https:// URL."""


@dataclass(frozen=True)
class Endpoint:
    host: str  # a host name or an IP address (without brackets)
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_endpoint(text: str) -> Endpoint:
    """Read "host", "host:port", "[v6]:port" or "https://host[:port][/path]"."""
    stripped = text.strip()
    if not stripped:
        raise InvalidEndpointError(
            "Give the server to connect to, as host:port or https://host:port."
        )
    candidate = stripped if "://" in stripped else f"https://{stripped}"
    try:
        parts = urlsplit(candidate)
        port = parts.port
    except ValueError as exc:
        raise InvalidEndpointError(
            f"{stripped!r} is not a valid address: the port must be a number from 1 to 65535. "
            "Write it as host:port or https://host:port."
        ) from exc
    if parts.scheme.lower() != "https":
        raise InvalidEndpointError(
            f"{stripped!r} does not use https: certificates can be fetched only from a TLS "
            "server. Write it as host:port or https://host:port."
        )
    host = parts.hostname or ""
    if not host or parts.username or parts.password:
        raise InvalidEndpointError(
            f"{stripped!r} names no host. Write it as host:port or https://host:port, for "
            "example https://idp.example.org:9443."
        )
    if port == 0:
        raise InvalidEndpointError(
            f"Port 0 in {stripped!r} is not a port a server listens on; give the real port."
        )
    return Endpoint(host, port or DEFAULT_PORT)


def fetch_chain(url_or_host_port: str, *, timeout: float = 10) -> tuple[x509.Certificate, ...]:
    """The certificates the server presents in its TLS handshake, leaf first.

    Nothing is verified (not the chain, not the host name): this shows what a server sends so
    that a person can decide what to import. Raises ServerUnreachableError, saying what to
    check, when the host cannot be resolved or reached, refuses, is too slow, or does not
    speak TLS; InvalidEndpointError when the text is not an address.
    """
    endpoint = parse_endpoint(url_or_host_port)
    deadline = time.monotonic() + timeout
    try:
        raw = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
    except socket.gaierror as exc:
        raise ServerUnreachableError(
            f"The host name {endpoint.host!r} could not be resolved. Check its spelling and "
            "your network or DNS settings."
        ) from exc
    except ConnectionRefusedError as exc:
        raise ServerUnreachableError(
            f"{endpoint} refused the connection: nothing listens on port {endpoint.port}. "
            "Check the port number and that the server is running."
        ) from exc
    except TimeoutError as exc:
        raise ServerUnreachableError(_timeout(endpoint, timeout)) from exc
    except OSError as exc:
        raise ServerUnreachableError(
            f"Could not connect to {endpoint} ({exc.strerror or exc}). Check the address, "
            "your network and any firewall or proxy in between."
        ) from exc
    with raw:
        chain = _handshake(raw, endpoint, deadline, timeout)
    log.info("Fetched %d certificate(s) from %s", len(chain), endpoint)
    return chain


def _handshake(
    raw: socket.socket, endpoint: Endpoint, deadline: float, timeout: float
) -> tuple[x509.Certificate, ...]:
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    # Not verifying is the point: the chain is shown to a person who decides what to trust.
    context.set_verify(SSL.VERIFY_NONE, lambda *_args: True)
    raw.setblocking(False)
    connection = SSL.Connection(context, raw)
    if not _is_ip(endpoint.host):
        connection.set_tlsext_host_name(endpoint.host.encode("idna"))
    connection.set_connect_state()
    try:
        while True:
            try:
                connection.do_handshake()
                break
            except SSL.WantReadError:
                _wait(raw, endpoint, deadline, timeout, read=True)
            except SSL.WantWriteError:
                _wait(raw, endpoint, deadline, timeout, read=False)
        chain = connection.get_peer_cert_chain(as_cryptography=True) or []
    except (SSL.Error, SSL.SysCallError, OSError) as exc:
        raise ServerUnreachableError(
            f"{endpoint} accepted the connection but did not complete a TLS handshake. Check "
            "that this port serves HTTPS (not plain HTTP or another protocol)."
        ) from exc
    finally:
        try:
            connection.shutdown()
        except (SSL.Error, OSError):
            pass  # the server may already be gone; the chain is what mattered
    if not chain:
        raise ServerUnreachableError(
            f"{endpoint} completed the TLS handshake without presenting a certificate, so "
            "there is nothing to import. Check the address."
        )
    return tuple(chain)


def _wait(
    raw: socket.socket, endpoint: Endpoint, deadline: float, timeout: float, *, read: bool
) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ServerUnreachableError(_timeout(endpoint, timeout))
    readable, writable, _ = select.select([raw] if read else [], [] if read else [raw], [],
                                          remaining)
    if not readable and not writable:
        raise ServerUnreachableError(_timeout(endpoint, timeout))


def _timeout(endpoint: Endpoint, timeout: float) -> str:
    return (
        f"{endpoint} did not answer within {timeout:g} seconds. Check the address and port, "
        "and that no firewall drops the connection."
    )


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True
