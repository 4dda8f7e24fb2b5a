"""The rule for keystore aliases, applied alike by the desktop dialogs and the admin API."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Final

__all__ = [
    "ALIAS_PATTERN", "MAX_ALIAS_LENGTH", "RESERVED_CERTIFICATE_ALIASES",
    "RESERVED_SIGNING_KEY_ALIASES", "validate_alias",
]

# Letters, digits, '.', '_' and '-': safe in a URL path segment, a file name and keytool.
ALIAS_PATTERN: Final = re.compile(r"[A-Za-z0-9._-]+")
MAX_ALIAS_LENGTH: Final = 128
# Names the admin API gives a fixed path beside /{alias}, so no entry can be called so:
# GET /keystores/certs/public is the STS's own certificate, /keystores/signing-keys/active
# the key signing now.
RESERVED_CERTIFICATE_ALIASES: Final = frozenset({"public"})
RESERVED_SIGNING_KEY_ALIASES: Final = frozenset({"active"})


def validate_alias(
    alias: str, existing: Collection[str] = (), *, reserved: Collection[str] = ()
) -> str | None:
    """Why ``alias`` cannot name a new entry (a sentence saying what to do), or None if it can.

    Uniqueness ignores case, as keytool does, so "RP" and "rp" cannot both exist.
    """
    if not alias:
        return "Give an alias for the certificate, for example rp-example."
    if len(alias) > MAX_ALIAS_LENGTH:
        return f"The alias has {len(alias)} characters; use at most {MAX_ALIAS_LENGTH}."
    if not ALIAS_PATTERN.fullmatch(alias):
        return (
            f"The alias {alias!r} has characters that are not allowed; use only letters, "
            "digits, '.', '_' and '-'."
        )
    if set(alias) == {"."}:
        return "An alias cannot be only dots; add letters or digits."
    folded = alias.casefold()
    if folded in {name.casefold() for name in reserved}:
        return f"The alias {alias!r} is reserved; choose another one."
    for name in existing:
        if name.casefold() == folded:
            return (
                f"The alias {alias!r} is already used (by {name!r}); choose another one, or "
                "delete the old entry first."
            )
    return None
