"""The error a node answers with while its database cannot be reached, and how to spot one."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from stsdesk.server.errors import UnavailableError

__all__ = [
    "DatabaseUnavailableError",
    "is_unavailable",
    "driver_reason",
    "UNAVAILABLE_MESSAGE",
    "BUSY_MESSAGE",
]

UNAVAILABLE_MESSAGE = (
    "The database is unavailable; retrying. Try again in a moment, and if this persists ask the "
    "administrator to check that the database server is running and reachable."
)
BUSY_MESSAGE = "The database is busy with another change. Try again in a moment."


class DatabaseUnavailableError(UnavailableError):
    """The database is down, unreachable or busy: 503 on the admin API, wst:RequestFailed on the
    WS-Trust endpoint (stsdesk.server.errors.fault_for), so no boundary needs to know storage."""


# sqlite3 raises OperationalError for a bad statement too; only these mean "try again later".
_SQLITE_TRANSIENT = ("locked", "busy", "unable to open", "disk i/o error")


def is_unavailable(exc: BaseException) -> bool:
    """True for a lost or refused connection (or a busy SQLite file), not for a bad statement."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    if type(exc.orig).__module__.startswith("sqlite3"):
        reason = str(exc.orig).lower()
        return any(word in reason for word in _SQLITE_TRANSIENT)
    return True


def driver_reason(exc: BaseException | None) -> str:
    """The first line of the driver's message, for a log line or a start-up error.

    It names the failure (refused, timed out, no such database); drivers never put the
    password in it.
    """
    orig = getattr(exc, "orig", None) or exc
    if orig is None:
        return "no reason given"
    lines = str(orig).strip().splitlines()
    return lines[0][:200] if lines else type(orig).__name__
