"""The token-issuing hot path's storage: group-committed token records and login state.

Issuing a token writes one row; committing each row on its own costs more than signing the
token. The journal lets concurrent requests share one commit (group commit): each request still
waits until its row is durable before it answers, so Validate, Renew and Cancel on any worker or
node see every token a client holds.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, delete, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from stsdesk.server.errors import ConflictError
from stsdesk.server.model import IssuedTokenRecord, TokenStatus
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.errors import (
    UNAVAILABLE_MESSAGE,
    DatabaseUnavailableError,
    driver_reason,
    is_unavailable,
)

__all__ = ["TokenJournal", "LoginState", "read_login_state", "FastReads"]

log = logging.getLogger("stsdesk.server.storage")

_MAX_BATCH = 256
_WAIT_SECONDS = 15.0
_PURGE_INTERVAL_SECONDS = 600.0
# Expired token records are kept a while for Validate answers ("expired") and late renewals.
_RETENTION = timedelta(days=1)


def _row(record: IssuedTokenRecord) -> dict[str, object]:
    return {
        "token_id": record.token_id,
        "token_type": record.token_type,
        "subject": record.subject,
        "audience": record.audience,
        "issued_at": record.issued_at,
        "expires_at": record.expires_at,
        "status": TokenStatus(record.status).value,
        "renew_allowed": record.renew_allowed,
        "renew_after_expiry": record.renew_after_expiry,
        "replaced_by": record.replaced_by,
    }


class TokenJournal:
    """Durable, group-committed writes of issued-token records; safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[tuple[dict[str, object], Future[None]]] = queue.SimpleQueue()
        self._next_purge = time.monotonic() + _PURGE_INTERVAL_SECONDS
        self._thread = threading.Thread(target=self._run, name="stsdesk-token-journal", daemon=True)
        self._thread.start()

    def save(self, record: IssuedTokenRecord) -> None:
        """Store ``record``; returns once it is committed. ConflictError on a duplicate id."""
        done: Future[None] = Future()
        self._queue.put((_row(record), done))
        done.result(timeout=_WAIT_SECONDS)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < _MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)
            self._purge_now_and_then()

    def _commit(self, batch: list[tuple[dict[str, object], Future[None]]]) -> None:
        try:
            self._insert([row for row, _ in batch])
        except IntegrityError:
            # One duplicate spoils the batch: retry one by one so only that request fails.
            for row, done in batch:
                self._commit_one(row, done)
            return
        except Exception as exc:  # noqa: BLE001 - every waiter must hear about it
            error = _unavailable(exc)
            for _, done in batch:
                done.set_exception(error)
            return
        for _, done in batch:
            done.set_result(None)

    def _commit_one(self, row: dict[str, object], done: Future[None]) -> None:
        try:
            self._insert([row])
        except IntegrityError:
            done.set_exception(
                ConflictError(f"A token with id {row['token_id']!r} is already stored.")
            )
        except Exception as exc:  # noqa: BLE001
            done.set_exception(_unavailable(exc))
        else:
            done.set_result(None)

    def _insert(self, rows: list[dict[str, object]]) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(s.issued_tokens), rows)

    def _purge_now_and_then(self) -> None:
        if time.monotonic() < self._next_purge:
            return
        self._next_purge = time.monotonic() + _PURGE_INTERVAL_SECONDS
        cutoff = datetime.now(UTC) - _RETENTION
        try:
            with self._engine.begin() as conn:
                conn.execute(delete(s.issued_tokens).where(s.issued_tokens.c.expires_at < cutoff))
        except DBAPIError as exc:
            log.warning("could not purge expired token records: %s", driver_reason(exc))


def _unavailable(exc: Exception) -> Exception:
    log.error("could not store issued-token records: %s", driver_reason(exc))
    return DatabaseUnavailableError(
        "The STS could not record the token in its database (the database is unavailable; "
        "retrying). Try again in a moment."
    )


@dataclass(frozen=True)
class LoginState:
    """A user's activity and lock, as stored right now."""

    active: bool
    failed_attempts: int
    locked_until: datetime | None


_LOGIN_STATE = select(s.users.c.active, s.users.c.failed_attempts, s.users.c.locked_until).where(
    s.users.c.username == bindparam("username")
)


def read_login_state(engine: Engine, username: str) -> LoginState | None:
    """The user's current lock and activity, read fresh: it changes without a config version."""
    try:
        with engine.connect() as conn:
            row = conn.execute(_LOGIN_STATE, {"username": username}).first()
    except DBAPIError as exc:
        if not is_unavailable(exc):
            raise
        log.warning("The database is unavailable: %s", driver_reason(exc))
        raise DatabaseUnavailableError(UNAVAILABLE_MESSAGE) from exc
    if row is None:
        return None
    return LoginState(bool(row.active), row.failed_attempts, row.locked_until)


class FastReads:
    """The two reads every token request makes, without SQLAlchemy's per-statement machinery.

    Each costs about 4 µs of SQLite work but about 150 µs through a SQLAlchemy connection
    checkout, begin hook and statement compilation; on the issuing path that was an eighth of a
    request's CPU. So on SQLite the reads run on pooled DBAPI connections kept for the purpose.
    Any database error drops that connection and answers through the regular path, which maps
    errors to the faults people see. Other databases always take the regular path.
    """

    _VERSION_SQL = "SELECT version FROM config_state WHERE id = ?"
    _LOGIN_SQL = "SELECT active, failed_attempts, locked_until FROM users WHERE username = ?"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._enabled = engine.dialect.name == "sqlite" and engine.dialect.paramstyle == "qmark"
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._locked_until = s.users.c.locked_until.type.dialect_impl(
            engine.dialect
        ).result_processor(engine.dialect, None)

    def config_version(self) -> int | None:
        """The configuration version, or None when the caller should ask the Store."""
        row = self._fetch(self._VERSION_SQL, (s.CONFIG_STATE_ID,))
        return None if row is None else int(row[0])

    def login_state(self, username: str) -> LoginState | None:
        if not self._enabled:
            return read_login_state(self._engine, username)
        try:
            row = self._query(self._LOGIN_SQL, (username,))
        except _Fallback:
            return read_login_state(self._engine, username)
        if row is None:
            return None
        locked = self._locked_until(row[2]) if self._locked_until else row[2]
        return LoginState(bool(row[0]), int(row[1]), locked)

    def close(self) -> None:
        while True:
            try:
                connection = self._idle.get_nowait()
            except queue.Empty:
                return
            connection.close()

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> Any:
        if not self._enabled:
            return None
        try:
            return self._query(sql, params)
        except _Fallback:
            return None

    def _query(self, sql: str, params: tuple[Any, ...]) -> Any:
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                row = cursor.execute(sql, params).fetchone()
            finally:
                cursor.close()
        except Exception as exc:  # noqa: BLE001 - the regular path reports it properly
            connection.invalidate()
            connection.close()
            raise _Fallback from exc
        self._idle.put(connection)
        return row


class _Fallback(Exception):
    """A fast read failed; the regular path answers instead."""
