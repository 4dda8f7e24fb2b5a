"""STS token and sign-in settings over the admin API: lifetimes, clock skew, account lockout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, model_validator

from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import AdminContext, get_context
from stsdesk.server.model import LockoutPolicy, TokenSettings

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


def _token_model(value: TokenSettings) -> TokenSettingsModel:
    return TokenSettingsModel(
        defaultLifetimeSeconds=value.default_lifetime_seconds,
        maxLifetimeSeconds=value.max_lifetime_seconds,
        clockSkewSeconds=value.clock_skew_seconds,
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
    value = TokenSettings(
        default_lifetime_seconds=body.defaultLifetimeSeconds,
        max_lifetime_seconds=body.maxLifetimeSeconds,
        clock_skew_seconds=body.clockSkewSeconds,
    )
    context.store.config.set_token_settings(value)
    record(
        context,
        actor,
        "sts.token-settings.update",
        "wso2carbon-sts",
        f"default {value.default_lifetime_seconds}s, max {value.max_lifetime_seconds}s, "
        f"skew {value.clock_skew_seconds}s",
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
