"""Who an X.509 client is: the user its certificate is mapped to (SCIM ``x509Certificates``),
looked up once per certificate and configuration version."""

from __future__ import annotations

import threading

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.server.model import ConfigSnapshot, UserRecord
from stsdesk.server.storage.store import Store
from stsdesk.server.storage.user_certificates import certificate_fingerprint
from stsdesk.server.sts.directory import UserDirectory

__all__ = ["CertificateUsers"]

_MAX_CACHED = 10_000


class CertificateUsers:
    """Maps certificates to local users; safe to share between threads.

    A mapping is configuration (each change bumps the version), so the user name found for a
    certificate at version V stays right while V is current; the user's own state (disabled,
    locked) is read fresh through the directory.
    """

    def __init__(self, store: Store, users: UserDirectory) -> None:
        self._store = store
        self._users = users
        self._lock = threading.Lock()
        self._version = -1
        self._names: dict[str, str | None] = {}

    def user_for(self, certificate: x509.Certificate, config: ConfigSnapshot
                 ) -> UserRecord | None:
        """The local user ``certificate`` is mapped to, or None when it is mapped to none."""
        fingerprint = certificate_fingerprint(certificate.public_bytes(Encoding.DER))
        with self._lock:
            if self._version != config.version:
                self._names.clear()
                self._version = config.version
            known = fingerprint in self._names
            name = self._names.get(fingerprint)
        if not known:
            name = self._store.user_certificates.username_for(fingerprint)
            with self._lock:
                if self._version == config.version and len(self._names) < _MAX_CACHED:
                    self._names[fingerprint] = name
        if name is None:
            return None
        return self._users.get(name, config.version)
