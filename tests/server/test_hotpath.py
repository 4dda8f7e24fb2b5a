"""The token path's fast reads and inserts agree with the Store and fall back on failure."""

from __future__ import annotations

import fcntl
import os
import random
import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert
from sqlalchemy.dialects import sqlite as sqlite_types

from stsdesk.server.model import LockoutPolicy
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.hotpath import (
    MAX_INSERT_ROWS,
    FastInsertFailed,
    FastInserts,
    FastReads,
)
from stsdesk.server.storage.store import Store
from stsdesk.server.sts.directory import UserDirectory


def test_fast_reads_agree_with_the_store(store, fast_password_hashing):
    store.users.create("carol", "Car0l-password")
    reads = FastReads(store.engine, store.logins.state)
    try:
        assert reads.fresh_state(None).config_version == store.snapshot().version
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
        assert reads.fresh_state(None).config_version == store.snapshot().version
    finally:
        reads.close()


def test_one_read_gives_the_version_and_the_named_users_login_state(
        store, fast_password_hashing):
    store.users.create("erin", "Er1n-password")
    store.logins.record_failure("erin", LockoutPolicy(max_failed_attempts=1), datetime.now(UTC))
    reads = FastReads(store.engine, store.logins.state)
    try:
        fresh = reads.fresh_state("erin")
        assert fresh.config_version == store.snapshot().version
        assert fresh.holds_login_of("erin") and not fresh.holds_login_of("Erin")
        assert fresh.login_state == store.logins.state("erin")
        assert fresh.login_state.locked_until is not None
        # No such user: the version still comes back, and "no user" is an answer too.
        nobody = reads.fresh_state("nobody")
        assert nobody.config_version == fresh.config_version
        assert nobody.holds_login_of("nobody") and nobody.login_state is None
        # No name: only the version, holding nobody's login state.
        anonymous = reads.fresh_state(None)
        assert anonymous.config_version == fresh.config_version
        assert not anonymous.holds_login_of("erin")
    finally:
        reads.close()


def test_a_login_state_read_for_one_name_never_stands_in_for_another_users(
        store, fast_password_hashing):
    # The request's one read takes the login state of the name its message claims, before
    # anything is checked; the user authentication then looks up must get their own.
    store.users.create("mallory", "Mall0ry-password")
    store.users.create("victim", "V1ctim-password")
    store.logins.record_failure("victim", LockoutPolicy(max_failed_attempts=1), datetime.now(UTC))
    reads = FastReads(store.engine, store.logins.state)
    users = UserDirectory(store, reads)
    try:
        version = store.snapshot().version
        claimed_mallory = reads.fresh_state("mallory")
        victim = users.get("victim", version, claimed_mallory)
        assert victim is not None and victim.locked_until is not None  # still locked
        mallory = users.get("mallory", version, reads.fresh_state("victim"))
        assert mallory is not None and mallory.locked_until is None
        assert users.get("victim", version, reads.fresh_state("nobody")) is not None
        assert users.get("nobody", version, claimed_mallory) is None
        # The name read is the name used: then no second read is needed.
        assert users.get("victim", version, reads.fresh_state("victim")).locked_until is not None
    finally:
        reads.close()


def test_a_failing_connection_falls_back_to_the_regular_path(store):
    reads = FastReads(store.engine, store.logins.state)

    class Broken:
        closed = False

        def execute(self, sql, params):
            raise sqlite3.OperationalError("disk I/O error")

        def invalidate(self):
            pass

        def close(self):
            Broken.closed = True

    # A kept connection that broke since its last use (the database file went away, say).
    reads._idle.put((Broken(), Broken()))
    try:
        nothing = reads.fresh_state("admin")
        assert nothing.config_version is None  # the caller then asks the Store
        assert not nothing.holds_login_of("admin")  # and the login state is read on its own
        assert Broken.closed  # dropped, not put back
        reads._idle.put((Broken(), Broken()))
        assert reads.login_state("nobody") is None  # answered by the regular path
        # A fresh connection works.
        assert reads.fresh_state(None).config_version == store.snapshot().version
    finally:
        reads.close()


def test_changes_by_another_worker_are_read_at_once_and_idle_reads_hold_no_snapshot(
        store, second, fast_password_hashing):
    # The connections the fast reads keep between requests must not sit in a read
    # transaction: it would pin their snapshot (and keep the WAL from being checkpointed).
    store.users.create("dave", "Dav3-password")
    reads = FastReads(store.engine, store.logins.state)
    try:
        version = reads.fresh_state("dave").config_version
        assert reads.login_state("dave").failed_attempts == 0
        now = datetime.now(UTC)
        second.logins.record_failure("dave", LockoutPolicy(max_failed_attempts=1), now)
        second.roles.create("y")
        assert reads.login_state("dave").locked_until is not None
        fresh = reads.fresh_state("dave")
        assert fresh.config_version == version + 1
        assert fresh.login_state is not None and fresh.login_state.locked_until is not None
        with sqlite3.connect(store.engine.url.database) as raw:
            busy, _, _ = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
        second.logins.unlock("dave")
        assert reads.login_state("dave") == second.logins.state("dave")
        assert reads.login_state("dave").locked_until is None
    finally:
        reads.close()


# -- the token journal's batch inserts --------------------------------------------------------


def _token_row(token_id: str, issued_at: datetime) -> dict[str, object]:
    return {
        "token_id": token_id, "token_type": "SAML20", "subject": "alice",
        "audience": "https://rp.example/", "issued_at": issued_at,
        "expires_at": issued_at + timedelta(minutes=5), "status": "active",
        "renew_allowed": True, "renew_after_expiry": False, "replaced_by": None,
        "user_id": "a-user-id",
    }


def _stored(store, token_id: str) -> tuple:
    with sqlite3.connect(store.engine.url.database) as raw:
        return raw.execute(
            "SELECT token_type, subject, audience, issued_at, expires_at, status, renew_allowed,"
            " renew_after_expiry, replaced_by FROM issued_tokens WHERE token_id = ?", (token_id,)
        ).fetchone()


def test_fast_inserts_store_what_the_regular_path_stores(store):
    # An instant given in another zone: both paths must store the same UTC text, which the
    # journal's purge compares as text and Validate reads back as an aware datetime.
    issued = datetime(2030, 5, 6, 9, 10, 11, 123456, tzinfo=timezone(timedelta(hours=2)))
    fast = FastInserts.for_engine(store.engine, s.issued_tokens)
    assert fast is not None
    try:
        fast.insert([_token_row("_fast", issued)])
    finally:
        fast.close()
    with store.engine.begin() as conn:
        conn.execute(insert(s.issued_tokens), [_token_row("_regular", issued)])
    assert _stored(store, "_fast") == _stored(store, "_regular")
    record = store.tokens.get("_fast")
    assert record.issued_at == issued and record.issued_at.utcoffset() == timedelta(0)
    assert record.renew_allowed and not record.renew_after_expiry


def test_a_failing_fast_batch_is_rolled_back_whole_and_the_connection_carries_on(store):
    fast = FastInserts.for_engine(store.engine, s.issued_tokens)
    now = datetime.now(UTC)
    try:
        fast.insert([_token_row("_first", now)])
        with pytest.raises(FastInsertFailed):
            fast.insert([_token_row("_second", now), _token_row("_first", now)])
        assert _stored(store, "_second") is None  # not half a batch
        fast.insert([_token_row("_third", now)])
        assert _stored(store, "_third") is not None
        with pytest.raises(ValueError):
            fast.insert([])
        with pytest.raises(ValueError):  # one statement must stay within SQLite's parameters
            fast.insert([_token_row(f"_many{n}", now) for n in range(MAX_INSERT_ROWS + 1)])
    finally:
        fast.close()


def test_no_fast_inserts_on_an_in_memory_database():
    # Its one connection is shared by every thread: a transaction of the journal's own there
    # would interleave with theirs.
    memory = Store.open("sqlite://")
    try:
        assert FastInserts.for_engine(memory.engine, s.issued_tokens) is None
    finally:
        memory.close()


def test_batch_inserts_take_turns_with_other_processes_at_the_writer_lock(store):
    # Another worker process's journal holding the lock: this one's insert waits for it rather
    # than racing it for SQLite's write lock (and sleeping in SQLite's busy handler).
    fast = FastInserts.for_engine(store.engine, s.issued_tokens)
    lock_path = f"{store.engine.url.database}.writer-lock"
    other = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    done = threading.Event()
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        inserting = threading.Thread(
            target=lambda: (fast.insert([_token_row("_waited", datetime.now(UTC))]), done.set()))
        inserting.start()
        assert not done.wait(0.3)  # still waiting for the other process
        assert _stored(store, "_waited") is None
        fcntl.flock(other, fcntl.LOCK_UN)
        assert done.wait(5)
        inserting.join()
        assert _stored(store, "_waited") is not None
        assert stat.S_IMODE(os.stat(lock_path).st_mode) == 0o600
    finally:
        os.close(other)
        fast.close()


def test_utc_times_are_written_as_the_text_sqlalchemy_writes(store):
    # The token journal's times go through UtcDateTime's SQLite processor, which writes the
    # text with datetime.isoformat: it must be character for character what SQLAlchemy's own
    # DATETIME processor writes, which the purge compares as text and every read parses.
    dialect = store.engine.dialect
    ours = s.UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    stock = sqlite_types.DATETIME().bind_processor(dialect)
    rng = random.Random(14)
    instants = [
        datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2030, 5, 6, 7, 8, 9, tzinfo=UTC),  # no microseconds: still six digits
    ] + [
        datetime(2000, 1, 1, tzinfo=UTC) + timedelta(microseconds=rng.randrange(10**15))
        for _ in range(2000)
    ]
    zones = [UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=9, minutes=30))]
    for instant in instants:
        for zone in zones:
            if zone is not UTC and instant.year in (1, 9999):
                continue  # the other zone's time is out of range
            given = instant.astimezone(zone)
            assert ours(given) == stock(instant.replace(tzinfo=None)), given
    assert ours(None) is None
    with pytest.raises(ValueError, match="naive"):
        ours(datetime(2030, 1, 1))  # noqa: DTZ001 - what the check is for
