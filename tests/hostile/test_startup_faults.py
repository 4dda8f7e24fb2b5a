"""A broken data directory: refuse to start with a message that says what to do, damage nothing."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from stsdesk.server.bootstrap import initialise, open_existing
from stsdesk.server.errors import StartupError
from stsdesk.server.keystore import KeyStore
from stsdesk.server.settings import ServerSettings

PASSWORD = "Start-admin-secret1"


@pytest.fixture
def data_dir(tmp_path: Path, fast_password_hashing) -> Path:
    settings = ServerSettings(data_dir=tmp_path / "data", admin_password=PASSWORD)
    initialise(settings).close()
    return settings.root


@pytest.fixture
def fast_password_hashing(monkeypatch):
    from argon2 import PasswordHasher

    from stsdesk.server import passwords

    monkeypatch.setattr(passwords, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "-wal" not in p.name
            and "-shm" not in p.name}


def _refused(settings: ServerSettings, *words: str, opener=initialise) -> str:
    with pytest.raises(StartupError) as caught:
        opener(settings).close()
    message = caught.value.args[0]
    for word in words:
        assert word in message, message
    assert PASSWORD not in message and "Traceback" not in message
    return message


def test_missing_master_secret_is_refused_and_not_regenerated(data_dir):
    secret = data_dir / "secrets" / "keystore-password"
    secret.unlink()
    before = _digest(data_dir)
    # A fresh secret would make every stored key unreadable: it must not be made silently.
    message = _refused(ServerSettings(data_dir=data_dir), opener=open_existing)
    assert "keystore password" in message
    assert _digest(data_dir) == before


def test_wrong_keystore_password_is_refused_and_keys_are_kept(data_dir):
    secret = data_dir / "secrets" / "keystore-password"
    secret.write_text("not-the-right-secret\n")
    secret.chmod(0o600)
    before = _digest(data_dir)
    with pytest.raises(Exception) as caught:  # noqa: PT011 - which error is the finding
        boot = open_existing(ServerSettings(data_dir=data_dir))
        try:
            KeyStore(boot.store, boot.master).signing_identity("wso2carbon")
        finally:
            boot.close()
    assert isinstance(caught.value, StartupError | ValueError) or "password" in str(caught.value)
    assert "Traceback" not in str(caught.value)
    assert _digest(data_dir) == before


def test_corrupt_keystore_row_is_refused_without_damage(data_dir):
    with sqlite3.connect(data_dir / "stsdesk.db") as db:
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        table = next(t for t in tables if "key" in t and "sign" in t)
        columns = [r[1] for r in db.execute(f"pragma table_info({table})")]
        column = next(c for c in columns if "private" in c or "sealed" in c or "encrypted" in c)
        db.execute(f"update {table} set {column} = x'00010203'")  # noqa: S608 - test data
    before = _digest(data_dir)
    with pytest.raises(Exception) as caught:  # noqa: PT011
        boot = open_existing(ServerSettings(data_dir=data_dir))
        try:
            KeyStore(boot.store, boot.master).signing_identity("wso2carbon")
        finally:
            boot.close()
    text = str(caught.value)
    assert "Traceback" not in text and len(text) > 20
    assert _digest(data_dir) == before


def test_a_file_where_the_data_directory_should_be(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(b"precious")
    _refused(ServerSettings(data_dir=path, admin_password=PASSWORD), "not a folder")
    assert path.read_bytes() == b"precious"


def test_a_file_where_the_secrets_folder_should_be(tmp_path):
    root = tmp_path / "data"
    root.mkdir(mode=0o700)
    (root / "secrets").write_bytes(b"precious")
    message = _refused(ServerSettings(data_dir=root, admin_password=PASSWORD))
    assert "secrets" in message or "keystore" in message
    assert (root / "secrets").read_bytes() == b"precious"


def test_missing_database_with_a_data_dir_is_refused_by_workers(data_dir):
    (data_dir / "stsdesk.db").unlink()
    _refused(ServerSettings(data_dir=data_dir), opener=open_existing)
    assert not (data_dir / "stsdesk.db").exists()  # nothing was created behind our back


def test_locked_database_does_not_hang_or_damage(data_dir):
    holder = sqlite3.connect(data_dir / "stsdesk.db", timeout=0)
    holder.execute("begin exclusive")
    try:
        with pytest.raises(Exception) as caught:  # noqa: PT011
            initialise(ServerSettings(data_dir=data_dir, admin_password=PASSWORD)).close()
        text = str(caught.value)
        assert "Traceback" not in text
        assert "lock" in text.lower() or "database" in text.lower(), text
    finally:
        holder.rollback()
        holder.close()
    boot = open_existing(ServerSettings(data_dir=data_dir))  # whole afterwards
    try:
        assert boot.store.users.get("admin") is not None
    finally:
        boot.close()
