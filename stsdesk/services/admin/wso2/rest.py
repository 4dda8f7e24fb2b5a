"""WSO2's REST APIs the console uses: paths, and what only WSO2 writes or reads differently.

The bodies stsdesk's admin API shares with WSO2 are read and written in
``stsdesk.services.admin.wso2_json``.

Contracts: WSO2's OpenAPI definitions (tests/data/wso2-openapi: configs.yaml, applications.yaml,
keystore.yaml). Everything here is under ``/api/server/v1`` of the tenant (``/t/{tenant}``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from stsdesk.core.certificate_description import describe_certificate
from stsdesk.services.admin.models import (
    ApplicationDraft,
    TrustedCertificate,
    WsTrustConfig,
)
from stsdesk.services.admin.wso2_json import claim_configuration, segment

__all__ = [
    "CONFIGS",
    "APPLICATIONS",
    "WS_TRUST_META",
    "CLAIMS",
    "CERTS",
    "CLIENT_CERTS",
    "ws_trust_path",
    "application_body",
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


def ws_trust_path(application_id: str) -> str:
    return f"{APPLICATIONS}/{segment(application_id)}/inbound-protocols/ws-trust"


def application_body(draft: ApplicationDraft) -> dict[str, Any]:
    """An ApplicationModel (POST) or ApplicationPatchModel (PATCH): the same names for these."""
    return {"name": draft.name, "description": draft.description,
            "claimConfiguration": claim_configuration(draft, clear_subject=False)}


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
