"""Passwords in the OS keyring (never in a file), under the service name "stsdesk"."""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError as _BackendError
from keyring.errors import NoKeyringError, PasswordDeleteError

from stsdesk.services.errors import KeyringError

__all__ = ["CredentialStore", "SERVICE_NAME"]

SERVICE_NAME = "stsdesk"


class CredentialStore:
    """Reads and writes secrets keyed by a name such as "profile:prod" or "embedded:admin"."""

    def __init__(self, service: str = SERVICE_NAME) -> None:
        self._service = service

    def available(self) -> bool:
        backend = keyring.get_keyring()
        return getattr(backend, "priority", 0) > 0

    def get(self, key: str) -> str | None:
        try:
            return keyring.get_password(self._service, key)
        except NoKeyringError as exc:
            raise KeyringError(_NO_KEYRING) from exc
        except _BackendError as exc:
            raise KeyringError(
                f"The OS keyring refused to read a password: {exc}. Unlock it."
            ) from exc

    def set(self, key: str, secret: str) -> None:
        try:
            keyring.set_password(self._service, key, secret)
        except NoKeyringError as exc:
            raise KeyringError(_NO_KEYRING) from exc
        except _BackendError as exc:
            raise KeyringError(
                f"The OS keyring refused to store a password: {exc}. Unlock it."
            ) from exc

    def delete(self, key: str) -> None:
        try:
            keyring.delete_password(self._service, key)
        except PasswordDeleteError:
            return
        except NoKeyringError as exc:
            raise KeyringError(_NO_KEYRING) from exc


_NO_KEYRING = (
    "No OS keyring is available to keep passwords safe. On Linux install and unlock GNOME Keyring "
    "or KWallet (a Secret Service provider); macOS and Windows have one built in."
)
