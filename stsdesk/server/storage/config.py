"""Configuration records (resident IdP, security policy, tokens, lockout, PasswordDigest) as JSON.

Each record is one JSON object in ``config_values``. Decoding is explicit per record: every
field is read with the converter for its type, a field missing from the stored object keeps the
model's default, and a key a newer release added is ignored. The same decoders check records
given by callers, so a list where a tuple belongs becomes a tuple and a wrong type is refused
with a message that names the field.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, insert, select
from sqlalchemy import update as sql_update

from stsdesk.core.algorithm_suite import AlgorithmSuite
from stsdesk.core.limits import MAX_CONTEXT_LIFETIME_SECONDS, MIN_CONTEXT_LIFETIME_SECONDS
from stsdesk.server.errors import ValidationError
from stsdesk.server.model import (
    LockoutPolicy,
    PasswordDigestPolicy,
    ProofKeyType,
    ResidentIdentityProvider,
    RevocationPolicy,
    SecurityPolicy,
    StaleCrlAction,
    TokenSettings,
)
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.database import Database

__all__ = [
    "ConfigRepository", "ConfigRecord", "ConfigRecords", "read_config", "default_rows",
    "password_digest_allowed",
]

ConfigRecord = (
    ResidentIdentityProvider | SecurityPolicy | TokenSettings | LockoutPolicy
    | PasswordDigestPolicy | RevocationPolicy
)
_C = TypeVar(
    "_C", ResidentIdentityProvider, SecurityPolicy, TokenSettings, LockoutPolicy,
    PasswordDigestPolicy, RevocationPolicy,
)
_E = TypeVar("_E", bound=Enum)

_MISSING = object()


# ------------------------------------------------------------------------------ field readers


def _text(data: Mapping[str, Any], name: str, default: str) -> str:
    value = data.get(name, _MISSING)
    if value is _MISSING:
        return default
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text.")
    return value


def _optional_text(data: Mapping[str, Any], name: str, default: str | None) -> str | None:
    value = data.get(name, _MISSING)
    if value is _MISSING:
        return default
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{name} must be text.")
    return value


def _texts(data: Mapping[str, Any], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = data.get(name, _MISSING)
    if value is _MISSING:
        return default
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValidationError(f"{name} must be a list.")
    items = []
    for item in value:
        if not isinstance(item, str):
            raise ValidationError(f"{name} must be text.")
        items.append(item)
    return tuple(items)


def _whole(data: Mapping[str, Any], name: str, default: int) -> int:
    value = data.get(name, _MISSING)
    if value is _MISSING:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be a whole number.")
    return value


def _flag(data: Mapping[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, _MISSING)
    if value is _MISSING:
        return default
    if not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false.")
    return value


def _choice(data: Mapping[str, Any], name: str, enum: type[_E], default: _E) -> _E:
    value = data.get(name, _MISSING)
    if value is _MISSING:
        return default
    try:
        return enum(value)
    except ValueError as exc:
        allowed = ", ".join(str(member.value) for member in enum)
        raise ValidationError(f"{name} must be one of {allowed}, not {value!r}.") from exc


# ------------------------------------------------------------------------------ records


def _resident_idp(data: Mapping[str, Any]) -> ResidentIdentityProvider:
    d = ResidentIdentityProvider()
    return ResidentIdentityProvider(
        issuer=_text(data, "issuer", d.issuer),
        home_realm_identifiers=_texts(data, "home_realm_identifiers", d.home_realm_identifiers),
        idle_session_timeout_minutes=_whole(
            data, "idle_session_timeout_minutes", d.idle_session_timeout_minutes
        ),
        remember_me_minutes=_whole(data, "remember_me_minutes", d.remember_me_minutes),
    )


def _security_policy(data: Mapping[str, Any]) -> SecurityPolicy:
    d = SecurityPolicy()
    return SecurityPolicy(
        enabled=_flag(data, "enabled", d.enabled),
        scenario_id=_text(data, "scenario_id", d.scenario_id),
        user_store_domain=_text(data, "user_store_domain", d.user_store_domain),
        allowed_roles=_texts(data, "allowed_roles", d.allowed_roles),
        trusted_keystores=_texts(data, "trusted_keystores", d.trusted_keystores),
        private_keystore=_optional_text(data, "private_keystore", d.private_keystore),
        algorithm_suite=_choice(data, "algorithm_suite", AlgorithmSuite, d.algorithm_suite),
        proof_key_type=_choice(data, "proof_key_type", ProofKeyType, d.proof_key_type),
        policy_name=_optional_text(data, "policy_name", d.policy_name),
        policy_document=_optional_text(data, "policy_document", d.policy_document),
        service_principal=_optional_text(data, "service_principal", d.service_principal),
        service_keytab=_optional_text(data, "service_keytab", d.service_keytab),
    )


def _token_settings(data: Mapping[str, Any]) -> TokenSettings:
    d = TokenSettings()
    return TokenSettings(
        default_lifetime_seconds=_whole(
            data, "default_lifetime_seconds", d.default_lifetime_seconds
        ),
        max_lifetime_seconds=_whole(data, "max_lifetime_seconds", d.max_lifetime_seconds),
        clock_skew_seconds=_whole(data, "clock_skew_seconds", d.clock_skew_seconds),
        security_context_lifetime_seconds=_whole(
            data, "security_context_lifetime_seconds", d.security_context_lifetime_seconds),
    )


def _lockout_policy(data: Mapping[str, Any]) -> LockoutPolicy:
    d = LockoutPolicy()
    return LockoutPolicy(
        max_failed_attempts=_whole(data, "max_failed_attempts", d.max_failed_attempts),
        lockout_seconds=_whole(data, "lockout_seconds", d.lockout_seconds),
    )


def _password_digest(data: Mapping[str, Any]) -> PasswordDigestPolicy:
    return PasswordDigestPolicy(allowed=_flag(data, "allowed", PasswordDigestPolicy().allowed))


def _revocation_policy(data: Mapping[str, Any]) -> RevocationPolicy:
    d = RevocationPolicy()
    return RevocationPolicy(
        stale_crl=_choice(data, "stale_crl", StaleCrlAction, d.stale_crl),
        require_crl=_flag(data, "require_crl", d.require_crl),
    )


def _check_resident_idp(value: ResidentIdentityProvider) -> None:
    if not value.issuer.strip():
        raise ValidationError("The resident identity provider's issuer is empty; give a "
                              "name such as localhost.")
    if value.idle_session_timeout_minutes < 1 or value.remember_me_minutes < 1:
        raise ValidationError("Session timeouts are counted in minutes and must be at least 1.")


def _check_security_policy(value: SecurityPolicy) -> None:
    if not value.scenario_id.strip():
        raise ValidationError("The security scenario is empty; choose one such as scenario1.")


def _check_token_settings(value: TokenSettings) -> None:
    if value.default_lifetime_seconds < 1:
        raise ValidationError("The default token lifetime must be at least 1 second.")
    if value.max_lifetime_seconds < value.default_lifetime_seconds:
        raise ValidationError(
            "The maximum token lifetime is shorter than the default lifetime; raise the "
            "maximum or lower the default."
        )
    if value.clock_skew_seconds < 0:
        raise ValidationError("The allowed clock skew cannot be negative.")
    if not (MIN_CONTEXT_LIFETIME_SECONDS <= value.security_context_lifetime_seconds
            <= MAX_CONTEXT_LIFETIME_SECONDS):
        raise ValidationError(
            f"The security context lifetime must be from {MIN_CONTEXT_LIFETIME_SECONDS} to "
            f"{MAX_CONTEXT_LIFETIME_SECONDS} seconds.")


def _no_rules(value: Any) -> None:
    return None


def _check_lockout_policy(value: LockoutPolicy) -> None:
    if value.max_failed_attempts < 0 or value.lockout_seconds < 0:
        raise ValidationError(
            "Lockout attempts and duration cannot be negative (0 attempts turns locking off)."
        )


@dataclass(frozen=True)
class _Codec:
    key: str  # the row in config_values
    decode: Callable[[Mapping[str, Any]], Any]
    check: Callable[[Any], None]  # the rules a value must keep, whichever way it is written


_CODECS: dict[type, _Codec] = {
    ResidentIdentityProvider: _Codec("resident_idp", _resident_idp, _check_resident_idp),
    SecurityPolicy: _Codec("security_policy", _security_policy, _check_security_policy),
    TokenSettings: _Codec("token_settings", _token_settings, _check_token_settings),
    LockoutPolicy: _Codec("lockout_policy", _lockout_policy, _check_lockout_policy),
    PasswordDigestPolicy: _Codec("password_digest", _password_digest, _no_rules),
    RevocationPolicy: _Codec("revocation_policy", _revocation_policy, _no_rules),
}


def _codec(cls: type) -> _Codec:
    codec = _CODECS.get(cls)
    if codec is None:
        raise ValidationError("Unsupported configuration record.")
    return codec


def _encode(value: ConfigRecord) -> str:
    return json.dumps(dataclasses.asdict(value), sort_keys=True)


def _decode(cls: type[_C], stored: str | None) -> _C:
    return cast(_C, _codec(cls).decode({} if stored is None else json.loads(stored)))


def _checked(value: _C) -> _C:
    """A copy of ``value`` with every field of the right type, and the record's rules kept."""
    codec = _codec(type(value))
    fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    result = cast(_C, codec.decode(fields))
    codec.check(result)
    return result


@dataclass(frozen=True)
class ConfigRecords:
    """Every configuration record, as one transaction read them."""

    resident_idp: ResidentIdentityProvider
    security: SecurityPolicy
    tokens: TokenSettings
    lockout: LockoutPolicy
    password_digest: PasswordDigestPolicy
    revocation: RevocationPolicy


def read_config(conn: Connection) -> ConfigRecords:
    """Every configuration record, read on ``conn`` (for the snapshot)."""
    stored = dict(conn.execute(select(s.config_values.c.key, s.config_values.c.value)).all())

    def get(cls: type[_C]) -> _C:
        return _decode(cls, stored.get(_codec(cls).key))

    return ConfigRecords(
        resident_idp=get(ResidentIdentityProvider),
        security=get(SecurityPolicy),
        tokens=get(TokenSettings),
        lockout=get(LockoutPolicy),
        password_digest=get(PasswordDigestPolicy),
        revocation=get(RevocationPolicy),
    )


def default_rows(present: set[str]) -> list[dict[str, str]]:
    """``config_values`` rows holding the model's defaults for the records not ``present``.

    A new database gets the defaults written out, so that a later release changing the model's
    defaults does not silently change a running installation's configuration.
    """
    return [
        {"key": codec.key, "value": _encode(cls())}
        for cls, codec in _CODECS.items()
        if codec.key not in present
    ]


def password_digest_allowed(conn: Connection) -> bool:
    """Whether PasswordDigest is allowed, read inside the caller's transaction.

    Every write of a sealed password asks this in the transaction that writes it: writers are
    serialised, so none can slip a copy in after the setting was turned off.
    """
    key = _codec(PasswordDigestPolicy).key
    stored = conn.execute(
        select(s.config_values.c.value).where(s.config_values.c.key == key)
    ).scalar()
    return _decode(PasswordDigestPolicy, stored).allowed


def _drop_sealed_passwords(conn: Connection) -> int:
    done = conn.execute(
        sql_update(s.users).where(s.users.c.password_sealed.is_not(None)).values(password_sealed=None)
    )
    return int(done.rowcount)


class ConfigRepository:
    """The small configuration records; every write bumps the configuration version."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get_resident_idp(self) -> ResidentIdentityProvider:
        return self._get(ResidentIdentityProvider)

    def set_resident_idp(self, value: ResidentIdentityProvider) -> None:
        self._set(value)

    def get_security_policy(self) -> SecurityPolicy:
        return self._get(SecurityPolicy)

    def set_security_policy(self, value: SecurityPolicy) -> None:
        self._set(value)

    def get_token_settings(self) -> TokenSettings:
        return self._get(TokenSettings)

    def set_token_settings(self, value: TokenSettings) -> None:
        self._set(value)

    def get_lockout_policy(self) -> LockoutPolicy:
        return self._get(LockoutPolicy)

    def set_lockout_policy(self, value: LockoutPolicy) -> None:
        self._set(value)

    def get_revocation_policy(self) -> RevocationPolicy:
        return self._get(RevocationPolicy)

    def set_revocation_policy(self, value: RevocationPolicy) -> None:
        self._set(value)

    def get_password_digest_policy(self) -> PasswordDigestPolicy:
        return self._get(PasswordDigestPolicy)

    def set_password_digest_policy(self, value: PasswordDigestPolicy) -> int:
        """Allow or forbid PasswordDigest; returns how many sealed passwords forbidding dropped.

        Allowing stores nothing at once: each user's password is sealed at their next
        successful sign-in with it, or when it is next set.
        """
        value = _checked(value)
        with self._db.transaction("write") as conn:
            return self._write(conn, value)

    def drop_sealed_passwords_unless_allowed(self) -> int:
        """At start-up: drop every sealed password unless PasswordDigest is allowed.

        A database from before the setting existed has sealed copies and no setting: the
        setting is written out as off and the copies go. Returns how many were dropped.
        """
        key = _codec(PasswordDigestPolicy).key
        with self._db.transaction("write") as conn:
            stored = conn.execute(
                select(s.config_values.c.value).where(s.config_values.c.key == key)
            ).scalar()
            if stored is None:
                conn.execute(
                    insert(s.config_values).values(key=key, value=_encode(PasswordDigestPolicy()))
                )
            elif _decode(PasswordDigestPolicy, stored).allowed:
                return 0
            dropped = _drop_sealed_passwords(conn)
            if dropped:
                self._db.bump_version(conn)
            return dropped

    def update(self, cls: type[_C], change: Callable[[_C], _C]) -> tuple[_C, _C]:
        """Read, change and write one configuration record in one transaction.

        Two administrators changing the same record at once (on one node or two) are
        serialised, so neither change is lost. Returns (before, after); ``change`` may raise
        to refuse, and then nothing is written.
        """
        key = _codec(cls).key
        with self._db.transaction("write") as conn:
            stored = conn.execute(
                select(s.config_values.c.value)
                .where(s.config_values.c.key == key)
                .with_for_update()
            ).scalar()
            before = _decode(cls, stored)
            after = _checked(change(before))
            if after != before:
                self._write(conn, after)
        return before, after

    def _get(self, cls: type[_C]) -> _C:
        key = _codec(cls).key
        with self._db.transaction("single") as conn:
            stored = conn.execute(
                select(s.config_values.c.value).where(s.config_values.c.key == key)
            ).scalar()
        return _decode(cls, stored)

    def _set(self, value: _C) -> None:
        value = _checked(value)
        with self._db.transaction("write") as conn:
            self._write(conn, value)

    def _write(self, conn: Connection, value: ConfigRecord) -> int:
        """Write ``value``; returns how many sealed passwords the write dropped."""
        key = _codec(type(value)).key
        stored = _encode(value)
        done = conn.execute(
            sql_update(s.config_values).where(s.config_values.c.key == key).values(value=stored)
        )
        if done.rowcount == 0:
            conn.execute(insert(s.config_values).values(key=key, value=stored))
        dropped = 0
        if isinstance(value, PasswordDigestPolicy) and not value.allowed:
            # Forbidding PasswordDigest and dropping the copies it needed are one change: no
            # moment exists where it is off and a password is still stored reversibly.
            dropped = _drop_sealed_passwords(conn)
        self._db.bump_version(conn)
        return dropped
