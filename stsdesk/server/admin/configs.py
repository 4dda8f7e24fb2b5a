"""The resident identity provider over the admin API, shaped like WSO2's server configs API."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel, Field

from stsdesk.core.limits import MAX_HOME_REALM_IDENTIFIER, MAX_ISSUER, MAX_MINUTES
from stsdesk.core.scenarios import EVERYONE_ROLE
from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import AdminContext, get_context
from stsdesk.server.bootstrap import ADMIN_ROLE, ADMIN_USERNAME
from stsdesk.server.errors import ValidationError
from stsdesk.server.model import ResidentIdentityProvider

__all__ = [
    "router", "ServerConfig", "RealmConfig", "Patch", "PatchOperation", "apply_patches",
    "EVERYONE_ROLE", "MAX_MINUTES", "MAX_IDENTIFIER", "MAX_ISSUER",
]

log = logging.getLogger("stsdesk.server.admin.configs")

router = APIRouter(tags=["Server configs"])

MAX_IDENTIFIER = MAX_HOME_REALM_IDENTIFIER
MAX_PATCHES = 100

_IDLE = "/idleSessionTimeoutPeriod"
_REMEMBER = "/rememberMePeriod"
_ISSUER = "/stsIssuer"
_REALMS = "/homeRealmIdentifiers/"
_SUPPORTED_PATHS = (
    f"{_IDLE} (REPLACE), {_REMEMBER} (REPLACE), {_ISSUER} (REPLACE) and "
    f"{_REALMS}{{index}} (ADD, REPLACE, REMOVE)"
)
# A JSON-pointer array index: "0" or a number without leading zeros; "-" means "after the end".
_INDEX = re.compile(r"^(0|[1-9][0-9]{0,8}|-)$")
_MINUTES = re.compile(r"^[0-9]{1,12}$")


class PatchOperation(StrEnum):
    ADD = "ADD"
    REMOVE = "REMOVE"
    REPLACE = "REPLACE"


class Patch(BaseModel):
    """One operation of WSO2's JSON-patch list (RFC 6902 in upper case)."""

    operation: PatchOperation
    path: str = Field(max_length=256, examples=["/idleSessionTimeoutPeriod"])
    value: str | None = Field(default=None, max_length=MAX_ISSUER, examples=["30"])


class RealmConfig(BaseModel):
    adminUser: str = ADMIN_USERNAME
    adminRole: str = ADMIN_ROLE
    everyoneRole: str = EVERYONE_ROLE


class ServerConfig(BaseModel):
    """The resident identity provider; ``stsIssuer`` (ours) names the issuer of every token."""

    homeRealmIdentifiers: list[str]
    idleSessionTimeoutPeriod: str = Field(description="Idle session timeout in minutes")
    rememberMePeriod: str = Field(description="Remember-me period in minutes")
    realmConfig: RealmConfig = Field(default_factory=RealmConfig)
    stsIssuer: str = Field(description="The Issuer of the SAML tokens this STS issues")


def _view(idp: ResidentIdentityProvider) -> ServerConfig:
    return ServerConfig(
        homeRealmIdentifiers=list(idp.home_realm_identifiers),
        idleSessionTimeoutPeriod=str(idp.idle_session_timeout_minutes),
        rememberMePeriod=str(idp.remember_me_minutes),
        stsIssuer=idp.issuer,
    )


@router.get(
    "/configs", response_model=ServerConfig,
    response_model_exclude_none=True, summary="Read the resident identity provider",
)
def get_configs(
    _: Admin, context: Annotated[AdminContext, Depends(get_context)]
) -> ServerConfig:
    return _view(context.store.config.get_resident_idp())


@router.get(
    "/configs/home-realm-identifiers", response_model=list[str],
    response_model_exclude_none=True,
    summary="List the home realm identifiers",
)
def get_home_realm_identifiers(
    _: Admin, context: Annotated[AdminContext, Depends(get_context)]
) -> list[str]:
    return list(context.store.config.get_resident_idp().home_realm_identifiers)


@router.patch(
    "/configs", response_model=ServerConfig,
    response_model_exclude_none=True,
    summary="Change the resident identity provider (all operations or none)",
    description=(
        "A list of operations applied in order, all or nothing. Supported: "
        + _SUPPORTED_PATHS + ". Minutes are positive whole numbers given as strings."
    ),
)
def patch_configs(
    actor: Admin,
    context: Annotated[AdminContext, Depends(get_context)],
    patches: Annotated[list[Patch], Body(min_length=1, max_length=MAX_PATCHES)],
) -> ServerConfig:
    _, changed = context.store.config.update(
        ResidentIdentityProvider, lambda current: apply_patches(current, patches)
    )
    record(context, actor, "configs.patch", "resident-idp", _describe(patches))
    log.info("%s changed the resident identity provider", actor)
    return _view(changed)


def apply_patches(
    idp: ResidentIdentityProvider, patches: Sequence[Patch]
) -> ResidentIdentityProvider:
    """``idp`` with every operation applied in order; ValidationError for the first bad one."""
    for number, patch in enumerate(patches, start=1):
        try:
            idp = _apply(idp, patch)
        except ValidationError as exc:
            where = f"Operation {number} ({patch.operation.value} {patch.path})"
            raise ValidationError(f"{where}: {exc.message} Nothing was changed.") from exc
    return idp


def _apply(idp: ResidentIdentityProvider, patch: Patch) -> ResidentIdentityProvider:
    path, operation = patch.path, patch.operation
    if path in (_IDLE, _REMEMBER, _ISSUER):
        if operation is not PatchOperation.REPLACE:
            raise ValidationError(f"{path} can only be changed with REPLACE.")
        value = _required(patch)
        if path == _ISSUER:
            return dataclasses.replace(idp, issuer=_issuer(value))
        minutes = _minutes(value)
        if path == _IDLE:
            return dataclasses.replace(idp, idle_session_timeout_minutes=minutes)
        return dataclasses.replace(idp, remember_me_minutes=minutes)
    if path.startswith(_REALMS):
        identifiers = list(idp.home_realm_identifiers)
        index = _index(path[len(_REALMS):], identifiers, operation)
        if operation is PatchOperation.REMOVE:
            del identifiers[index]
        else:
            value = _identifier(_required(patch))
            others = identifiers[:index] + identifiers[index + 1:] if (
                operation is PatchOperation.REPLACE) else identifiers
            if value in others:
                raise ValidationError(
                    f"The home realm identifier {value!r} is already in the list; each one "
                    "can appear only once."
                )
            if operation is PatchOperation.ADD:
                identifiers.insert(index, value)
            else:
                identifiers[index] = value
        return dataclasses.replace(idp, home_realm_identifiers=tuple(identifiers))
    raise ValidationError(f"The path {path!r} is not supported; use {_SUPPORTED_PATHS}.")


def _required(patch: Patch) -> str:
    if patch.value is None:
        raise ValidationError(f"{patch.operation.value} needs a value; give one as a string.")
    return patch.value


def _minutes(value: str) -> int:
    if not _MINUTES.match(value) or not 1 <= int(value) <= MAX_MINUTES:
        raise ValidationError(
            f"{value!r} is not a valid period: give a positive whole number of minutes as a "
            f"string, from \"1\" to \"{MAX_MINUTES}\" (for example \"15\")."
        )
    return int(value)


def _issuer(value: str) -> str:
    if not value or value != value.strip():
        raise ValidationError(
            "The STS issuer name is empty or starts or ends with spaces; give a name such as "
            "localhost or https://sts.example.org."
        )
    if len(value) > MAX_ISSUER:
        raise ValidationError(f"The STS issuer name is longer than {MAX_ISSUER} characters.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError("The STS issuer name contains control characters; remove them.")
    return value


def _identifier(value: str) -> str:
    if not value:
        raise ValidationError("A home realm identifier cannot be empty.")
    if len(value) > MAX_IDENTIFIER:
        raise ValidationError(
            f"A home realm identifier is at most {MAX_IDENTIFIER} characters long."
        )
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError(
            f"The home realm identifier {value!r} contains spaces or control characters; "
            "remove them."
        )
    return value


def _index(text: str, identifiers: list[str], operation: PatchOperation) -> int:
    size = len(identifiers)
    if not _INDEX.match(text):
        raise ValidationError(
            f"{text!r} is not a list index; use /homeRealmIdentifiers/0, /1, ... "
            "(or /homeRealmIdentifiers/- to append)."
        )
    if text == "-":
        if operation is not PatchOperation.ADD:
            raise ValidationError("The index '-' (after the end) can only be used with ADD.")
        return size
    index = int(text)
    # ADD may insert just after the last element; REPLACE and REMOVE need an existing one.
    limit = size if operation is PatchOperation.ADD else size - 1
    if index > limit:
        if limit < 0:
            raise ValidationError(
                f"There are no home realm identifiers, so there is nothing at index {index}; "
                "ADD one at index 0."
            )
        raise ValidationError(
            f"The index {index} is out of range: there are {size} home realm identifier(s), "
            f"so use an index from 0 to {limit}."
        )
    return index


def _describe(patches: Sequence[Patch]) -> str:
    parts = []
    for patch in patches:
        text = f"{patch.operation.value} {patch.path}"
        if patch.value is not None:
            text += f"={patch.value[:80]!r}"
        parts.append(text)
    return "; ".join(parts)[:1000]
