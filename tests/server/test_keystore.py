"""The master secret (file, permissions, sealing) and the keystore (signing keys, trust store)."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from stsdesk.core.certificates import SigningIdentity, generate_self_signed
from stsdesk.server.errors import (
    ConflictError,
    NotFoundError,
    SealedDataError,
    StartupError,
    ValidationError,
)
from stsdesk.server.keystore import KeyStore
from stsdesk.server.master_secret import ENV_VAR, MasterSecret
from stsdesk.server.model import RelyingParty
from stsdesk.server.storage.store import Store

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


@pytest.fixture(scope="module")
def identities() -> tuple[SigningIdentity, SigningIdentity]:
    return generate_self_signed("rp-one.example"), generate_self_signed("rp-two.example")


@pytest.fixture
def keystore(store: Store, master: MasterSecret) -> KeyStore:
    return KeyStore(store, master)


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


# --------------------------------------------------------------------------------- master secret


@posix_only
@pytest.mark.usefixtures("no_env")
def test_load_or_create_makes_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secrets" / "keystore-password"
    first = MasterSecret.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text().strip()
    assert len(text) == 43  # 32 bytes, URL-safe base64 without padding
    assert first.password_bytes() == text.encode()
    second = MasterSecret.load_or_create(path)
    assert second.password_bytes() == first.password_bytes()
    assert second.unseal(first.seal(b"x", b"aad"), b"aad") == b"x"
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


@posix_only
@pytest.mark.usefixtures("no_env")
def test_group_readable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "keystore-password"
    MasterSecret.load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(StartupError) as caught:
        MasterSecret.load_or_create(path)
    message = caught.value.message
    assert "0644" in message and f"chmod 600 {path}" in message
    assert path.read_text().strip() not in message
    with pytest.raises(StartupError):
        MasterSecret.load(path)
    path.chmod(0o640)
    with pytest.raises(StartupError):
        MasterSecret.load(path)


@pytest.mark.usefixtures("no_env")
def test_empty_file_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "keystore-password"
    with pytest.raises(StartupError, match="does not exist"):
        MasterSecret.load(path)
    assert not path.exists()  # load() never creates
    path.write_text("\n")
    path.chmod(0o600)
    with pytest.raises(StartupError, match="empty"):
        MasterSecret.load(path)


def test_environment_wins_and_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "from-the-environment")
    path = tmp_path / "secrets" / "keystore-password"
    secret = MasterSecret.load_or_create(path)
    assert secret.password_bytes() == b"from-the-environment"
    assert secret.source == "environment"
    assert not path.exists()
    monkeypatch.setenv(ENV_VAR, "  ")
    with pytest.raises(StartupError, match=ENV_VAR):
        MasterSecret.load_or_create(path)


def test_repr_and_pickle_do_not_reveal_the_secret() -> None:
    secret = MasterSecret(b"very-secret-value")
    assert "very-secret-value" not in repr(secret)
    assert "hidden" in repr(secret)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(ValidationError):
        MasterSecret(b"")


def test_seal_round_trip_and_fresh_nonces(master: MasterSecret) -> None:
    first = master.seal(b"hunter2", b"alice")
    second = master.seal(b"hunter2", b"alice")
    assert first != second
    assert b"hunter2" not in first
    assert master.unseal(first, b"alice") == b"hunter2"
    assert master.unseal(second, b"alice") == b"hunter2"


def test_tampering_is_detected(master: MasterSecret) -> None:
    sealed = master.seal(b"hunter2", b"alice")
    for index in (1, 5, 13, len(sealed) - 1):  # nonce, ciphertext, tag
        altered = bytearray(sealed)
        altered[index] ^= 0x01
        with pytest.raises(SealedDataError):
            master.unseal(bytes(altered), b"alice")
    with pytest.raises(SealedDataError):
        master.unseal(sealed, b"mallory")  # moved to another user's row
    with pytest.raises(SealedDataError):
        master.unseal(sealed[:20], b"alice")
    with pytest.raises(SealedDataError):
        master.unseal(b"\x02" + sealed[1:], b"alice")
    with pytest.raises(SealedDataError, match="keystore password"):
        MasterSecret(b"another secret").unseal(sealed, b"alice")


# --------------------------------------------------------------------------------- signing keys


def test_signing_key_is_encrypted_at_rest(
    keystore: KeyStore, store: Store, master: MasterSecret
) -> None:
    certificate = keystore.generate_signing_key("sts", "sts.example")
    assert certificate.subject.rfc4514_string() == "CN=sts.example"
    row = store.keys.get_signing_key("sts")
    assert row is not None
    assert row.private_key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert b"BEGIN PRIVATE KEY" not in row.private_key_pem
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(row.private_key_pem, password=None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(row.private_key_pem, password=b"wrong")
    key = serialization.load_pem_private_key(row.private_key_pem, password=master.password_bytes())
    assert key.public_key().public_numbers() == certificate.public_key().public_numbers()
    assert "ENCRYPTED" not in repr(row)  # the key material stays out of reprs and logs


def test_signing_identity_signs_for_its_certificate(keystore: KeyStore) -> None:
    keystore.generate_signing_key("sts", "sts.example")
    identity = keystore.signing_identity("sts")
    signature = identity.private_key.sign(b"data", padding.PKCS1v15(), hashes.SHA256())
    identity.certificate.public_key().verify(  # raises if the pair does not match
        signature, b"data", padding.PKCS1v15(), hashes.SHA256()
    )


def test_signing_identity_is_cached_and_dropped_when_the_row_changes(
    keystore: KeyStore,
    store: Store,
    master: MasterSecret,
    identities: tuple[SigningIdentity, SigningIdentity],
    tmp_path: Path,
) -> None:
    one, two = identities
    keystore.import_signing_key("sts", one.private_key, one.certificate)
    store.snapshot()
    first = keystore.signing_identity("sts")
    assert keystore.signing_identity("sts") is first  # decrypted once
    # Another worker process replaces the key on the same database.
    other = Store.open(str(store.engine.url), master)
    try:
        KeyStore(other, master).import_signing_key(
            "sts", two.private_key, two.certificate, replace=True
        )
    finally:
        other.close()
    store.snapshot()  # what every request does first: it sees the new version
    replaced = keystore.signing_identity("sts")
    assert replaced is not first
    assert replaced.certificate == two.certificate
    # A version change that leaves the row alone keeps the decrypted key.
    store.roles.create("unrelated")
    store.snapshot()
    assert keystore.signing_identity("sts") is replaced


def test_signing_identity_checks_the_row_without_a_snapshot(
    keystore: KeyStore, store: Store, master: MasterSecret,
    identities: tuple[SigningIdentity, SigningIdentity],
) -> None:
    one, two = identities
    keystore.import_signing_key("sts", one.private_key, one.certificate)
    first = keystore.signing_identity("sts")
    # another KeyStore object on the same database, as in another process
    KeyStore(store, master).import_signing_key(
        "sts", two.private_key, two.certificate, replace=True
    )
    assert keystore.signing_identity("sts").certificate == two.certificate
    assert first.certificate == one.certificate


def test_import_refuses_a_mismatched_pair(
    keystore: KeyStore, identities: tuple[SigningIdentity, SigningIdentity]
) -> None:
    one, two = identities
    with pytest.raises(ValidationError, match="does not belong"):
        keystore.import_signing_key("sts", one.private_key, two.certificate)
    assert keystore.list_signing_keys() == []


def test_duplicate_unknown_and_listing(
    keystore: KeyStore, store: Store, identities: tuple[SigningIdentity, SigningIdentity]
) -> None:
    one, two = identities
    keystore.import_signing_key("a", one.private_key, one.certificate)
    keystore.import_signing_key("b", two.private_key, two.certificate)
    with pytest.raises(ConflictError, match="'a' already exists"):
        keystore.import_signing_key("a", two.private_key, two.certificate)
    with pytest.raises(NotFoundError, match="'nope'"):
        keystore.signing_identity("nope")
    listed = keystore.list_signing_keys()
    assert [k.alias for k in listed] == ["a", "b"]
    assert listed[0].certificate == one.certificate
    assert listed[0].created_at.tzinfo is not None
    assert keystore.signing_certificates() == [one.certificate, two.certificate]
    assert keystore.signing_certificate("b") == two.certificate


def test_generate_refuses_bad_parameters(keystore: KeyStore) -> None:
    with pytest.raises(ValidationError):
        keystore.generate_signing_key("weak", "x", key_size=1024)
    with pytest.raises(ValidationError):
        keystore.generate_signing_key(" spaced ", "x")


def test_wrong_master_secret_cannot_decrypt(
    keystore: KeyStore, store: Store, identities: tuple[SigningIdentity, SigningIdentity]
) -> None:
    one, _ = identities
    keystore.import_signing_key("sts", one.private_key, one.certificate)
    stranger = KeyStore(store, MasterSecret(b"not the password"))
    with pytest.raises(SealedDataError) as caught:
        stranger.signing_identity("sts")
    assert "not the password" not in caught.value.message


def test_signing_alias_and_deletion(
    keystore: KeyStore, store: Store, identities: tuple[SigningIdentity, SigningIdentity]
) -> None:
    one, two = identities
    keystore.import_signing_key("wso2carbon", one.private_key, one.certificate)
    keystore.import_signing_key("new", two.private_key, two.certificate)
    with pytest.raises(NotFoundError):
        store.keys.set_signing_alias("missing")
    store.keys.set_signing_alias("new")
    assert store.keys.get_signing_alias() == "new"
    assert store.snapshot().signing_alias == "new"
    with pytest.raises(ConflictError, match="signs the tokens"):
        keystore.delete_signing_key("new")
    keystore.delete_signing_key("wso2carbon")
    with pytest.raises(NotFoundError):
        keystore.delete_signing_key("wso2carbon")
    assert [k.alias for k in keystore.list_signing_keys()] == ["new"]


# --------------------------------------------------------------------------------- trust store


def test_trust_store_accepts_pem_and_stores_der(
    keystore: KeyStore, store: Store, identities: tuple[SigningIdentity, SigningIdentity]
) -> None:
    one, two = identities
    keystore.add_trusted_certificate("rp1", one.certificate_pem())
    keystore.add_trusted_certificate("rp2", two.certificate_der())
    assert store.keys.list_trusted_certificates() == {
        "rp1": one.certificate_der(), "rp2": two.certificate_der()
    }
    listed = keystore.list_trusted_certificates()
    assert list(listed) == ["rp1", "rp2"]
    assert isinstance(listed["rp1"], x509.Certificate)
    assert store.snapshot().trusted_certificates["rp2"] == two.certificate_der()
    with pytest.raises(ConflictError):
        keystore.add_trusted_certificate("rp1", two.certificate_pem())
    with pytest.raises(ValidationError):
        keystore.add_trusted_certificate("junk", b"-----BEGIN PRIVATE KEY-----\nAAAA\n")
    with pytest.raises(ValidationError):
        store.keys.add_trusted_certificate("junk", b"\x30\x03\x02\x01\x01")


def test_trusted_certificate_in_use_cannot_be_removed(
    keystore: KeyStore, store: Store, identities: tuple[SigningIdentity, SigningIdentity]
) -> None:
    one, _ = identities
    keystore.add_trusted_certificate("rp1", one.certificate_der())
    app = store.applications.create("Payroll")
    store.applications.set_relying_party(
        app, RelyingParty(app, "", "https://payroll.example/", certificate_alias="rp1")
    )
    with pytest.raises(ConflictError) as caught:
        keystore.remove_trusted_certificate("rp1")
    assert "'Payroll'" in caught.value.message
    store.applications.delete_relying_party(app)
    keystore.remove_trusted_certificate("rp1")
    assert keystore.list_trusted_certificates() == {}
    with pytest.raises(NotFoundError):
        keystore.remove_trusted_certificate("rp1")
