"""The rule for a relying party's audience (its AppliesTo address), for the wizard and the API."""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

__all__ = ["ANY_AUDIENCE", "MAX_AUDIENCE_LENGTH", "audience_problem"]

# The entry that answers every AppliesTo no other service provider has.
ANY_AUDIENCE: Final = "*"
# wst:AppliesTo addresses are refused beyond this length (core.wstrust.MAX_APPLIES_TO_LENGTH).
MAX_AUDIENCE_LENGTH: Final = 2048


def audience_problem(value: str) -> str | None:
    """Why ``value`` cannot be a relying party's audience (a sentence saying what to do), or None.

    An audience is an absolute http(s) URL with a host, a URN with a namespace and a name, or
    ``*``, at most MAX_AUDIENCE_LENGTH characters, with no spaces or control characters.
    """
    if value == ANY_AUDIENCE:
        return None
    if not value or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return (
            "The audience is empty or contains spaces or control characters; give the relying "
            "party's address, such as https://rp.example.org/service."
        )
    if len(value) > MAX_AUDIENCE_LENGTH:
        return (
            f"The audience has {len(value)} characters; an AppliesTo address has at most "
            f"{MAX_AUDIENCE_LENGTH}."
        )
    try:
        parts = urlsplit(value)
        host = parts.hostname  # raises for a malformed port or IPv6 literal
    except ValueError:
        parts, host = None, None
    scheme = parts.scheme.lower() if parts is not None else ""
    if parts is not None and scheme in ("http", "https") and parts.netloc and host:
        return None
    if parts is not None and scheme == "urn" and len(parts.path) > 2 and ":" in parts.path:
        return None
    return (
        f"The audience {value[:200]!r} is not an absolute address; give an http(s) URL with a "
        "host (https://rp.example.org/service), a URN (urn:example:rp) or * for every "
        "AppliesTo that no other service provider has."
    )
