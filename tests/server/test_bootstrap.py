"""First start and later starts of a data directory, and the server settings."""

from __future__ import annotations

import os
import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import create_engine, text

from stsdesk.server.bootstrap import BootstrapResult, initialise, open_existing
from stsdesk.server.errors import StartupError, ValidationError
from stsdesk.server.master_secret import ENV_VAR, MasterSecret
from stsdesk.server.passwords import verify_password
from stsdesk.server.settings import ServerSettings
from tests.server.conftest import ADMIN_PASSWORD

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


@pytest.fixture(autouse=True)
def _no_keystore_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@posix_only
def test_first_start_creates_everything(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path / "new" / "data")
    result = initialise(settings)
    try:
        password = result.generated_admin_password
        assert password is not None and len(password) >= 20
        root = settings.root
        assert mode(root) == 0o700
        assert mode(settings.master_secret_path) == 0o600
        assert mode(settings.tls_key_path) == 0o600
        assert settings.database_path.exists()
        admin = result.store.users.get("admin")
        assert admin is not None and admin.roles == ("admin",)
        assert verify_password(admin.password_hash, password)
        snap = result.store.snapshot()
        # PasswordDigest is off by default, so the admin's password is kept only as a hash.
        assert not snap.password_digest.allowed and admin.password_sealed is None
        assert snap.security.enabled and snap.security.scenario_id == "scenario1"
        assert snap.security.allowed_roles == ("admin",)
        assert snap.resident_idp.issuer == "localhost"
        assert snap.signing_alias == "wso2carbon"
        identity = result.keystore.signing_identity("wso2carbon")
        assert identity.certificate.subject.rfc4514_string() == "CN=localhost"
        assert identity.private_key.key_size == 2048
        assert identity.certificate.issuer == identity.certificate.subject
    finally:
        result.close()
    # the generated password is nowhere on disk in clear text
    for path in files_under(settings.root):
        assert password.encode() not in path.read_bytes(), path


def test_given_admin_password_is_used(tmp_path: Path) -> None:
    result = initialise(ServerSettings(data_dir=tmp_path / "d", admin_password="Given-Pass-1"))
    try:
        assert result.generated_admin_password is None
        admin = result.store.users.get("admin")
        assert verify_password(admin.password_hash, "Given-Pass-1")
    finally:
        result.close()


def test_second_start_reuses_everything(data_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = ServerSettings(data_dir=data_dir, admin_password="a different password")
    cert_before = settings.tls_cert_path.read_bytes()
    key_before = settings.tls_key_path.read_bytes()
    secret_before = settings.master_secret_path.read_bytes()
    first = open_existing(settings)
    signing_before = first.keystore.signing_identity("wso2carbon").certificate_der()
    admin_before = first.store.users.get("admin")
    first.close()

    again = initialise(settings)
    try:
        assert again.generated_admin_password is None
        assert again.keystore.signing_identity("wso2carbon").certificate_der() == signing_before
        admin = again.store.users.get("admin")
        assert admin.password_hash == admin_before.password_hash
        assert verify_password(admin.password_hash, ADMIN_PASSWORD)
        assert [k.alias for k in again.keystore.list_signing_keys()] == ["wso2carbon"]
        assert again.store.roles.names() == ["admin"]
    finally:
        again.close()
    assert settings.tls_cert_path.read_bytes() == cert_before
    assert settings.tls_key_path.read_bytes() == key_before
    assert settings.master_secret_path.read_bytes() == secret_before
    assert "differs from the stored one" in caplog.text
    assert "a different password" not in caplog.text


def test_start_drops_passwords_an_older_release_stored_reversibly(
    data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = ServerSettings(data_dir=data_dir)
    master = MasterSecret.load(settings.master_secret_path)
    # An older release sealed every password and had no PasswordDigest setting.
    engine = create_engine(settings.effective_database_url())
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET password_sealed = :s WHERE username = 'admin'"),
                     {"s": master.seal(ADMIN_PASSWORD.encode(), b"admin")})
        conn.execute(text("DELETE FROM config_values WHERE key = 'password_digest'"))
    engine.dispose()
    with caplog.at_level("INFO", logger="stsdesk.server.bootstrap"):
        initialise(settings).close()
        result = initialise(settings)  # a second start finds nothing more to say
    try:
        assert result.store.users.get("admin").password_sealed is None
        assert result.store.config.get_password_digest_policy().allowed is False
        notices = [r.getMessage() for r in caplog.records if "reversibly" in r.getMessage()]
        assert len(notices) == 1 and "1 user(s)" in notices[0]
        assert ADMIN_PASSWORD not in caplog.text
    finally:
        result.close()


def test_tls_files(data_dir: Path, bootstrapped: BootstrapResult) -> None:
    settings = ServerSettings(data_dir=data_dir)
    key_pem = settings.tls_key_path.read_bytes()
    assert key_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(key_pem, password=None)
    cert = x509.load_pem_x509_certificate(settings.tls_cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in san.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    # what uvicorn does with them
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(settings.tls_cert_path, settings.tls_key_path,
                            password=bootstrapped.master.password_bytes())


def test_tls_names_follow_the_host(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path / "d", host="192.0.2.10",
                              public_host="sts.example.test", admin_password="pw")
    initialise(settings).close()
    cert = x509.load_pem_x509_certificate(settings.tls_cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "sts.example.test"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == [
        "127.0.0.1", "192.0.2.10"
    ]
    assert cert.subject.rfc4514_string() == "CN=sts.example.test"


def test_wildcard_host_is_not_a_name(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path / "d", host="0.0.0.0", admin_password="pw")  # noqa: S104
    initialise(settings).close()
    cert = x509.load_pem_x509_certificate(settings.tls_cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_missing_tls_files_are_recreated(data_dir: Path) -> None:
    settings = ServerSettings(data_dir=data_dir)
    before = settings.tls_cert_path.read_bytes()
    settings.tls_key_path.unlink()
    initialise(settings).close()
    assert settings.tls_key_path.exists()
    assert settings.tls_cert_path.read_bytes() != before


def test_corrupt_database_refuses_to_start(data_dir: Path) -> None:
    settings = ServerSettings(data_dir=data_dir)
    settings.database_path.write_bytes(b"this is not an SQLite database" * 200)
    for opener in (initialise, open_existing):
        with pytest.raises(StartupError) as caught:
            opener(settings)
        message = caught.value.message
        assert message.startswith(f"The database at {settings.database_path} cannot be read (")
        assert "not a database" in message
        assert message.endswith(
            "Restore it from a backup or move it away to start afresh."
        )


def test_open_existing_needs_an_initialised_dir(tmp_path: Path) -> None:
    missing = ServerSettings(data_dir=tmp_path / "never")
    with pytest.raises(StartupError, match="does not exist"):
        open_existing(missing)
    assert not (tmp_path / "never").exists()
    (tmp_path / "half").mkdir()
    half = ServerSettings(data_dir=tmp_path / "half")
    with pytest.raises(StartupError, match="keystore password"):
        open_existing(half)
    half.master_secret_path.parent.mkdir()
    half.master_secret_path.write_text("secret")
    half.master_secret_path.chmod(0o600)
    with pytest.raises(StartupError, match="has not been initialised"):
        open_existing(half)
    assert not half.database_path.exists()  # opening created nothing


def test_open_existing_sees_the_same_data(
    bootstrapped: BootstrapResult, server_settings: ServerSettings
) -> None:
    assert bootstrapped.generated_admin_password is None
    admin = bootstrapped.store.users.get("admin")
    assert verify_password(admin.password_hash, ADMIN_PASSWORD)
    other = open_existing(server_settings)
    try:
        bootstrapped.store.roles.create("ops")
        assert "ops" in other.store.roles.names()
        assert other.store.snapshot().version == bootstrapped.store.snapshot().version
    finally:
        other.close()


@posix_only
def test_readable_secret_file_refuses_to_start(data_dir: Path) -> None:
    settings = ServerSettings(data_dir=data_dir)
    settings.master_secret_path.chmod(0o644)
    with pytest.raises(StartupError, match="chmod 600"):
        initialise(settings)


def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StartupError, match="not a folder"):
        initialise(ServerSettings(data_dir=tmp_path / "file"))


# --------------------------------------------------------------------------------- settings


def test_settings_paths_and_url(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path, admin_password="hidden-pw")
    assert settings.effective_database_url() == f"sqlite:///{(tmp_path / 'stsdesk.db').as_posix()}"
    assert settings.tls_cert_path == tmp_path / "tls" / "server.crt"
    assert settings.tls_key_path == tmp_path / "tls" / "server.key"
    assert settings.master_secret_path == tmp_path / "secrets" / "keystore-password"
    assert "hidden-pw" not in repr(settings)
    other = ServerSettings(data_dir=tmp_path, database_url="postgresql://u:p@db/sts")
    assert other.effective_database_url() == "postgresql://u:p@db/sts"
    assert ServerSettings(data_dir=str(tmp_path)).data_dir == tmp_path  # type: ignore[arg-type]


@pytest.mark.parametrize("changes", [{"port": 70000}, {"port": -1}, {"workers": 0}, {"host": ""}])
def test_settings_validation(tmp_path: Path, changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ServerSettings(data_dir=tmp_path, **changes)  # type: ignore[arg-type]
