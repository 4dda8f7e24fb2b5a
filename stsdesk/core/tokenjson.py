"""A decoded token as JSON-ready data and text, for the command line (never key material)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from stsdesk.core.tokeninfo import DecodedToken
from stsdesk.core.tokenverdicts import DEFAULT_CLOCK_SKEW_SECONDS, CertificateSummary

__all__ = ["to_dict", "to_json"]


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value else None


def _certificate_dict(cert: CertificateSummary | None) -> dict[str, Any] | None:
    if cert is None:
        return None
    return {
        "subject": cert.subject,
        "issuer": cert.issuer,
        "sha256_fingerprint": cert.sha256_fingerprint,
        "sha1_thumbprint": cert.sha1_thumbprint,
        "not_before": _iso(cert.not_before),
        "not_after": _iso(cert.not_after),
    }


def to_dict(
    decoded: DecodedToken,
    *,
    now: dt.datetime | None = None,
    skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS,
) -> dict[str, Any]:
    """The decoded token as JSON-ready data (no key material)."""
    timeline = decoded.validity(now, skew_seconds)
    signature = decoded.signature
    hok = decoded.holder_of_key
    encryption = decoded.encryption
    response = decoded.response
    return {
        "form": decoded.form.value,
        "encoding": decoded.encoding.value,
        "container": decoded.container,
        "version": decoded.version.value if decoded.version else None,
        "id": decoded.assertion_id,
        "issuer": decoded.issuer,
        "issue_instant": _iso(decoded.issue_instant),
        "subject": None if decoded.subject is None else {
            "name_id": decoded.subject.name_id,
            "format": decoded.subject.name_id_format,
            "confirmation_method": decoded.subject.confirmation_method,
        },
        "holder_of_key": None if hok is None else {
            "kind": hok.kind.value,
            "key_transport": hok.key_transport,
            "recipient_thumbprint": hok.recipient_thumbprint,
            "recipient_alias": hok.recipient_alias,
            "certificate": _certificate_dict(hok.certificate),
            "key_bits": hok.key_bits,
            "relying_party_view": hok.relying_party_view,
        },
        "conditions": None if decoded.conditions is None else {
            "not_before": _iso(decoded.conditions.not_before),
            "not_on_or_after": _iso(decoded.conditions.not_on_or_after),
            "audiences": list(decoded.conditions.audiences),
        },
        "validity": {
            "state": timeline.state.value,
            "now": _iso(timeline.now),
            "remaining_seconds": timeline.remaining_seconds,
            "skew_seconds": timeline.skew_seconds,
            "within_skew": timeline.within_skew,
            "note": timeline.note,
        },
        "authn": None if decoded.authn is None else {
            "method": decoded.authn.method,
            "instant": _iso(decoded.authn.instant),
        },
        "attributes": [
            {
                "name": a.name,
                "claim_uri": a.claim_uri,
                "friendly_name": a.friendly_name,
                "name_format": a.name_format,
                "namespace": a.namespace,
                "values": list(a.values),
            }
            for a in decoded.attributes
        ],
        "signature": {
            "status": signature.status.value,
            "reason": signature.reason,
            "algorithm": signature.algorithm,
            "digest_algorithm": signature.digest_algorithm,
            "digest_value": signature.digest_value,
            "reference": signature.reference,
            "certificate": _certificate_dict(signature.certificate),
            "trusted_alias": signature.trusted_alias,
            "weak_algorithm": signature.weak_algorithm,
        },
        "encryption": None if encryption is None else {
            "data_algorithm": encryption.data_algorithm,
            "key_transport": encryption.key_transport,
            "recipient_thumbprint": encryption.recipient_thumbprint,
            "recipient_alias": encryption.recipient_alias,
            "decrypted": encryption.decrypted,
            "reason": encryption.reason,
        },
        "response": None if response is None else {
            "token_type": response.token_type,
            "applies_to": response.applies_to,
            "created": _iso(response.created),
            "expires": _iso(response.expires),
            "attached_reference": response.attached_reference,
        },
        "problems": list(decoded.problems),
    }


def to_json(
    decoded: DecodedToken,
    *,
    now: dt.datetime | None = None,
    skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS,
) -> str:
    """:func:`to_dict` as indented JSON text, for the command line."""
    return json.dumps(to_dict(decoded, now=now, skew_seconds=skew_seconds), indent=2)
