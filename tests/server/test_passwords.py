"""Password hashing and the credential cache."""

from __future__ import annotations

import threading

import pytest

from stsdesk.server import passwords
from stsdesk.server.model import UserRecord
from stsdesk.server.passwords import CredentialCache, hash_password, verify_password

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def alice_hash(fast_password_hashing: None) -> str:
    return hash_password("s3cret-alice")


@pytest.fixture
def argon_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts the argon2 verifications the cache falls back to."""
    calls: list[str] = []
    real = passwords.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return calls


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def user(password_hash: str, user_id: str = "u-1") -> UserRecord:
    return UserRecord(user_id=user_id, username="alice", password_hash=password_hash)


def test_production_parameters_are_argon2_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the module's own hasher, not the fast one
    hashed = hash_password("pw")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(hashed, "pw")


def test_hash_is_argon2id_and_salted() -> None:
    first, second = hash_password("pw"), hash_password("pw")
    assert first.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert verify_password(first, "pw") and verify_password(second, "pw")


def test_verify_rejects_wrong_password_and_bad_hashes(alice_hash: str) -> None:
    assert verify_password(alice_hash, "s3cret-alice")
    assert not verify_password(alice_hash, "s3cret-alicE")
    assert not verify_password(alice_hash, "")
    assert not verify_password("not a hash", "s3cret-alice")
    assert not verify_password("$argon2id$v=19$m=65536,t=3,p=4$AAAA$BBBB", "s3cret-alice")


def test_cache_hit_skips_argon2(alice_hash: str, argon_calls: list[str]) -> None:
    cache = CredentialCache()
    assert cache.verify(user(alice_hash), "s3cret-alice")
    assert cache.verify(user(alice_hash), "s3cret-alice")
    assert cache.verify(user(alice_hash), "s3cret-alice")
    assert len(argon_calls) == 1
    assert len(cache) == 1


def test_wrong_password_never_hits(alice_hash: str, argon_calls: list[str]) -> None:
    cache = CredentialCache()
    assert cache.verify(user(alice_hash), "s3cret-alice")
    assert not cache.verify(user(alice_hash), "wrong")
    assert not cache.verify(user(alice_hash), "wrong")
    assert len(argon_calls) == 3  # every wrong attempt pays argon2
    # and the good entry survived the failures
    assert cache.verify(user(alice_hash), "s3cret-alice")
    assert len(argon_calls) == 3


def test_failed_verification_is_not_cached(alice_hash: str, argon_calls: list[str]) -> None:
    cache = CredentialCache()
    assert not cache.verify(user(alice_hash), "wrong")
    assert len(cache) == 0


def test_password_change_misses(alice_hash: str, argon_calls: list[str]) -> None:
    cache = CredentialCache()
    assert cache.verify(user(alice_hash), "s3cret-alice")
    new_hash = hash_password("new-password")
    # the old password no longer works once the stored hash changed, even though it was cached
    assert not cache.verify(user(new_hash), "s3cret-alice")
    assert cache.verify(user(new_hash), "new-password")
    assert len(argon_calls) == 3


def test_other_user_with_same_password_misses(alice_hash: str, argon_calls: list[str]) -> None:
    cache = CredentialCache()
    assert cache.verify(user(alice_hash, "u-1"), "s3cret-alice")
    assert cache.verify(user(alice_hash, "u-2"), "s3cret-alice")
    assert len(argon_calls) == 2


def test_ttl_expiry(alice_hash: str, argon_calls: list[str]) -> None:
    clock = FakeClock()
    cache = CredentialCache(ttl=300, clock=clock)
    assert cache.verify(user(alice_hash), "s3cret-alice")
    clock.now += 299
    assert cache.verify(user(alice_hash), "s3cret-alice")
    assert len(argon_calls) == 1
    clock.now += 2  # 301 s after the first verification
    assert cache.verify(user(alice_hash), "s3cret-alice")
    assert len(argon_calls) == 2


def test_lru_bound(alice_hash: str, argon_calls: list[str]) -> None:
    cache = CredentialCache(max_entries=2)
    for uid in ("a", "b", "c"):
        assert cache.verify(user(alice_hash, uid), "s3cret-alice")
    assert len(cache) == 2
    assert cache.verify(user(alice_hash, "c"), "s3cret-alice")  # newest: cached
    assert len(argon_calls) == 3
    assert cache.verify(user(alice_hash, "a"), "s3cret-alice")  # oldest: evicted
    assert len(argon_calls) == 4


def test_zero_ttl_disables_caching(alice_hash: str, argon_calls: list[str]) -> None:
    cache = CredentialCache(ttl=0)
    assert cache.verify(user(alice_hash), "s3cret-alice")
    assert cache.verify(user(alice_hash), "s3cret-alice")
    assert len(argon_calls) == 2


def test_forget_and_clear(alice_hash: str, argon_calls: list[str]) -> None:
    cache = CredentialCache()
    assert cache.verify(user(alice_hash), "s3cret-alice")
    cache.forget("u-1")
    assert len(cache) == 0
    assert cache.verify(user(alice_hash), "s3cret-alice")
    cache.clear()
    assert len(cache) == 0
    assert len(argon_calls) == 2


def test_cache_holds_no_password(alice_hash: str) -> None:
    cache = CredentialCache()
    cache.verify(user(alice_hash), "s3cret-alice")
    stored = repr(cache._entries)  # the only state it keeps
    assert "s3cret-alice" not in stored
    assert b"s3cret-alice" not in b"".join(mac for mac, _ in cache._entries.values())


def test_negative_settings_refused() -> None:
    with pytest.raises(ValueError):
        CredentialCache(ttl=-1)
    with pytest.raises(ValueError):
        CredentialCache(max_entries=-1)


def test_concurrent_verification(alice_hash: str) -> None:
    cache = CredentialCache()
    results: list[bool] = []

    def work(password: str) -> None:
        for _ in range(20):
            results.append(cache.verify(user(alice_hash), password))

    threads = [threading.Thread(target=work, args=(pw,))
               for pw in ("s3cret-alice", "s3cret-alice", "wrong")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 40
    assert results.count(False) == 20
