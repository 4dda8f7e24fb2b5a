"""TLS trust for the desktop side: a pinned certificate (by SHA-256), a CA file or the system's."""

from __future__ import annotations

import hashlib
import socket
import ssl
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from requests.adapters import HTTPAdapter

from stsdesk.services.endpoint import TrustPolicy
from stsdesk.services.errors import (
    CertificateChangedError,
    ServerUnreachableError,
    UntrustedCertificateError,
)

__all__ = [
    "TrustPolicy", "fetch_certificate", "fingerprint", "display_fingerprint", "make_session",
    "explain_tls_failure",
]

def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def display_fingerprint(sha256_hex: str) -> str:
    return ":".join(sha256_hex[i : i + 2] for i in range(0, len(sha256_hex), 2)).upper()


def fetch_certificate(url: str, *, timeout: float = 10.0) -> bytes:
    """The DER certificate the server at ``url`` presents, without trusting it (for TOFU)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 443
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # noqa: S501 - we only read the certificate to show it
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                der = tls.getpeercert(binary_form=True)
    except OSError as exc:
        raise ServerUnreachableError(
            f"Could not connect to {host}:{port} ({exc}). Check the URL and that the server runs."
        ) from exc
    if not der:
        raise ServerUnreachableError(f"{host}:{port} presented no certificate.")
    return der


class _PinnedAdapter(HTTPAdapter):
    """Accepts exactly the certificate whose SHA-256 is pinned (urllib3 checks the fingerprint)."""

    def __init__(self, sha256_hex: str) -> None:
        self._fingerprint = sha256_hex
        super().__init__()

    def _pinned(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        kwargs["assert_fingerprint"] = self._fingerprint
        kwargs["cert_reqs"] = "CERT_NONE"
        kwargs["assert_hostname"] = False
        return kwargs

    def init_poolmanager(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return super().init_poolmanager(*args, **self._pinned(kwargs))

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # type: ignore[no-untyped-def]
        # requests builds a proxied connection's manager apart from the pool manager: without
        # the pin here, a pinned session (verify=False) behind HTTPS_PROXY would check nothing.
        return super().proxy_manager_for(proxy, **self._pinned(proxy_kwargs))


def make_session(policy: TrustPolicy) -> requests.Session:
    """A session that trusts as ``policy`` says.

    Pass ``session.verify`` on every request too: requests would otherwise let
    REQUESTS_CA_BUNDLE in the environment override the session's own setting.
    """
    session = requests.Session()
    if policy.pinned_sha256:
        session.mount("https://", _PinnedAdapter(policy.pinned_sha256))
        session.verify = False  # the pinned adapter checks the fingerprint instead
    elif policy.ca_file:
        session.verify = policy.ca_file
    elif policy.insecure:
        session.verify = False
    return session


def explain_tls_failure(url: str, policy: TrustPolicy, error: Exception) -> Exception:
    """Turn a requests SSL failure into the error the app can act on (warn, or offer to pin)."""
    try:
        der = fetch_certificate(url)
    except ServerUnreachableError as exc:
        return exc
    actual = fingerprint(der)
    if policy.pinned_sha256 and actual != policy.pinned_sha256:
        return CertificateChangedError(
            f"The certificate of {url} has CHANGED since it was pinned. This can mean someone is "
            "intercepting the connection. Do not continue unless the administrator of that "
            "server confirms the new fingerprint.",
            expected_sha256=policy.pinned_sha256,
            actual_sha256=actual,
        )
    subject = x509.load_der_x509_certificate(der).subject.rfc4514_string()
    return UntrustedCertificateError(
        f"No certificate authority vouches for {url} ({error}). Check its fingerprint with the "
        "server's administrator and pin it if it matches.",
        subject=subject,
        sha256=actual,
        der=der,
    )
