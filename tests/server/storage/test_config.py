"""The configuration records: round trips, checks, and serialised read-change-write."""

from __future__ import annotations

import dataclasses
import threading
from enum import Enum

import pytest
from sqlalchemy import text

from stsdesk.server.errors import ValidationError
from stsdesk.server.model import (
    LockoutPolicy,
    ProofKeyType,
    ResidentIdentityProvider,
    SecurityPolicy,
    TokenSettings,
)
from stsdesk.server.storage.store import Store
from tests.helpers.storage import config_version

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


# --------------------------------------------------------------------------------- configuration


def test_config_round_trips_and_bumps_the_version(store: Store) -> None:
    start = config_version(store)
    idp = ResidentIdentityProvider(issuer="sts.example", home_realm_identifiers=("a", "b"),
                                   idle_session_timeout_minutes=30, remember_me_minutes=60)
    store.config.set_resident_idp(idp)
    policy = SecurityPolicy(enabled=False, scenario_id="scenario3", allowed_roles=("x", "y"),
                            proof_key_type=ProofKeyType.ENCRYPTED_KEY)
    store.config.set_security_policy(policy)
    tokens = TokenSettings(default_lifetime_seconds=600, max_lifetime_seconds=3600,
                           clock_skew_seconds=60)
    store.config.set_token_settings(tokens)
    lockout = LockoutPolicy(max_failed_attempts=3, lockout_seconds=60)
    store.config.set_lockout_policy(lockout)
    assert store.config.get_resident_idp() == idp
    assert store.config.get_security_policy() == policy
    assert store.config.get_security_policy().proof_key_type is ProofKeyType.ENCRYPTED_KEY
    assert store.config.get_token_settings() == tokens
    assert store.config.get_lockout_policy() == lockout
    assert config_version(store) == start + 4
    snap = store.snapshot()
    assert (snap.resident_idp, snap.security, snap.tokens, snap.lockout) == (
        idp, policy, tokens, lockout
    )


def test_config_lists_become_tuples(store: Store) -> None:
    listed = SecurityPolicy(allowed_roles=["admin", "ops"])  # type: ignore[arg-type]
    store.config.set_security_policy(listed)
    assert store.config.get_security_policy().allowed_roles == ("admin", "ops")


@pytest.mark.parametrize(
    "value",
    [
        ResidentIdentityProvider(issuer=" "),
        ResidentIdentityProvider(idle_session_timeout_minutes=0),
        SecurityPolicy(scenario_id=""),
        SecurityPolicy(proof_key_type="Bogus"),  # type: ignore[arg-type]
        SecurityPolicy(algorithm_suite="Basic128"),  # type: ignore[arg-type]
        SecurityPolicy(enabled="yes"),  # type: ignore[arg-type]
        SecurityPolicy(allowed_roles="admin"),  # type: ignore[arg-type]
        TokenSettings(default_lifetime_seconds=0),
        TokenSettings(default_lifetime_seconds=600, max_lifetime_seconds=300),
        TokenSettings(clock_skew_seconds=-1),
        TokenSettings(security_context_lifetime_seconds=59),
        TokenSettings(security_context_lifetime_seconds=24 * 3600 + 1),
        TokenSettings(default_lifetime_seconds="300"),  # type: ignore[arg-type]
        LockoutPolicy(max_failed_attempts=-1),
    ],
)
def test_bad_config_is_refused_and_not_stored(store: Store, value: object) -> None:
    start = config_version(store)
    setter = {
        ResidentIdentityProvider: store.config.set_resident_idp,
        SecurityPolicy: store.config.set_security_policy,
        TokenSettings: store.config.set_token_settings,
        LockoutPolicy: store.config.set_lockout_policy,
    }[type(value)]
    with pytest.raises(ValidationError):
        setter(value)
    assert config_version(store) == start



def test_update_serialises_concurrent_changes(store: Store, second: Store) -> None:
    """Two writers changing the same record at once (as two admins on two nodes) lose nothing."""
    barrier = threading.Barrier(2)

    def add(target: Store, name: str) -> None:
        barrier.wait()
        for index in range(10):
            target.config.update(
                ResidentIdentityProvider,
                lambda idp, i=index: dataclasses.replace(
                    idp, home_realm_identifiers=(*idp.home_realm_identifiers, f"{name}{i}")
                ),
            )

    threads = [threading.Thread(target=add, args=(store, "a")),
               threading.Thread(target=add, args=(second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    identifiers = store.config.get_resident_idp().home_realm_identifiers
    assert len(identifiers) == 1 + 20
    assert {f"a{i}" for i in range(10)} | {f"b{i}" for i in range(10)} <= set(identifiers)


def test_update_refusal_writes_nothing(store: Store) -> None:
    start = config_version(store)

    def refuse(_: ResidentIdentityProvider) -> ResidentIdentityProvider:
        raise ValidationError("no")

    with pytest.raises(ValidationError):
        store.config.update(ResidentIdentityProvider, refuse)
    assert config_version(store) == start


@pytest.mark.parametrize(
    ("cls", "change"),
    [
        (TokenSettings, {"max_lifetime_seconds": 1}),
        (TokenSettings, {"clock_skew_seconds": -5}),
        (LockoutPolicy, {"lockout_seconds": -1}),
        (SecurityPolicy, {"scenario_id": " "}),
        (ResidentIdentityProvider, {"remember_me_minutes": 0}),
    ],
)
def test_update_keeps_the_same_rules_as_the_setters(
    store: Store, cls: type, change: dict[str, object]
) -> None:
    # The read-change-write path used to skip the token-settings and lockout rules.
    start = config_version(store)
    with pytest.raises(ValidationError):
        store.config.update(cls, lambda value: dataclasses.replace(value, **change))
    assert config_version(store) == start


def _unlike_default(cls: type) -> object:
    """A record of ``cls`` whose every field differs from the model's default."""
    default = cls()
    values: dict[str, object] = {}
    for field in dataclasses.fields(cls):
        current = getattr(default, field.name)
        if isinstance(current, bool):
            values[field.name] = not current
        elif isinstance(current, Enum):
            values[field.name] = next(m for m in type(current) if m is not current)
        elif isinstance(current, int):
            values[field.name] = current + 7
        elif isinstance(current, tuple):
            values[field.name] = ("first-" + field.name, "second")
        else:  # text, or None where text may stand
            values[field.name] = f"{field.name}-value"
    changed = cls(**values)
    assert all(getattr(changed, f.name) != getattr(default, f.name)
               for f in dataclasses.fields(cls))
    return changed


@pytest.mark.parametrize(
    "cls", [ResidentIdentityProvider, SecurityPolicy, TokenSettings, LockoutPolicy]
)
def test_every_field_survives_a_round_trip(store: Store, cls: type) -> None:
    # Decoding is written out field by field: a field the model gains and the decoder misses
    # would come back as its default, and this test names it.
    value = _unlike_default(cls)
    store.config.update(cls, lambda _: value)
    assert store.config.update(cls, lambda current: current)[0] == value
    snap = store.snapshot()
    assert value in (snap.resident_idp, snap.security, snap.tokens, snap.lockout)


def test_stored_records_missing_or_with_unknown_fields_decode(store: Store) -> None:
    # A record written by an older release lacks fields (the defaults apply); one written by a
    # newer release has fields this one does not know (ignored).
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE config_values SET value = :v WHERE key = 'security_policy'"),
            {"v": '{"scenario_id": "scenario1", "allowed_roles": ["ops"], "added_later": 1}'},
        )
        conn.execute(text("UPDATE config_state SET version = version + 1"))
    assert store.config.get_security_policy() == SecurityPolicy(allowed_roles=("ops",))
    assert store.snapshot().security.allowed_roles == ("ops",)


def test_a_damaged_stored_record_is_refused_with_the_field_named(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            text("UPDATE config_values SET value = :v WHERE key = 'lockout_policy'"),
            {"v": '{"max_failed_attempts": "five"}'},
        )
    with pytest.raises(ValidationError, match="max_failed_attempts must be a whole number"):
        store.config.get_lockout_policy()
