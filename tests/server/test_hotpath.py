"""The token path's fast reads agree with the Store and fall back when a connection fails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stsdesk.server.model import LockoutPolicy
from stsdesk.server.storage.hotpath import FastReads


def test_fast_reads_agree_with_the_store(store, fast_password_hashing):
    store.users.create("carol", "Car0l-password")
    reads = FastReads(store.engine, store.logins.state)
    try:
        assert reads.config_version() == store.snapshot().version
        now = datetime.now(UTC)
        for _ in range(2):
            store.logins.record_failure("carol", LockoutPolicy(max_failed_attempts=2), now)
        fast = reads.login_state("carol")
        assert fast == store.logins.state("carol")
        assert fast.failed_attempts == 2
        assert fast.locked_until is not None and fast.locked_until.tzinfo is not None
        assert fast.locked_until > now + timedelta(seconds=1)
        assert reads.login_state("nobody") is None
        store.roles.create("x")  # a configuration change is seen at once
        assert reads.config_version() == store.snapshot().version
    finally:
        reads.close()


def test_a_failing_connection_falls_back_to_the_regular_path(store):
    reads = FastReads(store.engine, store.logins.state)

    class Broken:
        closed = False

        def cursor(self):
            raise RuntimeError("connection is gone")

        def invalidate(self):
            pass

        def close(self):
            Broken.closed = True

    # A kept connection that broke since its last use (the database file went away, say).
    reads._idle.put(Broken())
    try:
        assert reads.config_version() is None  # the caller then asks the Store
        assert Broken.closed  # dropped, not put back
        reads._idle.put(Broken())
        assert reads.login_state("nobody") is None  # answered by the regular path
        assert reads.config_version() == store.snapshot().version  # a fresh connection works
    finally:
        reads.close()
