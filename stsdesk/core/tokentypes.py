"""The token types this STS issues: stored and shown by name, written in WS-Trust as URIs."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError

if TYPE_CHECKING:
    from stsdesk.core.wstrust import TrustVersion

__all__ = ["TokenType", "ISSUED_TOKEN_TYPES"]


class TokenType(StrEnum):
    """A token type. The values are what the database rows and the admin API's JSON hold."""

    SAML11 = "SAML11"
    SAML20 = "SAML20"
    STATUS = "Status"  # the Validate answer's pseudo-token: never issued, never stored

    @property
    def display_name(self) -> str:
        return _DISPLAY_NAMES[self]

    def uri(self, version: TrustVersion) -> str:
        """The URI a wst:TokenType element names this type by (the WSS SAML token profile's)."""
        if self is TokenType.STATUS:
            return f"{version.namespace}/RSTR/Status"
        return _PROFILE_URIS[self]

    @classmethod
    def from_uri(cls, uri: str, version: TrustVersion) -> TokenType:
        """The token type a TokenType URI names, in any of its accepted spellings."""
        value = uri.strip()
        if value in (ns.TOKEN_SAML11, ns.TOKEN_SAML10_URN):
            return cls.SAML11
        if value in (ns.TOKEN_SAML20, ns.TOKEN_SAML20_URN):
            return cls.SAML20
        if value == f"{version.namespace}/RSTR/Status":
            return cls.STATUS
        raise InvalidRequestError(
            f"The TokenType {value[:200]!r} is not supported; request {ns.TOKEN_SAML20} (SAML 2.0) "
            f"or {ns.TOKEN_SAML11} (SAML 1.1)."
        )


# The types a relying party can be configured for and a token can be issued as.
ISSUED_TOKEN_TYPES = (TokenType.SAML11, TokenType.SAML20)

_DISPLAY_NAMES = {
    TokenType.SAML11: "SAML 1.1", TokenType.SAML20: "SAML 2.0", TokenType.STATUS: "Status",
}
_PROFILE_URIS = {TokenType.SAML11: ns.TOKEN_SAML11, TokenType.SAML20: ns.TOKEN_SAML20}
