"""Certificate revocation lists over the admin API: the trust store's CRLs and the policy that
applies them to client certificates (``/keystores/crls``, ``/keystores/revocation``)."""

from __future__ import annotations

import base64
import binascii
import logging
from datetime import UTC, datetime
from typing import Annotated, Literal
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import API_PREFIX, AdminContext, get_context
from stsdesk.server.admin.errors import ApiError
from stsdesk.server.model import RevocationPolicy, StaleCrlAction, StoredCrl
from stsdesk.server.urls import public_base_url

__all__ = ["router", "CrlResponse", "CrlDetails", "CrlRequest", "RevocationPolicyModel"]

log = logging.getLogger("stsdesk.server.admin.keystores")

router = APIRouter(tags=["Keystores"])

Context = Annotated[AdminContext, Depends(get_context)]

_CRLS = "/keystores/crls"
_MAX_CRL_TEXT = 4_000_000  # characters: a CA's CRL with tens of thousands of entries fits
_CrlId = Annotated[str, Path(pattern="^[0-9a-f]{64}$", description="The CRL's id (see list).")]


class CrlResponse(BaseModel):
    """A CRL in the trust store: one per certificate authority, the newest imported."""

    id: str = Field(description="SHA-256 of the issuer name (DER), hex: one CRL per CA.")
    issuer: str
    thisUpdate: datetime  # noqa: N815
    nextUpdate: datetime | None  # noqa: N815
    entries: int = Field(description="How many certificates the CRL revokes.")
    stale: bool = Field(description="True once nextUpdate has passed: import a current CRL.")
    importedAt: datetime  # noqa: N815
    location: str


class RevokedEntry(BaseModel):
    serialNumber: str = Field(description="Upper-case hex.")  # noqa: N815
    revocationDate: datetime  # noqa: N815


class CrlDetails(CrlResponse):
    revoked: list[RevokedEntry]


class CrlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    crl: str = Field(min_length=1, max_length=_MAX_CRL_TEXT,
                     description="The CRL as PEM (X509 CRL) or base64 DER.")


class RevocationPolicyModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    staleCrl: Literal["refuse", "accept"] = Field(  # noqa: N815
        description="A CRL past its nextUpdate: refuse the CA's certificates (the default, as "
        "Java's PKIX checker does) or accept them with a warning in the log and audit trail.")
    requireCrl: StrictBool = Field(  # noqa: N815
        description="Refuse a client certificate whose CA has no CRL in the trust store "
        "(false: such certificates are accepted without a revocation check).")


@router.get(_CRLS, summary="List the certificate revocation lists in the trust store",
            response_model=list[CrlResponse])
def list_crls(_: Admin, context: Context, request: Request) -> list[CrlResponse]:
    now = datetime.now(UTC)
    return [_response(request, context, crl, now) for crl in context.store.crls.list_all()]


@router.get(f"{_CRLS}/{{crl_id}}", summary="Read one CRL with the certificates it revokes",
            response_model=CrlDetails)
def get_crl(_: Admin, context: Context, request: Request, crl_id: _CrlId) -> CrlDetails:
    stored = context.store.crls.get(crl_id)
    crl = x509.load_der_x509_crl(stored.crl_der)
    revoked = [RevokedEntry(serialNumber=f"{entry.serial_number:X}",
                            revocationDate=entry.revocation_date_utc) for entry in crl]
    summary = _response(request, context, stored, datetime.now(UTC))
    return CrlDetails(**summary.model_dump(), revoked=revoked)


@router.post(
    _CRLS, summary="Import a CA's certificate revocation list into the trust store",
    status_code=201, response_model=CrlResponse,
    responses={201: {"headers": {"Location": {"description": "The CRL's URL.",
                                              "schema": {"type": "string"}}}}},
)
def import_crl(actor: Admin, context: Context, request: Request, response: Response,
               body: CrlRequest) -> CrlResponse:
    stored, replaced = context.store.crls.add(_crl_der(body.crl))
    record(context, actor, "crl.import", stored.issuer,
           f"{stored.entries} revoked; this update {stored.this_update:%Y-%m-%d %H:%M} UTC"
           + ("; replaced the older CRL" if replaced else ""))
    log.info("CRL of %r imported by %s (%d entries)", stored.issuer, actor, stored.entries)
    answer = _response(request, context, stored, datetime.now(UTC))
    response.headers["Location"] = answer.location
    return answer


@router.delete(f"{_CRLS}/{{crl_id}}", summary="Delete a CRL from the trust store",
               status_code=204, response_class=Response)
def delete_crl(actor: Admin, context: Context, crl_id: _CrlId) -> Response:
    stored = context.store.crls.delete(crl_id)
    record(context, actor, "crl.delete", stored.issuer,
           f"this update {stored.this_update:%Y-%m-%d %H:%M} UTC")
    return Response(status_code=204)


@router.get("/keystores/revocation", summary="How client certificates are checked for revocation",
            response_model=RevocationPolicyModel)
def get_revocation_policy(_: Admin, context: Context) -> RevocationPolicyModel:
    return _policy_model(context.store.config.get_revocation_policy())


@router.put("/keystores/revocation", summary="Change how client certificates are checked for "
            "revocation", response_model=RevocationPolicyModel)
def put_revocation_policy(actor: Admin, context: Context,
                          body: RevocationPolicyModel) -> RevocationPolicyModel:
    policy = RevocationPolicy(stale_crl=StaleCrlAction(body.staleCrl),
                              require_crl=body.requireCrl)
    context.store.config.set_revocation_policy(policy)
    record(context, actor, "revocation.policy", "trust store",
           f"staleCrl={body.staleCrl}; requireCrl={str(body.requireCrl).lower()}")
    return _policy_model(policy)


def _policy_model(policy: RevocationPolicy) -> RevocationPolicyModel:
    return RevocationPolicyModel(staleCrl=policy.stale_crl.value, requireCrl=policy.require_crl)


def _crl_der(text: str) -> bytes:
    """The DER of a CRL given as PEM or base64 DER; 400 for anything else."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        try:
            return x509.load_pem_x509_crl(stripped.encode("ascii")).public_bytes(Encoding.DER)
        except (ValueError, UnicodeEncodeError) as exc:
            raise _invalid("The PEM text is not an X509 CRL; export the CRL again.") from exc
    try:
        return base64.b64decode("".join(stripped.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid("'crl' is neither PEM nor base64 DER; send the CRL file's text (PEM) "
                       "or its bytes base64-encoded.") from exc


def _response(request: Request, context: AdminContext, crl: StoredCrl,
              now: datetime) -> CrlResponse:
    base = public_base_url(request, context.settings)
    return CrlResponse(
        id=crl.issuer_key, issuer=crl.issuer, thisUpdate=crl.this_update,
        nextUpdate=crl.next_update, entries=crl.entries,
        stale=crl.next_update is not None and crl.next_update < now,
        importedAt=crl.created_at,
        location=f"{base}{API_PREFIX}{_CRLS}/{quote(crl.issuer_key, safe='')}",
    )


def _invalid(description: str) -> ApiError:
    return ApiError(400, "KSS-60400", "Invalid input.", description)
