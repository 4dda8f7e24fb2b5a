"""Trusted SAML issuers over the admin API (``/sts/saml-issuers``): which trust-store
certificates may sign the SAML tokens scenarios 31-34 accept, and for which issuer name."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from cryptography import x509
from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import AdminContext, get_context
from stsdesk.server.model import TrustedSamlIssuer

__all__ = ["router", "SamlIssuerResponse", "SamlIssuerRequest"]

router = APIRouter(prefix="/sts", tags=["STS security"])

Context = Annotated[AdminContext, Depends(get_context)]

_Alias = Annotated[str, Path(max_length=255, description="The trust-store certificate's alias.")]


class SamlIssuerResponse(BaseModel):
    certificateAlias: str  # noqa: N815
    issuer: str = Field(description="The Issuer the assertions name (an entity id).")
    subject: str = Field(description="The certificate's subject.")
    notAfter: datetime  # noqa: N815


class SamlIssuerRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(min_length=1, max_length=1024, examples=["https://idp.example.org"],
                        description="The exact Issuer value of the assertions this certificate "
                        "signs.")


@router.get("/saml-issuers", summary="List the trusted SAML issuers (scenarios 31-34)",
            response_model=list[SamlIssuerResponse])
def list_saml_issuers(_: Admin, context: Context) -> list[SamlIssuerResponse]:
    certificates = context.keystore.list_trusted_certificates()
    return [_response(item, certificates[item.certificate_alias])
            for item in context.store.saml_issuers.list_all()
            if item.certificate_alias in certificates]


@router.put("/saml-issuers/{alias}", summary="Trust a certificate to sign SAML tokens of an "
            "issuer", response_model=SamlIssuerResponse)
def trust_saml_issuer(actor: Admin, context: Context, alias: _Alias, body: SamlIssuerRequest,
                      response: Response) -> SamlIssuerResponse:
    created = context.store.saml_issuers.trust(alias, body.issuer)
    certificate = context.keystore.list_trusted_certificates()[alias]
    record(context, actor, "saml-issuer.trust", alias, f"issuer {body.issuer!r}; subject "
           f"{certificate.subject.rfc4514_string()}")
    response.status_code = 201 if created else 200
    return _response(TrustedSamlIssuer(alias, body.issuer), certificate)


@router.delete("/saml-issuers/{alias}", summary="Stop trusting a certificate as a SAML issuer",
               status_code=204, response_class=Response)
def distrust_saml_issuer(actor: Admin, context: Context, alias: _Alias) -> Response:
    removed = context.store.saml_issuers.distrust(alias)
    record(context, actor, "saml-issuer.distrust", alias, f"issuer {removed.issuer!r}")
    return Response(status_code=204)


def _response(item: TrustedSamlIssuer, certificate: x509.Certificate) -> SamlIssuerResponse:
    return SamlIssuerResponse(certificateAlias=item.certificate_alias, issuer=item.issuer,
                              subject=certificate.subject.rfc4514_string(),
                              notAfter=certificate.not_valid_after_utc)
