"""The one rule for a sign-in, on the STS and the admin API alike: active, not locked, lockout."""

from __future__ import annotations

import logging
from datetime import datetime

from stsdesk.server.model import LOCKED_BY_ADMINISTRATOR, LockoutPolicy, UserRecord
from stsdesk.server.storage.store import Store

__all__ = ["SignInRefused", "settle_sign_in"]

log = logging.getLogger("stsdesk.server")


class SignInRefused(Exception):
    """The sign-in fails. ``locked_until`` is set only when the password was right but the
    account is locked: only someone who knows the password learns why they are refused."""

    def __init__(self, *, locked_until: datetime | None = None) -> None:
        super().__init__("sign-in refused")
        self.locked_until = locked_until

    @property
    def locked_by_administrator(self) -> bool:
        """The lock is an administrator's (it holds until one unlocks the account)."""
        return self.locked_until == LOCKED_BY_ADMINISTRATOR


def settle_sign_in(
    store: Store,
    user: UserRecord | None,
    password_ok: bool,
    lockout: LockoutPolicy,
    now: datetime,
    *,
    proved_password: str | None = None,
    digest_allowed: bool = False,
    attempted_username: str | None = None,
) -> UserRecord:
    """Decide a sign-in whose password was already checked, counting failures toward lockout.

    Failures of both the STS and the admin API count toward the same lock, which locks the one
    account only, never the service as a whole. A user without a password (provisioned without
    one) fails here as a wrong password does: its check cost the same and counts the same.
    ``proved_password`` is the clear password a successful PasswordText or Basic sign-in
    checked: while PasswordDigest is allowed, a user without a sealed copy gets one now, so
    PasswordDigest works for them from then on.
    """
    if user is None:
        if attempted_username is not None:
            # A no-op for a name nobody has, but the same transaction a known user's failure
            # costs: the answer's time does not tell which names exist.
            store.logins.record_failure(attempted_username, lockout, now)
        raise SignInRefused()
    if not user.active:
        raise SignInRefused()
    if user.locked_until is not None and user.locked_until > now:
        raise SignInRefused(locked_until=user.locked_until if password_ok else None)
    if not password_ok:
        locked = store.logins.record_failure(user.username, lockout, now)
        if locked is not None:
            log.warning("account %r locked until %s after failed sign-ins", user.username, locked)
        raise SignInRefused()
    if user.failed_attempts:
        store.logins.record_success(user.username)
    if proved_password is not None and digest_allowed and user.password_sealed is None:
        store.users.keep_password_for_digest(user, proved_password)
    return user
