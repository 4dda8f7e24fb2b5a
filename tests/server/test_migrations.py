"""Alembic migrations: fresh databases reach the head, older ones are upgraded in place."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from stsdesk.server.bootstrap import initialise
from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.model import TokenStatus
from stsdesk.server.settings import ServerSettings
from stsdesk.server.storage import migrate
from stsdesk.server.storage.schema import metadata
from stsdesk.server.storage.store import Store

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[2]
EMAIL = "http://wso2.org/claims/emailaddress"
LEGACY = {
    "first-release": DATA / "legacy-first-release.sql",
    "with-modified-at": DATA / "legacy-with-modified-at.sql",
}


def load_dump(dump: Path, db: Path) -> str:
    connection = sqlite3.connect(db)
    try:
        connection.executescript(dump.read_text())
    finally:
        connection.close()
    return f"sqlite:///{db.as_posix()}"


def schema_differences(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_head_is_the_last_revision_and_the_scripts_ship_in_the_package() -> None:
    assert migrate.head_revision() == "0007_ctxcheck_context_cert"
    location = Path(migrate.__file__).parent / "migrations"
    assert (location / "env.py").is_file() and (location / "script.py.mako").is_file()
    assert sorted(p.name for p in (location / "versions").glob("0*.py")) == [
        "0001_initial.py", "0002_modified_at.py", "0003_external_id_optional_password.py",
        "0004_sc_contexts.py",
        "0005_trust12_revocation_mapping_issuers.py", "0006_review_token_principal.py",
        "0007_ctxcheck_context_cert.py",
    ]


def test_fresh_database_is_migrated_to_the_head_and_matches_the_tables(
    tmp_path: Path, master: MasterSecret
) -> None:
    url = f"sqlite:///{(tmp_path / 'fresh.db').as_posix()}"
    store = Store.open(url, master)
    try:
        assert store.schema_revision() is None
        store.create_schema()
        assert store.schema_revision() == migrate.head_revision()
        store.create_schema()  # a second start changes nothing
        assert store.snapshot().version == 1
    finally:
        store.close()
    assert schema_differences(url) == []


@pytest.mark.parametrize("variant", sorted(LEGACY))
def test_database_from_before_migrations_is_upgraded_in_place(
    variant: str, tmp_path: Path, master: MasterSecret
) -> None:
    url = load_dump(LEGACY[variant], tmp_path / "old.db")
    store = Store.open(url, master)
    try:
        assert store.is_initialised() and store.schema_revision() is None
        # Read directly: a snapshot reads tables only the migrations create.
        with store.database.transaction("single") as conn:
            version_before = conn.execute(text("SELECT version FROM config_state")).scalar()
        store.create_schema()
        assert store.schema_revision() == migrate.head_revision()
        # The data is still there: nothing was rebuilt.
        assert store.snapshot().version == version_before
        alice = store.users.get("alice")
        assert alice is not None and alice.roles == ("admin",)
        assert alice.claims == {EMAIL: "alice@example.org"}
        assert [a.name for a in store.applications.list_all()] == ["legacy-app"]
        token = store.tokens.get("_legacy-token")
        assert token is not None and token.status is TokenStatus.ACTIVE
        assert store.audit.entries()[0].action == "legacy"
        # And the new columns work.
        updated = store.users.update(alice.user_id, claims={EMAIL: "a@example.org"})
        assert updated.modified_at is not None
    finally:
        store.close()
    assert schema_differences(url) == []


def test_stamped_revision_follows_what_the_old_tables_hold(tmp_path: Path) -> None:
    for variant, expected in (("first-release", "0001"), ("with-modified-at", "0002")):
        url = load_dump(LEGACY[variant], tmp_path / f"{variant}.db")
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert migrate._legacy_revision(conn) == expected
        finally:
            engine.dispose()


def test_empty_database_has_no_legacy_revision(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{(tmp_path / 'empty.db').as_posix()}")
    try:
        with engine.connect() as conn:
            assert migrate._legacy_revision(conn) is None
            assert migrate.current_revision(conn) is None
    finally:
        engine.dispose()


def test_a_failing_migration_leaves_the_old_database_untouched(
    tmp_path: Path, master: MasterSecret, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = load_dump(LEGACY["first-release"], tmp_path / "old.db")
    real_upgrade = migrate.command.upgrade

    def broken(config, revision):  # type: ignore[no-untyped-def]
        real_upgrade(config, revision)
        raise RuntimeError("simulated crash after the DDL")

    monkeypatch.setattr(migrate.command, "upgrade", broken)
    store = Store.open(url, master)
    try:
        with pytest.raises(RuntimeError, match="simulated"):
            store.create_schema()
    finally:
        store.close()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            # One transaction: neither the stamp nor the new column survived the failure.
            assert not inspect(conn).has_table("alembic_version")
            columns = {c["name"] for c in inspect(conn).get_columns("users")}
            assert "modified_at" not in columns
            assert conn.execute(text("SELECT count(*) FROM users")).scalar() == 1
    finally:
        engine.dispose()


def test_data_directory_from_before_migrations_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STSDESK_KEYSTORE_PASSWORD", "legacy keystore password")
    root = tmp_path / "data"
    root.mkdir(mode=0o700)
    load_dump(LEGACY["with-modified-at"], root / "stsdesk.db")
    result = initialise(ServerSettings(data_dir=root, admin_password="admin-password-1"))
    try:
        assert result.store.schema_revision() == migrate.head_revision()
        assert result.store.users.get("alice") is not None
        assert result.store.users.get("admin") is not None  # added by the start, as usual
        assert result.store.keys.get_signing_key("wso2carbon") is not None
    finally:
        result.close()


def test_installed_copy_finds_the_migrations(tmp_path: Path) -> None:
    # A plain copy of the package outside the repository stands in for a non-editable install:
    # the scripts must be found through the package, not through the working directory.
    site = tmp_path / "site"
    shutil.copytree(REPO / "stsdesk", site / "stsdesk",
                    ignore=shutil.ignore_patterns("__pycache__", "ui"))
    code = (
        "import sys, stsdesk.server.storage.migrate as m; "
        "from stsdesk.server.storage.store import Store; "
        "assert m.__file__.startswith(sys.argv[1]), m.__file__; "
        "s = Store.open('sqlite://'); s.create_schema(); print(s.schema_revision())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(site)], cwd=tmp_path, capture_output=True, text=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0007_ctxcheck_context_cert"


def _users_columns(url: str) -> dict[str, bool]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {c["name"]: c["nullable"] for c in inspect(conn).get_columns("users")}
    finally:
        engine.dispose()


def test_0003_makes_the_password_optional_without_touching_memberships_or_claims(
    tmp_path: Path, master: MasterSecret
) -> None:
    # Rebuilding the users table on SQLite would cascade to user_roles and user_claims (foreign
    # keys are on): every hash, membership and claim must come through as it was.
    url = load_dump(LEGACY["with-modified-at"], tmp_path / "old.db")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            before = conn.execute(text("SELECT id, password_hash, password_sealed FROM users")).all()
            memberships = conn.execute(text("SELECT count(*) FROM user_roles")).scalar()
            claims = conn.execute(text("SELECT count(*) FROM user_claims")).scalar()
    finally:
        engine.dispose()
    assert before and memberships and claims
    assert _users_columns(url)["password_hash"] is False
    store = Store.open(url, master)
    try:
        store.create_schema()
        with store.engine.connect() as conn:
            after = conn.execute(text("SELECT id, password_hash, password_sealed FROM users")).all()
            assert conn.execute(text("SELECT count(*) FROM user_roles")).scalar() == memberships
            assert conn.execute(text("SELECT count(*) FROM user_claims")).scalar() == claims
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert sorted(after) == sorted(before)
        user_id = store.users.create("provisioned", None, external_id="ext-1")
        provisioned = store.users.get_by_id(user_id)
        assert provisioned.password_hash is None and provisioned.external_id == "ext-1"
    finally:
        store.close()
    columns = _users_columns(url)
    assert columns["password_hash"] is True and columns["external_id"] is True


def test_0003_downgrade_refuses_while_a_user_has_no_password(
    tmp_path: Path, master: MasterSecret
) -> None:
    url = f"sqlite:///{(tmp_path / 'fresh.db').as_posix()}"
    store = Store.open(url, master)
    try:
        store.create_schema()
        store.users.create("alice", "alice-password", roles=())
        user_id = store.users.create("provisioned", None)
        with store.engine.begin() as conn, pytest.raises(RuntimeError, match="no password"):
            migrate.command.downgrade(migrate.alembic_config(conn), "0002")
        store.users.update(user_id, password="now-it-has-one")
        with store.engine.begin() as conn:
            migrate.command.downgrade(migrate.alembic_config(conn), "0002")
            assert migrate.current_revision(conn) == "0002"
    finally:
        store.close()
    columns = _users_columns(url)
    assert columns["password_hash"] is False and "external_id" not in columns
