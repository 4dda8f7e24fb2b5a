"""Limits the admin API enforces and the console checks as you type: one definition for both."""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_MINUTES", "MAX_HOME_REALM_IDENTIFIER", "MAX_ISSUER", "MAX_APPLICATION_NAME",
    "MAX_APPLICATION_DESCRIPTION", "MIN_PASSWORD_LENGTH",
]

# Resident identity provider periods: ten years; longer is surely a typing mistake.
MAX_MINUTES: Final = 5_256_000
MAX_HOME_REALM_IDENTIFIER: Final = 255
MAX_ISSUER: Final = 1024  # the STS issuer name (stsdesk's own setting)

# Service providers (WSO2's application name and description).
MAX_APPLICATION_NAME: Final = 255
MAX_APPLICATION_DESCRIPTION: Final = 4096

# A user's password, as SCIM sets it and the console asks for it.
MIN_PASSWORD_LENGTH: Final = 8
