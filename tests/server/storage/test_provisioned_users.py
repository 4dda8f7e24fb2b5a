"""Users as provisioning services create them: no password yet, and their own external id."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stsdesk.server.errors import ValidationError
from stsdesk.server.model import LOCKED_BY_ADMINISTRATOR, LockoutPolicy, PasswordDigestPolicy
from stsdesk.server.passwords import verify_password
from stsdesk.server.storage.store import Store

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def test_a_user_can_be_created_without_a_password(store: Store) -> None:
    user_id = store.users.create("provisioned", None, external_id="00u1a2b3c4")
    user = store.users.get_by_id(user_id)
    assert user is not None
    assert user.password_hash is None and user.password_sealed is None
    assert user.external_id == "00u1a2b3c4"
    assert store.users.unseal_password(user) is None
    listed = {u.username: u for u in store.users.list_all()}
    assert listed["provisioned"].password_hash is None
    assert listed["provisioned"].external_id == "00u1a2b3c4"


def test_setting_a_password_later_makes_it_usable(store: Store) -> None:
    store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    user_id = store.users.create("provisioned", None)
    store.users.update(user_id, password="first-password")
    user = store.users.get("provisioned")
    assert user is not None and user.password_hash is not None
    assert verify_password(user.password_hash, "first-password")
    assert store.users.unseal_password(user) == "first-password"  # PasswordDigest is allowed


def test_external_id_is_set_kept_and_cleared(store: Store) -> None:
    user_id = store.users.create("ext", "a-password")
    assert store.users.get("ext").external_id is None
    assert store.users.update(user_id, external_id="E-1").external_id == "E-1"
    # Left out: kept, whatever else changes.
    assert store.users.update(user_id, username="ext2").external_id == "E-1"
    assert store.users.update(user_id, external_id=None).external_id is None


@pytest.mark.parametrize("bad", ["", "x" * 256, 42])
def test_external_id_must_be_short_text(store: Store, bad: object) -> None:
    with pytest.raises(ValidationError):
        store.users.create("bad", None, external_id=bad)  # type: ignore[arg-type]
    user_id = store.users.create("good", None)
    with pytest.raises(ValidationError):
        store.users.update(user_id, external_id=bad)  # type: ignore[arg-type]
    assert store.users.get("bad") is None


def test_an_empty_password_is_still_refused(store: Store) -> None:
    # No password is None; an empty one is a mistake, not a way to create a password-less user.
    with pytest.raises(ValidationError):
        store.users.create("dave", "")


def test_an_administrators_lock_holds_until_unlocked(store: Store) -> None:
    user_id = store.users.create("locked", "a-password", locked=True)
    assert store.users.get("locked").locked_until == LOCKED_BY_ADMINISTRATOR
    store.users.update(user_id, unlock=True)
    assert store.users.get("locked").locked_until is None
    store.users.update(user_id, lock=True)
    # A failed sign-in neither shortens nor extends it.
    now = datetime.now(UTC)
    policy = LockoutPolicy(max_failed_attempts=1)
    assert store.logins.record_failure("locked", policy, now) == LOCKED_BY_ADMINISTRATOR
    assert store.users.get("locked").locked_until == LOCKED_BY_ADMINISTRATOR


def test_a_role_keeps_its_external_id(store: Store) -> None:
    role_id = store.roles.create("pilots", external_id="grp-1")
    assert store.roles.get(role_id).external_id == "grp-1"
    assert store.roles.update(role_id, name="flyers").external_id == "grp-1"
    assert store.roles.update(role_id, external_id=None).external_id is None
    with pytest.raises(ValidationError):
        store.roles.create("bad", external_id="")
