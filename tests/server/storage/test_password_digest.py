"""Sealed passwords exist only while PasswordDigest is allowed: storage's side of issue 17."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.model import PasswordDigestPolicy
from stsdesk.server.storage.store import Store

ON = PasswordDigestPolicy(allowed=True)
OFF = PasswordDigestPolicy(allowed=False)


def sealed_rows(store: Store) -> dict[str, bytes | None]:
    with store.engine.connect() as conn:
        rows = conn.execute(text("SELECT username, password_sealed FROM users")).all()
    return {name: None if sealed is None else bytes(sealed) for name, sealed in rows}


def version(store: Store) -> int:
    return store.snapshot().version


def test_off_by_default_and_no_write_path_seals(store: Store) -> None:
    assert store.config.get_password_digest_policy() == OFF
    assert store.snapshot().password_digest.allowed is False
    user_id = store.users.create("ann", "Ann-passw0rd")
    store.users.set_password("ann", "Ann-passw0rd-2")
    store.users.update(user_id, username="anne", password="Ann-passw0rd-3")
    anne = store.users.get("anne")
    assert store.users.keep_password_for_digest(anne, "Ann-passw0rd-3") is False
    assert sealed_rows(store) == {"anne": None}
    assert store.users.count_sealed_passwords() == 0


def test_allowed_every_password_set_seals_it(store: Store) -> None:
    store.config.set_password_digest_policy(ON)
    assert store.snapshot().password_digest.allowed is True
    user_id = store.users.create("bob", "B0b-password")
    assert store.users.unseal_password(store.users.get("bob")) == "B0b-password"
    store.users.set_password("bob", "B0b-password-2")
    assert store.users.unseal_password(store.users.get("bob")) == "B0b-password-2"
    renamed = store.users.update(user_id, username="robert")
    assert store.users.unseal_password(renamed) == "B0b-password-2"
    changed = store.users.update(user_id, password="B0b-password-3")
    assert store.users.unseal_password(changed) == "B0b-password-3"
    assert b"B0b-password-3" not in (changed.password_sealed or b"")
    assert store.users.count_sealed_passwords() == 1


def test_turning_it_off_drops_every_sealed_copy_in_the_same_change(store: Store) -> None:
    store.config.set_password_digest_policy(ON)
    store.users.create("cat", "C4t-password")
    store.users.create("dan", "D4n-password")
    cached = store.users.get("cat")
    before = version(store)
    assert store.config.set_password_digest_policy(OFF) == 2
    assert sealed_rows(store) == {"cat": None, "dan": None}
    assert version(store) == before + 1  # cached profiles holding the copies are stale now
    # A profile read before the change still holds its copy; it must not be written back.
    assert store.users.keep_password_for_digest(cached, "C4t-password") is False
    assert sealed_rows(store)["cat"] is None
    # Turning it on again stores nothing at once: each password waits for its next use.
    assert store.config.set_password_digest_policy(ON) == 0
    assert store.users.count_sealed_passwords() == 0


def test_update_config_cannot_bypass_the_drop(store: Store) -> None:
    store.config.set_password_digest_policy(ON)
    store.users.create("eve", "Ev3-password")
    store.config.update(PasswordDigestPolicy, lambda _: OFF)
    assert sealed_rows(store) == {"eve": None}


def test_a_sign_in_seals_the_proved_password_once(store: Store) -> None:
    store.users.create("fay", "F4y-password")
    store.config.set_password_digest_policy(ON)
    fay = store.users.get("fay")
    assert fay.password_sealed is None  # created while off
    before = version(store)
    assert store.users.keep_password_for_digest(fay, "F4y-password") is True
    assert version(store) == before + 1  # the STS's cached profile picks the copy up
    assert store.users.unseal_password(store.users.get("fay")) == "F4y-password"
    # Once kept, a later sign-in changes nothing (the stale profile is not trusted either).
    assert store.users.keep_password_for_digest(fay, "F4y-password") is False
    assert version(store) == before + 1


def test_a_sign_in_never_seals_over_a_changed_password_or_name(
    store: Store, fast_password_hashing: None
) -> None:
    user_id = store.users.create("gil", "G1l-password")
    stale = store.users.get("gil")
    store.config.set_password_digest_policy(ON)
    store.users.update(user_id, password="G1l-new-password")
    with store.engine.begin() as conn:  # the new password was set while the seal was dropped
        conn.execute(text("UPDATE users SET password_sealed = NULL"))
    assert store.users.keep_password_for_digest(stale, "G1l-password") is False
    assert store.users.get("gil").password_sealed is None
    current = store.users.get("gil")
    store.users.update(user_id, username="gilbert")  # the seal is bound to the name
    assert store.users.keep_password_for_digest(current, "G1l-new-password") is False
    assert store.users.count_sealed_passwords() == 0


def test_start_up_drops_copies_an_older_database_kept(store: Store, master: MasterSecret) -> None:
    store.users.create("hal", "H4l-password")
    # What a database from before the setting looks like: a sealed copy and no setting.
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE users SET password_sealed = :s WHERE username = 'hal'"),
                     {"s": master.seal(b"H4l-password", b"hal")})
        conn.execute(text("DELETE FROM config_values WHERE key = 'password_digest'"))
    assert store.config.drop_sealed_passwords_unless_allowed() == 1
    assert sealed_rows(store) == {"hal": None}
    with store.engine.connect() as conn:
        written = conn.execute(
            text("SELECT value FROM config_values WHERE key = 'password_digest'")).scalar()
    assert written == '{"allowed": false}'  # off by choice now, not by a missing row
    assert store.config.drop_sealed_passwords_unless_allowed() == 0


def test_start_up_keeps_copies_while_allowed(store: Store) -> None:
    store.config.set_password_digest_policy(ON)
    store.users.create("ida", "Id4-password")
    assert store.config.drop_sealed_passwords_unless_allowed() == 0
    assert store.users.unseal_password(store.users.get("ida")) == "Id4-password"


def test_unsealing_costs_one_decryption_with_or_without_a_copy(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.users.create("jo", "J0-password")  # off: no copy
    store.config.set_password_digest_policy(ON)
    store.users.create("kim", "K1m-password")  # on: a copy
    calls: list[bytes] = []
    real = MasterSecret.unseal

    def counting(self: MasterSecret, sealed: bytes, aad: bytes) -> bytes:
        calls.append(aad)
        return real(self, sealed, aad)

    monkeypatch.setattr(MasterSecret, "unseal", counting)
    assert store.users.unseal_password(store.users.get("kim")) == "K1m-password"
    assert store.users.unseal_password(store.users.get("jo")) is None
    assert store.users.unseal_password(None) is None
    assert calls == [b"kim", b"", b""]  # the last two unsealed a dummy bound to no username
