"""X.509 client authentication: a certificate that chains to the trusted keystore, valid now.

The client proved it holds the certificate's key by signing the request (core.wssec); this
module decides whether that certificate chains to the trust store and is valid now, and gives
its own principal: the certificate's subject DN (WSO2's ``X509SubjectName``). Revocation
(``revocation``) and a user the certificate is mapped to (``certificate_users``) are decided by
the authenticator after this check.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from stsdesk.core.wssec import FailedAuthenticationError
from stsdesk.server.model import UserRecord

__all__ = ["authenticate_certificate", "anonymous_user", "ANONYMOUS_USERNAME",
           "X509_USER_PREFIX"]

# WSO2's name for the user behind a request that proves no identity (CarbonConstants).
ANONYMOUS_USERNAME = "wso2.anonymous.user"
X509_USER_PREFIX = "x509:"


def authenticate_certificate(
    certificate: x509.Certificate, trusted: Iterable[x509.Certificate], now: datetime
) -> UserRecord:
    """The principal for ``certificate``; FailedAuthenticationError if it is not trusted now."""
    anchors = list(trusted)
    if not anchors:
        raise FailedAuthenticationError(
            "The client certificate cannot be trusted: the applied security policy has no "
            "trusted keystore. An administrator must choose one in the security wizard."
        )
    _valid_now(certificate, now, "client certificate")
    if not _chains(certificate, anchors, now):
        raise FailedAuthenticationError(
            "The client certificate is not trusted: it is neither in the trusted keystore nor "
            "issued by a certificate authority there. Import the client's certificate (or its "
            "CA) into the trust store."
        )
    fingerprint = certificate.fingerprint(hashes.SHA256()).hex()
    return UserRecord(
        user_id=f"{X509_USER_PREFIX}{fingerprint}",
        username=certificate.subject.rfc4514_string(),
        password_hash="",
    )


def anonymous_user() -> UserRecord:
    """The principal of a request secured without a client identity (scenarios 3, 4, 6)."""
    return UserRecord(user_id=f"anonymous:{ANONYMOUS_USERNAME}", username=ANONYMOUS_USERNAME,
                      password_hash="")


def _valid_now(certificate: x509.Certificate, now: datetime, what: str) -> None:
    if now < certificate.not_valid_before_utc:
        raise FailedAuthenticationError(
            f"The {what} is not valid yet (valid from "
            f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC)."
        )
    if now > certificate.not_valid_after_utc:
        raise FailedAuthenticationError(
            f"The {what} has expired (on {certificate.not_valid_after_utc:%Y-%m-%d %H:%M} UTC); "
            "renew it."
        )


def _chains(cert: x509.Certificate, anchors: list[x509.Certificate], now: datetime) -> bool:
    """The certificate is in the trust store, or issued directly by a CA certificate there."""
    if cert in anchors:
        return True
    for issuer in anchors:
        if issuer.subject != cert.issuer or not _is_ca(issuer):
            continue
        try:
            cert.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            continue
        try:
            _valid_now(issuer, now, "issuing CA certificate")
        except FailedAuthenticationError:
            continue
        return True
    return False


def _is_ca(cert: x509.Certificate) -> bool:
    # Only a CA may vouch for others: a relying party's or client's own certificate in the
    # trust store must not turn into an issuer.
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False
