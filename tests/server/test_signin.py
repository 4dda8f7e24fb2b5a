"""The shared sign-in rule: inactive and locked accounts, counting failures, resetting them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

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
