"""Sign-in state that is not configuration: failed attempts, lockouts and PasswordDigest nonces.

None of these writes bumps the configuration version: a failed sign-in on one node must not
make every node rebuild its configuration snapshot.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy import update as sql_update

from stsdesk.server.errors import ConflictError, NotFoundError
from stsdesk.server.model import LockoutPolicy
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.checks import aware
from stsdesk.server.storage.database import Database

__all__ = ["LoginRepository", "LoginState"]

_NONCE_PURGE_INTERVAL = 60.0  # seconds between purges of expired nonces, per repository


@dataclass(frozen=True)
class LoginState:
    """A user's activity and lock, as stored right now."""

    active: bool
    failed_attempts: int
    locked_until: datetime | None


_LOGIN_STATE = select(s.users.c.active, s.users.c.failed_attempts, s.users.c.locked_until).where(
    s.users.c.username == bindparam("username")
)


class LoginRepository:
    """Failure counts, locks and nonces, shared by every node on the database."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._purge_lock = threading.Lock()
        self._next_nonce_purge = 0.0

    # ----------------------------------------------------------------------------- lockout

    def state(self, username: str) -> LoginState | None:
        """The user's current lock and activity, read fresh: it changes without a version."""
        with self._db.transaction("single") as conn:
            row = conn.execute(_LOGIN_STATE, {"username": username}).first()
        if row is None:
            return None
        return LoginState(bool(row.active), row.failed_attempts, row.locked_until)

    def record_failure(
        self, username: str, policy: LockoutPolicy, now: datetime
    ) -> datetime | None:
        """Count a failed login; returns ``locked_until`` once the user is (or stays) locked.

        An unknown username is a no-op returning None: nothing reveals whether it exists, and
        there is no global counter one could exhaust. A lock that has run out starts a fresh
        count. Failures while locked neither count nor extend the lock.
        """
        now = aware(now, "now")
        with self._db.transaction("write") as conn:
            row = conn.execute(
                select(s.users.c.id, s.users.c.failed_attempts, s.users.c.locked_until).where(
                    s.users.c.username == username
                )
            ).first()
            if row is None:
                return None
            attempts, locked_until = row.failed_attempts, row.locked_until
            if locked_until is not None:
                if locked_until > now:
                    return locked_until
                attempts, locked_until = 0, None
            attempts += 1
            if policy.max_failed_attempts > 0 and attempts >= policy.max_failed_attempts:
                locked_until = now + timedelta(seconds=policy.lockout_seconds)
            conn.execute(
                sql_update(s.users)
                .where(s.users.c.id == row.id)
                .values(failed_attempts=attempts, locked_until=locked_until)
            )
            return locked_until

    def record_success(self, username: str) -> None:
        """Reset the failure count; an active lock stays (only an expired one is cleared)."""
        now = datetime.now(UTC)
        with self._db.transaction("single") as conn:
            row = conn.execute(
                select(s.users.c.failed_attempts, s.users.c.locked_until).where(
                    s.users.c.username == username
                )
            ).first()
        # The common case (no failures) costs a read and no write lock.
        if row is None or (row.failed_attempts == 0 and row.locked_until is None):
            return
        with self._db.transaction("write") as conn:
            current = conn.execute(
                select(s.users.c.locked_until).where(s.users.c.username == username)
            ).first()
            if current is None:
                return
            values: dict[str, Any] = {"failed_attempts": 0}
            if current.locked_until is not None and current.locked_until <= now:
                values["locked_until"] = None
            conn.execute(
                sql_update(s.users).where(s.users.c.username == username).values(values)
            )

    def unlock(self, username: str) -> None:
        """Clear the lock and the failure count (an administrator's action)."""
        with self._db.transaction("write") as conn:
            done = conn.execute(
                sql_update(s.users)
                .where(s.users.c.username == username)
                .values(failed_attempts=0, locked_until=None)
            )
            if done.rowcount == 0:
                raise NotFoundError(f"There is no user named {username!r}.")

    # ----------------------------------------------------------------------------- nonces

    def remember_nonce(self, nonce: bytes, expires_at: datetime) -> bool:
        """Record a PasswordDigest nonce; False if it was seen before and is still remembered."""
        expires_at = aware(expires_at, "expires_at")
        digest = hashlib.sha256(nonce).digest()
        now = datetime.now(UTC)
        self._purge_nonces_now_and_then(now)
        try:
            with self._db.transaction("write") as conn:
                seen_until = conn.execute(
                    select(s.nonces.c.expires_at).where(s.nonces.c.digest == digest)
                ).scalar()
                if seen_until is None:
                    conn.execute(insert(s.nonces).values(digest=digest, expires_at=expires_at))
                    return True
                if seen_until > now:
                    return False
                conn.execute(
                    sql_update(s.nonces)
                    .where(s.nonces.c.digest == digest)
                    .values(expires_at=expires_at)
                )
                return True
        except ConflictError:
            return False  # another node inserted it between our SELECT and INSERT: a replay

    def _purge_nonces_now_and_then(self, now: datetime) -> None:
        clock = time.monotonic()
        with self._purge_lock:
            if clock < self._next_nonce_purge:
                return
            self._next_nonce_purge = clock + _NONCE_PURGE_INTERVAL
        with self._db.transaction("write") as conn:
            conn.execute(delete(s.nonces).where(s.nonces.c.expires_at <= now))
