"""WSO2's REST APIs the console uses: paths, JSON names and their readers, in one place.

Contracts: WSO2's OpenAPI definitions (tests/data/wso2-openapi: configs.yaml, applications.yaml,
keystore.yaml). Everything here is under ``/api/server/v1`` of the tenant (``/t/{tenant}``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from stsdesk.core.certificate_description import describe_certificate
from stsdesk.services.admin.models import (
    Application,
    ApplicationDraft,
    RequestedClaim,
    ResidentIdp,
    TrustedCertificate,
    WsTrustConfig,
)
from stsdesk.services.admin.wire import dict_of, list_of, optional, strings

__all__ = [
    "CONFIGS",
    "APPLICATIONS",
    "WS_TRUST_META",
    "CLAIMS",
    "CERTS",
    "CLIENT_CERTS",
    "ws_trust_path",
    "segment",
    "resident_idp",
    "application",
    "application_body",
    "ws_trust",
    "ws_trust_body",
    "certificate_from_text",
    "trusted_certificate",
    "pem_of",
]

CONFIGS = "/configs"  # IS 5.11+
APPLICATIONS = "/applications"
WS_TRUST_META = "/applications/meta/inbound-protocols/ws-trust"
CLAIMS = "/claim-dialects/local/claims"
CERTS = "/keystores/certs"  # a tenant's keystore (POST and DELETE only for tenants)
CLIENT_CERTS = "/keystores/client-certs"  # the super tenant's trust store (read only)
_WS_TRUST_TYPES = ("ws-trust", "wstrust")  # the inbound protocol's name in answers


def segment(value: str) -> str:
    """One path segment: an alias or id cannot add segments or a query."""
    return quote(value, safe="")


def ws_trust_path(application_id: str) -> str:
    return f"{APPLICATIONS}/{segment(application_id)}/inbound-protocols/ws-trust"


def resident_idp(body: Any) -> ResidentIdp:
    data = dict_of(body)
    return ResidentIdp(
        home_realm_identifiers=strings(data.get("homeRealmIdentifiers")),
        idle_session_timeout_minutes=int(data["idleSessionTimeoutPeriod"]),
        remember_me_minutes=int(data["rememberMePeriod"]),
    )


def application(body: Any) -> Application:
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


def application_body(draft: ApplicationDraft) -> dict[str, Any]:
    """An ApplicationModel (POST) or ApplicationPatchModel (PATCH): the same names for these."""
    claims: dict[str, Any] = {
        "dialect": "LOCAL",
        "requestedClaims": [{"claim": {"uri": claim.uri}, "mandatory": claim.mandatory}
                            for claim in draft.requested_claims],
    }
    if draft.subject_claim:
        claims["subject"] = {"claim": {"uri": draft.subject_claim}}
    return {"name": draft.name, "description": draft.description, "claimConfiguration": claims}


def ws_trust(body: Any) -> WsTrustConfig:
    data = dict_of(body)
    return WsTrustConfig(audience=str(data["audience"]),
                         certificate_alias=optional(data.get("certificateAlias")) or None)


# What WSO2's WSTrustConfiguration cannot hold: the STS decides these from the request.
_NOT_ON_WSO2 = {
    "token_type": "token type", "key_type": "key type", "encrypt_token": "encryption",
    "encryption_algorithm": "encryption algorithm",
    "key_transport_algorithm": "key transport algorithm",
    "signature_algorithm": "signature algorithm", "digest_algorithm": "digest algorithm",
    "token_lifetime_seconds": "token lifetime", "name_id_format": "NameID format",
}


def ws_trust_body(config: WsTrustConfig) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The WSTrustConfiguration to PUT, and a warning for each setting WSO2 cannot keep."""
    ignored = [label for name, label in _NOT_ON_WSO2.items()
               if getattr(config, name) is not None]
    warnings = () if not ignored else (
        "WSO2 Identity Server keeps only the audience and the certificate alias of a WS-Trust "
        f"configuration; not saved: {', '.join(ignored)}.",)
    # certificateAlias is required by WSO2's schema: an empty one means "no encryption".
    return {"audience": config.audience, "certificateAlias": config.certificate_alias or ""}, \
        warnings


def certificate_from_text(text: str) -> x509.Certificate:
    """A certificate from PEM, base64 DER or base64 PEM (``?encode-cert=true`` answers)."""
    data = text.strip().encode("ascii", "replace")
    if not data.startswith(b"-----BEGIN"):
        try:
            data = base64.b64decode(data, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"the certificate is neither PEM nor base64 ({exc})") from exc
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data.strip())
    return x509.load_der_x509_certificate(data)


def pem_of(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def trusted_certificate(alias: str, certificate: x509.Certificate) -> TrustedCertificate:
    """What the trust-store table shows, read from the certificate itself (WSO2 lists aliases
    only)."""
    described = describe_certificate(certificate)
    return TrustedCertificate(
        alias=alias,
        subject=described.subject,
        issuer=described.issuer,
        not_before=described.not_before,
        not_after=described.not_after,
        sha256_fingerprint=described.sha256_fingerprint,
        sha1_fingerprint=described.sha1_fingerprint,
        key_algorithm=str(described.key_algorithm),
        key_size=described.key_size,
        serial_number=described.serial_number,
        signature_algorithm=described.signature_algorithm,
    )
