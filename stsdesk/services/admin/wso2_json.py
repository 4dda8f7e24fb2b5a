"""WSO2-shaped REST JSON, read and written once for both admin backends.

stsdesk's admin API mirrors WSO2 Identity Server's (``/api/server/v1``: configs, applications,
their WS-Trust inbound configuration, local claims) on purpose, so the console reads and writes
the same shapes from either server. The paths stay with each backend (``stsdesk_backend`` and
``wso2.rest``): only the bodies are here. Where stsdesk's answers carry more than WSO2's (the
resident IdP's ``stsIssuer``, a WS-Trust configuration's token settings and warnings), the extra
names are optional, so a WSO2 answer reads as the same record without them.

Contracts: WSO2's OpenAPI definitions (tests/data/wso2-openapi: configs.yaml, applications.yaml)
and stsdesk's own admin API.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from stsdesk.core.tokentypes import TokenType
from stsdesk.services.admin.models import (
    Application,
    ApplicationDraft,
    ApplicationPage,
    ApplicationSummary,
    LocalClaim,
    RequestedClaim,
    ResidentIdp,
    WsTrustConfig,
)
from stsdesk.services.admin.resident import ChangedField, resident_idp_changes
from stsdesk.services.admin.wire import dict_of, list_of, optional, strings

__all__ = [
    "segment",
    "resident_idp",
    "resident_idp_patch",
    "local_claims",
    "application_page",
    "application",
    "claim_configuration",
    "ws_trust",
]

# The WS-Trust inbound protocol's type in an application: WSO2 and stsdesk say "wstrust" (the
# path segment is "ws-trust", which some WSO2 versions also use as the type).
_WS_TRUST_TYPES = ("wstrust", "ws-trust")


def segment(value: str) -> str:
    """One path segment: an alias or id typed by someone cannot add segments or a query."""
    return quote(value, safe="")


def resident_idp(body: Any) -> ResidentIdp:
    """A ``/configs`` answer (WSO2's ServerConfig; stsdesk adds ``stsIssuer``)."""
    data = dict_of(body)
    issuer = data.get("stsIssuer")
    return ResidentIdp(
        home_realm_identifiers=strings(data.get("homeRealmIdentifiers")),
        idle_session_timeout_minutes=int(data["idleSessionTimeoutPeriod"]),
        remember_me_minutes=int(data["rememberMePeriod"]),
        issuer=None if issuer is None else str(issuer),
    )


_REALMS_PATH = "/homeRealmIdentifiers/"
_PATCH_PATHS = {
    ChangedField.IDLE_SESSION_TIMEOUT: "/idleSessionTimeoutPeriod",
    ChangedField.REMEMBER_ME: "/rememberMePeriod",
    ChangedField.ISSUER: "/stsIssuer",
}


def resident_idp_patch(before: ResidentIdp, after: ResidentIdp) -> list[dict[str, str]]:
    """WSO2's JSON-patch list that turns ``before`` into ``after`` (empty when equal)."""
    operations = []
    for change in resident_idp_changes(before, after):
        path = (f"{_REALMS_PATH}{change.index}" if change.field is ChangedField.HOME_REALM
                else _PATCH_PATHS[change.field])
        operation = {"operation": change.action.value, "path": path}
        if change.value is not None:
            operation["value"] = change.value
        operations.append(operation)
    return operations


def local_claims(body: Any) -> tuple[LocalClaim, ...]:
    """A ``/claim-dialects/local/claims`` answer."""
    return tuple(
        LocalClaim(uri=str(dict_of(c)["claimURI"]),
                   display_name=str(dict_of(c).get("displayName") or dict_of(c)["claimURI"]))
        for c in list_of(body))


def application_page(body: Any) -> ApplicationPage:
    """An ApplicationListResponse (``GET /applications``)."""
    data = dict_of(body)
    items = tuple(
        ApplicationSummary(id=str(dict_of(a)["id"]), name=str(dict_of(a).get("name", "")),
                           description=str(dict_of(a).get("description") or ""))
        for a in list_of(data.get("applications")))
    return ApplicationPage(items, int(data.get("totalResults", len(items))))


def application(body: Any) -> Application:
    """An ApplicationResponseModel (``GET /applications/{id}``)."""
    item = dict_of(body)
    config = dict_of(item.get("claimConfiguration") or {})
    requested = tuple(
        RequestedClaim(uri=str(dict_of(entry["claim"])["uri"]),
                       mandatory=bool(entry.get("mandatory", False)))
        for entry in list_of(config.get("requestedClaims")))
    subject = dict_of(dict_of(config.get("subject") or {}).get("claim") or {})
    protocols = list_of(item.get("inboundProtocols"))
    return Application(
        id=str(item["id"]),
        name=str(item.get("name", "")),
        description=str(item.get("description") or ""),
        requested_claims=requested,
        subject_claim=optional(subject.get("uri")),
        has_ws_trust=any(dict_of(p).get("type") in _WS_TRUST_TYPES for p in protocols),
    )


def claim_configuration(draft: ApplicationDraft, *, clear_subject: bool) -> dict[str, Any]:
    """An application's ClaimConfiguration.

    With ``clear_subject`` a draft without a subject claim sends ``"subject": {"claim": null}``
    (stsdesk's PATCH then removes the one set before); without it the subject is left out
    (WSO2's schema has no null claim).
    """
    claims: dict[str, Any] = {
        "dialect": "LOCAL",
        "requestedClaims": [{"claim": {"uri": claim.uri}, "mandatory": claim.mandatory}
                            for claim in draft.requested_claims],
    }
    if draft.subject_claim or clear_subject:
        claims["subject"] = {"claim": {"uri": draft.subject_claim} if draft.subject_claim
                             else None}
    return claims


def ws_trust(body: Any) -> WsTrustConfig:
    """A WSTrustConfiguration: WSO2's has the audience and the certificate alias only."""
    item = dict_of(body)
    encrypt = item.get("encryptToken")
    lifetime = item.get("tokenLifetimeSeconds")
    token_type = item.get("tokenType")
    return WsTrustConfig(
        audience=str(item["audience"]),
        # WSO2 answers "" for no alias: tokens for this party are not encrypted.
        certificate_alias=optional(item.get("certificateAlias")) or None,
        token_type=None if token_type is None else TokenType(token_type),
        key_type=optional(item.get("keyType")),
        encrypt_token=None if encrypt is None else bool(encrypt),
        encryption_algorithm=optional(item.get("encryptionAlgorithm")),
        key_transport_algorithm=optional(item.get("keyTransportAlgorithm")),
        signature_algorithm=optional(item.get("signatureAlgorithm")),
        digest_algorithm=optional(item.get("digestAlgorithm")),
        token_lifetime_seconds=None if lifetime is None else int(lifetime),
        name_id_format=optional(item.get("nameIdFormat")),
        warnings=strings(item.get("warnings")),
    )
