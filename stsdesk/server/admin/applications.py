"""Service providers and their WS-Trust configuration, shaped like WSO2's applications API."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from stsdesk.core import ns
from stsdesk.core.audiences import ANY_AUDIENCE, MAX_AUDIENCE_LENGTH, audience_problem
from stsdesk.core.claims import LOCAL_CLAIMS
from stsdesk.core.limits import MAX_APPLICATION_DESCRIPTION, MAX_APPLICATION_NAME
from stsdesk.core.tokentypes import ISSUED_TOKEN_TYPES, TokenType
from stsdesk.core.xmldsig import DigestAlgorithm, SignatureAlgorithm
from stsdesk.core.xmlenc import BlockEncryption, KeyTransport
from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import API_PREFIX, AdminContext, get_context
from stsdesk.server.admin.listfilter import attribute_filter
from stsdesk.server.errors import ConflictError, NotFoundError, ServerError, ValidationError
from stsdesk.server.model import NAMEID_EMAIL, NAMEID_UNSPECIFIED, RelyingParty, RequestedClaim

__all__ = [
    "router", "Claim", "RequestedClaimConfiguration", "SubjectConfig", "ClaimConfiguration",
    "WSTrustConfiguration", "WSTrustConfigurationResponse", "InboundProtocols",
    "ApplicationModel", "ApplicationPatchModel", "ApplicationResponseModel",
    "ApplicationListItem", "ApplicationListResponse", "Link", "InboundProtocolListItem",
    "MetadataProperty", "LifetimeMetadata", "WSTrustMetaData", "parse_filter",
    "NAME_ID_FORMATS", "MAX_AUDIENCE",
]

log = logging.getLogger("stsdesk.server.admin.applications")

router = APIRouter(tags=["Applications"])

MAX_NAME = MAX_APPLICATION_NAME
MAX_DESCRIPTION = MAX_APPLICATION_DESCRIPTION
MAX_URI = 1024
MAX_AUDIENCE = MAX_AUDIENCE_LENGTH
MAX_ID = 64
WSTRUST_TYPE = "wstrust"  # WSO2's inbound type name; the path segment is "ws-trust"

NAME_ID_FORMATS = (
    NAMEID_UNSPECIFIED,
    NAMEID_EMAIL,
    ns.NAMEID_X509_SUBJECT,
    ns.NAMEID_PERSISTENT,
    ns.NAMEID_TRANSIENT,
    ns.NAMEID_ENTITY,
)
_DEFAULTS = RelyingParty(application_id="", name="", audience=ANY_AUDIENCE)
_FILTER_HELP = (
    "Filter by name as 'name eq VALUE', 'name sw VALUE' (starts with), 'name ew VALUE' (ends "
    "with) or 'name co VALUE' (contains); quote a value with spaces: name co \"my app\"."
)
_WEAK_SIGNATURE = (SignatureAlgorithm.RSA_SHA1, DigestAlgorithm.SHA1)
_AppId = Annotated[str, Path(max_length=MAX_ID, description="The application's id")]
_Context = Annotated[AdminContext, Depends(get_context)]
_ISSUED_TYPE_NAMES = [token_type.value for token_type in ISSUED_TOKEN_TYPES]


def _issued_token_type(value: object) -> TokenType:
    # Status names the Validate answer, not a token a relying party can be given.
    if isinstance(value, str) and value in _ISSUED_TYPE_NAMES:
        return TokenType(value)
    raise PydanticCustomError(
        "literal_error", "Input should be {expected}",
        {"expected": " or ".join(repr(name) for name in _ISSUED_TYPE_NAMES)},
    )


_IssuedTokenType = Annotated[
    TokenType,
    PlainValidator(_issued_token_type),
    WithJsonSchema({"type": "string", "enum": _ISSUED_TYPE_NAMES}),
]


# ------------------------------------------------------------------------------------ models


class Claim(BaseModel):
    uri: str = Field(max_length=MAX_URI, examples=["http://wso2.org/claims/emailaddress"])
    displayName: str | None = Field(default=None, max_length=MAX_NAME,
                                    description="Read-only; ignored on input")


class RequestedClaimConfiguration(BaseModel):
    claim: Claim
    mandatory: bool = False


class SubjectConfig(BaseModel):
    claim: Claim | None = Field(
        default=None, description="The claim whose value is the token's subject; none: username"
    )


class ClaimConfiguration(BaseModel):
    """WSO2's claim configuration: LOCAL dialect only (claims of http://wso2.org/claims)."""

    dialect: Literal["LOCAL"] = "LOCAL"
    requestedClaims: list[RequestedClaimConfiguration] = Field(
        default_factory=list, max_length=len(LOCAL_CLAIMS)
    )
    subject: SubjectConfig | None = None


class WSTrustConfiguration(BaseModel):
    """A relying party: WSO2's {audience, certificateAlias} plus the token defaults for it."""

    model_config = ConfigDict(extra="forbid")

    audience: str = Field(
        max_length=MAX_AUDIENCE,
        description="The AppliesTo address: an absolute http(s) URL, a urn:, or * for any other",
        examples=["https://rp.example.org/service"],
    )
    certificateAlias: str | None = Field(
        default=None, max_length=MAX_NAME,
        description="Trust-store alias of the relying party's certificate (token encryption, "
                    "holder-of-key proof keys); none: tokens are not encrypted",
    )
    tokenType: _IssuedTokenType | None = None
    keyType: Literal["Bearer", "SymmetricKey", "PublicKey"] | None = None
    encryptToken: bool | None = None
    encryptionAlgorithm: BlockEncryption | None = None
    keyTransportAlgorithm: KeyTransport | None = None
    signatureAlgorithm: SignatureAlgorithm | None = None
    digestAlgorithm: DigestAlgorithm | None = None
    tokenLifetimeSeconds: int | None = Field(
        default=None, ge=1, description="Default token lifetime; none: the server's default"
    )
    nameIdFormat: str | None = Field(default=None, max_length=MAX_URI)


class WSTrustConfigurationResponse(BaseModel):
    audience: str
    # Required by WSO2's schema (a string): "" when the relying party has no certificate.
    certificateAlias: str
    tokenType: TokenType
    keyType: str
    encryptToken: bool
    encryptionAlgorithm: str
    keyTransportAlgorithm: str
    signatureAlgorithm: str
    digestAlgorithm: str
    tokenLifetimeSeconds: int | None
    nameIdFormat: str
    warnings: list[str] = Field(default_factory=list,
                                description="Settings that work but weaken security")


class InboundProtocols(BaseModel):
    wsTrust: WSTrustConfiguration | None = None


class ApplicationModel(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME, examples=["Payroll"])
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    claimConfiguration: ClaimConfiguration | None = None
    inboundProtocolConfiguration: InboundProtocols | None = None


class ApplicationPatchModel(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    claimConfiguration: ClaimConfiguration | None = None


class InboundProtocolListItem(BaseModel):
    type: str
    name: str
    self: str


class ApplicationResponseModel(BaseModel):
    id: str
    name: str
    description: str
    claimConfiguration: ClaimConfiguration
    inboundProtocols: list[InboundProtocolListItem]


class ApplicationListItem(BaseModel):
    id: str
    name: str
    description: str
    self: str


class Link(BaseModel):
    href: str
    rel: str


class ApplicationListResponse(BaseModel):
    totalResults: int
    startIndex: int
    count: int
    applications: list[ApplicationListItem]
    links: list[Link]


class MetadataProperty(BaseModel):
    options: list[str]
    defaultValue: str | None = None


class LifetimeMetadata(BaseModel):
    defaultValue: int
    minimum: int = 1
    maximum: int


class WSTrustMetaData(BaseModel):
    certificateAlias: MetadataProperty
    tokenType: MetadataProperty
    keyType: MetadataProperty
    encryptionAlgorithm: MetadataProperty
    keyTransportAlgorithm: MetadataProperty
    signatureAlgorithm: MetadataProperty
    digestAlgorithm: MetadataProperty
    nameIdFormat: MetadataProperty
    tokenLifetimeSeconds: LifetimeMetadata


# ------------------------------------------------------------------------------------ routes
# WSO2's schemas declare no field nullable, and its clients read a missing field as "not set":
# every WSO2-shaped answer leaves out what has no value (response_model_exclude_none).


@router.get(
    "/applications/meta/inbound-protocols/ws-trust", response_model=WSTrustMetaData,
    response_model_exclude_none=True,
    summary="Choices for a WS-Trust configuration (certificate aliases, algorithms, ...)",
)
def get_ws_trust_metadata(_: Admin, context: _Context) -> WSTrustMetaData:
    tokens = context.store.config.get_token_settings()

    def choices(options: Sequence[str], default: str | None) -> MetadataProperty:
        return MetadataProperty(options=list(options), defaultValue=default)

    return WSTrustMetaData(
        certificateAlias=choices(list(context.store.keys.list_trusted_certificates()), None),
        tokenType=choices(_ISSUED_TYPE_NAMES, _DEFAULTS.token_type),
        keyType=choices(("Bearer", "SymmetricKey", "PublicKey"), _DEFAULTS.key_type),
        encryptionAlgorithm=choices([a.value for a in BlockEncryption],
                                    _DEFAULTS.encryption_algorithm),
        keyTransportAlgorithm=choices([a.value for a in KeyTransport],
                                      _DEFAULTS.key_transport_algorithm),
        signatureAlgorithm=choices([a.value for a in SignatureAlgorithm],
                                   _DEFAULTS.signature_algorithm),
        digestAlgorithm=choices([a.value for a in DigestAlgorithm], _DEFAULTS.digest_algorithm),
        nameIdFormat=choices(NAME_ID_FORMATS, _DEFAULTS.name_id_format),
        tokenLifetimeSeconds=LifetimeMetadata(
            defaultValue=tokens.default_lifetime_seconds, maximum=tokens.max_lifetime_seconds
        ),
    )


@router.post(
    "/applications", status_code=201, response_model=ApplicationResponseModel,
    response_model_exclude_none=True,
    summary="Create a service provider (optionally with claims and WS-Trust in one go)",
)
def create_application(
    actor: Admin, context: _Context, body: ApplicationModel, response: Response
) -> ApplicationResponseModel:
    store = context.store
    claims, subject = _claims(body.claimConfiguration)
    inbound = body.inboundProtocolConfiguration
    party = _relying_party(context, inbound.wsTrust) if inbound and inbound.wsTrust else None
    if party is not None:
        _check_audience_free(context, party.audience, None)
    app_id = store.applications.create(body.name, body.description)
    try:
        if claims or subject is not None:
            store.applications.update(app_id, requested_claims=claims, subject_claim_uri=subject)
        if party is not None:
            store.applications.set_relying_party(app_id, party)
    except ServerError:
        # All or nothing: a service provider half made (say, without the WS-Trust configuration
        # that the caller asked for) would be a surprise later.
        store.applications.delete(app_id)
        raise
    detail = f"name={body.name!r}"
    if party is not None:
        detail += f"; ws-trust audience={party.audience!r}"
    record(context, actor, "application.create", app_id, detail)
    response.headers["Location"] = _self(app_id)
    return _application(context, app_id)


@router.get(
    "/applications", response_model=ApplicationListResponse,
    response_model_exclude_none=True, summary="List service providers",
    description=_FILTER_HELP,
)
def list_applications(
    _: Admin,
    context: _Context,
    limit: Annotated[int, Query(ge=1, le=1000)] = 30,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    filter_text: Annotated[
        str | None, Query(alias="filter", max_length=512, description=_FILTER_HELP)
    ] = None,
) -> ApplicationListResponse:
    matches = parse_filter(filter_text)
    apps = [a for a in context.store.applications.list_all() if matches(a.name)]
    page = apps[offset:offset + limit]
    return ApplicationListResponse(
        totalResults=len(apps),
        startIndex=offset + 1,
        count=len(page),
        applications=[
            ApplicationListItem(id=a.application_id, name=a.name, description=a.description,
                                self=_self(a.application_id))
            for a in page
        ],
        links=_links(len(apps), offset, limit, filter_text),
    )


@router.get(
    "/applications/{applicationId}", response_model=ApplicationResponseModel,
    response_model_exclude_none=True,
    summary="Read a service provider",
)
def get_application(_: Admin, context: _Context, applicationId: _AppId) -> ApplicationResponseModel:
    return _application(context, applicationId)


@router.patch(
    "/applications/{applicationId}", response_model=ApplicationResponseModel,
    response_model_exclude_none=True,
    summary="Change a service provider's name, description or claim configuration",
)
def patch_application(
    actor: Admin, context: _Context, applicationId: _AppId, body: ApplicationPatchModel
) -> ApplicationResponseModel:
    given = body.model_fields_set & {"name", "description", "claimConfiguration"}
    if not given or all(getattr(body, name) is None for name in given):
        raise ValidationError(
            "The patch changes nothing; give name, description or claimConfiguration."
        )
    changes: dict[str, Any] = {"name": body.name, "description": body.description}
    config = body.claimConfiguration
    if config is not None:
        claims, subject = _claims(config)
        # Like a merge patch: what the claim configuration leaves out stays as it is.
        if "requestedClaims" in config.model_fields_set:
            changes["requested_claims"] = claims
        if "subject" in config.model_fields_set:
            changes["subject_claim_uri"] = subject
    context.store.applications.update(applicationId, **changes)
    changed = sorted(name for name in given if getattr(body, name) is not None)
    record(context, actor, "application.update", applicationId, "changed " + ", ".join(changed))
    return _application(context, applicationId)


@router.delete(
    "/applications/{applicationId}", status_code=204, response_class=Response,
    summary="Delete a service provider and its WS-Trust configuration",
)
def delete_application(actor: Admin, context: _Context, applicationId: _AppId) -> Response:
    app = context.store.applications.get(applicationId)
    context.store.applications.delete(applicationId)
    record(context, actor, "application.delete", applicationId, f"name={app.name!r}")
    return Response(status_code=204)


@router.get(
    "/applications/{applicationId}/inbound-protocols/ws-trust",
    response_model=WSTrustConfigurationResponse,
    response_model_exclude_none=True,
    summary="Read the service provider's WS-Trust configuration",
)
def get_ws_trust(
    _: Admin, context: _Context, applicationId: _AppId
) -> WSTrustConfigurationResponse:
    return _ws_trust_view(_existing_party(context, applicationId))


@router.put(
    "/applications/{applicationId}/inbound-protocols/ws-trust",
    response_model=WSTrustConfigurationResponse,
    response_model_exclude_none=True,
    responses={201: {"description": "Created", "model": WSTrustConfigurationResponse}},
    summary="Set the service provider's WS-Trust configuration (200 replaced, 201 created)",
    description=(
        "Omitted settings take their defaults. The audience cannot be changed once set: "
        "delete the WS-Trust configuration first."
    ),
)
def put_ws_trust(
    actor: Admin,
    context: _Context,
    applicationId: _AppId,
    body: WSTrustConfiguration,
    response: Response,
) -> WSTrustConfigurationResponse:
    store = context.store
    app = store.applications.get(applicationId)
    current = store.applications.get_relying_party(applicationId)
    party = _relying_party(context, body)
    if current is not None and current.audience != party.audience:
        raise ValidationError(
            f"The audience of {app.name!r} is {current.audience!r} and cannot be changed on "
            "update (as in WSO2); delete the WS-Trust configuration first, then create it "
            "with the new audience."
        )
    if current is None:
        _check_audience_free(context, party.audience, applicationId)
    store.applications.set_relying_party(applicationId, party)
    action = "application.ws-trust.create" if current is None else "application.ws-trust.update"
    # Read by administrators in the audit log: no Python "None" for a missing alias.
    alias = repr(party.certificate_alias) if party.certificate_alias else "none (not encrypted)"
    record(context, actor, action, applicationId,
           f"audience={party.audience!r}; certificateAlias={alias}")
    if current is None:
        response.status_code = 201
        response.headers["Location"] = _self(applicationId) + "/inbound-protocols/ws-trust"
    return _ws_trust_view(_existing_party(context, applicationId))


@router.delete(
    "/applications/{applicationId}/inbound-protocols/ws-trust", status_code=204,
    response_class=Response, summary="Remove the service provider's WS-Trust configuration",
)
def delete_ws_trust(actor: Admin, context: _Context, applicationId: _AppId) -> Response:
    party = _existing_party(context, applicationId)
    context.store.applications.delete_relying_party(applicationId)
    record(context, actor, "application.ws-trust.delete", applicationId,
           f"audience={party.audience!r}")
    return Response(status_code=204)


# ------------------------------------------------------------------------------------ helpers


def parse_filter(text: str | None) -> Callable[[str], bool]:
    """A predicate over application names for WSO2's ``name eq|sw|ew|co VALUE`` filter."""
    return attribute_filter(text, "name", invalid=ValidationError, help_text=_FILTER_HELP,
                            fold_case=True)


def _self(app_id: str) -> str:
    return f"{API_PREFIX}/applications/{app_id}"


def _links(total: int, offset: int, limit: int, filter_text: str | None) -> list[Link]:
    extra = f"&filter={quote(filter_text)}" if filter_text else ""

    def href(start: int) -> str:
        return f"{API_PREFIX}/applications?offset={start}&limit={limit}{extra}"

    links = []
    if offset + limit < total:
        links.append(Link(href=href(offset + limit), rel="next"))
    if offset > 0:
        links.append(Link(href=href(max(0, offset - limit)), rel="previous"))
    return links


def _application(context: AdminContext, app_id: str) -> ApplicationResponseModel:
    app = context.store.applications.get(app_id)
    party = context.store.applications.get_relying_party(app_id)
    subject = app.subject_claim_uri
    inbound = []
    if party is not None:
        inbound.append(InboundProtocolListItem(
            type=WSTRUST_TYPE, name="WS-Trust", self=_self(app_id) + "/inbound-protocols/ws-trust"
        ))
    return ApplicationResponseModel(
        id=app.application_id,
        name=app.name,
        description=app.description,
        claimConfiguration=ClaimConfiguration(
            requestedClaims=[
                RequestedClaimConfiguration(
                    claim=Claim(uri=c.uri, displayName=LOCAL_CLAIMS.get(c.uri)),
                    mandatory=c.mandatory,
                )
                for c in app.requested_claims
            ],
            subject=SubjectConfig(
                claim=None if subject is None
                else Claim(uri=subject, displayName=LOCAL_CLAIMS.get(subject))
            ),
        ),
        inboundProtocols=inbound,
    )


def _claims(config: ClaimConfiguration | None) -> tuple[list[RequestedClaim], str | None]:
    """The requested claims and subject claim URI, each checked against the local claims."""
    if config is None:
        return [], None
    claims: list[RequestedClaim] = []
    seen: set[str] = set()
    for item in config.requestedClaims:
        uri = _local_claim(item.claim.uri, "requested claim")
        if uri in seen:
            raise ValidationError(f"The claim {uri!r} is requested twice; list it once.")
        seen.add(uri)
        claims.append(RequestedClaim(uri, item.mandatory))
    subject = None
    if config.subject is not None and config.subject.claim is not None:
        subject = _local_claim(config.subject.claim.uri, "subject claim")
    return claims, subject


def _local_claim(uri: str, what: str) -> str:
    if uri not in LOCAL_CLAIMS:
        raise ValidationError(
            f"The {what} {uri!r} is not a local claim. Use one of the claims listed at "
            f"{API_PREFIX}/claim-dialects/local/claims (for example {next(iter(LOCAL_CLAIMS))})."
        )
    return uri


def _relying_party(context: AdminContext, body: WSTrustConfiguration) -> RelyingParty:
    """The record to store for ``body``: omitted settings take RelyingParty's defaults."""
    audience = _audience(body.audience)
    alias = body.certificateAlias or None  # WSO2's clients send "" for "no certificate"
    if alias is not None:
        aliases = list(context.store.keys.list_trusted_certificates())
        if alias not in aliases:
            known = ", ".join(repr(a) for a in aliases[:20]) or "none yet"
            more = " ..." if len(aliases) > 20 else ""
            raise ValidationError(
                f"The certificate alias {alias!r} is not in the trust store (aliases there: "
                f"{known}{more}). Import the relying party's certificate under that alias first."
            )
    lifetime = body.tokenLifetimeSeconds
    if lifetime is not None:
        maximum = context.store.config.get_token_settings().max_lifetime_seconds
        if lifetime > maximum:
            raise ValidationError(
                f"tokenLifetimeSeconds {lifetime} exceeds this STS's maximum token lifetime of "
                f"{maximum} seconds; choose a shorter lifetime."
            )
    key_type = body.keyType or _DEFAULTS.key_type
    if key_type == "SymmetricKey" and alias is None:
        raise ValidationError(
            "A SymmetricKey token carries its proof key encrypted for the relying party, so it "
            "needs the relying party's certificate: give certificateAlias, or choose keyType "
            "Bearer or PublicKey."
        )
    name_id_format = body.nameIdFormat or _DEFAULTS.name_id_format
    if name_id_format not in NAME_ID_FORMATS:
        raise ValidationError(
            f"The NameID format {name_id_format!r} is not supported; use one of "
            + ", ".join(NAME_ID_FORMATS) + "."
        )

    def pick(value: Any, default: Any) -> Any:
        return default if value is None else getattr(value, "value", value)

    return RelyingParty(
        application_id="",
        name="",
        audience=audience,
        certificate_alias=alias,
        token_type=body.tokenType or _DEFAULTS.token_type,
        key_type=key_type,
        encrypt_token=pick(body.encryptToken, _DEFAULTS.encrypt_token),
        encryption_algorithm=pick(body.encryptionAlgorithm, _DEFAULTS.encryption_algorithm),
        key_transport_algorithm=pick(body.keyTransportAlgorithm,
                                     _DEFAULTS.key_transport_algorithm),
        signature_algorithm=pick(body.signatureAlgorithm, _DEFAULTS.signature_algorithm),
        digest_algorithm=pick(body.digestAlgorithm, _DEFAULTS.digest_algorithm),
        token_lifetime_seconds=lifetime,
        name_id_format=name_id_format,
    )


def _audience(value: str) -> str:
    problem = audience_problem(value)
    if problem is not None:
        raise ValidationError(problem)
    return value


def _check_audience_free(context: AdminContext, audience: str, app_id: str | None) -> None:
    for party in context.store.snapshot().relying_parties:
        if party.audience == audience and party.application_id != app_id:
            raise ConflictError(
                f"The audience {audience!r} already belongs to the service provider "
                f"{party.name!r}. Each audience can select only one service provider; delete "
                "that WS-Trust configuration first or choose another audience."
            )


def _existing_party(context: AdminContext, app_id: str) -> RelyingParty:
    party = context.store.applications.get_relying_party(app_id)
    if party is None:
        name = context.store.applications.get(app_id).name
        raise NotFoundError(
            f"The service provider {name!r} has no WS-Trust configuration. PUT one to "
            f"{_self(app_id)}/inbound-protocols/ws-trust."
        )
    return party


def _ws_trust_view(party: RelyingParty) -> WSTrustConfigurationResponse:
    return WSTrustConfigurationResponse(
        audience=party.audience,
        certificateAlias=party.certificate_alias or "",
        tokenType=party.token_type,
        keyType=party.key_type,
        encryptToken=party.encrypt_token,
        encryptionAlgorithm=party.encryption_algorithm,
        keyTransportAlgorithm=party.key_transport_algorithm,
        signatureAlgorithm=party.signature_algorithm,
        digestAlgorithm=party.digest_algorithm,
        tokenLifetimeSeconds=party.token_lifetime_seconds,
        nameIdFormat=party.name_id_format,
        warnings=_warnings(party),
    )


def _warnings(party: RelyingParty) -> list[str]:
    warnings = []
    if party.signature_algorithm in _WEAK_SIGNATURE or party.digest_algorithm in _WEAK_SIGNATURE:
        warnings.append(
            "SHA-1 signatures or digests are weak; keep them only for legacy relying parties "
            "that cannot verify RSA-SHA256 with SHA-256 digests."
        )
    if party.encrypt_token and party.certificate_alias and (
            party.encryption_algorithm == BlockEncryption.AES256_CBC):
        warnings.append(
            "AES-CBC encryption is open to padding-oracle attacks on XML Encryption; keep it "
            "only for relying parties that cannot decrypt AES-GCM."
        )
    if party.encrypt_token and not party.certificate_alias:
        warnings.append(
            "encryptToken is on but no certificateAlias is set, so tokens are sent "
            "unencrypted; import the relying party's certificate and choose its alias."
        )
    return warnings
