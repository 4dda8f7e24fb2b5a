"""Brute force: a lock per account, shared by the STS and the admin API, never a lock of all."""

from __future__ import annotations

import dataclasses
import time

from stsdesk.services.trust_client import Credentials
from tests.hostile.conftest import API


def test_admin_api_failures_lock_the_sts_too_and_the_lock_runs_out(hostile):
    store = hostile.store
    original = store.config.get_lockout_policy()
    store.config.set_lockout_policy(
        dataclasses.replace(original, max_failed_attempts=3, lockout_seconds=2)
    )
    store.users.create("h7-brute", "Brut3-password!", roles=["admin"])
    try:
        for _ in range(3):
            assert hostile.api("GET", f"{API}/applications",
                               auth=("h7-brute", "guess")).status_code == 401
        # Locked on the STS as well, even with the right password ...
        locked = hostile.issue(Credentials("h7-brute", "Brut3-password!"))
        assert "locked" in locked.fault_reason
        # ... and on the admin API.
        assert hostile.api("GET", f"{API}/applications",
                           auth=("h7-brute", "Brut3-password!")).status_code == 401
        # The attacker did not lock the STS as a whole.
        hostile.assert_still_serving()
        time.sleep(2.2)
        assert hostile.issue(Credentials("h7-brute", "Brut3-password!")).ok
        assert hostile.api("GET", f"{API}/applications",
                           auth=("h7-brute", "Brut3-password!")).status_code == 200
    finally:
        store.config.set_lockout_policy(original)
    hostile.assert_nothing_secret()


def test_guessing_unknown_names_locks_nobody(hostile):
    for i in range(12):
        failed = hostile.issue(Credentials(f"h7-ghost-{i % 3}", "guess"))
        assert failed.fault_code.endswith("}FailedAuthentication")
        assert "locked" not in failed.fault_reason  # no hint the name exists or not
    hostile.assert_still_serving()
    hostile.assert_nothing_secret()
