"""The token-issuing hot path's database work made cheap on SQLite: its fresh read
(configuration version and login state, one statement) and the token journal's batch inserts.

The group commit itself (who waits for what) is in :mod:`stsdesk.server.storage.journal`.
"""

from __future__ import annotations

import operator
import os
import queue
import sqlite3
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table

from stsdesk.server.storage import schema as s
from stsdesk.server.storage.errors import BUSY_MESSAGE, DatabaseUnavailableError
from stsdesk.server.storage.logins import LoginState

if sys.platform != "win32":
    import fcntl

__all__ = ["FastReads", "FreshState", "FastInserts", "FastInsertFailed", "MAX_INSERT_ROWS"]

# Rows in one INSERT: ten columns each stay far below SQLite's 32,766 parameters a statement.
MAX_INSERT_ROWS = 256


@dataclass(frozen=True)
class FreshState:
    """What a token request reads fresh, in one statement: the configuration version and the
    login state of the user its message names.

    ``config_version`` is None when nothing was read (another database, or the fast read
    failed): the Store reads the version then, and the user's login state is read on its own.
    """

    config_version: int | None
    login_read_for: str | None = None  # the user name whose login state was read, if any
    login_state: LoginState | None = None  # None when there is no user of that name

    def holds_login_of(self, username: str) -> bool:
        """True when ``login_state`` is ``username``'s (None then means there is no such user)."""
        return self.login_read_for == username


_NOTHING_READ = FreshState(None)


class FastReads:
    """The reads every token request makes, without SQLAlchemy's per-statement machinery.

    A read costs a few µs of SQLite work but about 150 µs through a SQLAlchemy connection
    checkout, begin hook and statement compilation; on the issuing path that was an eighth of a
    request's CPU. So on SQLite the reads run on pooled DBAPI connections kept for the purpose.
    Any database error drops that connection and answers through the regular path, which maps
    errors to the faults people see. Other databases always take the regular path.
    """

    # The configuration version and the named user's login state in one statement, so one
    # read transaction. As two statements, each began a read transaction on a WAL the token
    # journal changes every few hundred µs, and each let go of the GIL twice (sqlite3 steps
    # without it, once for the row and once to the end): in a worker, where the minting
    # threads, the event loop and the journal wait for it, every release is a thread switch.
    # One statement: 0.835 -> 0.788 ms of a worker's CPU per token at 64 connections (six
    # alternating runs), though in process, with no other thread waiting, it is only a few µs.
    # The LEFT JOIN keeps the version when no user has the name, or no name is given.
    _STATE_SQL = (
        "SELECT config_state.version, users.active, users.failed_attempts, users.locked_until"
        " FROM config_state LEFT JOIN users ON users.username = ? WHERE config_state.id = ?"
    )
    _LOGIN_SQL = "SELECT active, failed_attempts, locked_until FROM users WHERE username = ?"

    def __init__(
        self, engine: Engine, login_state: Callable[[str], LoginState | None]
    ) -> None:
        """``login_state`` is the regular path (``store.logins.state``), used on other
        databases and whenever a fast read fails."""
        self._engine = engine
        self._regular_login_state = login_state
        self._enabled = engine.dialect.name == "sqlite" and engine.dialect.paramstyle == "qmark"
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._locked_until = s.users.c.locked_until.type.dialect_impl(
            engine.dialect
        ).result_processor(engine.dialect, None)

    def fresh_state(self, username: str | None) -> FreshState:
        """The configuration version and, when ``username`` is given, that user's login state,
        both as committed right now; nothing read (see :class:`FreshState`) where the fast
        path cannot answer."""
        if not self._enabled:
            return _NOTHING_READ
        try:
            row = self._query(self._STATE_SQL, (username, s.CONFIG_STATE_ID))
        except _Fallback:
            return _NOTHING_READ
        if row is None:  # no configuration yet: the Store says so in its own words
            return _NOTHING_READ
        # users.active is NOT NULL: NULL there means the join found no such user.
        login = None if row[1] is None else self._login_state(row[1], row[2], row[3])
        return FreshState(int(row[0]), username, login)

    def login_state(self, username: str) -> LoginState | None:
        """``username``'s login state as committed right now; None when there is no such
        user."""
        if not self._enabled:
            return self._regular_login_state(username)
        try:
            row = self._query(self._LOGIN_SQL, (username,))
        except _Fallback:
            return self._regular_login_state(username)
        if row is None:
            return None
        return self._login_state(row[0], row[1], row[2])

    def _login_state(self, active: Any, failed_attempts: Any, locked_until: Any) -> LoginState:
        locked = self._locked_until(locked_until) if self._locked_until else locked_until
        return LoginState(bool(active), int(failed_attempts), locked)

    def close(self) -> None:
        while True:
            try:
                connection, _ = self._idle.get_nowait()
            except queue.Empty:
                return
            connection.close()

    def _query(self, sql: str, params: tuple[Any, ...]) -> Any:
        # Each kept connection keeps its cursor (the sqlite3 module caches the prepared
        # statements per connection): a cursor made and closed per read cost about 0.5 us of
        # the read's 4.
        try:
            connection, cursor = self._idle.get_nowait()
        except queue.Empty:
            connection, cursor = None, None
        try:
            if connection is None:
                connection = self._engine.raw_connection()
                cursor = connection.cursor()
            # fetchall runs the statement to its end, which resets it whatever the query
            # returns: a statement left stepping would hold the idle connection's read
            # snapshot open, and the WAL could not be checkpointed past it.
            rows = cursor.execute(sql, params).fetchall()
        except Exception as exc:  # noqa: BLE001 - the regular path reports it properly
            if connection is not None:
                connection.invalidate()
                connection.close()
            raise _Fallback from exc
        self._idle.put((connection, cursor))
        return rows[0] if rows else None


class _Fallback(Exception):
    """A fast read failed; the regular path answers instead."""


class FastInsertFailed(Exception):
    """A fast batch insert failed and was rolled back; the regular path should take the batch
    (it maps the error to the one a request should see: a duplicate id, say)."""


class FastInserts:
    """Batch inserts into one table on one DBAPI connection, for the token journal's thread.

    Through a SQLAlchemy connection a batch of token records cost about 250 µs of CPU plus 40 µs
    a row (checkout, the begin hook, compiling, per-row parameter processing), more than the
    CPU of the tokens' XML, and all of it with the GIL held while requests wait for it. Here a
    batch is one multi-row INSERT, atomic and committed by itself, each value converted by the
    very bind processor SQLAlchemy would use, so the stored form is the same. One statement,
    not BEGIN, a step per row and COMMIT: each call into SQLite lets go of the GIL, and taking
    it back costs the writer up to a switch interval behind the threads minting tokens, which
    was most of a commit's wait under load. One batch at a time (the journal has one writer
    thread; a lock covers a writer that outlives its close). SQLite only (:meth:`for_engine`).
    """

    def __init__(self, engine: Engine, table: Table) -> None:
        dialect = engine.dialect
        self._engine = engine
        names = [column.name for column in table.columns]
        processors = [
            column.type.dialect_impl(dialect).bind_processor(dialect) for column in table.columns
        ]
        # A row's values in column order, then the few that need converting (two times, two
        # booleans of eleven): a Python step per column cost 5 µs a row in the writer thread.
        getter = operator.itemgetter(*names)  # a tuple for two names or more
        self._values_of = getter if len(names) > 1 else lambda row: (getter(row),)
        self._conversions = tuple(
            (index, convert) for index, convert in enumerate(processors) if convert is not None
        )
        listed = ", ".join(names)
        self._head = f"INSERT INTO {table.name} ({listed}) VALUES "  # noqa: S608 - schema names
        self._row_marks = "(" + ", ".join("?" for _ in names) + ")"
        self._connection: Any = None
        self._lock = threading.Lock()
        self._writers = _WriterLock(Path(f"{engine.url.database}.writer-lock"))

    @classmethod
    def for_engine(cls, engine: Engine, table: Table) -> FastInserts | None:
        """The fast path on a file SQLite database (qmark parameters); None elsewhere.

        Not on an in-memory database: its one connection is shared by every thread, and a
        transaction of its own there would interleave with theirs.
        """
        if engine.dialect.name != "sqlite" or engine.dialect.paramstyle != "qmark":
            return None
        if engine.url.database in (None, "", ":memory:"):
            return None
        return cls(engine, table)

    def insert(self, rows: Sequence[dict[str, object]]) -> None:
        """Insert and commit ``rows`` in one statement: all of them or none. At most
        :data:`MAX_INSERT_ROWS` rows. DatabaseUnavailableError when the database stays busy
        (the busy timeout ran out); FastInsertFailed for any other error."""
        if not 0 < len(rows) <= MAX_INSERT_ROWS:
            raise ValueError(f"a batch holds 1 to {MAX_INSERT_ROWS} rows, not {len(rows)}")
        values: list[object] = []
        for row in rows:
            row_values = list(self._values_of(row))
            for index, convert in self._conversions:
                row_values[index] = convert(row_values[index])
            values += row_values
        sql = self._head + ", ".join([self._row_marks] * len(rows))
        with self._lock, self._writers:
            self._insert(sql, values)

    def _insert(self, sql: str, values: list[object]) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            try:
                connection = self._engine.raw_connection()
            except Exception as exc:  # noqa: BLE001 - the regular path reports it properly
                raise FastInsertFailed from exc
        try:
            cursor = connection.cursor()
            try:
                # The connection runs in autocommit (see database._configure_sqlite): one
                # statement is its own transaction, which takes the write lock when it starts.
                cursor.execute(sql, values)
            finally:
                cursor.close()
        except sqlite3.OperationalError as exc:
            self._drop(connection)
            reason = str(exc).lower()
            if "locked" in reason or "busy" in reason:
                raise DatabaseUnavailableError(BUSY_MESSAGE) from exc
            raise FastInsertFailed from exc
        except Exception as exc:  # noqa: BLE001 - the regular path reports it properly
            if isinstance(exc, sqlite3.IntegrityError):
                self._connection = connection  # nothing was stored; the connection is good
            else:
                self._drop(connection)
            raise FastInsertFailed from exc
        self._connection = connection

    def close(self) -> None:
        """Release the kept connection (a later insert opens another)."""
        with self._lock:
            if self._connection is not None:
                self._drop(self._connection)
                self._connection = None
            self._writers.close()

    @staticmethod
    def _drop(connection: Any) -> None:
        try:
            connection.invalidate()
        finally:
            connection.close()


class _WriterLock:
    """An exclusive lock on a file beside the database, taken around each batch insert, so the
    journals of several worker processes take turns at SQLite's write lock.

    Without it a worker whose insert found the database locked by another's slept in SQLite's
    busy handler, 1, 2, 5, 10 ... up to 100 ms a try, and lost again to the next insert of the
    other worker: under load a commit then waited for hundreds of milliseconds, and every
    request behind it too. The kernel hands a released lock to a waiting process at once.
    Where the file cannot be opened, or on Windows (no flock), the lock is skipped: SQLite's
    own locking still orders the writes, only with the busy handler's sleeps.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None
        self._unusable = False

    def __enter__(self) -> None:
        if sys.platform == "win32":
            return
        if self._fd is None and not self._unusable:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError:
                self._unusable = True
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *_: object) -> None:
        if sys.platform != "win32" and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
