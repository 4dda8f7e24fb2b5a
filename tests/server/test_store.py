"""The Store as a whole on real SQLite files: engine set-up, schema, the configuration
snapshot and its version, concurrent writers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from stsdesk.server.errors import ServerError
from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.model import RelyingParty, RequestedClaim, SecurityPolicy
from stsdesk.server.storage.store import Store
from tests.helpers.storage import EMAIL, GIVEN, StatementCounter, config_version

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


# --------------------------------------------------------------------------------- engine setup


def test_sqlite_pragmas(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_create_schema_is_idempotent_and_writes_defaults(store: Store) -> None:
    before = config_version(store)
    store.create_schema()
    assert config_version(store) == before
    assert store.is_initialised()
    assert store.config.get_security_policy() == SecurityPolicy()
    assert store.config.get_resident_idp().issuer == "localhost"
    with store.engine.connect() as conn:
        keys = set(conn.exec_driver_sql("SELECT key FROM config_values").scalars())
    assert keys == {"resident_idp", "security_policy", "token_settings", "lockout_policy",
                    "password_digest", "revocation_policy"}


def test_in_memory_database_works(master: MasterSecret) -> None:
    memory = Store.open("sqlite://", master)
    try:
        assert not memory.is_initialised()
        memory.create_schema()
        memory.roles.create("r")
        assert memory.roles.names() == ["r"]
        assert memory.snapshot().version == 2
    finally:
        memory.close()


def test_uninitialised_database_says_so(tmp_path: Path) -> None:
    empty = Store.open(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert not empty.is_initialised()
        empty.create_schema()
        assert empty.is_initialised()
        with empty.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM config_state")
        assert not empty.is_initialised()
        with pytest.raises(ServerError, match="no configuration"):
            empty.snapshot()
        with pytest.raises(ServerError, match="no configuration"):
            empty.roles.create("r")
        assert empty.roles.names() == []  # the failed write was rolled back
    finally:
        empty.close()



# --------------------------------------------------------------------------------- snapshot


def test_snapshot_costs_one_statement_when_unchanged(store: Store) -> None:
    first = store.snapshot()
    counter = StatementCounter(store)
    again = store.snapshot()
    assert again is first
    assert len(counter.statements) == 1
    assert "config_state" in counter.statements[0]


def test_snapshot_rebuilds_after_a_write(store: Store) -> None:
    first = store.snapshot()
    app = store.applications.create("Payroll")
    store.applications.set_relying_party(app, RelyingParty(app, "", "https://payroll.example/"))
    rebuilt = store.snapshot()
    assert rebuilt.version == first.version + 2
    assert rebuilt.relying_party_for("https://payroll.example/") is not None
    assert store.snapshot() is rebuilt


def test_snapshot_sees_writes_from_another_store(store: Store, second: Store) -> None:
    first = store.snapshot()
    app = second.applications.create("Payroll")
    second.applications.update(app, requested_claims=[RequestedClaim(EMAIL, mandatory=True)],
                               subject_claim_uri=EMAIL)
    second.applications.set_relying_party(
        app, RelyingParty(app, "ignored", "https://payroll.example/", token_type="SAML11")
    )
    rebuilt = store.snapshot()
    assert rebuilt.version > first.version
    party = rebuilt.relying_party_for("https://payroll.example/")
    assert party is not None
    assert party.name == "Payroll"  # merged in from the application
    assert party.application_id == app
    assert party.token_type == "SAML11"
    assert party.requested_claims == (RequestedClaim(EMAIL, True),)
    assert party.subject_claim_uri == EMAIL


def test_snapshot_is_thread_safe(store: Store, second: Store) -> None:
    errors: list[BaseException] = []
    versions: list[int] = []

    def read() -> None:
        try:
            for _ in range(30):
                versions.append(store.snapshot().version)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    def write() -> None:
        for i in range(10):
            second.roles.create(f"role-{i}")

    threads = [threading.Thread(target=read) for _ in range(3)] + [threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.snapshot().version == config_version(store)
    assert len(versions) == 90


def test_concurrent_writers_lose_nothing(store: Store, second: Store) -> None:
    start = config_version(store)
    errors: list[BaseException] = []

    def work(target: Store, prefix: str) -> None:
        try:
            for i in range(8):
                target.applications.create(f"{prefix}-{i}")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(target, f"{name}{n}"))
               for n in range(2) for name, target in (("a", store), ("b", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.applications.list_all()) == 32
    assert config_version(store) == start + 32



def test_create_schema_adds_columns_an_older_database_lacks(tmp_path: Path, master) -> None:
    url = f"sqlite:///{(tmp_path / 'old.db').as_posix()}"
    old = Store.open(url, master)
    old.create_schema()
    with old.engine.begin() as conn:
        conn.execute(text("ALTER TABLE users DROP COLUMN modified_at"))
        conn.execute(text("ALTER TABLE roles DROP COLUMN modified_at"))
        conn.execute(text("ALTER TABLE users DROP COLUMN external_id"))  # added by 0003
        conn.execute(text("ALTER TABLE roles DROP COLUMN external_id"))
        for table in ("revocation_lists", "user_certificates", "trusted_saml_issuers"):  # 0005_trust12
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("DROP TABLE security_contexts"))  # added by 0004_sc_contexts
        conn.execute(text("ALTER TABLE issued_tokens DROP COLUMN user_id"))  # 0006_review
        # A database from before migrations existed has no version table either.
        conn.execute(text("DROP TABLE alembic_version"))
    old.close()
    upgraded = Store.open(url, master)
    upgraded.create_schema()
    user_id = upgraded.users.create("u", "pw")
    assert upgraded.users.update(user_id, claims={GIVEN: "U"}).modified_at is not None
    upgraded.close()
