"""TLS trust for the desktop side: a pinned certificate (by SHA-256), a CA file or the system's."""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from cryptography import x509
from requests.adapters import HTTPAdapter

from stsdesk.services.errors import (
    CertificateChangedError,
    InputError,
    ServerUnreachableError,
    UntrustedCertificateError,
)

__all__ = [
    "TrustPolicy", "fetch_certificate", "fingerprint", "display_fingerprint", "make_session",
    "explain_tls_failure",
]

_HEX_PIN = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class TrustPolicy:
    """How to trust a server's TLS certificate: the one type for the admin client and the STS's.

    A pinned certificate (its SHA-256), when there is one, decides alone; else a CA file; else
    the system's certificate authorities. ``insecure`` turns every check off and goes with
    neither a pin nor a CA file. The pin may be typed with colons and in either case; it is
    kept as lower-case hex without colons.
    """

    pinned_sha256: str | None = None
    ca_file: str | None = None
    insecure: bool = False

    def __post_init__(self) -> None:
        if self.insecure and (self.pinned_sha256 or self.ca_file):
            raise InputError(
                "Choose one way to trust the server: a pinned certificate, a CA file, or insecure."
            )
        if self.pinned_sha256 is not None:
            pin = self.pinned_sha256.replace(":", "").replace(" ", "").strip().lower()
            if not pin:
                object.__setattr__(self, "pinned_sha256", None)  # a blank pin is no pin
                return
            if not _HEX_PIN.fullmatch(pin):
                raise InputError(
                    "The pinned fingerprint must be the certificate's SHA-256: 64 hex digits, "
                    "with or without colons."
                )
            object.__setattr__(self, "pinned_sha256", pin)  # normalised once, compared often

    @property
    def warning(self) -> str | None:
        """What to tell the person about this choice, or None when it is safe."""
        if self.insecure:
            return (
                "TLS certificate checks are OFF: anyone on the network path could read the "
                "password and change the token. Use this only against a test server."
            )
        return None


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
