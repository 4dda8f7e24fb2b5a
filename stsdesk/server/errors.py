"""The errors the embedded server raises, each tied to the HTTP status the admin API answers with.

Hierarchy::

    ServerError                  base of everything stsdesk.server raises (status 500)
     +-- NotFoundError           404: the named thing does not exist
     +-- ConflictError           409: the change clashes with what is stored (duplicate, in use)
     +-- ValidationError         400: the input is malformed or out of range
     +-- UnavailableError        503: the database is busy or unreachable; try again
     +-- SealedDataError         500: sealed data failed its integrity check (wrong master secret
     |                           or tampering)
     +-- StartupError            the server refuses to start: the message says what is wrong and
                                 what to do

The admin API answers each with its ``status``; the WS-Trust endpoint answers those in
:func:`fault_for`'s table with a SOAP fault carrying their message, and any other as an
internal error.

Messages are written for the person who reads them and say what to do; they never hold a
password, a key or a stack trace.
"""

from __future__ import annotations

from stsdesk.core.errors import RequestFailedError, StsError

__all__ = [
    "ServerError", "NotFoundError", "ConflictError", "ValidationError", "UnavailableError",
    "SealedDataError", "StartupError", "fault_for",
]


class ServerError(Exception):
    """Base of every error the server raises; ``status`` is the HTTP status, ``code`` a short id."""

    status: int = 500
    code: str = "server-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFoundError(ServerError):
    status = 404
    code = "not-found"


class ConflictError(ServerError):
    status = 409
    code = "conflict"


class ValidationError(ServerError, ValueError):
    status = 400
    code = "invalid-input"


class UnavailableError(ServerError):
    status = 503
    code = "unavailable"


class SealedDataError(ServerError):
    status = 500
    code = "sealed-data-invalid"


class StartupError(ServerError):
    status = 500
    code = "startup-refused"


# The server errors a WS-Trust client is told about, and the fault that tells it. The others
# (a missing signing key, sealed data that does not open) are the administrator's to read in
# the log, not the client's.
_FAULTS: dict[type[ServerError], type[StsError]] = {
    UnavailableError: RequestFailedError,  # "the database is unavailable; retrying"
}


def fault_for(error: ServerError) -> StsError | None:
    """The SOAP fault the WS-Trust endpoint answers ``error`` with; None for an internal error."""
    for kind, fault in _FAULTS.items():
        if isinstance(error, kind):
            return fault(error.message)
    return None
