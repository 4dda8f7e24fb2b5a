"""Reading JSON answers into records: shape checks that name the answer that was wrong."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from stsdesk.services.errors import ServiceError

__all__ = ["read", "dict_of", "list_of", "strings", "optional", "instant"]

_T = TypeVar("_T")


def read(what: str, parse: Callable[[], _T]) -> _T:
    """Parse an answer; a shape we cannot read is a ServiceError that says which answer."""
    try:
        return parse()
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ServiceError(
            f"The server's answer for {what} is incomplete or not in the expected format "
            f"({exc}); is this an stsdesk or WSO2 Identity Server admin API?"
        ) from exc


def dict_of(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def list_of(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in list_of(value))


def optional(value: Any) -> str | None:
    return None if value is None else str(value)


def instant(text: Any) -> dt.datetime:
    """An ISO 8601 date-time as the stsdesk API writes it ("Z" or an offset), aware; one
    without an offset is taken as UTC."""
    value = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
