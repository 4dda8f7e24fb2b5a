"""The master secret: seals stored passwords and encrypts private keys at rest."""

from __future__ import annotations

import base64
import logging
import os
import secrets as _random
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from stsdesk.server.errors import SealedDataError, StartupError, ValidationError

__all__ = ["MasterSecret", "ENV_VAR"]

log = logging.getLogger("stsdesk.server.master_secret")

ENV_VAR = "STSDESK_KEYSTORE_PASSWORD"

_SEAL_VERSION = b"\x01"
_NONCE_BYTES = 12
# The key that seals passwords is derived, not the secret itself, so that the same secret can
# also serve as the PKCS#8 password without one use weakening the other.
_SEAL_INFO = b"stsdesk password sealing v1"


class MasterSecret:
    """A secret held in memory only; its ``repr`` never shows it."""

    __slots__ = ("_secret", "_aead", "source")

    def __init__(self, secret: bytes, *, source: str = "memory") -> None:
        if not secret:
            raise ValidationError("The master secret is empty; give at least one character.")
        self._secret = bytes(secret)
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO).derive(secret)
        self._aead = AESGCM(key)
        self.source = source  # where it came from, for log lines: "environment" or a file path

    def __repr__(self) -> str:
        return f"MasterSecret(<hidden>, source={self.source!r})"

    def __reduce__(self) -> str | tuple[object, ...]:
        # Pickling would write the secret wherever the pickle goes (a worker pipe, a cache file).
        raise TypeError("A MasterSecret cannot be pickled; load it in each process instead.")

    @classmethod
    def load(cls, path: Path, env_var: str = ENV_VAR) -> MasterSecret:
        """The secret from ``env_var`` if set, else from ``path``; StartupError if neither."""
        from_env = cls._from_environment(env_var)
        if from_env is not None:
            return from_env
        if not path.exists():
            raise StartupError(
                f"The keystore password file {path} does not exist. Start the server once to "
                f"create it, or set {env_var} to the keystore password."
            )
        return cls._from_file(path)

    @classmethod
    def load_or_create(cls, path: Path, env_var: str = ENV_VAR) -> MasterSecret:
        """The secret from ``env_var`` if set, else from ``path``, creating that file if absent.

        A new file holds 32 random bytes (URL-safe base64), mode 0600 in a 0700 folder. A file
        that the group or others may read is refused: the secret is then as good as disclosed.
        """
        from_env = cls._from_environment(env_var)
        if from_env is not None:
            return from_env
        if not path.exists():
            cls._create_file(path)
        return cls._from_file(path)

    @classmethod
    def _from_environment(cls, env_var: str) -> MasterSecret | None:
        value = os.environ.get(env_var)
        if value is None:
            return None
        if not value.strip():
            raise StartupError(
                f"The environment variable {env_var} is set but empty. Set it to the keystore "
                "password, or unset it to use the password file in the data directory."
            )
        return cls(value.encode("utf-8"), source="environment")

    @classmethod
    def _from_file(cls, path: Path) -> MasterSecret:
        try:
            info = path.stat()
        except OSError as exc:
            raise StartupError(
                f"The keystore password file {path} cannot be read ({exc.strerror}). Check that "
                "it exists and belongs to the user running the server."
            ) from exc
        if not stat.S_ISREG(info.st_mode):
            raise StartupError(
                f"The keystore password path {path} is not a regular file. Move it away and "
                "start again."
            )
        if os.name != "nt" and info.st_mode & 0o077:
            raise StartupError(
                f"The keystore password file {path} can be read by other users "
                f"(mode {stat.S_IMODE(info.st_mode):04o}). Run `chmod 600 {path}`, consider "
                "the password disclosed if others could log in, and start again."
            )
        try:
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise StartupError(
                f"The keystore password file {path} cannot be read ({type(exc).__name__}). "
                "Check its owner and contents, or restore it from a backup."
            ) from exc
        if not text:
            raise StartupError(
                f"The keystore password file {path} is empty. Restore it from a backup: without "
                "it the stored keys and passwords cannot be decrypted."
            )
        return cls(text.encode("utf-8"), source=str(path))

    @classmethod
    def _create_file(cls, path: Path) -> None:
        # Disk full, a read-only folder or a file where the secrets folder should be: say so
        # and what to do, instead of letting the OSError surface as a traceback.
        try:
            cls._write_new_file(path)
        except OSError as exc:
            raise StartupError(
                f"The keystore password file {path} cannot be created ({exc.strerror}). Check "
                f"that {path.parent} is a folder the server may write to and that the disk is "
                "not full, then start again."
            ) from exc

    @staticmethod
    def _write_new_file(path: Path) -> None:
        folder = path.parent
        try:
            folder.mkdir(mode=0o700, parents=True)
            folder.chmod(0o700)  # mkdir's mode is filtered by the umask
        except FileExistsError:
            pass
        value = base64.urlsafe_b64encode(_random.token_bytes(32)).rstrip(b"=") + b"\n"
        temp = folder / f".{path.name}.{os.getpid()}.{_random.token_hex(4)}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                if hasattr(os, "fchmod"):
                    os.fchmod(fd, 0o600)
                os.write(fd, value)
                os.fsync(fd)
            finally:
                os.close(fd)
            # link() refuses an existing target: when two processes start at once, the first
            # file wins and both read it, and neither ever sees a half-written file.
            try:
                os.link(temp, path)
                log.info("Created a new keystore password file at %s", path)
            except FileExistsError:
                pass
        finally:
            temp.unlink(missing_ok=True)

    def seal(self, plain: bytes, aad: bytes) -> bytes:
        """AES-256-GCM encrypt ``plain`` bound to ``aad``; a fresh random nonce every time."""
        nonce = _random.token_bytes(_NONCE_BYTES)
        return _SEAL_VERSION + nonce + self._aead.encrypt(nonce, plain, aad)

    def unseal(self, sealed: bytes, aad: bytes) -> bytes:
        """The plain bytes ``seal`` was given; SealedDataError if anything was altered."""
        if len(sealed) < 1 + _NONCE_BYTES + 16 or sealed[:1] != _SEAL_VERSION:
            raise SealedDataError(
                "A sealed value is malformed. The database may be damaged; restore it from a "
                "backup."
            )
        nonce = sealed[1 : 1 + _NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, sealed[1 + _NONCE_BYTES :], aad)
        except InvalidTag as exc:
            raise SealedDataError(
                "A sealed value failed its integrity check: either the keystore password is not "
                "the one it was sealed with, or the stored value was altered."
            ) from exc

    def password_bytes(self) -> bytes:
        """The secret as a password, for PKCS#8 private-key encryption."""
        return self._secret
