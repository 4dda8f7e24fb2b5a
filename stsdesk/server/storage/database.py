"""The one transaction helper every repository shares: engine set-up, modes, error mapping."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy import update as sql_update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.pool import StaticPool

from stsdesk.server.errors import ConflictError, ServerError, ValidationError
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.errors import (
    BUSY_MESSAGE,
    UNAVAILABLE_MESSAGE,
    DatabaseUnavailableError,
    driver_reason,
    is_unavailable,
)

__all__ = ["Database", "Mode", "open_engine", "normalise_database_url", "unavailable_error"]

log = logging.getLogger("stsdesk.server.storage")

# How a transaction starts on SQLite. "read": a deferred BEGIN (one consistent WAL snapshot);
# "write": BEGIN IMMEDIATE, which takes the write lock up front so that the busy timeout applies
# instead of a deadlock error when two writers upgrade at once; "single": no BEGIN at all, for a
# lone SELECT that is atomic by itself (the per-request version check stays one statement);
# "append": BEGIN IMMEDIATE as "write".
# On PostgreSQL the same modes keep the same guarantees across every node sharing the
# database: "read" runs REPEATABLE READ, read only (one snapshot for several SELECTs, and never
# a serialisation failure); "write" runs READ COMMITTED after taking one transaction-scoped
# advisory lock, so writers run one at a time as on SQLite and each statement after the lock
# sees every earlier writer's commit (the read-check-write methods of the repositories rely on
# that); "single" is one statement in READ COMMITTED; "append" is READ COMMITTED without the
# writer lock, for the token journal's writes, which read nothing first and whose clashes the
# table's own key refuses (every token a node issues must not queue behind the admin writers'
# lock).
Mode = Literal["read", "write", "single", "append"]
_BEGIN_OPTION = "stsdesk_sqlite_begin"
_SQLITE_BEGIN: dict[str, str | None] = {
    "read": "BEGIN", "write": "BEGIN IMMEDIATE", "single": None, "append": "BEGIN IMMEDIATE",
}
# pg_advisory_xact_lock key of the writer lock: "stsd" in ASCII (advisory locks are per database).
_PG_WRITE_LOCK = 0x73747364
_PG_CONNECT_TIMEOUT = 5  # seconds: a node whose database is unreachable answers, not hangs
# SQLSTATEs that mean "try again", not "the statement is wrong": serialisation failure, deadlock,
# lock not available.
_PG_RETRYABLE = {"40001", "40P01", "55P03"}

_CONFLICT_MESSAGE = (
    "The change clashes with data stored at the same moment (a duplicate name or a reference "
    "that no longer exists). Reload and try again."
)


class Database:
    """Transactions on one engine, each in one of the :data:`Mode` modes; safe to share.

    Errors leave it mapped once for every repository: a clash with a key or reference becomes
    :class:`ConflictError`, a lost, refused or busy database :class:`DatabaseUnavailableError`
    (503 on the admin API, ``wst:RequestFailed`` on the STS); a bad statement stays a bug.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    @contextmanager
    def transaction(self, mode: Mode) -> Iterator[Connection]:
        """A connection in a transaction that commits when the block ends without an error."""
        try:
            with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    conn.execution_options(**{_BEGIN_OPTION: _SQLITE_BEGIN[mode]})
                elif self.dialect == "postgresql" and mode == "read":
                    # Several SELECTs must see one state, as SQLite's deferred BEGIN gives.
                    conn.execution_options(
                        isolation_level="REPEATABLE READ", postgresql_readonly=True
                    )
                with conn.begin():
                    if self.dialect == "postgresql" and mode == "write":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITE_LOCK}
                        )
                    yield conn
        except IntegrityError as exc:
            raise ConflictError(_CONFLICT_MESSAGE) from exc
        except DBAPIError as exc:
            error = unavailable_error(exc)
            if error is None:
                raise
            raise error from exc

    @staticmethod
    def bump_version(conn: Connection) -> None:
        """Count one configuration change (inside the writing transaction).

        Every node compares this version with the one its cached snapshot was built at, so a
        change made anywhere is in force everywhere at the next request.
        """
        result = conn.execute(
            sql_update(s.config_state)
            .where(s.config_state.c.id == s.CONFIG_STATE_ID)
            .values(version=s.config_state.c.version + 1)
        )
        if result.rowcount != 1:
            raise ServerError(
                "The database has no configuration yet. Initialise the data directory (start "
                "the server once) before changing the configuration."
            )


def open_engine(database_url: str | URL, *, echo: bool = False) -> Engine:
    """An engine on ``database_url`` with the pool and connection settings stsdesk relies on.

    ``postgresql://`` URLs use psycopg 3. Connections are checked before use, so a node whose
    database went away and came back carries on without a restart.
    """
    url = normalise_database_url(database_url)
    kwargs: dict[str, Any] = {}
    sqlite = url.get_backend_name() == "sqlite"
    memory = sqlite and url.database in (None, "", ":memory:")
    if memory:
        # One shared connection, or every checkout would see a different empty database.
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif sqlite:
        # Enough pooled connections for the STS threads, the token journal and the admin API:
        # a connection opened past the pool is closed after use, and reopening one (with its
        # PRAGMAs) costs more than the query it serves.
        kwargs.update(connect_args={"timeout": 5.0}, pool_size=20, max_overflow=20)
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=10)
        if url.get_backend_name() == "postgresql":
            kwargs.update(connect_args={"connect_timeout": _PG_CONNECT_TIMEOUT})
    engine = create_engine(url, echo=echo, **kwargs)
    if sqlite:
        _configure_sqlite(engine, wal=not memory)
    return engine


def normalise_database_url(database_url: str | URL) -> URL:
    """The SQLAlchemy URL to open: ``postgresql://`` (and ``postgres://``) mean psycopg 3.

    SQLAlchemy would pick psycopg2 for a bare ``postgresql://``; stsdesk ships psycopg 3.
    ValidationError for text that is not a database URL.
    """
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise ValidationError(
            "The database URL is not valid; give one such as "
            "postgresql://user@host:5432/stsdesk or sqlite:////path/to/stsdesk.db."
        ) from exc
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def unavailable_error(exc: DBAPIError) -> DatabaseUnavailableError | None:
    """DatabaseUnavailableError when ``exc`` is worth a retry (lost connection, busy,
    serialisation conflict); None when it is a bug to let through."""
    if not is_unavailable(exc):
        return None
    sqlstate = getattr(exc.orig, "sqlstate", None)
    reason = str(exc.orig).lower()
    if sqlstate in _PG_RETRYABLE or "locked" in reason or "busy" in reason:
        return DatabaseUnavailableError(BUSY_MESSAGE)
    # The driver's text names the host and the reason (refused, timed out); never a password.
    log.warning("The database is unavailable: %s", driver_reason(exc))
    return DatabaseUnavailableError(UNAVAILABLE_MESSAGE)


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling issues no BEGIN before SELECTs, which would split
        # a snapshot over several states; the "begin" hook below issues BEGIN itself instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 5000")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        statement = conn.get_execution_options().get(_BEGIN_OPTION, "BEGIN")
        if statement:
            conn.exec_driver_sql(statement)
