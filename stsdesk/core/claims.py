"""Claim dialects: how a requested claim URI maps to the local WSO2 claim a user's profile holds."""

from __future__ import annotations

from typing import Final

from stsdesk.core import ns
from stsdesk.core.errors import InvalidRequestError

__all__ = [
    "LOCAL_CLAIMS", "IDENTITY_CLAIMS", "SUPPORTED_DIALECTS", "local_claim_for",
    "USERNAME", "ROLE", "EMAIL", "GIVEN_NAME", "LAST_NAME",
]

_W = ns.WSO2_CLAIMS + "/"
USERNAME: Final = _W + "username"
ROLE: Final = _W + "role"
EMAIL: Final = _W + "emailaddress"
GIVEN_NAME: Final = _W + "givenname"
LAST_NAME: Final = _W + "lastname"

# The local claims (WSO2's http://wso2.org/claims dialect) a user profile can carry, with the
# names a console shows for them.
LOCAL_CLAIMS: Final[dict[str, str]] = {
    USERNAME: "Username",
    EMAIL: "Email",
    GIVEN_NAME: "First Name",
    LAST_NAME: "Last Name",
    _W + "fullname": "Full Name",
    ROLE: "Role",
    _W + "telephone": "Telephone",
    _W + "mobile": "Mobile",
    _W + "organization": "Organization",
    _W + "country": "Country",
    _W + "title": "Job Title",
    _W + "nickname": "Nick Name",
}

_IDENTITY = ns.WSID + "/claims/"
# The information-card dialect (what WCF/ADFS-style clients ask for) mapped onto local claims.
IDENTITY_CLAIMS: Final[dict[str, str]] = {
    _IDENTITY + "emailaddress": EMAIL,
    _IDENTITY + "givenname": GIVEN_NAME,
    _IDENTITY + "surname": LAST_NAME,
    _IDENTITY + "name": USERNAME,
    _IDENTITY + "upn": USERNAME,
    _IDENTITY + "mobilephone": _W + "mobile",
    _IDENTITY + "homephone": _W + "telephone",
    _IDENTITY + "country": _W + "country",
    ns.MS_ROLE_CLAIM: ROLE,
}

SUPPORTED_DIALECTS: Final = (ns.WSO2_CLAIMS, ns.WSID)


def local_claim_for(dialect: str | None, uri: str) -> str | None:
    """The local claim URI that answers ``uri`` requested in ``dialect``; None if none does.

    Without a dialect the URI is taken as it is when it is a local claim, else looked up in the
    information-card table, as a relying party's requested claims may be written either way.
    """
    if dialect not in (None, *SUPPORTED_DIALECTS):
        raise InvalidRequestError(
            f"The claim dialect {dialect!r} is not supported; use {ns.WSO2_CLAIMS} or {ns.WSID}."
        )
    if uri in LOCAL_CLAIMS:
        return uri
    return IDENTITY_CLAIMS.get(uri)
