"""Failed sign-ins, lockouts and PasswordDigest nonces, across stores on one file."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from stsdesk.server.errors import ValidationError
from stsdesk.server.model import LockoutPolicy
from stsdesk.server.storage.store import Store
from tests.helpers.storage import NOW, StatementCounter, config_version

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


# --------------------------------------------------------------------------------- login state


def test_lockout_counts_locks_and_expires(store: Store) -> None:
    store.users.create("ivan", "pw")
    policy = LockoutPolicy(max_failed_attempts=3, lockout_seconds=300)
    start = config_version(store)
    assert store.logins.record_failure("ivan", policy, NOW) is None
    assert store.logins.record_failure("ivan", policy, NOW) is None
    assert store.users.get("ivan").failed_attempts == 2
    locked = store.logins.record_failure("ivan", policy, NOW)
    assert locked == NOW + timedelta(seconds=300)
    ivan = store.users.get("ivan")
    assert ivan.locked_until == locked and ivan.locked_until.tzinfo is not None
    # failures while locked neither count nor extend
    assert store.logins.record_failure("ivan", policy, NOW + timedelta(seconds=10)) == locked
    assert store.users.get("ivan").failed_attempts == 3
    # success while locked keeps the lock
    store.logins.record_success("ivan")
    assert store.users.get("ivan").locked_until == locked
    # after expiry a failure starts a new count
    later = NOW + timedelta(seconds=301)
    assert store.logins.record_failure("ivan", policy, later) is None
    ivan = store.users.get("ivan")
    assert (ivan.failed_attempts, ivan.locked_until) == (1, None)
    store.logins.record_success("ivan")
    assert store.users.get("ivan").failed_attempts == 0
    assert config_version(store) == start  # login state is not configuration


def test_unlock_and_unknown_users(store: Store) -> None:
    store.users.create("judy", "pw")
    policy = LockoutPolicy(max_failed_attempts=1, lockout_seconds=600)
    assert store.logins.record_failure("judy", policy, NOW) is not None
    store.logins.unlock("judy")
    judy = store.users.get("judy")
    assert (judy.failed_attempts, judy.locked_until) == (0, None)
    assert store.logins.record_failure("nobody", policy, NOW) is None
    store.logins.record_success("nobody")
    assert store.users.get("nobody") is None


def test_lockout_disabled_only_counts(store: Store) -> None:
    store.users.create("ken", "pw")
    policy = LockoutPolicy(max_failed_attempts=0)
    for _ in range(5):
        assert store.logins.record_failure("ken", policy, NOW) is None
    assert store.users.get("ken").failed_attempts == 5


def test_successful_login_without_failures_writes_nothing(store: Store) -> None:
    store.users.create("liam", "pw")
    counter = StatementCounter(store)
    store.logins.record_success("liam")
    assert len(counter.statements) == 1 and counter.statements[0].lstrip().startswith("SELECT")


def test_naive_times_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="time zone"):
        store.logins.record_failure("x", LockoutPolicy(), datetime(2030, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValidationError):
        store.logins.remember_nonce(b"n", datetime(2030, 1, 1))  # noqa: DTZ001


# --------------------------------------------------------------------------------- nonces


def test_nonce_replay_across_stores(store: Store, second: Store) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=10)
    assert store.logins.remember_nonce(b"nonce-1", expires) is True
    assert store.logins.remember_nonce(b"nonce-1", expires) is False
    assert second.logins.remember_nonce(b"nonce-1", expires) is False
    assert second.logins.remember_nonce(b"nonce-2", expires) is True
    assert store.logins.remember_nonce(b"nonce-2", expires) is False
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT digest FROM nonces").scalars().all()
    assert b"nonce-1" not in stored and len(stored) == 2 and all(len(d) == 32 for d in stored)


def test_expired_nonce_may_be_reused_and_is_purged(store: Store) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    assert store.logins.remember_nonce(b"old", past) is True
    assert store.logins.remember_nonce(b"old", datetime.now(UTC) + timedelta(minutes=5)) is True
    assert store.logins.remember_nonce(b"old", datetime.now(UTC) + timedelta(minutes=5)) is False
    store.logins.remember_nonce(b"stale", past)
    store.logins._next_nonce_purge = 0.0  # the purge is due
    store.logins.remember_nonce(b"trigger", datetime.now(UTC) + timedelta(minutes=5))
    with store.engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT COUNT(*) FROM nonces").scalar()
    assert count == 2  # "old" (renewed) and "trigger"; "stale" purged


def test_concurrent_nonce_race_has_one_winner(store: Store, second: Store) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=5)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def attempt(target: Store) -> None:
        barrier.wait()
        results.append(target.logins.remember_nonce(b"raced", expires))

    threads = [threading.Thread(target=attempt, args=(t,)) for t in (store, second) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
