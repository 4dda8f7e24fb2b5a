"""Users: profiles, roles held, claims, and hashed and sealed passwords."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from stsdesk.server.errors import ConflictError, NotFoundError, ValidationError
from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.model import LockoutPolicy, PasswordDigestPolicy
from stsdesk.server.passwords import verify_password
from stsdesk.server.storage.store import Store
from tests.helpers.storage import EMAIL, GIVEN, LAST, NOW, StatementCounter, config_version

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def test_user_lifecycle(store: Store, master: MasterSecret) -> None:
    store.roles.create("admin")
    store.roles.create("ops")
    start = config_version(store)
    user_id = store.users.create("Alice", "s3cret", roles=["ops", "admin"],
                                claims={EMAIL: "alice@example.com"})
    user = store.users.get("Alice")
    assert user is not None
    assert user.user_id == user_id
    assert user.roles == ("admin", "ops")
    assert user.claims == {EMAIL: "alice@example.com"}
    assert verify_password(user.password_hash, "s3cret")
    assert user.password_sealed is None  # PasswordDigest is off by default: the hash only
    assert store.users.unseal_password(user) is None
    assert store.users.get("alice") is None  # case-sensitive
    store.users.create("alice", "other")  # a different user
    with pytest.raises(ConflictError, match="'Alice' already exists"):
        store.users.create("Alice", "x")
    with pytest.raises(ValidationError, match="'nope'"):
        store.users.create("carol", "x", roles=["nope"])
    assert store.users.get("carol") is None  # nothing half-created
    assert config_version(store) == start + 2

    store.users.set_password("Alice", "n3w")
    changed = store.users.get("Alice")
    assert verify_password(changed.password_hash, "n3w")
    assert not verify_password(changed.password_hash, "s3cret")
    assert changed.password_sealed is None
    store.users.set_roles("Alice", ["ops"])
    store.users.set_claims("Alice", {GIVEN: "Alice"})
    changed = store.users.get("Alice")
    assert changed.roles == ("ops",)
    assert changed.claims == {GIVEN: "Alice"}
    assert config_version(store) == start + 5
    assert [u.username for u in store.users.list_all()] == ["Alice", "alice"]
    store.users.delete("Alice")
    assert store.users.get("Alice") is None
    for call in (lambda: store.users.delete("Alice"),
                 lambda: store.users.set_password("Alice", "x"),
                 lambda: store.users.set_roles("Alice", []),
                 lambda: store.users.set_claims("Alice", {}),
                 lambda: store.logins.unlock("Alice")):
        with pytest.raises(NotFoundError):
            call()


def test_update_user_changes_the_profile_in_one_transaction(store: Store) -> None:
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    store.roles.create("ops")
    user_id = store.users.create("Alice", "s3cret", roles=["ops"],
                                claims={EMAIL: "a@example.com", GIVEN: "Alice"})
    created = store.users.get_by_id(user_id)
    assert created.username == "Alice" and created.created_at is not None
    assert created.modified_at is None
    start = config_version(store)
    after = store.users.update(user_id, claims={GIVEN: "Ally", EMAIL: None, LAST: "Liddell"},
                              active=False)
    assert after.claims == {GIVEN: "Ally", LAST: "Liddell"}  # merged: None removes
    assert after.active is False and after.roles == ("ops",)
    assert after.modified_at is not None
    # Profiles are configuration: the STS's caches refresh.
    assert config_version(store) == start + 1
    renamed = store.users.update(user_id, username="Alicia")
    assert store.users.get("Alice") is None
    assert store.users.get("Alicia") == renamed
    assert store.users.unseal_password(renamed) == "s3cret"  # sealed again under the new name
    assert verify_password(renamed.password_hash, "s3cret")
    changed = store.users.update(user_id, password="n3w-password")
    assert verify_password(changed.password_hash, "n3w-password")
    assert store.users.unseal_password(changed) == "n3w-password"
    store.users.create("bob", "pw")
    with pytest.raises(ConflictError, match="'bob' already exists"):
        store.users.update(user_id, username="bob", claims={GIVEN: "half done"})
    assert store.users.get("Alicia").claims[GIVEN] == "Ally"  # nothing half-applied
    with pytest.raises(NotFoundError):
        store.users.update("no-such-id", active=True)
    with pytest.raises(ValidationError):
        store.users.update(user_id, claims={" bad uri": "x"})
    with pytest.raises(ValidationError):
        store.users.update(user_id, password="")


def test_update_user_unlocks(store: Store) -> None:
    user_id = store.users.create("locked", "pw")
    for _ in range(3):
        store.logins.record_failure("locked", LockoutPolicy(max_failed_attempts=3), NOW)
    assert store.users.get("locked").locked_until is not None
    unlocked = store.users.update(user_id, unlock=True)
    assert unlocked.locked_until is None and unlocked.failed_attempts == 0


def test_create_user_inactive(store: Store) -> None:
    store.users.create("dormant", "pw", active=False)
    assert store.users.get("dormant").active is False



def test_list_users_takes_three_queries(store: Store) -> None:
    store.roles.create("ops")
    for i in range(20):
        store.users.create(f"user{i:02}", "pw", roles=["ops"], claims={EMAIL: f"u{i}@x.org"})
    counter = StatementCounter(store)
    users = store.users.list_all()
    selects = [s for s in counter.statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3
    assert users == [store.users.get(u.username) for u in users]
    assert len(users) == 20 and users[0].roles == ("ops",)


def test_user_input_validation(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.users.create("", "pw")
    with pytest.raises(ValidationError):
        store.users.create("dave", "")
    with pytest.raises(ValidationError):
        store.users.create("dave", "pw", roles="admin")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        store.users.create("dave", "pw", claims={EMAIL: 42})  # type: ignore[dict-item]


def test_precomputed_hash_and_seal_are_stored_as_given(store: Store, master: MasterSecret) -> None:
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    sealed = master.seal(b"pw", b"erin")
    store.users.create("erin", "", password_hash="$argon2id$given", sealed_password=sealed)
    erin = store.users.get("erin")
    assert erin.password_hash == "$argon2id$given"
    assert store.users.unseal_password(erin) == "pw"


def test_no_master_means_no_sealing(tmp_path: Path) -> None:
    plain = Store.open(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        plain.create_schema()
        plain.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
        plain.users.create("frank", "pw")
        frank = plain.users.get("frank")
        assert frank.password_sealed is None
        assert plain.users.unseal_password(frank) is None
    finally:
        plain.close()


def test_tampered_seal_gives_no_password(
    store: Store, master: MasterSecret, caplog: pytest.LogCaptureFixture
) -> None:
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    store.users.create("grace", "pw")
    store.users.create("heidi", "other")
    grace, heidi = store.users.get("grace"), store.users.get("heidi")
    # heidi's sealed password copied into grace's row does not open as grace's
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE users SET password_sealed = :s WHERE username = 'grace'"),
                     {"s": heidi.password_sealed})
    moved = store.users.get("grace")
    assert moved.password_sealed != grace.password_sealed
    assert store.users.unseal_password(moved) is None
    assert "grace" in caplog.text and "other" not in caplog.text
