"""The shared sign-in rule: inactive and locked accounts, counting failures, resetting them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stsdesk.server import passwords
from stsdesk.server.model import LockoutPolicy
from stsdesk.server.signin import SignInRefused, settle_sign_in

POLICY = LockoutPolicy(max_failed_attempts=2, lockout_seconds=60)


def test_failures_lock_and_only_the_right_password_learns_why(store, fast_password_hashing):
    store.users.create("dora", "D0ra-password")
    now = datetime.now(UTC)
    for _ in range(2):
        with pytest.raises(SignInRefused) as refused:
            settle_sign_in(store, store.users.get("dora"), False, POLICY, now)
        assert refused.value.locked_until is None
    with pytest.raises(SignInRefused) as wrong:
        settle_sign_in(store, store.users.get("dora"), False, POLICY, now)
    assert wrong.value.locked_until is None  # a guesser is not told the account is locked
    with pytest.raises(SignInRefused) as right:
        settle_sign_in(store, store.users.get("dora"), True, POLICY, now)
    assert right.value.locked_until == now + timedelta(seconds=60)
    later = now + timedelta(seconds=61)
    assert settle_sign_in(store, store.users.get("dora"), True, POLICY, later).username == "dora"
    assert store.users.get("dora").failed_attempts == 0


def test_unknown_and_inactive_users_are_refused_alike(store, fast_password_hashing):
    store.users.create("eve", "Ev3-password", active=False)
    now = datetime.now(UTC)
    for user in (None, store.users.get("eve")):
        with pytest.raises(SignInRefused) as refused:
            settle_sign_in(store, user, True, POLICY, now)
        assert refused.value.locked_until is None
    # An unknown name costs a failed-login transaction like a known one, and leaves no trace.
    with pytest.raises(SignInRefused):
        settle_sign_in(store, None, False, POLICY, now, attempted_username="ghost")
    assert store.users.get("ghost") is None


def test_a_successful_sign_in_seals_the_password_only_while_digest_is_allowed(
    store, fast_password_hashing
):
    from stsdesk.server.model import PasswordDigestPolicy

    store.users.create("fred", "Fr3d-password")
    now = datetime.now(UTC)

    def sign_in(ok: bool, allowed: bool) -> None:
        settle_sign_in(store, store.users.get("fred"), ok, POLICY, now,
                       proved_password="Fr3d-password" if ok else None, digest_allowed=allowed)

    sign_in(True, allowed=False)
    assert store.users.get("fred").password_sealed is None
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    with pytest.raises(SignInRefused):
        sign_in(False, allowed=True)  # a failed sign-in proves nothing
    assert store.users.get("fred").password_sealed is None
    store.users.update(store.users.get("fred").user_id, active=False)
    with pytest.raises(SignInRefused):
        sign_in(True, allowed=True)  # nor does a refused one
    assert store.users.get("fred").password_sealed is None
    store.users.update(store.users.get("fred").user_id, active=True)
    sign_in(True, allowed=True)
    assert store.users.unseal_password(store.users.get("fred")) == "Fr3d-password"


def test_a_user_without_a_password_fails_as_a_wrong_password_does(
    store, fast_password_hashing, monkeypatch
):
    # The same argon2 work as a real check (so timing says nothing), the same refusal, and the
    # failure counts toward the lock.
    calls: list[str] = []
    real = passwords.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    store.users.create("provisioned", None)
    store.users.create("known", "Kn0wn-password")
    cache = passwords.CredentialCache()
    now = datetime.now(UTC)
    outcomes = []
    for name in ("provisioned", "known"):
        calls.clear()
        user = store.users.get(name)
        ok = cache.verify(user, "a-guessed-password")
        assert ok is False and len(calls) == 1  # one argon2 verification each
        with pytest.raises(SignInRefused) as refused:
            settle_sign_in(store, user, ok, POLICY, now)
        outcomes.append(refused.value.locked_until)
    assert outcomes == [None, None]
    assert store.users.get("provisioned").failed_attempts == 1
    store.users.update(store.users.get("provisioned").user_id, password="N0w-a-password")
    user = store.users.get("provisioned")
    assert cache.verify(user, "N0w-a-password")
    assert settle_sign_in(store, user, True, POLICY, now).username == "provisioned"
    assert store.users.get("provisioned").failed_attempts == 0
