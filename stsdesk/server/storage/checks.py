"""Input checks the repositories share: names, text, URIs and time-zone-aware instants."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from stsdesk.server.errors import ValidationError

__all__ = [
    "MAX_NAME", "check_name", "check_text", "check_uri", "check_external_id", "aware", "exists",
]

MAX_NAME = 255  # the width of every name column (usernames, aliases, token ids)


def check_name(value: Any, what: str) -> str:
    """``value`` as a name: non-empty text, no surrounding spaces or control characters."""
    if not isinstance(value, str) or not value:
        raise ValidationError(f"The {what} is empty; give one.")
    if value != value.strip():
        raise ValidationError(f"The {what} {value!r} starts or ends with spaces; remove them.")
    if len(value) > MAX_NAME:
        raise ValidationError(f"The {what} is longer than {MAX_NAME} characters; shorten it.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError(f"The {what} {value!r} contains control characters; remove them.")
    return value


def check_text(value: Any, what: str, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"The {what} must be text.")
    if required and not value:
        raise ValidationError(f"The {what} is empty; give one.")
    return value


def check_uri(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise ValidationError(f"The {what} must be a non-empty URI without surrounding spaces.")
    return value


def check_external_id(value: Any) -> str | None:
    """A SCIM externalId as stored (users and roles): None, or text of 1 to MAX_NAME characters."""
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_NAME:
        raise ValidationError(f"An external id is text of 1 to {MAX_NAME} characters.")
    return value


def aware(value: Any, what: str) -> datetime:
    """``value`` in UTC; ValidationError for anything but a datetime with a time zone."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"{what} must be a datetime with a time zone (for example datetime.now(UTC))."
        )
    return value.astimezone(UTC)


def exists(conn: Connection, column: Any, value: Any) -> bool:
    """True if some row has ``value`` in ``column``."""
    return conn.execute(select(column).where(column == value).limit(1)).first() is not None
