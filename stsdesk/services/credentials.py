"""Secrets for the console: the OS keyring, or an encrypted file where a machine has no keyring.

Minimal desktops and servers often have no Secret Service. Refusing to remember anything there
made every token request show an error and a remote profile impossible to save, so without a
keyring the secrets go to a clearly labelled encrypted file in the user's data directory. Its key
sits beside it in an owner-only file: that keeps the secrets out of backups, copies and screen
shares of the file, not from someone who can already read the user's files — which the store's
description says, so the person can decide.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from cryptography.fernet import Fernet, InvalidToken

from stsdesk.services.errors import KeyringError

__all__ = ["CredentialStore", "EncryptedFileSecrets", "StoreDescription", "SERVICE_NAME",
           "FILE_FORMAT", "default_fallback_dir"]

log = logging.getLogger("stsdesk.services")
_T = TypeVar("_T")

SERVICE_NAME = "stsdesk"
FILE_FORMAT = "stsdesk encrypted credentials 1"
_FILE_NAME = "credentials.enc"
_KEY_NAME = "credentials.key"


def default_fallback_dir() -> Path:
    import platformdirs  # only needed on the first secret without a keyring

    return Path(platformdirs.user_data_dir("stsdesk", appauthor=False))


@dataclass(frozen=True)
class StoreDescription:
    """Where secrets are kept, for the one notice the console shows about it."""

    keyring: bool
    name: str  # "the OS keyring (SecretService Keyring)" / "an encrypted file"
    location: str  # the keyring's service name, or the file's path
    detail: str  # one sentence a person can act on

    def __str__(self) -> str:
        return self.detail


class _Secrets(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, secret: str) -> None: ...
    def delete(self, key: str) -> None: ...


class EncryptedFileSecrets:
    """Secrets in ``credentials.enc`` (Fernet: AES-128-CBC + HMAC-SHA256), key in ``credentials.key``.

    Both files are created owner-only (0600) and written atomically (fsync, then rename); the key
    is created exclusively, so two consoles starting together share one.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / _FILE_NAME
        self._key_path = directory / _KEY_NAME
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            token = self._entries().get(key)
            if token is None:
                return None
            try:
                return self._fernet(create=False).decrypt(token.encode("ascii")).decode("utf-8")
            except (InvalidToken, ValueError) as exc:
                raise KeyringError(
                    f"The encrypted credentials file {self.path} cannot be decrypted with its key "
                    f"({self._key_path}); if the key was lost, remove both files and enter the "
                    "passwords again.") from exc

    def set(self, key: str, secret: str) -> None:
        with self._lock:
            entries = self._entries()
            entries[key] = self._fernet(create=True).encrypt(secret.encode("utf-8")).decode("ascii")
            self._write(entries)

    def delete(self, key: str) -> None:
        with self._lock:
            entries = self._entries()
            if entries.pop(key, None) is not None:
                self._write(entries)

    def _entries(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise KeyringError(
                f"The encrypted credentials file {self.path} cannot be read ({exc}); fix its "
                "permissions or remove it and enter the passwords again.") from exc
        if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
            raise KeyringError(f"{self.path} is not an stsdesk credentials file; move it away.")
        return dict(data.get("entries", {}))

    def _fernet(self, *, create: bool) -> Fernet:
        for _ in range(2):
            try:
                return Fernet(self._key_path.read_bytes().strip())
            except FileNotFoundError:
                if not create:
                    raise ValueError("no key") from None
            except (OSError, ValueError) as exc:
                raise KeyringError(
                    f"The key of the encrypted credentials file ({self._key_path}) cannot be "
                    f"read ({type(exc).__name__}); remove it and {self.path.name}, then enter the "
                    "passwords again.") from exc
            # Created exclusively: a second console starting at the same moment reads the key
            # this one wrote instead of replacing it (which would orphan what the first saved).
            self._key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            try:
                fd = os.open(self._key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            key = Fernet.generate_key()
            with os.fdopen(fd, "wb") as handle:
                handle.write(key)
                handle.flush()
                os.fsync(handle.fileno())
            return Fernet(key)
        raise KeyringError(f"The key file {self._key_path} appeared and vanished; try again.")

    def _write(self, entries: dict[str, str]) -> None:
        body = json.dumps({
            "format": FILE_FORMAT,
            "note": ("Passwords stsdesk remembers on a machine without an OS keyring, encrypted "
                     f"with the key in {_KEY_NAME} beside this file. Keep both owner-only."),
            "entries": dict(sorted(entries.items())),
        }, indent=2)
        _write_private(self.path, body.encode("utf-8"))


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # created 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # never an empty file after a crash at the wrong moment
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


class _KeyringSecrets:
    """The OS keyring (imported on first use: keyring's import alone costs start-up time)."""

    def __init__(self, service: str) -> None:
        self._service = service

    def get(self, key: str) -> str | None:
        import keyring
        from keyring.errors import KeyringError as _BackendError
        from keyring.errors import NoKeyringError

        try:
            return keyring.get_password(self._service, key)
        except NoKeyringError:
            raise
        except _BackendError as exc:
            raise KeyringError(
                f"The OS keyring refused to read a password: {exc}. Unlock it.") from exc

    def set(self, key: str, secret: str) -> None:
        import keyring
        from keyring.errors import KeyringError as _BackendError
        from keyring.errors import NoKeyringError

        try:
            keyring.set_password(self._service, key, secret)
        except NoKeyringError:
            raise
        except _BackendError as exc:
            raise KeyringError(
                f"The OS keyring refused to store a password: {exc}. Unlock it.") from exc

    def delete(self, key: str) -> None:
        import keyring
        from keyring.errors import KeyringError as _BackendError
        from keyring.errors import NoKeyringError, PasswordDeleteError

        try:
            keyring.delete_password(self._service, key)
        except PasswordDeleteError:
            return  # never stored: nothing to delete is not an error
        except NoKeyringError:
            raise
        except _BackendError as exc:
            raise KeyringError(
                f"The OS keyring refused to delete a password: {exc}. Unlock it.") from exc


class CredentialStore:
    """Reads and writes secrets keyed by a name such as "profile:prod" or "embedded:admin".

    The OS keyring when there is one; otherwise :class:`EncryptedFileSecrets` in
    ``fallback_dir`` (the user's data directory by default). The choice is made on first use —
    asking the keyring may mean D-Bus, so do it off the GUI thread — and :meth:`describe` says
    which store is in use. Deleting what was never stored is not an error.
    """

    def __init__(self, service: str = SERVICE_NAME, *, fallback_dir: Path | None = None) -> None:
        self._service = service
        self._fallback_dir = fallback_dir
        self._lock = threading.Lock()
        self._chosen: _Secrets | None = None
        self._description: StoreDescription | None = None

    def available(self) -> bool:
        """True when the OS keyring is in use (False: the encrypted file)."""
        return self.describe().keyring

    def describe(self) -> StoreDescription:
        self._secrets()
        if self._description is None:  # set together with the store; unreachable otherwise
            raise KeyringError("No secret store could be chosen.")
        return self._description

    def get(self, key: str) -> str | None:
        return self._call(lambda store: store.get(key))

    def set(self, key: str, secret: str) -> None:
        self._call(lambda store: store.set(key, secret))

    def delete(self, key: str) -> None:
        self._call(lambda store: store.delete(key))

    def _call(self, action: Callable[[_Secrets], _T]) -> _T:
        # The store first: it imports keyring under the lock. Importing keyring's errors
        # before it, while another thread was inside "import keyring", could make Python's
        # import deadlock guard fail one of the two (seen at start-up).
        store = self._secrets()
        from keyring.errors import NoKeyringError

        try:
            return action(store)
        except NoKeyringError:
            # The keyring went away after it was chosen (its daemon stopped): use the file.
            log.warning("the OS keyring stopped answering; using the encrypted file")
            return action(self._use_file())

    def _secrets(self) -> _Secrets:
        with self._lock:
            if self._chosen is not None:
                return self._chosen
            import keyring

            backend = keyring.get_keyring()
            if getattr(backend, "priority", 0) > 0:
                name = getattr(backend, "name", type(backend).__name__)
                self._chosen = _KeyringSecrets(self._service)
                self._description = StoreDescription(
                    True, f"the OS keyring ({name})", self._service,
                    f"Passwords are kept in the OS keyring ({name}) under the service "
                    f"“{self._service}”.")
                return self._chosen
        return self._use_file()

    def _use_file(self) -> _Secrets:
        with self._lock:
            directory = self._fallback_dir or default_fallback_dir()
            store = EncryptedFileSecrets(directory)
            self._chosen = store
            self._description = StoreDescription(
                False, "an encrypted file", str(store.path),
                f"No OS keyring was found: passwords are kept in the encrypted file {store.path} "
                "(owner-only, its key beside it — safe in copies and backups of that file, not "
                "from someone who can read your account).")
            return store
