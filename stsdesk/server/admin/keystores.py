"""Keystores over the admin API: the trust store's certificates and the STS's signing keys."""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from stsdesk.core.aliases import (
    MAX_ALIAS_LENGTH,
    RESERVED_CERTIFICATE_ALIASES,
    RESERVED_SIGNING_KEY_ALIASES,
    validate_alias,
)
from stsdesk.core.certificate_description import MIN_RSA_BITS, KeyAlgorithm, describe_certificate
from stsdesk.core.certificate_files import (
    CertificateFileError,
    PasswordRequiredError,
    WrongPasswordError,
    load_pkcs12_key_pair,
)
from stsdesk.core.certificates import load_certificate
from stsdesk.core.errors import StsError
from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import API_PREFIX, AdminContext, get_context
from stsdesk.server.admin.errors import ApiError
from stsdesk.server.admin.listfilter import attribute_filter
from stsdesk.server.urls import public_base_url

__all__ = [
    "router", "CertificateDetails", "CertificateResponse", "CertificateRequest",
    "SigningKeyResponse", "SigningKeyRequest", "GenerateKeyPair", "ActiveSigningKey",
    "PEM_MEDIA_TYPE",
]

log = logging.getLogger("stsdesk.server.admin.keystores")

router = APIRouter(tags=["Keystores"])

Context = Annotated[AdminContext, Depends(get_context)]

PEM_MEDIA_TYPE = "application/x-pem-file"
_BASE64_MEDIA_TYPE = "text/plain"
_CERTS = "/keystores/certs"
_SIGNING_KEYS = "/keystores/signing-keys"
# Aliases that would be shadowed by a fixed path next to /{alias}.
_RESERVED = {_CERTS: RESERVED_CERTIFICATE_ALIASES, _SIGNING_KEYS: RESERVED_SIGNING_KEY_ALIASES}
_FILTER_HELP = (
    "Filter by alias as 'alias eq NAME', 'alias sw PREFIX', 'alias ew SUFFIX' or "
    "'alias co TEXT' (for example ?filter=alias+eq+wso2carbon)."
)
_Alias = Annotated[str, Path(max_length=255)]
_AliasFilter = Annotated[
    str | None, Query(alias="filter", max_length=300, description=_FILTER_HELP)
]
_EncodeCert = Annotated[bool, Query(alias="encode-cert")]
_DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {PEM_MEDIA_TYPE: {}, _BASE64_MEDIA_TYPE: {}},
          "description": "PEM, or base64 DER with encode-cert=true."},
}
_MAX_PKCS12_TEXT = 200_000  # base64 characters: a key pair with a long chain is far smaller
_KNOWN_SHOWN = 20  # aliases named in a "not found" message before "and N more"


# ----------------------------------------------------------------------------- bodies


class CertificateDetails(BaseModel):
    """What a certificate says about itself (see stsdesk.core.certificate_description)."""

    subject: str
    issuer: str
    serialNumber: str = Field(description="Upper-case hex.")
    notBefore: datetime
    notAfter: datetime
    sha256Fingerprint: str
    sha1Fingerprint: str
    keyAlgorithm: str = Field(description="RSA, EC, DSA, Ed25519, Ed448 or unknown.")
    keySize: int | None
    signatureAlgorithm: str
    version: int
    selfSigned: bool
    warnings: list[str] = Field(
        description="What to know before relying on it: expired, cannot encrypt, weak ..."
    )


class CertificateResponse(CertificateDetails):
    """A trust-store entry: WSO2's {alias, certificate} plus the certificate's details."""

    alias: str
    certificate: str = Field(description="The URL of the certificate itself (PEM).")
    usedBy: list[str] = Field(description="The service providers whose WS-Trust uses it.")


class CertificateRequest(BaseModel):
    """WSO2's CertificateRequest: the certificate as PEM or base64 DER."""

    model_config = ConfigDict(extra="forbid")

    alias: str = Field(
        min_length=1, max_length=MAX_ALIAS_LENGTH, examples=["rp-example"],
        description="Letters, digits, '.', '_' and '-' only.",
    )
    certificate: str = Field(min_length=1, max_length=100_000, description="PEM or base64 DER.")


class SigningKeyResponse(CertificateDetails):
    alias: str
    active: bool = Field(description="True for the key that signs the tokens issued now.")
    createdAt: datetime
    certificate: str = Field(description="The URL of the key's certificate (PEM).")
    pem: str = Field(description="The key's certificate as PEM (never the private key).")


class GenerateKeyPair(BaseModel):
    model_config = ConfigDict(extra="forbid")

    commonName: str = Field(min_length=1, max_length=64, examples=["sts.example.org"])
    keySize: Literal[2048, 3072, 4096] = 2048
    validityDays: int = Field(default=3650, ge=1, le=3650)


class SigningKeyRequest(BaseModel):
    """Either ``generate`` a new RSA key pair, or upload ``pkcs12`` (base64) with its password."""

    model_config = ConfigDict(extra="forbid")

    alias: str = Field(
        min_length=1, max_length=MAX_ALIAS_LENGTH,
        description="Letters, digits, '.', '_' and '-' only."
    )
    generate: GenerateKeyPair | None = None
    pkcs12: str | None = Field(
        default=None, min_length=1, max_length=_MAX_PKCS12_TEXT,
        description="A PKCS#12 (.p12/.pfx) file holding one RSA key and its certificate, base64.",
    )
    password: SecretStr | None = Field(
        default=None, max_length=1024, description="The PKCS#12 file's password (write-only)."
    )


class ActiveSigningKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alias: str = Field(min_length=1, max_length=255)


# ----------------------------------------------------------------------------- trust store


@router.get(
    _CERTS,
    summary="List the trust store's certificates",
    response_model=list[CertificateResponse],
    response_model_exclude_none=True,
)
def list_certificates(
    _: Admin,
    context: Context,
    request: Request,
    filter_: _AliasFilter = None,
) -> list[CertificateResponse]:
    matches = _alias_filter(filter_)
    snapshot = context.store.snapshot()
    users: dict[str, list[str]] = {}
    for party in snapshot.relying_parties:
        if party.certificate_alias:
            users.setdefault(party.certificate_alias, []).append(party.name)
    return [
        _certificate_response(request, context, alias, cert, sorted(users.get(alias, [])))
        for alias, cert in context.keystore.list_trusted_certificates().items()
        if matches(alias)
    ]


@router.get(
    f"{_CERTS}/public",
    summary="Download the STS's signing certificate (no authentication)",
    response_class=Response,
    responses=_DOWNLOAD_RESPONSES,
)
def get_public_certificate(
    context: Context,
    encode_cert: _EncodeCert = False,
) -> Response:
    alias = context.store.keys.get_signing_alias()
    return _certificate_body(context.keystore.signing_certificate(alias), encode_cert)


@router.get(
    f"{_CERTS}/{{alias}}",
    summary="Download one trusted certificate",
    response_class=Response,
    responses=_DOWNLOAD_RESPONSES,
)
def get_certificate(
    _: Admin,
    context: Context,
    alias: _Alias,
    encode_cert: _EncodeCert = False,
) -> Response:
    certificates = context.keystore.list_trusted_certificates()
    cert = certificates.get(alias)
    if cert is None:
        raise _certificate_not_found(context, alias, certificates)
    return _certificate_body(cert, encode_cert)


@router.post(
    _CERTS,
    summary="Import a relying party's certificate into the trust store",
    status_code=201,
    response_model=CertificateResponse,
    response_model_exclude_none=True,
    responses={201: {"headers": {"Location": {"description": "The new certificate's URL.",
                                              "schema": {"type": "string"}}}}},
)
def import_certificate(
    actor: Admin,
    context: Context,
    request: Request,
    response: Response,
    body: CertificateRequest,
) -> CertificateResponse:
    _check_alias(body.alias, _CERTS, "certificate")
    try:
        cert = load_certificate(body.certificate.encode("utf-8"))
    except StsError as exc:
        raise _invalid(exc.message) from exc
    described = describe_certificate(cert)
    if described.key_algorithm not in (KeyAlgorithm.RSA, KeyAlgorithm.EC):
        raise _invalid(
            f"The certificate's key is of type {described.key_algorithm}; this STS can use only "
            "RSA certificates (and EC ones to check signatures). Export the relying party's RSA "
            "certificate."
        )
    der = cert.public_bytes(serialization.Encoding.DER)
    present = context.keystore.list_trusted_certificates()
    if body.alias in present:
        raise _conflict(
            f"The trust store already has a certificate with alias {body.alias!r}. Choose another "
            "alias, or delete the old certificate first."
        )
    for alias, other in present.items():
        if other.public_bytes(serialization.Encoding.DER) == der:
            raise _conflict(
                f"This certificate is already in the trust store under the alias {alias!r}. Use "
                "that alias, or delete it first to import the certificate under another one."
            )
    context.keystore.add_trusted_certificate(body.alias, der)
    record(context, actor, "certificate.import", body.alias,
           f"subject {described.subject}; SHA-256 {described.sha256_fingerprint}")
    log.info("Trusted certificate %r imported by %s", body.alias, actor)
    response.headers["Location"] = _url(request, context, _CERTS, body.alias)
    return _certificate_response(request, context, body.alias, cert, [])


@router.delete(
    f"{_CERTS}/{{alias}}",
    summary="Delete a certificate from the trust store",
    status_code=204,
    response_class=Response,
)
def delete_certificate(
    actor: Admin,
    context: Context,
    alias: _Alias,
) -> Response:
    certificates = context.keystore.list_trusted_certificates()
    cert = certificates.get(alias)
    if cert is None:
        raise _certificate_not_found(context, alias, certificates)
    # The Store refuses (409) naming the service providers that still encrypt for it.
    context.keystore.remove_trusted_certificate(alias)
    record(context, actor, "certificate.delete", alias,
           f"SHA-256 {describe_certificate(cert).sha256_fingerprint}")
    log.info("Trusted certificate %r deleted by %s", alias, actor)
    return Response(status_code=204)


# ----------------------------------------------------------------------------- signing keys


@router.get(
    _SIGNING_KEYS,
    summary="List the STS's signing keys (certificates only) and which one signs",
    response_model=list[SigningKeyResponse],
    response_model_exclude_none=True,
)
def list_signing_keys(
    _: Admin,
    context: Context,
    request: Request,
    filter_: _AliasFilter = None,
) -> list[SigningKeyResponse]:
    matches = _alias_filter(filter_)
    active = context.store.keys.get_signing_alias()
    return [
        _signing_key_response(request, context, info.alias, info.certificate, info.created_at,
                              active=info.alias == active)
        for info in context.keystore.list_signing_keys()
        if matches(info.alias)
    ]


@router.get(
    f"{_SIGNING_KEYS}/active",
    summary="Which signing key signs the tokens issued now",
    response_model=ActiveSigningKey,
    response_model_exclude_none=True,
)
def get_active_signing_key(_: Admin, context: Context) -> ActiveSigningKey:
    return ActiveSigningKey(alias=context.store.keys.get_signing_alias())


@router.put(
    f"{_SIGNING_KEYS}/active",
    summary="Choose the signing key (roll-over: tokens signed by the others still validate)",
    response_model=ActiveSigningKey,
    response_model_exclude_none=True,
)
def set_active_signing_key(
    actor: Admin,
    context: Context,
    body: ActiveSigningKey,
) -> ActiveSigningKey:
    keys = {info.alias: info for info in context.keystore.list_signing_keys()}
    chosen = keys.get(body.alias)
    if chosen is None:
        raise _invalid(
            f"There is no signing key with alias {body.alias!r}; "
            f"{_known('signing keys', keys)} Add the key first, then choose it."
        )
    described = describe_certificate(chosen.certificate)
    now = datetime.now(UTC)
    if not described.is_valid_at(now):
        raise _invalid(
            f"The certificate of signing key {body.alias!r} is valid only from "
            f"{described.not_before:%Y-%m-%d %H:%M} to {described.not_after:%Y-%m-%d %H:%M} UTC, "
            "so relying parties would reject tokens signed with it. Add a key with a current "
            "certificate and choose that one."
        )
    # Decrypt it now, so that a key that cannot be used is refused here rather than by the
    # next token request.
    context.keystore.signing_identity(body.alias)
    previous = context.store.keys.get_signing_alias()
    if previous != body.alias:
        context.store.keys.set_signing_alias(body.alias)
        record(context, actor, "signing-key.activate", body.alias,
               f"previously {previous!r}; SHA-256 {described.sha256_fingerprint}")
        log.info("Signing key switched from %r to %r by %s", previous, body.alias, actor)
    return ActiveSigningKey(alias=body.alias)


@router.get(
    f"{_SIGNING_KEYS}/{{alias}}",
    summary="Download a signing key's certificate",
    response_class=Response,
    responses=_DOWNLOAD_RESPONSES,
)
def get_signing_certificate(
    _: Admin,
    context: Context,
    alias: _Alias,
    encode_cert: _EncodeCert = False,
) -> Response:
    return _certificate_body(context.keystore.signing_certificate(alias), encode_cert)


@router.post(
    _SIGNING_KEYS,
    summary="Add a signing key: generate an RSA key pair or upload a PKCS#12 file",
    status_code=201,
    response_model=SigningKeyResponse,
    response_model_exclude_none=True,
    responses={201: {"headers": {"Location": {"description": "The new key's certificate URL.",
                                              "schema": {"type": "string"}}}}},
)
def add_signing_key(
    actor: Admin,
    context: Context,
    request: Request,
    response: Response,
    body: SigningKeyRequest,
) -> SigningKeyResponse:
    _check_alias(body.alias, _SIGNING_KEYS, "signing key")
    if (body.generate is None) == (body.pkcs12 is None):
        raise _invalid(
            "Give either 'generate' (commonName, keySize, validityDays) to make a new key pair, "
            "or 'pkcs12' (base64) with its 'password' to upload one; not both, not neither."
        )
    if context.store.keys.get_signing_key(body.alias) is not None:
        raise _conflict(
            f"A signing key with alias {body.alias!r} already exists. Choose another alias, or "
            "delete the old key first."
        )
    if body.generate is not None:
        if body.password is not None:
            raise _invalid("'password' goes with 'pkcs12' only; remove it when generating a key.")
        spec = body.generate
        if not spec.commonName.strip():
            raise _invalid("The common name is blank; give the STS's host name, for example.")
        cert = context.keystore.generate_signing_key(
            body.alias, spec.commonName.strip(), key_size=spec.keySize,
            valid_days=spec.validityDays,
        )
        how = f"generated RSA {spec.keySize}, valid {spec.validityDays} days"
    else:
        key, cert = _read_pkcs12(body.pkcs12 or "", body.password)
        context.keystore.import_signing_key(body.alias, key, cert)
        how = "imported from PKCS#12"
    described = describe_certificate(cert)
    record(context, actor, "signing-key.create", body.alias,
           f"{how}; subject {described.subject}; SHA-256 {described.sha256_fingerprint}")
    log.info("Signing key %r added by %s (%s)", body.alias, actor, how)
    stored = context.store.keys.get_signing_key(body.alias)
    created = stored.created_at if stored is not None else datetime.now(UTC)
    response.headers["Location"] = _url(request, context, _SIGNING_KEYS, body.alias)
    return _signing_key_response(request, context, body.alias, cert, created,
                                 active=context.store.keys.get_signing_alias() == body.alias)


@router.delete(
    f"{_SIGNING_KEYS}/{{alias}}",
    summary="Delete a signing key that no longer signs (the active one cannot be deleted)",
    status_code=204,
    response_class=Response,
)
def delete_signing_key(
    actor: Admin,
    context: Context,
    alias: _Alias,
) -> Response:
    cert = context.keystore.signing_certificate(alias)  # NotFoundError: 404
    context.keystore.delete_signing_key(alias)  # ConflictError for the active key: 409
    record(context, actor, "signing-key.delete", alias,
           f"SHA-256 {describe_certificate(cert).sha256_fingerprint}")
    log.info("Signing key %r deleted by %s", alias, actor)
    return Response(status_code=204)


# ----------------------------------------------------------------------------- helpers


def _invalid(description: str) -> ApiError:
    return ApiError(400, "KSS-60400", "Invalid input.", description)


def _conflict(description: str) -> ApiError:
    return ApiError(409, "KSS-60409", "Conflict.", description)


def _check_alias(alias: str, collection: str, what: str) -> None:
    # The one alias rule the desktop import dialog also applies (uniqueness is checked apart).
    problem = validate_alias(alias, reserved=_RESERVED[collection])
    if problem is not None:
        raise _invalid(f"The {what} alias is not allowed. {problem}")


def _alias_filter(text: str | None) -> Callable[[str], bool]:
    return attribute_filter(text, "alias", invalid=_invalid, help_text=_FILTER_HELP,
                            quotes="\"'")


def _url(request: Request, context: AdminContext, collection: str, alias: str) -> str:
    base = public_base_url(request, context.settings)
    return f"{base}{API_PREFIX}{collection}/{quote(alias, safe='')}"


def _details(cert: x509.Certificate) -> dict[str, Any]:
    described = describe_certificate(cert)
    return CertificateDetails(
        subject=described.subject,
        issuer=described.issuer,
        serialNumber=described.serial_number,
        notBefore=described.not_before,
        notAfter=described.not_after,
        sha256Fingerprint=described.sha256_fingerprint,
        sha1Fingerprint=described.sha1_fingerprint,
        keyAlgorithm=str(described.key_algorithm),
        keySize=described.key_size,
        signatureAlgorithm=described.signature_algorithm,
        version=described.version,
        selfSigned=described.self_signed,
        warnings=list(described.warnings()),
    ).model_dump()


def _certificate_response(
    request: Request, context: AdminContext, alias: str, cert: x509.Certificate,
    used_by: list[str],
) -> CertificateResponse:
    return CertificateResponse(
        alias=alias, certificate=_url(request, context, _CERTS, alias), usedBy=used_by,
        **_details(cert),
    )


def _signing_key_response(
    request: Request, context: AdminContext, alias: str, cert: x509.Certificate,
    created_at: datetime, *, active: bool,
) -> SigningKeyResponse:
    return SigningKeyResponse(
        alias=alias, active=active, createdAt=created_at,
        certificate=_url(request, context, _SIGNING_KEYS, alias),
        pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        **_details(cert),
    )


def _certificate_body(cert: x509.Certificate, encode_cert: bool) -> Response:
    if encode_cert:
        der = cert.public_bytes(serialization.Encoding.DER)
        return Response(base64.b64encode(der), media_type=_BASE64_MEDIA_TYPE)
    return Response(cert.public_bytes(serialization.Encoding.PEM), media_type=PEM_MEDIA_TYPE)


def _known(what: str, aliases: Iterable[str]) -> str:
    names = sorted(aliases)
    if not names:
        return f"there are no {what} yet."
    shown = ", ".join(repr(name) for name in names[:_KNOWN_SHOWN])
    more = f" and {len(names) - _KNOWN_SHOWN} more" if len(names) > _KNOWN_SHOWN else ""
    return f"the {what} are {shown}{more}."


def _certificate_not_found(
    context: AdminContext, alias: str, certificates: dict[str, x509.Certificate]
) -> ApiError:
    hint = ""
    if context.store.keys.get_signing_key(alias) is not None:
        hint = (
            f" {alias!r} is a signing key: its certificate is at {API_PREFIX}{_SIGNING_KEYS}/"
            f"{alias} (the active one also at {API_PREFIX}{_CERTS}/public)."
        )
    return ApiError(
        404, "KSS-60404", "Resource not found.",
        f"The trust store has no certificate with alias {alias!r}; "
        f"{_known('aliases in it', certificates)}{hint}",
    )


def _read_pkcs12(
    text: str, password: SecretStr | None
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    try:
        data = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _invalid(
            "'pkcs12' is not base64 text; send the .p12/.pfx file's bytes base64-encoded."
        ) from exc
    secret = password.get_secret_value() if password is not None else None
    try:
        pair = load_pkcs12_key_pair(data, secret)
    except (PasswordRequiredError, WrongPasswordError) as exc:
        # The password's text is never repeated.
        raise _invalid(
            "The PKCS#12 file could not be opened with the given password: check the password"
            + (" (none was given)" if not secret else "") + "."
        ) from exc
    except CertificateFileError as exc:
        raise _invalid(f"'pkcs12' cannot be used: {exc.message}") from exc
    key, cert = pair.private_key, pair.certificate
    if key.key_size < MIN_RSA_BITS:
        raise _invalid(
            f"The RSA key has {key.key_size} bits; signing keys need at least {MIN_RSA_BITS}. "
            "Generate a stronger key."
        )
    return key, cert
