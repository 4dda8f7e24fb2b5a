"""STS token and sign-in settings over the admin API: lifetimes, skew, lockout, PasswordDigest."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from stsdesk.core.limits import MAX_CONTEXT_LIFETIME_SECONDS, MIN_CONTEXT_LIFETIME_SECONDS
from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import AdminContext, get_context
from stsdesk.server.model import LockoutPolicy, PasswordDigestPolicy, TokenSettings

__all__ = ["router"]

router = APIRouter(prefix="/sts", tags=["STS settings"])

Context = Annotated[AdminContext, Depends(get_context)]

_DAY = 24 * 3600


class TokenSettingsModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaultLifetimeSeconds: int = Field(
        ge=1,
        le=7 * _DAY,
        description="Used when a request and its relying party name no lifetime (WSO2: 300).",
    )
    maxLifetimeSeconds: int = Field(
        ge=1, le=30 * _DAY, description="The most a request may ask for."
    )
    clockSkewSeconds: int = Field(
        ge=0,
        le=3600,
        description="Tolerated clock difference with clients for Timestamps and token validity.",
    )
    securityContextLifetimeSeconds: int | None = Field(
        default=None,
        ge=MIN_CONTEXT_LIFETIME_SECONDS,
        le=MAX_CONTEXT_LIFETIME_SECONDS,
        description=(
            "How long a WS-SecureConversation security context lives, and how far a Renew "
            "extends it (default 3600); a context never outlives maxLifetimeSeconds. Omitted "
            "on PUT: unchanged."
        ),
    )

    @model_validator(mode="after")
    def _default_within_maximum(self) -> TokenSettingsModel:
        if self.defaultLifetimeSeconds > self.maxLifetimeSeconds:
            raise ValueError("defaultLifetimeSeconds must not exceed maxLifetimeSeconds")
        return self


class LockoutModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    maxFailedAttempts: int = Field(
        ge=1,
        le=1000,
        description="Failed sign-ins (STS and admin API together) before the account locks.",
    )
    lockoutSeconds: int = Field(
        ge=1, le=30 * _DAY, description="How long a locked account stays locked."
    )


class PasswordDigestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allowPasswordDigest: StrictBool = Field(
        description=(
            "Whether UsernameToken PasswordDigest is accepted (default false). PasswordDigest "
            "needs each password stored reversibly, sealed under the master secret beside its "
            "hash: whoever has the database and the master secret has every such password. "
            "Turning it off deletes every stored copy at once; turning it on stores a user's "
            "copy at their next successful PasswordText or admin API sign-in, or when their "
            "password is next set. While it is off, PasswordDigest requests are refused."
        )
    )
    storedPasswordCount: int | None = Field(
        default=None,
        ge=0,
        description=(
            "Read only (ignored on PUT): how many users' passwords are stored reversibly now, "
            "that is, how many users can sign in with PasswordDigest."
        ),
        json_schema_extra={"readOnly": True},
    )


def _token_model(value: TokenSettings) -> TokenSettingsModel:
    return TokenSettingsModel(
        defaultLifetimeSeconds=value.default_lifetime_seconds,
        maxLifetimeSeconds=value.max_lifetime_seconds,
        clockSkewSeconds=value.clock_skew_seconds,
        securityContextLifetimeSeconds=value.security_context_lifetime_seconds,
    )


def _lockout_model(value: LockoutPolicy) -> LockoutModel:
    return LockoutModel(
        maxFailedAttempts=value.max_failed_attempts, lockoutSeconds=value.lockout_seconds
    )


@router.get(
    "/token-settings", summary="Get the token lifetime settings", response_model=TokenSettingsModel
)
def get_token_settings(_: Admin, context: Context) -> TokenSettingsModel:
    return _token_model(context.store.config.get_token_settings())


@router.put(
    "/token-settings", summary="Set the token lifetime settings", response_model=TokenSettingsModel
)
def put_token_settings(
    body: TokenSettingsModel, actor: Admin, context: Context
) -> TokenSettingsModel:
    context_lifetime = body.securityContextLifetimeSeconds
    if context_lifetime is None:  # a client that does not know the setting keeps it as it is
        context_lifetime = (
            context.store.config.get_token_settings().security_context_lifetime_seconds)
    value = TokenSettings(
        default_lifetime_seconds=body.defaultLifetimeSeconds,
        max_lifetime_seconds=body.maxLifetimeSeconds,
        clock_skew_seconds=body.clockSkewSeconds,
        security_context_lifetime_seconds=context_lifetime,
    )
    context.store.config.set_token_settings(value)
    record(
        context,
        actor,
        "sts.token-settings.update",
        "wso2carbon-sts",
        f"default {value.default_lifetime_seconds}s, max {value.max_lifetime_seconds}s, "
        f"skew {value.clock_skew_seconds}s, "
        f"security context {value.security_context_lifetime_seconds}s",
    )
    return _token_model(value)


@router.get(
    "/lockout-policy", summary="Get the account lockout policy", response_model=LockoutModel
)
def get_lockout(_: Admin, context: Context) -> LockoutModel:
    return _lockout_model(context.store.config.get_lockout_policy())


@router.put(
    "/lockout-policy", summary="Set the account lockout policy", response_model=LockoutModel
)
def put_lockout(body: LockoutModel, actor: Admin, context: Context) -> LockoutModel:
    value = LockoutPolicy(
        max_failed_attempts=body.maxFailedAttempts, lockout_seconds=body.lockoutSeconds
    )
    context.store.config.set_lockout_policy(value)
    record(
        context,
        actor,
        "sts.lockout-policy.update",
        "wso2carbon-sts",
        f"{value.max_failed_attempts} attempts, {value.lockout_seconds}s",
    )
    return _lockout_model(value)


def _digest_model(context: AdminContext) -> PasswordDigestModel:
    store = context.store
    return PasswordDigestModel(
        allowPasswordDigest=store.config.get_password_digest_policy().allowed,
        storedPasswordCount=store.users.count_sealed_passwords(),
    )


@router.get(
    "/password-digest",
    summary="Get whether UsernameToken PasswordDigest is allowed",
    response_model=PasswordDigestModel,
)
def get_password_digest(_: Admin, context: Context) -> PasswordDigestModel:
    return _digest_model(context)


@router.put(
    "/password-digest",
    summary="Allow or forbid UsernameToken PasswordDigest",
    description=(
        "PasswordDigest needs every password stored reversibly. Forbidding it deletes every "
        "stored copy in the same change; allowing it stores each user's copy at their next "
        "successful sign-in with the password (PasswordText or the admin API) or when the "
        "password is next set."
    ),
    response_model=PasswordDigestModel,
)
def put_password_digest(
    body: PasswordDigestModel, actor: Admin, context: Context
) -> PasswordDigestModel:
    before = context.store.config.get_password_digest_policy()
    after = PasswordDigestPolicy(allowed=body.allowPasswordDigest)
    dropped = context.store.config.set_password_digest_policy(after)
    if after != before:
        record(
            context,
            actor,
            "sts.password-digest.update",
            "wso2carbon-sts",
            "allowed: passwords are stored reversibly from each user's next sign-in"
            if after.allowed
            else f"not allowed: {dropped} stored password(s) deleted",
        )
    return _digest_model(context)
