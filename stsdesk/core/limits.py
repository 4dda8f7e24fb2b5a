"""Limits the admin API enforces and the console checks as you type: one definition for both."""

from __future__ import annotations

from typing import Final

__all__ = [
    "MAX_MINUTES", "MAX_HOME_REALM_IDENTIFIER", "MAX_ISSUER", "MAX_APPLICATION_NAME",
    "MAX_APPLICATION_DESCRIPTION", "MIN_PASSWORD_LENGTH",
    "DEFAULT_CONTEXT_LIFETIME_SECONDS", "MIN_CONTEXT_LIFETIME_SECONDS",
    "MAX_CONTEXT_LIFETIME_SECONDS",
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

# How long a WS-SecureConversation context lives (and a Renew extends it); the STS caps it by
# the maximum token lifetime. Under a minute a client would spend more requests renewing than
# using it; beyond a day a stolen context key outlives any reasonable session.
DEFAULT_CONTEXT_LIFETIME_SECONDS: Final = 3600
MIN_CONTEXT_LIFETIME_SECONDS: Final = 60
MAX_CONTEXT_LIFETIME_SECONDS: Final = 24 * 3600
