"""Users as the STS sees them: profiles cached per configuration version, lock state fresh."""

from __future__ import annotations

import dataclasses
import threading

from stsdesk.server.model import UserRecord
from stsdesk.server.storage.hotpath import FastReads, FreshState
from stsdesk.server.storage.store import Store

__all__ = ["UserDirectory"]

_MAX_CACHED = 10_000


class UserDirectory:
    """Looks users up for authentication without a query of their own in the usual case.

    A user's password hash, roles and claims are configuration: every change to them bumps the
    configuration version, so a profile read at version V stays right while V is current. The
    lock state is not configuration (a failed sign-in on another worker changes it), so it is
    read fresh for every request: with the configuration version, in the request's one read,
    when the message named the user up front (:class:`FreshState`), else on its own.
    """

    def __init__(self, store: Store, reads: FastReads) -> None:
        self._store = store
        self._reads = reads
        self._lock = threading.Lock()
        self._version = -1
        self._profiles: dict[str, UserRecord | None] = {}

    def get(
        self, username: str, config_version: int, fresh: FreshState | None = None
    ) -> UserRecord | None:
        """``username``'s profile at ``config_version`` with their login state as committed
        now: the one in ``fresh`` when the request read it with the configuration version,
        else read here."""
        if fresh is not None and fresh.holds_login_of(username):
            state = fresh.login_state
        else:
            state = self._reads.login_state(username)
        if state is None:
            return None
        profile = self._profile(username, config_version)
        if profile is None:  # deleted between the two reads
            return None
        if (profile.active == state.active and profile.failed_attempts == state.failed_attempts
                and profile.locked_until == state.locked_until):
            # As it was when the profile was read (the usual case): the profile is the answer,
            # without the cost of a copy.
            return profile
        return dataclasses.replace(
            profile,
            active=state.active,
            failed_attempts=state.failed_attempts,
            locked_until=state.locked_until,
        )

    def _profile(self, username: str, config_version: int) -> UserRecord | None:
        with self._lock:
            if config_version != self._version:
                self._profiles.clear()
                self._version = config_version
            elif username in self._profiles:
                return self._profiles[username]
        profile = self._store.users.get(username)
        with self._lock:
            if self._version == config_version and len(self._profiles) < _MAX_CACHED:
                self._profiles[username] = profile
        return profile
