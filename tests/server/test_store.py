"""The Store: configuration versioning and snapshots, applications, users, login state, nonces,
tokens and audit, on real SQLite files."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import event, text

from stsdesk.core.certs import SigningIdentity, generate_self_signed
from stsdesk.server.errors import ConflictError, NotFoundError, ServerError, ValidationError
from stsdesk.server.model import (
    IssuedTokenRecord,
    LockoutPolicy,
    PasswordDigestPolicy,
    ProofKeyType,
    RelyingParty,
    RequestedClaim,
    ResidentIdentityProvider,
    SecurityPolicy,
    TokenSettings,
    TokenStatus,
)
from stsdesk.server.passwords import verify_password
from stsdesk.server.secrets import MasterSecret
from stsdesk.server.storage.store import ADMIN_ROLE, ProtectedRoleError, Store

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

EMAIL = "http://wso2.org/claims/emailaddress"
GIVEN = "http://wso2.org/claims/givenname"
LAST = "http://wso2.org/claims/lastname"
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def rp_identity() -> SigningIdentity:
    return generate_self_signed("rp.example")


@pytest.fixture
def second(store: Store, master: MasterSecret) -> Iterator[Store]:
    """Another Store on the same file, as another worker process would have."""
    other = Store.open(str(store.engine.url), master)
    yield other
    other.close()


class StatementCounter:
    def __init__(self, store: Store) -> None:
        self.statements: list[str] = []
        event.listen(store.engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        self.statements.append(statement)


def version(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT version FROM config_state")).scalar_one())


# --------------------------------------------------------------------------------- engine setup


def test_sqlite_pragmas(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_create_schema_is_idempotent_and_writes_defaults(store: Store) -> None:
    before = version(store)
    store.create_schema()
    assert version(store) == before
    assert store.is_initialised()
    assert store.get_security_policy() == SecurityPolicy()
    assert store.get_resident_idp().issuer == "localhost"
    with store.engine.connect() as conn:
        keys = set(conn.exec_driver_sql("SELECT key FROM config_values").scalars())
    assert keys == {"resident_idp", "security_policy", "token_settings", "lockout_policy",
                    "password_digest"}


def test_in_memory_database_works(master: MasterSecret) -> None:
    memory = Store.open("sqlite://", master)
    try:
        assert not memory.is_initialised()
        memory.create_schema()
        memory.create_role("r")
        assert memory.list_roles() == ["r"]
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
            empty.create_role("r")
        assert empty.list_roles() == []  # the failed write was rolled back
    finally:
        empty.close()


# --------------------------------------------------------------------------------- configuration


def test_config_round_trips_and_bumps_the_version(store: Store) -> None:
    start = version(store)
    idp = ResidentIdentityProvider(issuer="sts.example", home_realm_identifiers=("a", "b"),
                                   idle_session_timeout_minutes=30, remember_me_minutes=60)
    store.set_resident_idp(idp)
    policy = SecurityPolicy(enabled=False, scenario_id="scenario3", allowed_roles=("x", "y"),
                            proof_key_type=ProofKeyType.ENCRYPTED_KEY)
    store.set_security_policy(policy)
    tokens = TokenSettings(default_lifetime_seconds=600, max_lifetime_seconds=3600,
                           clock_skew_seconds=60)
    store.set_token_settings(tokens)
    lockout = LockoutPolicy(max_failed_attempts=3, lockout_seconds=60)
    store.set_lockout_policy(lockout)
    assert store.get_resident_idp() == idp
    assert store.get_security_policy() == policy
    assert store.get_security_policy().proof_key_type is ProofKeyType.ENCRYPTED_KEY
    assert store.get_token_settings() == tokens
    assert store.get_lockout_policy() == lockout
    assert version(store) == start + 4
    snap = store.snapshot()
    assert (snap.resident_idp, snap.security, snap.tokens, snap.lockout) == (
        idp, policy, tokens, lockout
    )


def test_config_lists_become_tuples(store: Store) -> None:
    store.set_security_policy(SecurityPolicy(allowed_roles=["admin", "ops"]))  # type: ignore[arg-type]
    assert store.get_security_policy().allowed_roles == ("admin", "ops")


@pytest.mark.parametrize(
    "value",
    [
        ResidentIdentityProvider(issuer=" "),
        ResidentIdentityProvider(idle_session_timeout_minutes=0),
        SecurityPolicy(scenario_id=""),
        SecurityPolicy(proof_key_type="Bogus"),  # type: ignore[arg-type]
        SecurityPolicy(enabled="yes"),  # type: ignore[arg-type]
        SecurityPolicy(allowed_roles="admin"),  # type: ignore[arg-type]
        TokenSettings(default_lifetime_seconds=0),
        TokenSettings(default_lifetime_seconds=600, max_lifetime_seconds=300),
        TokenSettings(clock_skew_seconds=-1),
        TokenSettings(default_lifetime_seconds="300"),  # type: ignore[arg-type]
        LockoutPolicy(max_failed_attempts=-1),
    ],
)
def test_bad_config_is_refused_and_not_stored(store: Store, value: object) -> None:
    start = version(store)
    setter = {
        ResidentIdentityProvider: store.set_resident_idp,
        SecurityPolicy: store.set_security_policy,
        TokenSettings: store.set_token_settings,
        LockoutPolicy: store.set_lockout_policy,
    }[type(value)]
    with pytest.raises(ValidationError):
        setter(value)
    assert version(store) == start


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
    app = store.create_application("Payroll")
    store.set_relying_party(app, RelyingParty(app, "", "https://payroll.example/"))
    rebuilt = store.snapshot()
    assert rebuilt.version == first.version + 2
    assert rebuilt.relying_party_for("https://payroll.example/") is not None
    assert store.snapshot() is rebuilt


def test_snapshot_sees_writes_from_another_store(store: Store, second: Store) -> None:
    first = store.snapshot()
    app = second.create_application("Payroll")
    second.update_application(app, requested_claims=[RequestedClaim(EMAIL, mandatory=True)],
                              subject_claim_uri=EMAIL)
    second.set_relying_party(app, RelyingParty(app, "ignored", "https://payroll.example/",
                                               token_type="SAML11"))
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
            second.create_role(f"role-{i}")

    threads = [threading.Thread(target=read) for _ in range(3)] + [threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.snapshot().version == version(store)
    assert len(versions) == 90


def test_concurrent_writers_lose_nothing(store: Store, second: Store) -> None:
    start = version(store)
    errors: list[BaseException] = []

    def work(target: Store, prefix: str) -> None:
        try:
            for i in range(8):
                target.create_application(f"{prefix}-{i}")
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(target, f"{name}{n}"))
               for n in range(2) for name, target in (("a", store), ("b", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.list_applications()) == 32
    assert version(store) == start + 32


# --------------------------------------------------------------------------------- applications


def test_application_lifecycle(store: Store) -> None:
    app = store.create_application("Payroll", "pays people")
    assert len(app) == 36
    got = store.get_application(app)
    assert got == {"id": app, "name": "Payroll", "description": "pays people", "claims": [],
                   "subject_claim_uri": None}
    with pytest.raises(ConflictError, match="'Payroll' already exists"):
        store.create_application("Payroll")
    store.create_application("payroll")  # names are case-sensitive
    other = store.create_application("Other")
    with pytest.raises(ConflictError):
        store.update_application(other, name="Payroll")
    claims = [RequestedClaim(GIVEN), RequestedClaim(EMAIL, mandatory=True)]
    store.update_application(app, name="Payroll 2", description="", requested_claims=claims,
                             subject_claim_uri=EMAIL)
    got = store.get_application(app)
    assert got["name"] == "Payroll 2" and got["description"] == ""
    assert got["claims"] == claims  # order kept
    assert got["subject_claim_uri"] == EMAIL
    store.update_application(app, description="kept")
    assert store.get_application(app)["subject_claim_uri"] == EMAIL  # ... leaves it alone
    store.update_application(app, subject_claim_uri=None)
    assert store.get_application(app)["subject_claim_uri"] is None
    assert store.get_application(app)["claims"] == claims
    store.update_application(app, requested_claims=[])
    assert store.get_application(app)["claims"] == []
    assert [a["name"] for a in store.list_applications()] == ["Other", "Payroll 2", "payroll"]
    store.delete_application(app)
    with pytest.raises(NotFoundError):
        store.get_application(app)
    with pytest.raises(NotFoundError):
        store.delete_application(app)
    with pytest.raises(NotFoundError):
        store.update_application(app, name="x")


@pytest.mark.parametrize("name", ["", " padded", "tab\there", "x" * 256])
def test_bad_application_names(store: Store, name: str) -> None:
    with pytest.raises(ValidationError):
        store.create_application(name)


def test_duplicate_requested_claims_refused(store: Store) -> None:
    app = store.create_application("A")
    with pytest.raises(ValidationError, match="twice"):
        store.update_application(app, requested_claims=[RequestedClaim(EMAIL),
                                                        RequestedClaim(EMAIL, True)])


def test_relying_party_rules(store: Store, rp_identity: SigningIdentity) -> None:
    one = store.create_application("One")
    two = store.create_application("Two")
    assert store.get_relying_party(one) is None
    store.set_relying_party(one, RelyingParty("whatever", "", "https://rp.example/",
                                              token_lifetime_seconds=60))
    party = store.get_relying_party(one)
    assert party is not None and party.application_id == one and party.name == "One"
    assert party.token_lifetime_seconds == 60
    with pytest.raises(ConflictError, match="'One'"):
        store.set_relying_party(two, RelyingParty(two, "", "https://rp.example/"))
    with pytest.raises(ValidationError, match="not in the trust store"):
        store.set_relying_party(two, RelyingParty(two, "", "https://two.example/",
                                                  certificate_alias="missing"))
    store.add_trusted_certificate("rp", rp_identity.certificate_der())
    store.set_relying_party(two, RelyingParty(two, "", "https://two.example/",
                                              certificate_alias="rp", key_type="PublicKey"))
    # upsert: the same app may change its own audience
    store.set_relying_party(one, RelyingParty(one, "", "*", encrypt_token=False))
    snap = store.snapshot()
    assert snap.relying_party_for("https://unknown.example/").application_id == one
    assert snap.relying_party_for("https://two.example/").certificate_alias == "rp"
    for bad in (RelyingParty(one, "", ""), RelyingParty(one, "", "x", token_type="SAML3"),
                RelyingParty(one, "", "x", key_type="Weird"),
                RelyingParty(one, "", "x", token_lifetime_seconds=0)):
        with pytest.raises(ValidationError):
            store.set_relying_party(one, bad)
    with pytest.raises(NotFoundError):
        store.set_relying_party("no-such-app", RelyingParty("x", "", "https://x/"))
    store.delete_relying_party(one)
    store.delete_relying_party(one)  # nothing left: no error
    assert store.get_relying_party(one) is None
    store.delete_application(two)  # takes its relying party with it
    assert store.snapshot().relying_parties == ()
    store.remove_trusted_certificate("rp")  # no longer in use


# --------------------------------------------------------------------------------- users & roles


def test_roles(store: Store) -> None:
    store.create_role("ops")
    store.create_role("admin")
    with pytest.raises(ConflictError):
        store.create_role("ops")
    assert store.list_roles() == ["admin", "ops"]
    store.create_user("bob", "pw", roles=["ops"])
    store.delete_role("ops")
    assert store.get_user("bob").roles == ()
    with pytest.raises(NotFoundError):
        store.delete_role("ops")


def test_user_lifecycle(store: Store, master: MasterSecret) -> None:
    store.create_role("admin")
    store.create_role("ops")
    start = version(store)
    user_id = store.create_user("Alice", "s3cret", roles=["ops", "admin"],
                                claims={EMAIL: "alice@example.com"})
    user = store.get_user("Alice")
    assert user is not None
    assert user.user_id == user_id
    assert user.roles == ("admin", "ops")
    assert user.claims == {EMAIL: "alice@example.com"}
    assert verify_password(user.password_hash, "s3cret")
    assert user.password_sealed is None  # PasswordDigest is off by default: the hash only
    assert store.unseal_password(user) is None
    assert store.get_user("alice") is None  # case-sensitive
    store.create_user("alice", "other")  # a different user
    with pytest.raises(ConflictError, match="'Alice' already exists"):
        store.create_user("Alice", "x")
    with pytest.raises(ValidationError, match="'nope'"):
        store.create_user("carol", "x", roles=["nope"])
    assert store.get_user("carol") is None  # nothing half-created
    assert version(store) == start + 2

    store.set_password("Alice", "n3w")
    changed = store.get_user("Alice")
    assert verify_password(changed.password_hash, "n3w")
    assert not verify_password(changed.password_hash, "s3cret")
    assert changed.password_sealed is None
    store.set_user_roles("Alice", ["ops"])
    store.set_user_claims("Alice", {GIVEN: "Alice"})
    changed = store.get_user("Alice")
    assert changed.roles == ("ops",)
    assert changed.claims == {GIVEN: "Alice"}
    assert version(store) == start + 5
    assert [u.username for u in store.list_users()] == ["Alice", "alice"]
    store.delete_user("Alice")
    assert store.get_user("Alice") is None
    for call in (lambda: store.delete_user("Alice"), lambda: store.set_password("Alice", "x"),
                 lambda: store.set_user_roles("Alice", []),
                 lambda: store.set_user_claims("Alice", {}), lambda: store.unlock_user("Alice")):
        with pytest.raises(NotFoundError):
            call()


def test_update_user_changes_the_profile_in_one_transaction(store: Store) -> None:
    store.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    store.create_role("ops")
    user_id = store.create_user("Alice", "s3cret", roles=["ops"],
                                claims={EMAIL: "a@example.com", GIVEN: "Alice"})
    created = store.get_user_by_id(user_id)
    assert created.username == "Alice" and created.created_at is not None
    assert created.modified_at is None
    start = version(store)
    after = store.update_user(user_id, claims={GIVEN: "Ally", EMAIL: None, LAST: "Liddell"},
                              active=False)
    assert after.claims == {GIVEN: "Ally", LAST: "Liddell"}  # merged: None removes
    assert after.active is False and after.roles == ("ops",)
    assert after.modified_at is not None
    assert version(store) == start + 1  # profiles are configuration: the STS's caches refresh
    renamed = store.update_user(user_id, username="Alicia")
    assert store.get_user("Alice") is None
    assert store.get_user("Alicia") == renamed
    assert store.unseal_password(renamed) == "s3cret"  # sealed again under the new name
    assert verify_password(renamed.password_hash, "s3cret")
    changed = store.update_user(user_id, password="n3w-password")
    assert verify_password(changed.password_hash, "n3w-password")
    assert store.unseal_password(changed) == "n3w-password"
    store.create_user("bob", "pw")
    with pytest.raises(ConflictError, match="'bob' already exists"):
        store.update_user(user_id, username="bob", claims={GIVEN: "half done"})
    assert store.get_user("Alicia").claims[GIVEN] == "Ally"  # nothing half-applied
    with pytest.raises(NotFoundError):
        store.update_user("no-such-id", active=True)
    with pytest.raises(ValidationError):
        store.update_user(user_id, claims={" bad uri": "x"})
    with pytest.raises(ValidationError):
        store.update_user(user_id, password="")


def test_update_user_unlocks(store: Store) -> None:
    user_id = store.create_user("locked", "pw")
    for _ in range(3):
        store.record_failed_login("locked", LockoutPolicy(max_failed_attempts=3), NOW)
    assert store.get_user("locked").locked_until is not None
    unlocked = store.update_user(user_id, unlock=True)
    assert unlocked.locked_until is None and unlocked.failed_attempts == 0


def test_create_user_inactive(store: Store) -> None:
    store.create_user("dormant", "pw", active=False)
    assert store.get_user("dormant").active is False


def test_roles_by_id_with_members(store: Store) -> None:
    alice = store.create_user("alice", "pw")
    bob = store.create_user("bob", "pw")
    role_id = store.create_role("ops", member_ids=[bob, alice])
    role = store.get_role(role_id)
    assert role.name == "ops" and role.members == ((alice, "alice"), (bob, "bob"))
    assert store.role_ids() == {"ops": role_id}
    assert store.get_user("alice").roles == ("ops",)
    carol = store.create_user("carol", "pw")
    role = store.update_role(role_id, add_member_ids=[carol], remove_member_ids=[alice])
    assert [name for _, name in role.members] == ["bob", "carol"]
    assert role.modified_at is not None
    role = store.update_role(role_id, name="operators", member_ids=[alice])
    assert (role.name, role.members) == ("operators", ((alice, "alice"),))
    assert store.list_role_records() == [role]
    with pytest.raises(ValidationError, match="no-such-user"):
        store.update_role(role_id, add_member_ids=["no-such-user"])
    with pytest.raises(ValidationError):
        store.create_role("x", member_ids=["no-such-user"])
    assert "x" not in store.list_roles()
    store.create_role("taken")
    with pytest.raises(ConflictError):
        store.update_role(role_id, name="taken")
    assert store.delete_role_by_id(role_id) == "operators"
    assert store.get_role(role_id) is None
    assert store.get_user("alice").roles == ()
    for call in (lambda: store.update_role(role_id, name="y"),
                 lambda: store.delete_role_by_id(role_id)):
        with pytest.raises(NotFoundError):
            call()


def test_the_admin_role_keeps_an_active_member(store: Store) -> None:
    admin_role = store.create_role(ADMIN_ROLE)
    first = store.create_user("first", "pw", roles=[ADMIN_ROLE])
    for call in (
        lambda: store.update_user(first, active=False),
        lambda: store.delete_user_by_id(first),
        lambda: store.update_role(admin_role, remove_member_ids=[first]),
        lambda: store.update_role(admin_role, member_ids=[]),
        lambda: store.update_role(admin_role, name="root"),
        lambda: store.delete_role_by_id(admin_role),
    ):
        with pytest.raises(ProtectedRoleError):
            call()
    assert store.get_user("first").active and store.get_user("first").roles == (ADMIN_ROLE,)
    # An inactive second member does not count; an active one does.
    second = store.create_user("second", "pw", roles=[ADMIN_ROLE], active=False)
    with pytest.raises(ProtectedRoleError):
        store.update_role(admin_role, remove_member_ids=[first])
    store.update_user(second, active=True)
    store.update_role(admin_role, remove_member_ids=[first])
    assert store.delete_user_by_id(first) == "first"
    with pytest.raises(ProtectedRoleError):
        store.update_user(second, active=False)


def test_list_users_takes_three_queries(store: Store) -> None:
    store.create_role("ops")
    for i in range(20):
        store.create_user(f"user{i:02}", "pw", roles=["ops"], claims={EMAIL: f"u{i}@x.org"})
    counter = StatementCounter(store)
    users = store.list_users()
    selects = [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3
    assert users == [store.get_user(u.username) for u in users]
    assert len(users) == 20 and users[0].roles == ("ops",)


def test_create_schema_adds_columns_an_older_database_lacks(tmp_path: Path, master) -> None:
    url = f"sqlite:///{(tmp_path / 'old.db').as_posix()}"
    old = Store.open(url, master)
    old.create_schema()
    with old.engine.begin() as conn:
        conn.execute(text("ALTER TABLE users DROP COLUMN modified_at"))
        conn.execute(text("ALTER TABLE roles DROP COLUMN modified_at"))
        # A database from before migrations existed has no version table either.
        conn.execute(text("DROP TABLE alembic_version"))
    old.close()
    upgraded = Store.open(url, master)
    upgraded.create_schema()
    user_id = upgraded.create_user("u", "pw")
    assert upgraded.update_user(user_id, claims={GIVEN: "U"}).modified_at is not None
    upgraded.close()


def test_user_input_validation(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.create_user("", "pw")
    with pytest.raises(ValidationError):
        store.create_user("dave", "")
    with pytest.raises(ValidationError):
        store.create_user("dave", "pw", roles="admin")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        store.create_user("dave", "pw", claims={EMAIL: 42})  # type: ignore[dict-item]


def test_precomputed_hash_and_seal_are_stored_as_given(store: Store, master: MasterSecret) -> None:
    store.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    sealed = master.seal(b"pw", b"erin")
    store.create_user("erin", "", password_hash="$argon2id$given", sealed_password=sealed)
    erin = store.get_user("erin")
    assert erin.password_hash == "$argon2id$given"
    assert store.unseal_password(erin) == "pw"


def test_no_master_means_no_sealing(tmp_path: Path) -> None:
    plain = Store.open(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        plain.create_schema()
        plain.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
        plain.create_user("frank", "pw")
        frank = plain.get_user("frank")
        assert frank.password_sealed is None
        assert plain.unseal_password(frank) is None
    finally:
        plain.close()


def test_tampered_seal_gives_no_password(
    store: Store, master: MasterSecret, caplog: pytest.LogCaptureFixture
) -> None:
    store.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    store.create_user("grace", "pw")
    store.create_user("heidi", "other")
    grace, heidi = store.get_user("grace"), store.get_user("heidi")
    # heidi's sealed password copied into grace's row does not open as grace's
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE users SET password_sealed = :s WHERE username = 'grace'"),
                     {"s": heidi.password_sealed})
    moved = store.get_user("grace")
    assert moved.password_sealed != grace.password_sealed
    assert store.unseal_password(moved) is None
    assert "grace" in caplog.text and "other" not in caplog.text


# --------------------------------------------------------------------------------- login state


def test_lockout_counts_locks_and_expires(store: Store) -> None:
    store.create_user("ivan", "pw")
    policy = LockoutPolicy(max_failed_attempts=3, lockout_seconds=300)
    start = version(store)
    assert store.record_failed_login("ivan", policy, NOW) is None
    assert store.record_failed_login("ivan", policy, NOW) is None
    assert store.get_user("ivan").failed_attempts == 2
    locked = store.record_failed_login("ivan", policy, NOW)
    assert locked == NOW + timedelta(seconds=300)
    ivan = store.get_user("ivan")
    assert ivan.locked_until == locked and ivan.locked_until.tzinfo is not None
    # failures while locked neither count nor extend
    assert store.record_failed_login("ivan", policy, NOW + timedelta(seconds=10)) == locked
    assert store.get_user("ivan").failed_attempts == 3
    # success while locked keeps the lock
    store.record_successful_login("ivan")
    assert store.get_user("ivan").locked_until == locked
    # after expiry a failure starts a new count
    later = NOW + timedelta(seconds=301)
    assert store.record_failed_login("ivan", policy, later) is None
    ivan = store.get_user("ivan")
    assert (ivan.failed_attempts, ivan.locked_until) == (1, None)
    store.record_successful_login("ivan")
    assert store.get_user("ivan").failed_attempts == 0
    assert version(store) == start  # login state is not configuration


def test_unlock_and_unknown_users(store: Store) -> None:
    store.create_user("judy", "pw")
    policy = LockoutPolicy(max_failed_attempts=1, lockout_seconds=600)
    assert store.record_failed_login("judy", policy, NOW) is not None
    store.unlock_user("judy")
    judy = store.get_user("judy")
    assert (judy.failed_attempts, judy.locked_until) == (0, None)
    assert store.record_failed_login("nobody", policy, NOW) is None
    store.record_successful_login("nobody")
    assert store.get_user("nobody") is None


def test_lockout_disabled_only_counts(store: Store) -> None:
    store.create_user("ken", "pw")
    policy = LockoutPolicy(max_failed_attempts=0)
    for _ in range(5):
        assert store.record_failed_login("ken", policy, NOW) is None
    assert store.get_user("ken").failed_attempts == 5


def test_successful_login_without_failures_writes_nothing(store: Store) -> None:
    store.create_user("liam", "pw")
    counter = StatementCounter(store)
    store.record_successful_login("liam")
    assert len(counter.statements) == 1 and counter.statements[0].lstrip().startswith("SELECT")


def test_naive_times_refused(store: Store) -> None:
    with pytest.raises(ValidationError, match="time zone"):
        store.record_failed_login("x", LockoutPolicy(), datetime(2030, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValidationError):
        store.remember_nonce(b"n", datetime(2030, 1, 1))  # noqa: DTZ001


# --------------------------------------------------------------------------------- nonces


def test_nonce_replay_across_stores(store: Store, second: Store) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=10)
    assert store.remember_nonce(b"nonce-1", expires) is True
    assert store.remember_nonce(b"nonce-1", expires) is False
    assert second.remember_nonce(b"nonce-1", expires) is False
    assert second.remember_nonce(b"nonce-2", expires) is True
    assert store.remember_nonce(b"nonce-2", expires) is False
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT digest FROM nonces").scalars().all()
    assert b"nonce-1" not in stored and len(stored) == 2 and all(len(d) == 32 for d in stored)


def test_expired_nonce_may_be_reused_and_is_purged(store: Store) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    assert store.remember_nonce(b"old", past) is True
    assert store.remember_nonce(b"old", datetime.now(UTC) + timedelta(minutes=5)) is True
    assert store.remember_nonce(b"old", datetime.now(UTC) + timedelta(minutes=5)) is False
    store.remember_nonce(b"stale", past)
    store._next_nonce_purge = 0.0  # the purge is due
    store.remember_nonce(b"trigger", datetime.now(UTC) + timedelta(minutes=5))
    with store.engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT COUNT(*) FROM nonces").scalar()
    assert count == 2  # "old" (renewed) and "trigger"; "stale" purged


def test_concurrent_nonce_race_has_one_winner(store: Store, second: Store) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=5)
    results: list[bool] = []
    barrier = threading.Barrier(4)

    def attempt(target: Store) -> None:
        barrier.wait()
        results.append(target.remember_nonce(b"raced", expires))

    threads = [threading.Thread(target=attempt, args=(t,)) for t in (store, second) * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]


# --------------------------------------------------------------------------------- tokens


def token(token_id: str = "_t1", **changes: object) -> IssuedTokenRecord:
    values: dict[str, object] = dict(
        token_id=token_id, token_type="SAML20", subject="alice", audience="https://rp/",
        issued_at=NOW, expires_at=NOW + timedelta(minutes=5),
    )
    values.update(changes)
    return IssuedTokenRecord(**values)  # type: ignore[arg-type]


def test_token_round_trip_and_status(store: Store) -> None:
    store.save_token(token())
    got = store.get_token("_t1")
    assert got == token()
    assert got.issued_at.tzinfo is not None
    with pytest.raises(ConflictError):
        store.save_token(token())
    assert store.set_token_status(
        "_t1", TokenStatus.RENEWED, replaced_by="_t2", expected=TokenStatus.ACTIVE
    ) is True
    # a second, concurrent Renew of the same token loses
    assert store.set_token_status(
        "_t1", TokenStatus.RENEWED, replaced_by="_t3", expected=TokenStatus.ACTIVE
    ) is False
    renewed = store.get_token("_t1")
    assert renewed.status is TokenStatus.RENEWED and renewed.replaced_by == "_t2"
    assert store.set_token_status("_t1", TokenStatus.CANCELLED) is True  # any status
    assert store.get_token("_t1").status is TokenStatus.CANCELLED
    assert store.set_token_status("missing", TokenStatus.CANCELLED) is False
    assert store.get_token("missing") is None


def test_token_times_keep_their_instant(store: Store) -> None:
    plus_two = NOW.astimezone(timezone(timedelta(hours=2)))
    store.save_token(token("_tz", issued_at=plus_two, expires_at=plus_two + timedelta(minutes=1)))
    got = store.get_token("_tz")
    assert got.issued_at == NOW and got.issued_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError):
        store.save_token(token("_naive", issued_at=datetime(2030, 1, 1)))  # noqa: DTZ001


# --------------------------------------------------------------------------------- audit


def test_audit_newest_first_with_paging(store: Store) -> None:
    for i in range(5):
        store.add_audit("admin", "update", f"app-{i}", detail=f"change {i}")
    entries = store.list_audit(limit=2)
    assert [e["target"] for e in entries] == ["app-4", "app-3"]
    assert entries[0]["actor"] == "admin" and entries[0]["detail"] == "change 4"
    assert entries[0]["timestamp"].tzinfo is not None
    assert [e["target"] for e in store.list_audit(limit=2, offset=4)] == ["app-0"]
    with pytest.raises(ValidationError):
        store.list_audit(limit=0)


def test_update_config_serialises_concurrent_changes(store):
    """Two writers changing the same record at once (as two admins on two nodes) lose nothing."""
    import dataclasses
    import threading

    from stsdesk.server.model import ResidentIdentityProvider
    from stsdesk.server.storage.store import Store

    other = Store.open(str(store.engine.url))
    barrier = threading.Barrier(2)

    def add(target: Store, name: str) -> None:
        barrier.wait()
        for index in range(10):
            target.update_config(
                ResidentIdentityProvider,
                lambda idp, i=index: dataclasses.replace(
                    idp, home_realm_identifiers=(*idp.home_realm_identifiers, f"{name}{i}")
                ),
            )

    threads = [threading.Thread(target=add, args=(store, "a")),
               threading.Thread(target=add, args=(other, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other.close()
    identifiers = store.get_resident_idp().home_realm_identifiers
    assert len(identifiers) == 1 + 20
    assert {f"a{i}" for i in range(10)} | {f"b{i}" for i in range(10)} <= set(identifiers)


def test_update_config_refusal_writes_nothing(store):
    import pytest

    from stsdesk.server.errors import ValidationError
    from stsdesk.server.model import ResidentIdentityProvider

    version = store.snapshot().version

    def refuse(_: ResidentIdentityProvider) -> ResidentIdentityProvider:
        raise ValidationError("no")

    with pytest.raises(ValidationError):
        store.update_config(ResidentIdentityProvider, refuse)
    assert store.snapshot().version == version
