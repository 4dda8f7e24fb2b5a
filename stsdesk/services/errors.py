"""Errors the desktop side meets when it talks to a server, written for the person at the screen.

Hierarchy::

    ServiceError                    base of everything stsdesk.services raises
     +-- ServerUnreachableError     no connection, time-out, refused: the server is not there
     +-- CertificateError           TLS trust failed
     |    +-- UntrustedCertificateError   no CA vouches for it and it is not pinned (offer TOFU)
     |    +-- CertificateChangedError     the pinned certificate changed: refuse, warn
     +-- AdminApiError              the server answered with an error (status, code, description)
 |    +-- InvalidInputError           400: the server refused what was sent (its message says why)
 |    +-- AuthenticationError         401: the user name or password is wrong
 |    +-- PermissionDeniedError       403: signed in, but not allowed to do this
 |    +-- NotFoundError               404: it is not there (any more)
 |    +-- ConflictError               409: it clashes with what is there (a name in use)
 +-- UnsupportedError           the server cannot do this at all (a capability it lacks)
     +-- TrustClientError           the STS could not be reached or did not answer in SOAP
     |    +-- RequestCancelledError       the person cancelled; any late answer was dropped
     +-- InputError (ValueError)    what the person typed or chose cannot be used (a pin, a file)
     +-- KeyringError               the OS keyring is missing or refused
     +-- LaunchError                the embedded server could not be started
"""

from __future__ import annotations

__all__ = [
    "ServiceError",
    "ServerUnreachableError",
    "CertificateError",
    "UntrustedCertificateError",
    "CertificateChangedError",
    "AdminApiError",
    "InvalidInputError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnsupportedError",
    "admin_error",
    "TrustClientError",
    "RequestCancelledError",
    "InputError",
    "KeyringError",
    "LaunchError",
]


class ServiceError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ServerUnreachableError(ServiceError):
    pass


class CertificateError(ServiceError):
    pass


class UntrustedCertificateError(CertificateError):
    """The server's certificate is not trusted yet; ``subject`` and ``sha256`` let a person decide."""

    def __init__(self, message: str, *, subject: str, sha256: str, der: bytes) -> None:
        super().__init__(message)
        self.subject = subject
        self.sha256 = sha256
        self.der = der


class CertificateChangedError(CertificateError):
    def __init__(self, message: str, *, expected_sha256: str, actual_sha256: str) -> None:
        super().__init__(message)
        self.expected_sha256 = expected_sha256
        self.actual_sha256 = actual_sha256


class AdminApiError(ServiceError):
    def __init__(self, status: int, code: str, message: str, description: str) -> None:
        super().__init__(description or message)
        self.status = status
        self.code = code
        self.title = message
        self.description = description


class InvalidInputError(AdminApiError):
    """The server refused the request's content (HTTP 400); the message is the server's own."""


class AuthenticationError(AdminApiError):
    """The server did not accept the user name or password (HTTP 401)."""


class PermissionDeniedError(AdminApiError):
    """The user is signed in but may not do this (HTTP 403)."""


class NotFoundError(AdminApiError):
    """What was asked for is not there, or no longer (HTTP 404)."""


class ConflictError(AdminApiError):
    """The change clashes with what the server has, e.g. a name already in use (HTTP 409)."""


class UnsupportedError(ServiceError):
    """The server cannot do this at all; ``reason`` says why (shown where the UI greys it out)."""

    def __init__(self, message: str, *, capability: str = "") -> None:
        super().__init__(message)
        self.capability = capability


_BY_STATUS: dict[int, type[AdminApiError]] = {
    400: InvalidInputError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: InvalidInputError,
}


def admin_error(status: int, code: str, message: str, description: str) -> AdminApiError:
    """The typed error for an HTTP error answer; AdminApiError itself for other statuses."""
    return _BY_STATUS.get(status, AdminApiError)(status, code, message, description)


class TrustClientError(ServiceError):
    """The STS could not be reached or answered something that is not SOAP."""


class RequestCancelledError(TrustClientError):
    """The person cancelled the request; any answer that still came was dropped."""


class InputError(ServiceError, ValueError):
    """What the person typed or chose cannot be used; the message says what to change."""


class KeyringError(ServiceError):
    pass


class LaunchError(ServiceError):
    pass
