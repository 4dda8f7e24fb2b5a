"""WS-SecureConversation contexts: issued by one node, accepted by every node on the database.

A context's key is sealed (AES-GCM) under the master secret with the context's identifier as
associated data, so a database dump alone gives no key, and a sealed key moved to another
row does not open. Cancelled contexts stay (so a cancelled one is told from an unknown one)
until they would have expired; expired ones are purged from time to time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from stsdesk.server.errors import ConflictError
from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.checks import aware
from stsdesk.server.storage.database import Database

__all__ = ["ContextRepository", "StoredContext"]

_PURGE_INTERVAL = 60.0  # seconds between purges of expired contexts, per repository


@dataclass(frozen=True)
class StoredContext:
    """A security context as stored, its key opened."""

    identifier: str
    key: bytes = field(repr=False)
    user_id: str
    username: str
    created_at: datetime
    expires_at: datetime
    cancelled_at: datetime | None
    # The client certificate (DER) the bootstrap proved, if it proved one.
    certificate_der: bytes | None = None


class ContextRepository:
    """Security contexts shared by every node; safe to share between threads."""

    def __init__(self, db: Database, master: MasterSecret | None) -> None:
        self._db = db
        self._master = master
        self._purge_lock = threading.Lock()
        self._next_purge = 0.0

    def _sealer(self) -> MasterSecret:
        if self._master is None:
            raise ConflictError(
                "This store has no master secret, so it cannot keep security context keys."
            )
        return self._master

    def add(self, identifier: str, key: bytes, *, user_id: str, username: str,
            created_at: datetime, expires_at: datetime,
            certificate_der: bytes | None = None) -> None:
        sealed = self._sealer().seal(key, identifier.encode("utf-8"))
        self._purge_expired(aware(created_at, "created_at"))
        with self._db.transaction("write") as conn:
            conn.execute(insert(s.security_contexts).values(
                identifier=identifier, key_sealed=sealed, user_id=user_id, username=username,
                created_at=aware(created_at, "created_at"),
                expires_at=aware(expires_at, "expires_at"), cancelled_at=None,
                certificate_der=certificate_der,
            ))

    def get(self, identifier: str) -> StoredContext | None:
        with self._db.transaction("single") as conn:
            row = conn.execute(select(s.security_contexts).where(
                s.security_contexts.c.identifier == identifier)).first()
        if row is None:
            return None
        key = self._sealer().unseal(bytes(row.key_sealed), identifier.encode("utf-8"))
        certificate = None if row.certificate_der is None else bytes(row.certificate_der)
        return StoredContext(row.identifier, key, row.user_id, row.username, row.created_at,
                             row.expires_at, row.cancelled_at, certificate)

    def extend(self, identifier: str, expires_at: datetime) -> bool:
        """A live context's new expiry; False if it is gone or cancelled."""
        return self._update_live(identifier, expires_at=aware(expires_at, "expires_at"))

    def cancel(self, identifier: str, now: datetime) -> bool:
        """Mark a context cancelled; False if it was unknown or already cancelled."""
        return self._update_live(identifier, cancelled_at=aware(now, "now"))

    def _update_live(self, identifier: str, **values: datetime) -> bool:
        """Change a context that is not cancelled (one statement: no renewal after a cancel)."""
        with self._db.transaction("write") as conn:
            done = conn.execute(update(s.security_contexts).where(
                s.security_contexts.c.identifier == identifier,
                s.security_contexts.c.cancelled_at.is_(None),
            ).values(**values))
        return bool(done.rowcount)

    def _purge_expired(self, now: datetime) -> None:
        with self._purge_lock:
            if time.monotonic() < self._next_purge:
                return
            self._next_purge = time.monotonic() + _PURGE_INTERVAL
        with self._db.transaction("write") as conn:
            conn.execute(delete(s.security_contexts).where(
                s.security_contexts.c.expires_at < now))
