"""The Store on a real PostgreSQL server: migrations, isolation and two nodes sharing it.

`make test` starts PostgreSQL on loopback (scripts/postgres-test.sh) and names its folder in
STSDESK_TEST_POSTGRES_DIR; run alone, these tests start their own cluster the same way.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from stsdesk.server.errors import ConflictError, ValidationError
from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.model import (
    IssuedTokenRecord,
    LockoutPolicy,
    PasswordDigestPolicy,
    TokenSettings,
    TokenStatus,
)
from stsdesk.server.storage import migrate
from stsdesk.server.storage.database import normalise_database_url
from stsdesk.server.storage.errors import DatabaseUnavailableError, is_unavailable
from stsdesk.server.storage.schema import metadata
from stsdesk.server.storage.store import Store

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "postgres-test.sh"
ENV_DIR = "STSDESK_TEST_POSTGRES_DIR"


@dataclass(frozen=True)
class Cluster:
    """A PostgreSQL server for tests: its folder (for stop/start) and its maintenance URL."""

    directory: Path
    url: str  # postgresql://postgres@127.0.0.1:PORT/stsdesk

    def _script(self, action: str) -> str:
        done = subprocess.run(
            ["bash", str(SCRIPT), action, str(self.directory)],
            capture_output=True, text=True, timeout=120, check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"postgres-test.sh {action} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def stop(self) -> None:
        self._script("stop")

    def start(self) -> None:
        self._script("start")

    def new_database(self) -> str:
        """A fresh, empty database on the cluster; its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url.replace("/stsdesk", "/postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name


def _start_own(directory: Path) -> Cluster:
    done = subprocess.run(["bash", str(SCRIPT), "start", str(directory)],
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or "postgres-test.sh start failed")
    return Cluster(directory, done.stdout.strip())


@functools.cache
def postgres_cluster() -> Cluster | str:
    """The cluster for this test run, or why there is none (the reason tests skip with)."""
    given = os.environ.get(ENV_DIR)
    if given:
        return _start_own(Path(given))  # already running: "start" only prints its URL
    if shutil.which("initdb") is None and not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        return ("PostgreSQL's server binaries are not installed (initdb not found); "
                "scripts/system-deps.sh installs them, `make test` runs it")
    # Not under pytest's tmp_path: as root the cluster belongs to "postgres", which must be able
    # to reach its folder.
    directory = Path(tempfile.mkdtemp(prefix="stsdesk-pg-"))
    cluster = _start_own(directory)
    atexit.register(subprocess.run, ["bash", str(SCRIPT), "destroy", str(directory)],
                    capture_output=True, check=False)
    return cluster


@pytest.fixture(scope="session")
def cluster() -> Cluster:
    found = postgres_cluster()
    if isinstance(found, str):
        pytest.skip(found)
    return found


@pytest.fixture
def pg_url(cluster: Cluster) -> str:
    return cluster.new_database()


@pytest.fixture
def nodes(pg_url: str, master: MasterSecret) -> Iterator[tuple[Store, Store]]:
    """Two Stores on one fresh database, as two STS nodes hold them."""
    a = Store.open(pg_url, master)
    a.create_schema()
    b = Store.open(pg_url, master)
    b.create_schema()
    yield a, b
    a.close()
    b.close()


# ------------------------------------------------------------------------------ URL handling


def test_postgresql_urls_use_psycopg_3() -> None:
    for given in ("postgresql://u@h:5432/db", "postgres://u@h/db", "postgresql+psycopg://u@h/db"):
        assert normalise_database_url(given).drivername == "postgresql+psycopg"
    assert normalise_database_url("sqlite:////tmp/x.db").drivername == "sqlite"


def test_invalid_url_is_refused_with_an_example() -> None:
    with pytest.raises(ValidationError, match="postgresql://"):
        normalise_database_url("not a url")


def test_a_bad_statement_is_not_mistaken_for_an_outage(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 's.db'}")
    try:
        with pytest.raises(Exception) as caught, store.database.transaction("single") as conn:
            conn.exec_driver_sql("SELECT no_such_column FROM no_such_table")
        assert not isinstance(caught.value, DatabaseUnavailableError)
        assert not is_unavailable(caught.value)
    finally:
        store.close()


def test_unreachable_database_is_unavailable_not_a_bug(master: MasterSecret) -> None:
    store = Store.open("postgresql://postgres@127.0.0.1:1/nothing", master)
    try:
        with pytest.raises(DatabaseUnavailableError, match="database is unavailable; retrying"):
            store.snapshot()
        with pytest.raises(DatabaseUnavailableError):
            store.logins.state("alice")
    finally:
        store.close()


# ------------------------------------------------------------------------------ schema


def test_schema_on_postgresql_is_the_head_and_matches_the_tables(nodes: tuple[Store, Store]) -> None:
    a, _ = nodes
    assert a.schema_revision() == migrate.head_revision()
    with a.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_nodes_starting_together_migrate_once(pg_url: str, master: MasterSecret) -> None:
    stores = [Store.open(pg_url, master) for _ in range(4)]
    errors: list[BaseException] = []

    def start(store: Store) -> None:
        try:
            store.create_schema()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    try:
        assert errors == []
        assert {s.schema_revision() for s in stores} == {migrate.head_revision()}
        assert stores[0].snapshot().version == 1  # the defaults were written once
    finally:
        for s in stores:
            s.close()


# ------------------------------------------------------------------------------ two nodes


def test_change_on_one_node_is_in_force_on_the_other_at_the_next_request(
    nodes: tuple[Store, Store],
) -> None:
    a, b = nodes
    before = b.snapshot()
    a.config.set_token_settings(replace(before.tokens, default_lifetime_seconds=123))
    after = b.snapshot()
    assert after.version == before.version + 1
    assert after.tokens.default_lifetime_seconds == 123


def test_password_digest_turned_off_on_one_node_leaves_no_copy_on_any(
    nodes: tuple[Store, Store], fast_password_hashing: None
) -> None:
    a, b = nodes
    a.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    a.users.create("pat", "P4t-password")
    profile = b.users.get("pat")
    assert b.users.unseal_password(profile) == "P4t-password"
    assert b.config.set_password_digest_policy(PasswordDigestPolicy(allowed=False)) == 1
    assert a.snapshot().password_digest.allowed is False
    assert a.users.count_sealed_passwords() == 0
    # A sign-in on node A that checked the password before the change stores nothing after it.
    unsealed = replace(profile, password_sealed=None)
    assert a.users.keep_password_for_digest(unsealed, "P4t-password") is False
    assert b.users.get("pat").password_sealed is None


def test_nonce_used_on_one_node_is_a_replay_on_the_other(nodes: tuple[Store, Store]) -> None:
    a, b = nodes
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert a.logins.remember_nonce(b"nonce-1", later) is True
    assert b.logins.remember_nonce(b"nonce-1", later) is False
    assert b.logins.remember_nonce(b"nonce-2", later) is True


def test_concurrent_use_of_one_nonce_wins_once(nodes: tuple[Store, Store]) -> None:
    a, b = nodes
    later = datetime.now(UTC) + timedelta(minutes=5)
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def use(store: Store) -> None:
        barrier.wait()
        results.append(store.logins.remember_nonce(b"raced", later))

    threads = [threading.Thread(target=use, args=((a, b)[i % 2],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [False] * 7 + [True]


def test_lockout_on_one_node_holds_on_the_other(
    nodes: tuple[Store, Store], fast_password_hashing: None
) -> None:
    a, b = nodes
    a.users.create("alice", "alice-password")
    policy = LockoutPolicy(max_failed_attempts=2, lockout_seconds=300)
    now = datetime.now(UTC)
    assert a.logins.record_failure("alice", policy, now) is None
    locked = b.logins.record_failure("alice", policy, now)
    assert locked is not None and locked > now
    state = a.logins.state("alice")
    assert state is not None and state.locked_until == locked


def test_concurrent_failed_logins_on_two_nodes_all_count(
    nodes: tuple[Store, Store], fast_password_hashing: None
) -> None:
    # READ COMMITTED alone would let two nodes read the same count and lose increments.
    a, b = nodes
    a.users.create("bob", "bob-password")
    off = LockoutPolicy(max_failed_attempts=0, lockout_seconds=0)
    barrier = threading.Barrier(6)

    def fail(store: Store) -> None:
        barrier.wait()
        for _ in range(5):
            store.logins.record_failure("bob", off, datetime.now(UTC))

    threads = [threading.Thread(target=fail, args=((a, b)[i % 2],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    state = b.logins.state("bob")
    assert state is not None and state.failed_attempts == 30


def test_concurrent_config_edits_on_two_nodes_lose_nothing(nodes: tuple[Store, Store]) -> None:
    a, b = nodes
    start = a.config.get_token_settings().default_lifetime_seconds

    def bump(store: Store) -> None:
        for _ in range(10):
            store.config.update(
                TokenSettings,
                lambda t: replace(t, default_lifetime_seconds=t.default_lifetime_seconds + 1),
            )

    threads = [threading.Thread(target=bump, args=(s,)) for s in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert b.config.get_token_settings().default_lifetime_seconds == start + 40


def test_token_recorded_by_one_node_is_renewed_once_across_nodes(
    nodes: tuple[Store, Store],
) -> None:
    a, b = nodes
    now = datetime.now(UTC)
    record = IssuedTokenRecord(
        token_id=f"_{uuid.uuid4().hex}", token_type="SAML20", subject="alice",
        audience="https://rp.example.org", issued_at=now, expires_at=now + timedelta(minutes=5),
        status=TokenStatus.ACTIVE, renew_allowed=True, renew_after_expiry=False,
        replaced_by=None,
    )
    a.tokens.save(record)
    seen = b.tokens.get(record.token_id)
    assert seen is not None and seen.expires_at == record.expires_at
    wins: list[bool] = []
    barrier = threading.Barrier(6)

    def renew(store: Store) -> None:
        barrier.wait()
        wins.append(store.tokens.set_status(
            record.token_id, TokenStatus.RENEWED, replaced_by="_new", expected=TokenStatus.ACTIVE
        ))

    threads = [threading.Thread(target=renew, args=((a, b)[i % 2],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(wins) == [False] * 5 + [True]
    final = a.tokens.get(record.token_id)
    assert final is not None and final.status is TokenStatus.RENEWED


def test_one_token_id_saved_on_two_nodes_at_once_is_stored_once(
    nodes: tuple[Store, Store],
) -> None:
    # Token writes take no writer lock on PostgreSQL (each node's journal commits on its own):
    # the table's key alone must keep a token id from being stored twice.
    a, b = nodes
    now = datetime.now(UTC)
    record = IssuedTokenRecord(
        token_id=f"_{uuid.uuid4().hex}", token_type="SAML20", subject="alice", audience=None,
        issued_at=now, expires_at=now + timedelta(minutes=5),
    )
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def save(store: Store) -> None:
        barrier.wait()
        try:
            store.tokens.save(record)
        except ConflictError:
            outcomes.append("conflict")
        else:
            outcomes.append("saved")

    threads = [threading.Thread(target=save, args=((a, b)[i % 2],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict"] * 3 + ["saved"]
    assert b.tokens.get(record.token_id) is not None


def test_read_transactions_see_one_snapshot(nodes: tuple[Store, Store]) -> None:
    a, b = nodes
    with a.database.transaction("read") as conn:
        first = conn.exec_driver_sql("SELECT version FROM config_state").scalar()
        b.roles.create("during-the-read")
        second = conn.exec_driver_sql("SELECT version FROM config_state").scalar()
        assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "repeatable read"
    assert first == second
    assert a.snapshot().version == first + 1
