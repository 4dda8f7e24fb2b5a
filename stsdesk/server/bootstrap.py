"""First start of a data directory: database, master secret, keys, TLS files and the admin user."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from stsdesk.core.certificates import generate_self_signed
from stsdesk.core.errors import StsError
from stsdesk.server.errors import ConflictError, SealedDataError, StartupError
from stsdesk.server.keystore import KeyStore
from stsdesk.server.master_secret import ENV_VAR, MasterSecret
from stsdesk.server.passwords import verify_password
from stsdesk.server.settings import ServerSettings
from stsdesk.server.storage.errors import DatabaseUnavailableError, driver_reason
from stsdesk.server.storage.keys import DEFAULT_SIGNING_ALIAS
from stsdesk.server.storage.roles import ADMIN_ROLE
from stsdesk.server.storage.store import Store

__all__ = [
    "BootstrapResult", "initialise", "open_existing", "ADMIN_USERNAME", "ADMIN_ROLE",
    "SIGNING_COMMON_NAME",
]

log = logging.getLogger("stsdesk.server.bootstrap")

ADMIN_USERNAME = "admin"
SIGNING_COMMON_NAME = "localhost"
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]", "*"}  # noqa: S104 - names to skip, not to bind


@dataclass(frozen=True)
class BootstrapResult:
    """An opened data directory; ``generated_admin_password`` is set only on the start that
    generated it, so that the command line can print it once."""

    store: Store
    keystore: KeyStore
    master: MasterSecret
    generated_admin_password: str | None = field(default=None, repr=False)

    def close(self) -> None:
        self.store.close()


def initialise(settings: ServerSettings) -> BootstrapResult:
    """Open the data directory, creating whatever is missing; safe to run on every start."""
    root = settings.root
    _make_private_dir(root, "data directory")
    master = MasterSecret.load_or_create(settings.master_secret_path)
    store = _open_store(settings, master, create=True)
    try:
        keystore = KeyStore(store, master)
        _ensure_signing_key(store, keystore)
        _check_master_secret(store, keystore, settings)
        _drop_sealed_passwords_unless_allowed(store)
        _ensure_tls(settings, master)
        generated = _ensure_admin(store, settings)
    except BaseException:
        store.close()
        raise
    return BootstrapResult(store, keystore, master, generated)


def open_existing(settings: ServerSettings) -> BootstrapResult:
    """Open a data directory :func:`initialise` prepared (worker processes); creates nothing."""
    root = settings.root
    if not root.is_dir():
        raise StartupError(
            f"The data directory {root} does not exist. Start the server once with "
            f"`stsdesk serve --data-dir {root}` to create it."
        )
    master = MasterSecret.load(settings.master_secret_path)
    store = _open_store(settings, master, create=False)
    return BootstrapResult(store, KeyStore(store, master), master, None)


def _make_private_dir(path: Path, what: str) -> None:
    try:
        path.mkdir(mode=0o700, parents=True)
        path.chmod(0o700)  # mkdir's mode is filtered by the umask
        log.info("Created the %s %s", what, path)
        return
    except FileExistsError:
        pass
    except OSError as exc:
        raise StartupError(
            f"The {what} {path} cannot be created ({exc.strerror}). Choose another location or "
            "fix the permissions of its parent folder."
        ) from exc
    if not path.is_dir():
        raise StartupError(f"The {what} {path} exists but is not a folder. Choose another path.")
    if os.name != "nt" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        log.warning("The %s %s can be accessed by other users; consider chmod 700.", what, path)


def _display_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)


def _open_store(settings: ServerSettings, master: MasterSecret, *, create: bool) -> Store:
    url = settings.effective_database_url()
    shown = _display_url(url)
    if not create and settings.database_url is None and not settings.database_path.exists():
        raise _not_initialised(settings)
    store = Store.open(url, master)
    try:
        if create:
            # Migrates an older database in place (Alembic); several nodes may do it at once.
            store.create_schema()
        elif not store.is_initialised():
            raise _not_initialised(settings)
    except DatabaseUnavailableError as exc:
        store.close()
        raise StartupError(
            f"The database at {shown} cannot be reached ({driver_reason(exc.__cause__)}). Start the "
            "database server, or check --database-url (or STSDESK_DATABASE_URL), and start "
            "again."
        ) from exc
    except DatabaseError as exc:
        store.close()
        raise StartupError(
            f"The database at {shown} cannot be read ({driver_reason(exc)}). Restore it from a backup or "
            "move it away to start afresh."
        ) from exc
    except BaseException:
        store.close()
        raise
    return store


def _check_master_secret(store: Store, keystore: KeyStore, settings: ServerSettings) -> None:
    """Refuse to start when the stored signing key cannot be decrypted with this node's secret.

    Nodes sharing one database share its keys, so each needs the same keystore password; a
    node with another one would otherwise start and then fail every request.
    """
    alias = store.keys.get_signing_alias()
    try:
        keystore.signing_identity(alias)
    except SealedDataError as exc:
        where = (
            f"Set {ENV_VAR} on this node to the keystore password of the other nodes using "
            "this database"
            if settings.database_url
            else f"Restore the keystore password file {settings.master_secret_path} or set "
            f"{ENV_VAR} to the original password"
        )
        raise StartupError(
            f"The signing key {alias!r} in the database cannot be decrypted with this node's "
            f"keystore password. {where}, and start again."
        ) from exc


def _drop_sealed_passwords_unless_allowed(store: Store) -> None:
    """A database from before the PasswordDigest setting kept every password reversibly.

    Without the setting PasswordDigest is off, so those copies go, once, and the log says so.
    """
    dropped = store.config.drop_sealed_passwords_unless_allowed()
    if dropped:
        log.warning(
            "Deleted the reversibly stored passwords of %d user(s): PasswordDigest is not "
            "allowed on this STS (allowPasswordDigest is off by default), so only password "
            "hashes are kept. An administrator can allow PasswordDigest on the STS page; each "
            "user's password is then stored again at their next sign-in.", dropped,
        )


def _not_initialised(settings: ServerSettings) -> StartupError:
    return StartupError(
        f"The data directory {settings.root} has not been initialised. Start the server once "
        f"with `stsdesk serve --data-dir {settings.root}` to create it."
    )


def _ensure_signing_key(store: Store, keystore: KeyStore) -> None:
    alias = store.keys.get_signing_alias()
    if store.keys.get_signing_key(alias) is not None:
        return
    if alias != DEFAULT_SIGNING_ALIAS:
        log.warning("The signing key %r is missing; generating a new one.", alias)
    try:
        keystore.generate_signing_key(alias, SIGNING_COMMON_NAME)
        log.info("Generated the signing key %r", alias)
    except ConflictError:
        pass  # another process generated it at the same moment; use theirs


def _ensure_tls(settings: ServerSettings, master: MasterSecret) -> None:
    cert_path, key_path = settings.tls_cert_path, settings.tls_key_path
    if cert_path.exists() and key_path.exists():
        return
    _make_private_dir(settings.tls_dir, "TLS folder")
    dns_names = ["localhost"]
    ip_addresses = ["127.0.0.1"]
    for host in (settings.host, settings.public_host):
        if host is None or host in _WILDCARD_HOSTS:
            continue
        host = host.strip("[]")
        try:
            ip_addresses.append(str(ipaddress.ip_address(host)))
        except ValueError:
            dns_names.append(host)
    try:
        identity = generate_self_signed(
            settings.public_host or "localhost",
            dns_names=tuple(dict.fromkeys(dns_names)),
            ip_addresses=tuple(dict.fromkeys(ip_addresses)),
        )
    except StsError as exc:
        raise StartupError(
            f"The TLS certificate cannot be made: {exc.message} Check --host and the public "
            "host name."
        ) from exc
    key_pem = identity.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(master.password_bytes()),
    )
    # The key first: a certificate without its key would be taken as "already there".
    _write_file(key_path, key_pem, 0o600)
    _write_file(cert_path, identity.certificate_pem(), 0o644)
    log.info("Created the TLS certificate %s", cert_path)


def _write_file(path: Path, data: bytes, mode: int) -> None:
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        temp.chmod(mode)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _ensure_admin(store: Store, settings: ServerSettings) -> str | None:
    if ADMIN_ROLE not in store.roles.names():
        try:
            store.roles.create(ADMIN_ROLE)
        except ConflictError:
            pass
    user = store.users.get(ADMIN_USERNAME)
    if user is not None:
        if settings.admin_password and (
            user.password_hash is None
            or not verify_password(user.password_hash, settings.admin_password)
        ):
            log.warning(
                "The admin password given at start-up differs from the stored one; the stored "
                "one stays. Change it through the admin API."
            )
        return None
    generated = None
    password = settings.admin_password
    if not password:
        password = generated = secrets.token_urlsafe(18)
    try:
        store.users.create(ADMIN_USERNAME, password, roles=(ADMIN_ROLE,))
    except ConflictError:
        return None  # another process created it at the same moment
    log.info("Created the user %r", ADMIN_USERNAME)
    return generated
