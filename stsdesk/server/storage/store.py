"""The one gateway to the STS database: configuration, users, trust store, tokens and audit."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import Enum
from types import EllipsisType, UnionType
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from cryptography import x509
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy import update as sql_update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError
from sqlalchemy.pool import StaticPool

from stsdesk.server.errors import (
    ConflictError,
    NotFoundError,
    SealedDataError,
    ServerError,
    ValidationError,
)
from stsdesk.server.model import (
    ConfigSnapshot,
    IssuedTokenRecord,
    LockoutPolicy,
    PasswordDigestPolicy,
    RelyingParty,
    RequestedClaim,
    ResidentIdentityProvider,
    SecurityPolicy,
    TokenSettings,
    TokenStatus,
    UserRecord,
)
from stsdesk.server.passwords import hash_password
from stsdesk.server.secrets import MasterSecret
from stsdesk.server.storage import migrate
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.errors import (
    BUSY_MESSAGE,
    UNAVAILABLE_MESSAGE,
    DatabaseUnavailableError,
    driver_reason,
    is_unavailable,
)

__all__ = [
    "Store", "StoredSigningKey", "StoredRole", "DEFAULT_SIGNING_ALIAS", "TOKEN_TYPES", "KEY_TYPES",
    "ADMIN_ROLE", "ProtectedRoleError", "normalise_database_url",
]

log = logging.getLogger("stsdesk.server.storage")

DEFAULT_SIGNING_ALIAS = "wso2carbon"
TOKEN_TYPES = ("SAML11", "SAML20")
KEY_TYPES = ("Bearer", "SymmetricKey", "PublicKey")
# The role the admin API requires (as stsdesk.server.bootstrap.ADMIN_ROLE): the user and role
# methods made for the admin API refuse to delete or rename it, or to take away its last active
# member, which would lock every administrator out.
ADMIN_ROLE = "admin"

# How a transaction starts on SQLite. "read": a deferred BEGIN (one consistent WAL snapshot);
# "write": BEGIN IMMEDIATE, which takes the write lock up front so that the busy timeout applies
# instead of a deadlock error when two writers upgrade at once; "single": no BEGIN at all, for a
# lone SELECT that is atomic by itself (the per-request version check stays one statement).
# On PostgreSQL the same three modes keep the same guarantees across every node sharing the
# database: "read" runs REPEATABLE READ, read only (one snapshot for several SELECTs, and never
# a serialisation failure); "write" runs READ COMMITTED after taking one transaction-scoped
# advisory lock, so writers run one at a time as on SQLite and each statement after the lock
# sees every earlier writer's commit (the read-check-write methods below rely on that);
# "single" is one statement in READ COMMITTED.
_Mode = Literal["read", "write", "single"]
_BEGIN_OPTION = "stsdesk_sqlite_begin"
_SQLITE_BEGIN = {"read": "BEGIN", "write": "BEGIN IMMEDIATE", "single": None}
# pg_advisory_xact_lock key of the writer lock: "stsd" in ASCII (advisory locks are per database).
_PG_WRITE_LOCK = 0x73747364
_PG_CONNECT_TIMEOUT = 5  # seconds: a node whose database is unreachable answers, not hangs
# SQLSTATEs that mean "try again", not "the statement is wrong": serialisation failure, deadlock,
# lock not available.
_PG_RETRYABLE = {"40001", "40P01", "55P03"}
_NONCE_PURGE_INTERVAL = 60.0  # seconds between purges of expired nonces, per Store
_MAX_NAME = 255

_CONFIG_KEYS: dict[type, str] = {
    ResidentIdentityProvider: "resident_idp",
    SecurityPolicy: "security_policy",
    TokenSettings: "token_settings",
    LockoutPolicy: "lockout_policy",
    PasswordDigestPolicy: "password_digest",
}
# What a dummy sealed password is bound to: no username is empty, so no real one matches it.
_DUMMY_AAD = b""

_T = TypeVar("_T")


@dataclasses.dataclass(frozen=True)
class StoredSigningKey:
    """A signing key as stored: the PKCS#8 PEM is encrypted under the master secret."""

    alias: str
    private_key_pem: bytes = dataclasses.field(repr=False)
    certificate_der: bytes = dataclasses.field(repr=False)
    created_at: datetime


class ProtectedRoleError(ConflictError):
    """The change would delete or rename the admin role, or leave it without an active member."""


@dataclasses.dataclass(frozen=True)
class StoredRole:
    """A role (a SCIM group) with its members as ``(user id, username)``, sorted by username."""

    role_id: str
    name: str
    members: tuple[tuple[str, str], ...] = ()
    created_at: datetime | None = None
    modified_at: datetime | None = None


class Store:
    """Every read and write of the STS database goes through here; safe to share between threads.

    Configuration writes bump ``config_version`` in their own transaction, so :meth:`snapshot`
    can answer from its cache after one cheap query while nothing changed, in this process or in
    any other one using the same database.
    """

    def __init__(self, engine: Engine, master: MasterSecret | None = None) -> None:
        self._engine = engine
        self._master = master
        self._dialect = engine.dialect.name
        self._snapshot: ConfigSnapshot | None = None
        self._snapshot_lock = threading.Lock()
        self._purge_lock = threading.Lock()
        self._next_nonce_purge = 0.0
        self._dummy_sealed: bytes | None = None

    # ----------------------------------------------------------------------------- lifecycle

    @classmethod
    def open(
        cls, database_url: str, master: MasterSecret | None = None, *, echo: bool = False
    ) -> Store:
        """A Store on ``database_url``; nothing is read until the first call.

        ``postgresql://`` URLs use psycopg 3. Connections are checked before use, so a node
        whose database went away and came back carries on without a restart.
        """
        url = normalise_database_url(database_url)
        kwargs: dict[str, Any] = {}
        sqlite = url.get_backend_name() == "sqlite"
        memory = sqlite and url.database in (None, "", ":memory:")
        if memory:
            # One shared connection, or every checkout would see a different empty database.
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        elif sqlite:
            # Enough pooled connections for the STS threads, the token journal and the admin
            # API: a connection opened past the pool is closed after use, and reopening one
            # (with its PRAGMAs) costs more than the query it serves.
            kwargs.update(connect_args={"timeout": 5.0}, pool_size=20, max_overflow=20)
        else:
            kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=20, pool_timeout=10)
            if url.get_backend_name() == "postgresql":
                kwargs.update(connect_args={"connect_timeout": _PG_CONNECT_TIMEOUT})
        engine = create_engine(url, echo=echo, **kwargs)
        if sqlite:
            _configure_sqlite(engine, wal=not memory)
        return cls(engine, master)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def observed_version(self) -> int | None:
        """The configuration version of the last snapshot this Store built (no query)."""
        snap = self._snapshot
        return None if snap is None else snap.version

    def close(self) -> None:
        self._engine.dispose()

    def create_schema(self) -> None:
        """Migrate the schema to the head, write the version row and the default configuration.

        Safe to repeat, and safe when several nodes start at once on one database: it runs in
        one "write" transaction (serialised between nodes), and an older database is upgraded
        in place (see :mod:`stsdesk.server.storage.migrate`).
        """
        with self._tx("write") as conn:
            migrate.upgrade(conn)
            if conn.execute(select(s.config_state.c.id)).first() is None:
                conn.execute(
                    insert(s.config_state).values(
                        id=s.CONFIG_STATE_ID, version=1, signing_alias=DEFAULT_SIGNING_ALIAS
                    )
                )
                # The defaults are written out, so that a later release changing the model's
                # defaults does not silently change a running installation's configuration.
                present = set(conn.execute(select(s.config_values.c.key)).scalars())
                conn.execute(
                    insert(s.config_values),
                    [
                        {"key": key, "value": _encode(cls())}
                        for cls, key in _CONFIG_KEYS.items()
                        if key not in present
                    ],
                )

    def is_initialised(self) -> bool:
        """True if the schema exists and holds the configuration version row."""
        with self._tx("read") as conn:
            if not inspect(conn).has_table(s.config_state.name):
                return False
            return conn.execute(select(s.config_state.c.id)).first() is not None

    def schema_revision(self) -> str | None:
        """The migration revision the database is at; None before :meth:`create_schema`."""
        with self._tx("single") as conn:
            return migrate.current_revision(conn)

    @contextmanager
    def _tx(self, mode: _Mode) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                if self._dialect == "sqlite":
                    conn.execution_options(**{_BEGIN_OPTION: _SQLITE_BEGIN[mode]})
                elif self._dialect == "postgresql" and mode == "read":
                    # Several SELECTs must see one state, as SQLite's deferred BEGIN gives.
                    conn.execution_options(
                        isolation_level="REPEATABLE READ", postgresql_readonly=True
                    )
                with conn.begin():
                    if self._dialect == "postgresql" and mode == "write":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITE_LOCK}
                        )
                    yield conn
        except IntegrityError as exc:
            raise ConflictError(
                "The change clashes with data stored at the same moment (a duplicate name or a "
                "reference that no longer exists). Reload and try again."
            ) from exc
        except DBAPIError as exc:
            error = _unavailable(exc)
            if error is None:
                raise
            raise error from exc

    @staticmethod
    def _bump(conn: Connection) -> None:
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

    # ----------------------------------------------------------------------------- snapshot

    def snapshot(self, version: int | None = None) -> ConfigSnapshot:
        """The current configuration; one cheap query when it has not changed since last time.

        ``version`` is the configuration version when the caller has just read it (the token
        path reads it without SQLAlchemy); then no query is made while it is the cached one.
        """
        if version is None:
            with self._tx("single") as conn:
                version = conn.execute(
                    select(s.config_state.c.version).where(
                        s.config_state.c.id == s.CONFIG_STATE_ID
                    )
                ).scalar()
        if version is None:
            raise ServerError(
                "The database has no configuration yet. Initialise the data directory (start "
                "the server once) first."
            )
        cached = self._snapshot
        if cached is not None and cached.version == version:
            return cached
        with self._snapshot_lock:
            cached = self._snapshot
            if cached is not None and cached.version == version:
                return cached  # another thread rebuilt it while this one waited
            fresh = self._build_snapshot()
            if cached is None or fresh.version >= cached.version:
                self._snapshot = fresh
            return fresh

    def _build_snapshot(self) -> ConfigSnapshot:
        with self._tx("read") as conn:
            state = conn.execute(select(s.config_state)).one()
            values = dict(
                conn.execute(select(s.config_values.c.key, s.config_values.c.value)).all()
            )
            apps = {row.id: row for row in conn.execute(select(s.applications))}
            claims = _claims_by_app(conn)
            parties = tuple(
                _party_from_row(row, apps[row.application_id], claims.get(row.application_id, ()))
                for row in conn.execute(
                    select(s.relying_parties).order_by(s.relying_parties.c.audience)
                )
            )
            trusted = _trusted(conn)
        return ConfigSnapshot(
            version=state.version,
            resident_idp=_decode_config(ResidentIdentityProvider, values),
            security=_decode_config(SecurityPolicy, values),
            relying_parties=parties,
            trusted_certificates=trusted,
            signing_alias=state.signing_alias,
            tokens=_decode_config(TokenSettings, values),
            lockout=_decode_config(LockoutPolicy, values),
            password_digest=_decode_config(PasswordDigestPolicy, values),
        )

    # ----------------------------------------------------------------------------- small config

    def _get_config(self, cls: type[_T]) -> _T:
        key = _CONFIG_KEYS[cls]
        with self._tx("single") as conn:
            text = conn.execute(
                select(s.config_values.c.value).where(s.config_values.c.key == key)
            ).scalar()
        return _decode_config(cls, {} if text is None else {key: text})

    def _set_config(self, value: Any) -> None:
        cls = type(value)
        value = _normalise(value)
        _CONFIG_CHECKS.get(cls, _no_check)(value)
        with self._tx("write") as conn:
            self._write_config(conn, value)

    def _write_config(self, conn: Connection, value: Any) -> None:
        key = _CONFIG_KEYS[type(value)]
        text = _encode(value)
        done = conn.execute(
            sql_update(s.config_values).where(s.config_values.c.key == key).values(value=text)
        )
        if done.rowcount == 0:
            conn.execute(insert(s.config_values).values(key=key, value=text))
        if isinstance(value, PasswordDigestPolicy) and not value.allowed:
            # Forbidding PasswordDigest and dropping the copies it needed are one change: no
            # moment exists where it is off and a password is still stored reversibly.
            _drop_sealed_passwords(conn)
        self._bump(conn)

    def update_config(self, cls: type[_T], change: Callable[[_T], _T]) -> tuple[_T, _T]:
        """Read, change and write one configuration record in one transaction.

        Two administrators changing the same record at once (on one node or two) are
        serialised, so neither change is lost. Returns (before, after); ``change`` may raise
        to refuse, and then nothing is written.
        """
        key = _CONFIG_KEYS[cls]
        with self._tx("write") as conn:
            text = conn.execute(
                select(s.config_values.c.value)
                .where(s.config_values.c.key == key)
                .with_for_update()
            ).scalar()
            before = _decode_config(cls, {} if text is None else {key: text})
            after = _normalise(change(before))
            _CONFIG_CHECKS.get(cls, _no_check)(after)
            if after != before:
                self._write_config(conn, after)
        return before, after

    def get_resident_idp(self) -> ResidentIdentityProvider:
        return self._get_config(ResidentIdentityProvider)

    def set_resident_idp(self, value: ResidentIdentityProvider) -> None:
        self._set_config(value)

    def get_security_policy(self) -> SecurityPolicy:
        return self._get_config(SecurityPolicy)

    def set_security_policy(self, value: SecurityPolicy) -> None:
        self._set_config(value)

    def get_token_settings(self) -> TokenSettings:
        return self._get_config(TokenSettings)

    def set_token_settings(self, value: TokenSettings) -> None:
        value = _normalise(value)
        if value.default_lifetime_seconds < 1:
            raise ValidationError("The default token lifetime must be at least 1 second.")
        if value.max_lifetime_seconds < value.default_lifetime_seconds:
            raise ValidationError(
                "The maximum token lifetime is shorter than the default lifetime; raise the "
                "maximum or lower the default."
            )
        if value.clock_skew_seconds < 0:
            raise ValidationError("The allowed clock skew cannot be negative.")
        self._set_config(value)

    def get_lockout_policy(self) -> LockoutPolicy:
        return self._get_config(LockoutPolicy)

    def set_lockout_policy(self, value: LockoutPolicy) -> None:
        value = _normalise(value)
        if value.max_failed_attempts < 0 or value.lockout_seconds < 0:
            raise ValidationError(
                "Lockout attempts and duration cannot be negative (0 attempts turns locking off)."
            )
        self._set_config(value)

    def get_password_digest_policy(self) -> PasswordDigestPolicy:
        return self._get_config(PasswordDigestPolicy)

    def set_password_digest_policy(self, value: PasswordDigestPolicy) -> int:
        """Allow or forbid PasswordDigest; returns how many sealed passwords forbidding dropped.

        Allowing stores nothing at once: each user's password is sealed at their next
        successful sign-in with it, or when it is next set.
        """
        value = _normalise(value)
        with self._tx("write") as conn:
            dropped = 0 if value.allowed else _count_sealed_passwords(conn)
            self._write_config(conn, value)
        return dropped

    def count_sealed_passwords(self) -> int:
        """How many users' passwords are stored reversibly (sealed) for PasswordDigest."""
        with self._tx("single") as conn:
            return _count_sealed_passwords(conn)

    def drop_sealed_passwords_unless_allowed(self) -> int:
        """At start-up: drop every sealed password unless PasswordDigest is allowed.

        A database from before the setting existed has sealed copies and no setting: the
        setting is written out as off and the copies go. Returns how many were dropped.
        """
        key = _CONFIG_KEYS[PasswordDigestPolicy]
        with self._tx("write") as conn:
            stored = conn.execute(
                select(s.config_values.c.value).where(s.config_values.c.key == key)
            ).scalar()
            if stored is None:
                conn.execute(
                    insert(s.config_values).values(key=key, value=_encode(PasswordDigestPolicy()))
                )
            elif _decode_config(PasswordDigestPolicy, {key: stored}).allowed:
                return 0
            dropped = _drop_sealed_passwords(conn)
            if dropped:
                self._bump(conn)
            return dropped

    def get_signing_alias(self) -> str:
        with self._tx("single") as conn:
            alias = conn.execute(select(s.config_state.c.signing_alias)).scalar()
        return DEFAULT_SIGNING_ALIAS if alias is None else str(alias)

    def set_signing_alias(self, alias: str) -> None:
        with self._tx("write") as conn:
            if not _exists(conn, s.signing_keys.c.alias, alias):
                raise NotFoundError(
                    f"There is no signing key with alias {alias!r}. Generate or import it first."
                )
            conn.execute(sql_update(s.config_state).values(signing_alias=alias))
            self._bump(conn)

    # ----------------------------------------------------------------------------- signing keys

    def add_signing_key(
        self, alias: str, private_key_pem: bytes, certificate_der: bytes, *, replace: bool = False
    ) -> None:
        """Store an (already encrypted) signing key; ConflictError if the alias exists."""
        alias = _check_name(alias, "signing key alias")
        now = datetime.now(UTC)
        with self._tx("write") as conn:
            if _exists(conn, s.signing_keys.c.alias, alias):
                if not replace:
                    raise ConflictError(
                        f"A signing key with alias {alias!r} already exists. Choose another "
                        "alias, or delete the old key first."
                    )
                conn.execute(
                    sql_update(s.signing_keys)
                    .where(s.signing_keys.c.alias == alias)
                    .values(
                        private_key_pem=private_key_pem,
                        certificate_der=certificate_der,
                        created_at=now,
                    )
                )
            else:
                conn.execute(
                    insert(s.signing_keys).values(
                        alias=alias,
                        private_key_pem=private_key_pem,
                        certificate_der=certificate_der,
                        created_at=now,
                    )
                )
            self._bump(conn)

    def get_signing_key(self, alias: str) -> StoredSigningKey | None:
        with self._tx("single") as conn:
            row = conn.execute(
                select(s.signing_keys).where(s.signing_keys.c.alias == alias)
            ).first()
        return None if row is None else _signing_key(row)

    def list_signing_keys(self) -> list[StoredSigningKey]:
        with self._tx("single") as conn:
            rows = conn.execute(select(s.signing_keys).order_by(s.signing_keys.c.alias)).all()
        return [_signing_key(row) for row in rows]

    def delete_signing_key(self, alias: str) -> None:
        with self._tx("write") as conn:
            current = conn.execute(select(s.config_state.c.signing_alias)).scalar()
            if current == alias:
                raise ConflictError(
                    f"The signing key {alias!r} signs the tokens this STS issues. Choose another "
                    "signing key first, then delete this one."
                )
            done = conn.execute(delete(s.signing_keys).where(s.signing_keys.c.alias == alias))
            if done.rowcount == 0:
                raise NotFoundError(f"There is no signing key with alias {alias!r}.")
            self._bump(conn)

    # ----------------------------------------------------------------------------- applications

    def create_application(self, name: str, description: str = "") -> str:
        name = _check_name(name, "application name")
        _check_text(description, "description")
        app_id = str(uuid.uuid4())
        with self._tx("write") as conn:
            if _exists(conn, s.applications.c.name, name):
                raise ConflictError(
                    f"An application named {name!r} already exists. Choose another name."
                )
            conn.execute(
                insert(s.applications).values(
                    id=app_id, name=name, description=description, subject_claim_uri=None,
                    created_at=datetime.now(UTC),
                )
            )
            self._bump(conn)
        return app_id

    def get_application(self, app_id: str) -> dict[str, Any]:
        """``{"id", "name", "description", "claims", "subject_claim_uri"}``; NotFoundError."""
        with self._tx("read") as conn:
            row = _app_row(conn, app_id)
            claims = _claims_by_app(conn, app_id).get(app_id, ())
        return _app_dict(row, claims)

    def list_applications(self) -> list[dict[str, Any]]:
        """Every application as :meth:`get_application` gives it, sorted by name."""
        with self._tx("read") as conn:
            rows = conn.execute(select(s.applications).order_by(s.applications.c.name)).all()
            claims = _claims_by_app(conn)
        return [_app_dict(row, claims.get(row.id, ())) for row in rows]

    def update_application(
        self,
        app_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        requested_claims: Sequence[RequestedClaim] | None = None,
        subject_claim_uri: str | None | EllipsisType = ...,
    ) -> None:
        """Change what is given; ``requested_claims`` replaces the whole list."""
        values: dict[str, Any] = {}
        if name is not None:
            values["name"] = _check_name(name, "application name")
        if description is not None:
            values["description"] = _check_text(description, "description")
        if subject_claim_uri is not ...:
            if subject_claim_uri is not None:
                _check_uri(subject_claim_uri, "subject claim URI")
            values["subject_claim_uri"] = subject_claim_uri
        claims = None if requested_claims is None else _check_claims(requested_claims)
        with self._tx("write") as conn:
            _app_row(conn, app_id)
            if name is not None:
                other = conn.execute(
                    select(s.applications.c.id).where(
                        s.applications.c.name == name, s.applications.c.id != app_id
                    )
                ).first()
                if other is not None:
                    raise ConflictError(
                        f"An application named {name!r} already exists. Choose another name."
                    )
            if values:
                conn.execute(
                    sql_update(s.applications).where(s.applications.c.id == app_id).values(values)
                )
            if claims is not None:
                conn.execute(
                    delete(s.application_claims).where(
                        s.application_claims.c.application_id == app_id
                    )
                )
                if claims:
                    conn.execute(
                        insert(s.application_claims),
                        [
                            {"application_id": app_id, "claim_uri": c.uri, "position": i,
                             "mandatory": c.mandatory}
                            for i, c in enumerate(claims)
                        ],
                    )
            self._bump(conn)

    def delete_application(self, app_id: str) -> None:
        """Delete the application, its claim configuration and its relying party."""
        with self._tx("write") as conn:
            done = conn.execute(delete(s.applications).where(s.applications.c.id == app_id))
            if done.rowcount == 0:
                raise NotFoundError(f"There is no application with id {app_id!r}.")
            self._bump(conn)

    def set_relying_party(self, app_id: str, party: RelyingParty) -> None:
        """Create or replace ``app_id``'s WS-Trust configuration.

        ``party.application_id``, ``name``, ``requested_claims`` and ``subject_claim_uri`` are
        ignored: they come from the application (see :meth:`update_application`).
        """
        values = _party_values(party)
        with self._tx("write") as conn:
            _app_row(conn, app_id)
            holder = conn.execute(
                select(s.applications.c.name)
                .join(s.relying_parties, s.relying_parties.c.application_id == s.applications.c.id)
                .where(
                    s.relying_parties.c.audience == values["audience"],
                    s.relying_parties.c.application_id != app_id,
                )
            ).scalar()
            if holder is not None:
                raise ConflictError(
                    f"The audience {values['audience']!r} already belongs to the service "
                    f"provider {holder!r}. Each audience can select only one service provider."
                )
            alias = values["certificate_alias"]
            if alias is not None and not _exists(conn, s.trusted_certificates.c.alias, alias):
                raise ValidationError(
                    f"The certificate alias {alias!r} is not in the trust store. Import the "
                    "relying party's certificate under that alias first."
                )
            done = conn.execute(
                sql_update(s.relying_parties)
                .where(s.relying_parties.c.application_id == app_id)
                .values(values)
            )
            if done.rowcount == 0:
                conn.execute(insert(s.relying_parties).values(application_id=app_id, **values))
            self._bump(conn)

    def get_relying_party(self, app_id: str) -> RelyingParty | None:
        """The app's WS-Trust configuration with its claims merged in; None if it has none."""
        with self._tx("read") as conn:
            app = _app_row(conn, app_id)
            row = conn.execute(
                select(s.relying_parties).where(s.relying_parties.c.application_id == app_id)
            ).first()
            if row is None:
                return None
            claims = _claims_by_app(conn, app_id).get(app_id, ())
        return _party_from_row(row, app, claims)

    def delete_relying_party(self, app_id: str) -> None:
        """Remove the app's WS-Trust configuration (nothing happens if it has none)."""
        with self._tx("write") as conn:
            _app_row(conn, app_id)
            done = conn.execute(
                delete(s.relying_parties).where(s.relying_parties.c.application_id == app_id)
            )
            if done.rowcount:
                self._bump(conn)

    # ----------------------------------------------------------------------------- trust store

    def add_trusted_certificate(self, alias: str, der: bytes) -> None:
        alias = _check_name(alias, "certificate alias")
        try:
            x509.load_der_x509_certificate(der)
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                f"The data for {alias!r} is not a DER-encoded X.509 certificate. Export the "
                "certificate again (PEM is accepted where the admin API takes text)."
            ) from exc
        with self._tx("write") as conn:
            if _exists(conn, s.trusted_certificates.c.alias, alias):
                raise ConflictError(
                    f"The trust store already has a certificate with alias {alias!r}. Choose "
                    "another alias, or delete the old certificate first."
                )
            conn.execute(
                insert(s.trusted_certificates).values(
                    alias=alias, certificate_der=bytes(der), created_at=datetime.now(UTC)
                )
            )
            self._bump(conn)

    def remove_trusted_certificate(self, alias: str) -> None:
        """Delete a certificate; ConflictError naming the service providers that still use it."""
        with self._tx("write") as conn:
            if not _exists(conn, s.trusted_certificates.c.alias, alias):
                raise NotFoundError(f"The trust store has no certificate with alias {alias!r}.")
            users = conn.execute(
                select(s.applications.c.name)
                .join(s.relying_parties, s.relying_parties.c.application_id == s.applications.c.id)
                .where(s.relying_parties.c.certificate_alias == alias)
                .order_by(s.applications.c.name)
            ).scalars().all()
            if users:
                names = ", ".join(repr(n) for n in users)
                raise ConflictError(
                    f"The certificate {alias!r} is used by the service provider(s) {names}. "
                    "Change their WS-Trust certificate alias first, then delete it."
                )
            conn.execute(
                delete(s.trusted_certificates).where(s.trusted_certificates.c.alias == alias)
            )
            self._bump(conn)

    def list_trusted_certificates(self) -> dict[str, bytes]:
        """Alias -> DER, sorted by alias."""
        with self._tx("single") as conn:
            return _trusted(conn)

    # ----------------------------------------------------------------------------- roles

    def create_role(self, name: str, *, member_ids: Sequence[str] = ()) -> str:
        """Create a role (with these users as members) and return its id."""
        name = _check_name(name, "role name")
        members = _check_ids(member_ids, "member")
        role_id = str(uuid.uuid4())
        with self._tx("write") as conn:
            if _exists(conn, s.roles.c.name, name):
                raise ConflictError(f"A role named {name!r} already exists.")
            _require_users(conn, members)
            conn.execute(
                insert(s.roles).values(id=role_id, name=name, created_at=datetime.now(UTC))
            )
            if members:
                conn.execute(
                    insert(s.user_roles), [{"user_id": u, "role_id": role_id} for u in members]
                )
            self._bump(conn)
        return role_id

    def get_role(self, role_id: str) -> StoredRole | None:
        """The role with id ``role_id`` and its members; None if there is none."""
        with self._tx("read") as conn:
            row = conn.execute(select(s.roles).where(s.roles.c.id == role_id)).first()
            if row is None:
                return None
            return _stored_roles(conn, [row])[0]

    def role_ids(self) -> dict[str, str]:
        """Role name -> role id, for every role."""
        with self._tx("single") as conn:
            return dict(conn.execute(select(s.roles.c.name, s.roles.c.id)).all())

    def list_role_records(self) -> list[StoredRole]:
        """Every role with its members, sorted by name."""
        with self._tx("read") as conn:
            rows = conn.execute(select(s.roles).order_by(s.roles.c.name)).all()
            return _stored_roles(conn, rows)

    def update_role(
        self,
        role_id: str,
        *,
        name: str | None = None,
        member_ids: Sequence[str] | None = None,
        add_member_ids: Sequence[str] = (),
        remove_member_ids: Sequence[str] = (),
    ) -> StoredRole:
        """Rename a role and change its members in one transaction; returns the role after.

        ``member_ids`` replaces the members; then ``add_member_ids`` and ``remove_member_ids``
        apply. The admin role cannot be renamed or lose its last active member (ConflictError).
        """
        new_name = None if name is None else _check_name(name, "role name")
        replace = None if member_ids is None else set(_check_ids(member_ids, "member"))
        adding = set(_check_ids(add_member_ids, "member"))
        removing = set(_check_ids(remove_member_ids, "member"))
        with self._tx("write") as conn:
            row = conn.execute(select(s.roles).where(s.roles.c.id == role_id)).first()
            if row is None:
                raise NotFoundError(f"There is no role with id {role_id!r}.")
            if new_name is not None and new_name != row.name:
                if row.name == ADMIN_ROLE:
                    raise ProtectedRoleError(
                        f"The role {ADMIN_ROLE!r} cannot be renamed: the admin API admits only "
                        "its members. Create another role instead."
                    )
                if _exists(conn, s.roles.c.name, new_name):
                    raise ConflictError(f"A role named {new_name!r} already exists.")
            current = set(
                conn.execute(
                    select(s.user_roles.c.user_id).where(s.user_roles.c.role_id == role_id)
                ).scalars()
            )
            wanted = set(current) if replace is None else set(replace)
            wanted = (wanted | adding) - removing
            _require_users(conn, sorted((wanted | adding) - current))
            lost = current - wanted
            if row.name == ADMIN_ROLE and lost:
                _guard_last_admin(conn, lost)
            if lost:
                conn.execute(
                    delete(s.user_roles).where(
                        s.user_roles.c.role_id == role_id, s.user_roles.c.user_id.in_(lost)
                    )
                )
            gained = wanted - current
            if gained:
                conn.execute(
                    insert(s.user_roles),
                    [{"user_id": u, "role_id": role_id} for u in sorted(gained)],
                )
            values: dict[str, Any] = {"modified_at": datetime.now(UTC)}
            if new_name is not None:
                values["name"] = new_name
            conn.execute(sql_update(s.roles).where(s.roles.c.id == role_id).values(values))
            self._bump(conn)
            fresh = conn.execute(select(s.roles).where(s.roles.c.id == role_id)).one()
            return _stored_roles(conn, [fresh])[0]

    def delete_role_by_id(self, role_id: str) -> str:
        """Delete a role by id and return its name; the admin role cannot be deleted."""
        with self._tx("write") as conn:
            name = conn.execute(select(s.roles.c.name).where(s.roles.c.id == role_id)).scalar()
            if name is None:
                raise NotFoundError(f"There is no role with id {role_id!r}.")
            if name == ADMIN_ROLE:
                raise ProtectedRoleError(
                    f"The role {ADMIN_ROLE!r} cannot be deleted: the admin API admits only its "
                    "members, so deleting it would lock every administrator out."
                )
            conn.execute(delete(s.roles).where(s.roles.c.id == role_id))
            self._bump(conn)
            return str(name)

    def list_roles(self) -> list[str]:
        with self._tx("single") as conn:
            return list(conn.execute(select(s.roles.c.name).order_by(s.roles.c.name)).scalars())

    def delete_role(self, name: str) -> None:
        """Delete a role; its users simply lose it."""
        with self._tx("write") as conn:
            done = conn.execute(delete(s.roles).where(s.roles.c.name == name))
            if done.rowcount == 0:
                raise NotFoundError(f"There is no role named {name!r}.")
            self._bump(conn)

    # ----------------------------------------------------------------------------- users

    def create_user(
        self,
        username: str,
        password: str,
        *,
        roles: Sequence[str] = (),
        claims: Mapping[str, str] | None = None,
        sealed_password: bytes | None = None,
        password_hash: str | None = None,
        active: bool = True,
    ) -> str:
        """Create a user and return its id; ConflictError if the username is taken.

        The password is hashed (argon2id) unless ``password_hash`` is given. While PasswordDigest
        is allowed it is also sealed under the master secret (or ``sealed_password`` is stored as
        given); otherwise no reversible copy is kept.
        """
        username = _check_name(username, "username")
        if password_hash is None:
            _check_password(password)
        role_names = _check_roles(roles)
        claim_map = _check_user_claims(claims or {})
        # argon2 takes tens of milliseconds: hash before taking the write lock.
        hashed = password_hash if password_hash is not None else hash_password(password)
        sealed = sealed_password if sealed_password is not None else self._seal(username, password)
        user_id = str(uuid.uuid4())
        with self._tx("write") as conn:
            if _exists(conn, s.users.c.username, username):
                raise ConflictError(
                    f"A user named {username!r} already exists. Choose another username."
                )
            if not _digest_allowed(conn):
                sealed = None
            role_ids = _role_ids(conn, role_names)
            conn.execute(
                insert(s.users).values(
                    id=user_id, username=username, password_hash=hashed, password_sealed=sealed,
                    active=bool(active), failed_attempts=0, locked_until=None,
                    created_at=datetime.now(UTC),
                )
            )
            _write_user_roles(conn, user_id, role_ids)
            _write_user_claims(conn, user_id, claim_map)
            self._bump(conn)
        return user_id

    def get_user(self, username: str) -> UserRecord | None:
        """The user named exactly ``username`` (case-sensitive), with roles and claims."""
        with self._tx("read") as conn:
            row = conn.execute(select(s.users).where(s.users.c.username == username)).first()
            if row is None:
                return None
            return _user_record(conn, row)

    def get_user_by_id(self, user_id: str) -> UserRecord | None:
        """The user with id ``user_id``, with roles and claims; None if there is none."""
        with self._tx("read") as conn:
            row = conn.execute(select(s.users).where(s.users.c.id == user_id)).first()
            if row is None:
                return None
            return _user_record(conn, row)

    def list_users(self) -> list[UserRecord]:
        """Every user, sorted by username, with roles and claims (three queries in all)."""
        with self._tx("read") as conn:
            rows = conn.execute(select(s.users).order_by(s.users.c.username)).all()
            roles: dict[str, list[str]] = {}
            for user_id, role in conn.execute(
                select(s.user_roles.c.user_id, s.roles.c.name)
                .join(s.roles, s.roles.c.id == s.user_roles.c.role_id)
                .order_by(s.roles.c.name)
            ):
                roles.setdefault(user_id, []).append(role)
            claims: dict[str, dict[str, str]] = {}
            for user_id, uri, value in conn.execute(
                select(s.user_claims.c.user_id, s.user_claims.c.claim_uri, s.user_claims.c.value)
                .order_by(s.user_claims.c.claim_uri)
            ):
                claims.setdefault(user_id, {})[uri] = value
        return [
            _user_from_row(row, roles.get(row.id, ()), claims.get(row.id, {})) for row in rows
        ]

    def update_user(
        self,
        user_id: str,
        *,
        username: str | None = None,
        password: str | None = None,
        claims: Mapping[str, str | None] | None = None,
        active: bool | None = None,
        unlock: bool = False,
    ) -> UserRecord:
        """Change a user's profile in one transaction and return the user after the change.

        ``claims`` is merged: a value sets the claim, None removes it, claims not named stay.
        A rename keeps the password: its sealed copy (if any) is sealed again under the new name.
        Deactivating the last active member of the admin role is refused (ConflictError).
        """
        new_name = None if username is None else _check_name(username, "username")
        hashed = None
        if password is not None:
            _check_password(password)
            hashed = hash_password(password)  # argon2 before the write lock, as create_user
        merge: dict[str, str | None] = {}
        for uri, value in (claims or {}).items():
            _check_uri(uri, "claim URI")
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"The value of claim {uri!r} must be text.")
            merge[uri] = value
        with self._tx("write") as conn:
            row = conn.execute(select(s.users).where(s.users.c.id == user_id)).first()
            if row is None:
                raise NotFoundError(f"There is no user with id {user_id!r}.")
            final_name = row.username if new_name is None else new_name
            values: dict[str, Any] = {"modified_at": datetime.now(UTC)}
            if final_name != row.username:
                if _exists(conn, s.users.c.username, final_name):
                    raise ConflictError(
                        f"A user named {final_name!r} already exists. Choose another username."
                    )
                values["username"] = final_name
                if password is None:
                    values["password_sealed"] = self._reseal(row, final_name)
            if password is not None:
                values["password_hash"] = hashed
                values["password_sealed"] = (
                    self._seal(final_name, password) if _digest_allowed(conn) else None
                )
            if active is not None:
                if not active and row.active:
                    _guard_last_admin(conn, {user_id})
                values["active"] = bool(active)
            if unlock:
                values["failed_attempts"] = 0
                values["locked_until"] = None
            conn.execute(sql_update(s.users).where(s.users.c.id == user_id).values(values))
            removed = [uri for uri, value in merge.items() if value is None]
            written = {uri: value for uri, value in merge.items() if value is not None}
            if merge:
                conn.execute(
                    delete(s.user_claims).where(
                        s.user_claims.c.user_id == user_id,
                        s.user_claims.c.claim_uri.in_(removed + list(written)),
                    )
                )
                _write_user_claims(conn, user_id, written)
            self._bump(conn)
            fresh = conn.execute(select(s.users).where(s.users.c.id == user_id)).one()
            return _user_record(conn, fresh)

    def delete_user_by_id(self, user_id: str) -> str:
        """Delete a user by id and return the username; never the last active admin."""
        with self._tx("write") as conn:
            row = conn.execute(
                select(s.users.c.username, s.users.c.active).where(s.users.c.id == user_id)
            ).first()
            if row is None:
                raise NotFoundError(f"There is no user with id {user_id!r}.")
            if row.active:
                _guard_last_admin(conn, {user_id})
            conn.execute(delete(s.users).where(s.users.c.id == user_id))
            self._bump(conn)
            return str(row.username)

    def set_password(self, username: str, password: str) -> None:
        _check_password(password)
        hashed = hash_password(password)
        sealed = self._seal(username, password)
        with self._tx("write") as conn:
            if not _digest_allowed(conn):
                sealed = None
            done = conn.execute(
                sql_update(s.users)
                .where(s.users.c.username == username)
                .values(password_hash=hashed, password_sealed=sealed,
                        modified_at=datetime.now(UTC))
            )
            if done.rowcount == 0:
                raise NotFoundError(f"There is no user named {username!r}.")
            self._bump(conn)

    def set_user_roles(self, username: str, roles: Sequence[str]) -> None:
        """Replace the user's roles with ``roles`` (each must exist)."""
        role_names = _check_roles(roles)
        with self._tx("write") as conn:
            user_id = _user_id(conn, username)
            role_ids = _role_ids(conn, role_names)
            conn.execute(delete(s.user_roles).where(s.user_roles.c.user_id == user_id))
            _write_user_roles(conn, user_id, role_ids)
            _touch_user(conn, user_id)
            self._bump(conn)

    def set_user_claims(self, username: str, claims: Mapping[str, str]) -> None:
        """Replace the user's claims with ``claims`` (claim URI -> value)."""
        claim_map = _check_user_claims(claims)
        with self._tx("write") as conn:
            user_id = _user_id(conn, username)
            conn.execute(delete(s.user_claims).where(s.user_claims.c.user_id == user_id))
            _write_user_claims(conn, user_id, claim_map)
            _touch_user(conn, user_id)
            self._bump(conn)

    def delete_user(self, username: str) -> None:
        with self._tx("write") as conn:
            done = conn.execute(delete(s.users).where(s.users.c.username == username))
            if done.rowcount == 0:
                raise NotFoundError(f"There is no user named {username!r}.")
            self._bump(conn)

    def unseal_password(self, user: UserRecord | None) -> str | None:
        """The user's clear password for PasswordDigest; None if it cannot be had.

        None when there is no user, when the user has no sealed password, when this Store has no
        master secret, or when the sealed value fails its integrity check (logged: wrong keystore
        password or tampering). Each call costs one decryption, of a dummy when there is nothing
        to unseal, so that its time does not tell whether the user exists or has a sealed copy.
        """
        if self._master is None:
            return None
        if user is None or user.password_sealed is None:
            self._master.unseal(self._dummy(), _DUMMY_AAD)
            return None
        try:
            plain = self._master.unseal(user.password_sealed, user.username.encode("utf-8"))
        except SealedDataError:
            log.warning(
                "The sealed password of user %r failed its integrity check; PasswordDigest "
                "cannot be used for this user until the password is set again.",
                user.username,
            )
            return None
        return plain.decode("utf-8")

    def keep_password_for_digest(self, user: UserRecord, password: str) -> bool:
        """Seal ``password``, which a sign-in has just proved, beside ``user``'s hash.

        Only while PasswordDigest is allowed and the user has no sealed copy yet. The row must
        still have the name and hash that were checked, so a password changed or a user renamed
        in the meantime never gets a stale copy. True if a copy was stored.
        """
        sealed = self._seal(user.username, password)
        if sealed is None:
            return False
        with self._tx("write") as conn:
            if not _digest_allowed(conn):
                return False
            done = conn.execute(
                sql_update(s.users)
                .where(
                    s.users.c.id == user.user_id,
                    s.users.c.username == user.username,
                    s.users.c.password_hash == user.password_hash,
                    s.users.c.password_sealed.is_(None),
                )
                .values(password_sealed=sealed)
            )
            if done.rowcount != 1:
                return False
            # Profiles are cached per configuration version: the STS must see the new copy.
            self._bump(conn)
        log.info("Sealed the password of user %r for PasswordDigest at its sign-in.", user.username)
        return True

    def _dummy(self) -> bytes:
        if self._dummy_sealed is None and self._master is not None:
            # The size of a typical password, so that its decryption costs what a real one does.
            self._dummy_sealed = self._master.seal(secrets.token_bytes(24), _DUMMY_AAD)
        return self._dummy_sealed or b""

    def _seal(self, username: str, password: str) -> bytes | None:
        if self._master is None or not password:
            return None
        return self._master.seal(password.encode("utf-8"), username.encode("utf-8"))

    def _reseal(self, row: Any, new_username: str) -> bytes | None:
        # The sealed password is bound to the username; a rename seals it again under the new
        # one, or drops it (PasswordDigest then waits for a new password) if it cannot be read.
        # While PasswordDigest is not allowed no row has one, so nothing is sealed here then.
        if row.password_sealed is None or self._master is None:
            return None
        try:
            plain = self._master.unseal(bytes(row.password_sealed), row.username.encode("utf-8"))
        except SealedDataError:
            log.warning(
                "The sealed password of user %r failed its integrity check while renaming it; "
                "PasswordDigest needs a new password for this user.", row.username,
            )
            return None
        return self._master.seal(plain, new_username.encode("utf-8"))

    # ----------------------------------------------------------------------------- login state

    def record_failed_login(
        self, username: str, policy: LockoutPolicy, now: datetime
    ) -> datetime | None:
        """Count a failed login; returns ``locked_until`` once the user is (or stays) locked.

        An unknown username is a no-op returning None: nothing reveals whether it exists, and
        there is no global counter one could exhaust. A lock that has run out starts a fresh
        count. Failures while locked neither count nor extend the lock.
        """
        now = _aware(now, "now")
        with self._tx("write") as conn:
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

    def record_successful_login(self, username: str) -> None:
        """Reset the failure count; an active lock stays (only an expired one is cleared)."""
        now = datetime.now(UTC)
        with self._tx("single") as conn:
            row = conn.execute(
                select(s.users.c.failed_attempts, s.users.c.locked_until).where(
                    s.users.c.username == username
                )
            ).first()
        # The common case (no failures) costs a read and no write lock.
        if row is None or (row.failed_attempts == 0 and row.locked_until is None):
            return
        with self._tx("write") as conn:
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

    def unlock_user(self, username: str) -> None:
        """Clear the lock and the failure count (an administrator's action)."""
        with self._tx("write") as conn:
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
        expires_at = _aware(expires_at, "expires_at")
        digest = hashlib.sha256(nonce).digest()
        now = datetime.now(UTC)
        self._purge_nonces_now_and_then(now)
        try:
            with self._tx("write") as conn:
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
        with self._tx("write") as conn:
            conn.execute(delete(s.nonces).where(s.nonces.c.expires_at <= now))

    # ----------------------------------------------------------------------------- tokens

    def save_token(self, record: IssuedTokenRecord) -> None:
        """Remember an issued token; ConflictError if its id is already stored."""
        values = {
            "token_id": _check_text(record.token_id, "token id", required=True),
            "token_type": record.token_type,
            "subject": record.subject,
            "audience": record.audience,
            "issued_at": _aware(record.issued_at, "issued_at"),
            "expires_at": _aware(record.expires_at, "expires_at"),
            "status": TokenStatus(record.status).value,
            "renew_allowed": record.renew_allowed,
            "renew_after_expiry": record.renew_after_expiry,
            "replaced_by": record.replaced_by,
        }
        with self._tx("write") as conn:
            if _exists(conn, s.issued_tokens.c.token_id, record.token_id):
                raise ConflictError(f"A token with id {record.token_id!r} is already stored.")
            conn.execute(insert(s.issued_tokens).values(values))

    def get_token(self, token_id: str) -> IssuedTokenRecord | None:
        with self._tx("single") as conn:
            row = conn.execute(
                select(s.issued_tokens).where(s.issued_tokens.c.token_id == token_id)
            ).first()
        if row is None:
            return None
        return IssuedTokenRecord(
            token_id=row.token_id,
            token_type=row.token_type,
            subject=row.subject,
            audience=row.audience,
            issued_at=row.issued_at,
            expires_at=row.expires_at,
            status=TokenStatus(row.status),
            renew_allowed=bool(row.renew_allowed),
            renew_after_expiry=bool(row.renew_after_expiry),
            replaced_by=row.replaced_by,
        )

    def set_token_status(
        self,
        token_id: str,
        status: TokenStatus,
        *,
        replaced_by: str | None = None,
        expected: TokenStatus | None = None,
    ) -> bool:
        """Move a token to ``status``; True if the token exists (and had status ``expected``).

        With ``expected`` (say ACTIVE) the change applies only while the token still has that
        status, in one statement, so two concurrent Renew requests for one token cannot both win.
        """
        condition = s.issued_tokens.c.token_id == token_id
        if expected is not None:
            condition = condition & (s.issued_tokens.c.status == TokenStatus(expected).value)
        with self._tx("write") as conn:
            done = conn.execute(
                sql_update(s.issued_tokens)
                .where(condition)
                .values(status=TokenStatus(status).value, replaced_by=replaced_by)
            )
            return done.rowcount == 1

    # ----------------------------------------------------------------------------- audit

    def add_audit(self, actor: str, action: str, target: str, detail: str = "") -> None:
        with self._tx("write") as conn:
            conn.execute(
                insert(s.audit_log).values(
                    at=datetime.now(UTC), actor=actor, action=action, target=target, detail=detail
                )
            )

    def list_audit(self, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        """Newest first: ``{"id", "timestamp", "actor", "action", "target", "detail"}``."""
        if not 1 <= limit <= 1000 or offset < 0:
            raise ValidationError("Ask for 1 to 1000 audit entries from an offset of 0 or more.")
        with self._tx("single") as conn:
            rows = conn.execute(
                select(s.audit_log).order_by(s.audit_log.c.id.desc()).limit(limit).offset(offset)
            ).all()
        return [
            {"id": r.id, "timestamp": r.at, "actor": r.actor, "action": r.action,
             "target": r.target, "detail": r.detail}
            for r in rows
        ]


# --------------------------------------------------------------------------------- SQLite setup


def _check_resident_idp(value: ResidentIdentityProvider) -> None:
    if not value.issuer.strip():
        raise ValidationError("The resident identity provider's issuer is empty; give a "
                              "name such as localhost.")
    if value.idle_session_timeout_minutes < 1 or value.remember_me_minutes < 1:
        raise ValidationError("Session timeouts are counted in minutes and must be at least 1.")


def _check_security_policy(value: SecurityPolicy) -> None:
    if not value.scenario_id.strip():
        raise ValidationError("The security scenario is empty; choose one such as scenario1.")


def _no_check(_: Any) -> None:
    return None


def _digest_allowed(conn: Connection) -> bool:
    """Whether PasswordDigest is allowed, read inside the caller's transaction.

    Every write of a sealed password asks this in the transaction that writes it: writers are
    serialised, so none can slip a copy in after the setting was turned off.
    """
    key = _CONFIG_KEYS[PasswordDigestPolicy]
    stored = conn.execute(
        select(s.config_values.c.value).where(s.config_values.c.key == key)
    ).scalar()
    return _decode_config(PasswordDigestPolicy, {} if stored is None else {key: stored}).allowed


def _drop_sealed_passwords(conn: Connection) -> int:
    done = conn.execute(
        sql_update(s.users).where(s.users.c.password_sealed.is_not(None)).values(password_sealed=None)
    )
    return int(done.rowcount)


def _count_sealed_passwords(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(s.users).where(s.users.c.password_sealed.is_not(None))
        ).scalar_one()
    )


_CONFIG_CHECKS: dict[type, Callable[[Any], None]] = {
    ResidentIdentityProvider: _check_resident_idp,
    SecurityPolicy: _check_security_policy,
}


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


# --------------------------------------------------------------------------------- helpers


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


def _unavailable(exc: DBAPIError) -> DatabaseUnavailableError | None:
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


def _exists(conn: Connection, column: Any, value: Any) -> bool:
    return conn.execute(select(column).where(column == value).limit(1)).first() is not None


def _aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"{what} must be a datetime with a time zone (for example datetime.now(UTC))."
        )
    return value.astimezone(UTC)


def _check_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"The {what} is empty; give one.")
    if value != value.strip():
        raise ValidationError(f"The {what} {value!r} starts or ends with spaces; remove them.")
    if len(value) > _MAX_NAME:
        raise ValidationError(f"The {what} is longer than {_MAX_NAME} characters; shorten it.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError(f"The {what} {value!r} contains control characters; remove them.")
    return value


def _check_text(value: Any, what: str, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"The {what} must be text.")
    if required and not value:
        raise ValidationError(f"The {what} is empty; give one.")
    return value


def _check_uri(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise ValidationError(f"The {what} must be a non-empty URI without surrounding spaces.")
    return value


def _check_password(password: Any) -> None:
    if not isinstance(password, str) or not password:
        raise ValidationError("The password is empty; give one.")


def _check_roles(roles: Sequence[str]) -> list[str]:
    if isinstance(roles, str):
        raise ValidationError("Give roles as a list of names, not one string.")
    return sorted({_check_name(r, "role name") for r in roles})


def _check_user_claims(claims: Mapping[str, str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for uri, value in claims.items():
        _check_uri(uri, "claim URI")
        if not isinstance(value, str):
            raise ValidationError(f"The value of claim {uri!r} must be text.")
        result[uri] = value
    return result


def _check_claims(claims: Sequence[RequestedClaim]) -> list[RequestedClaim]:
    result: list[RequestedClaim] = []
    seen: set[str] = set()
    for claim in claims:
        if not isinstance(claim, RequestedClaim):
            raise ValidationError("Requested claims must be RequestedClaim records.")
        _check_uri(claim.uri, "requested claim URI")
        if claim.uri in seen:
            raise ValidationError(f"The claim {claim.uri!r} is requested twice; list it once.")
        seen.add(claim.uri)
        result.append(RequestedClaim(claim.uri, bool(claim.mandatory)))
    return result


def _role_ids(conn: Connection, names: Sequence[str]) -> list[str]:
    if not names:
        return []
    found = dict(
        conn.execute(select(s.roles.c.name, s.roles.c.id).where(s.roles.c.name.in_(names))).all()
    )
    missing = [n for n in names if n not in found]
    if missing:
        raise ValidationError(
            "No such role: " + ", ".join(repr(n) for n in missing) + ". Create it first."
        )
    return [found[n] for n in names]


def _user_id(conn: Connection, username: str) -> str:
    user_id = conn.execute(select(s.users.c.id).where(s.users.c.username == username)).scalar()
    if user_id is None:
        raise NotFoundError(f"There is no user named {username!r}.")
    return str(user_id)


def _write_user_roles(conn: Connection, user_id: str, role_ids: Sequence[str]) -> None:
    if role_ids:
        conn.execute(
            insert(s.user_roles), [{"user_id": user_id, "role_id": rid} for rid in role_ids]
        )


def _write_user_claims(conn: Connection, user_id: str, claims: Mapping[str, str]) -> None:
    if claims:
        conn.execute(
            insert(s.user_claims),
            [{"user_id": user_id, "claim_uri": k, "value": v} for k, v in claims.items()],
        )


def _touch_user(conn: Connection, user_id: str) -> None:
    conn.execute(
        sql_update(s.users).where(s.users.c.id == user_id).values(modified_at=datetime.now(UTC))
    )


def _check_ids(ids: Sequence[str], what: str) -> list[str]:
    if isinstance(ids, str):
        raise ValidationError(f"Give {what} ids as a list, not one string.")
    result = []
    for value in ids:
        if not isinstance(value, str) or not value or len(value) > 64:
            raise ValidationError(f"A {what} id must be a user id (text of at most 64 characters).")
        result.append(value)
    return sorted(set(result))


def _require_users(conn: Connection, user_ids: Sequence[str]) -> None:
    if not user_ids:
        return
    found = set(conn.execute(select(s.users.c.id).where(s.users.c.id.in_(user_ids))).scalars())
    missing = [u for u in user_ids if u not in found]
    if missing:
        raise ValidationError(
            "No user has the id " + ", ".join(repr(u) for u in missing[:5])
            + ". Give the ids of existing users as members."
        )


def _guard_last_admin(conn: Connection, losing: set[str]) -> None:
    """Refuse a change that leaves the admin role with no active member (run in the write tx)."""
    active_admins = set(
        conn.execute(
            select(s.users.c.id)
            .join(s.user_roles, s.user_roles.c.user_id == s.users.c.id)
            .join(s.roles, s.roles.c.id == s.user_roles.c.role_id)
            .where(s.roles.c.name == ADMIN_ROLE, s.users.c.active.is_(True))
        ).scalars()
    )
    if active_admins and active_admins <= losing:
        raise ProtectedRoleError(
            f"This would leave the role {ADMIN_ROLE!r} without an active member, and nobody could "
            "sign in to the admin API any more. Give another active user that role first."
        )


def _stored_roles(conn: Connection, rows: Sequence[Any]) -> list[StoredRole]:
    ids = [row.id for row in rows]
    members: dict[str, list[tuple[str, str]]] = {}
    if ids:
        for role_id, user_id, username in conn.execute(
            select(s.user_roles.c.role_id, s.users.c.id, s.users.c.username)
            .join(s.users, s.users.c.id == s.user_roles.c.user_id)
            .where(s.user_roles.c.role_id.in_(ids))
            .order_by(s.users.c.username)
        ):
            members.setdefault(role_id, []).append((user_id, username))
    return [
        StoredRole(
            role_id=row.id, name=row.name, members=tuple(members.get(row.id, ())),
            created_at=row.created_at, modified_at=row.modified_at,
        )
        for row in rows
    ]


def _user_record(conn: Connection, row: Any) -> UserRecord:
    roles = conn.execute(
        select(s.roles.c.name)
        .join(s.user_roles, s.user_roles.c.role_id == s.roles.c.id)
        .where(s.user_roles.c.user_id == row.id)
        .order_by(s.roles.c.name)
    ).scalars().all()
    claims = dict(
        conn.execute(
            select(s.user_claims.c.claim_uri, s.user_claims.c.value)
            .where(s.user_claims.c.user_id == row.id)
            .order_by(s.user_claims.c.claim_uri)
        ).all()
    )
    return _user_from_row(row, roles, claims)


def _user_from_row(row: Any, roles: Sequence[str], claims: dict[str, str]) -> UserRecord:
    return UserRecord(
        user_id=row.id,
        username=row.username,
        password_hash=row.password_hash,
        password_sealed=None if row.password_sealed is None else bytes(row.password_sealed),
        roles=tuple(roles),
        claims=claims,
        active=bool(row.active),
        failed_attempts=row.failed_attempts,
        locked_until=row.locked_until,
        created_at=row.created_at,
        modified_at=row.modified_at,
    )


def _app_row(conn: Connection, app_id: str) -> Any:
    row = conn.execute(select(s.applications).where(s.applications.c.id == app_id)).first()
    if row is None:
        raise NotFoundError(f"There is no application with id {app_id!r}.")
    return row


def _claims_by_app(
    conn: Connection, app_id: str | None = None
) -> dict[str, tuple[RequestedClaim, ...]]:
    query = select(s.application_claims).order_by(
        s.application_claims.c.application_id, s.application_claims.c.position
    )
    if app_id is not None:
        query = query.where(s.application_claims.c.application_id == app_id)
    grouped: dict[str, list[RequestedClaim]] = {}
    for row in conn.execute(query):
        grouped.setdefault(row.application_id, []).append(
            RequestedClaim(row.claim_uri, bool(row.mandatory))
        )
    return {k: tuple(v) for k, v in grouped.items()}


def _app_dict(row: Any, claims: Sequence[RequestedClaim]) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "claims": list(claims),
        "subject_claim_uri": row.subject_claim_uri,
    }


def _party_values(party: RelyingParty) -> dict[str, Any]:
    if not isinstance(party, RelyingParty):
        raise ValidationError("The WS-Trust configuration must be a RelyingParty record.")
    audience = _check_uri(party.audience, "audience")
    if party.certificate_alias is not None:
        _check_name(party.certificate_alias, "certificate alias")
    if party.token_type not in TOKEN_TYPES:
        raise ValidationError(
            f"The token type {party.token_type!r} is unknown; use one of {', '.join(TOKEN_TYPES)}."
        )
    if party.key_type not in KEY_TYPES:
        raise ValidationError(
            f"The key type {party.key_type!r} is unknown; use one of {', '.join(KEY_TYPES)}."
        )
    lifetime = party.token_lifetime_seconds
    if lifetime is not None and (isinstance(lifetime, bool) or not isinstance(lifetime, int)
                                 or lifetime < 1):
        raise ValidationError("The token lifetime must be a whole number of seconds, at least 1.")
    for what in ("encryption_algorithm", "key_transport_algorithm", "signature_algorithm",
                 "digest_algorithm", "name_id_format"):
        _check_uri(getattr(party, what), what.replace("_", " "))
    return {
        "audience": audience,
        "certificate_alias": party.certificate_alias,
        "token_type": party.token_type,
        "key_type": party.key_type,
        "encrypt_token": bool(party.encrypt_token),
        "encryption_algorithm": party.encryption_algorithm,
        "key_transport_algorithm": party.key_transport_algorithm,
        "signature_algorithm": party.signature_algorithm,
        "digest_algorithm": party.digest_algorithm,
        "token_lifetime_seconds": lifetime,
        "name_id_format": party.name_id_format,
    }


def _party_from_row(row: Any, app: Any, claims: Sequence[RequestedClaim]) -> RelyingParty:
    return RelyingParty(
        application_id=row.application_id,
        name=app.name,
        audience=row.audience,
        certificate_alias=row.certificate_alias,
        token_type=row.token_type,
        key_type=row.key_type,
        encrypt_token=bool(row.encrypt_token),
        encryption_algorithm=row.encryption_algorithm,
        key_transport_algorithm=row.key_transport_algorithm,
        signature_algorithm=row.signature_algorithm,
        digest_algorithm=row.digest_algorithm,
        token_lifetime_seconds=row.token_lifetime_seconds,
        name_id_format=row.name_id_format,
        requested_claims=tuple(claims),
        subject_claim_uri=app.subject_claim_uri,
    )


def _trusted(conn: Connection) -> dict[str, bytes]:
    rows = conn.execute(
        select(s.trusted_certificates.c.alias, s.trusted_certificates.c.certificate_der)
        .order_by(s.trusted_certificates.c.alias)
    ).all()
    return {alias: bytes(der) for alias, der in rows}


def _signing_key(row: Any) -> StoredSigningKey:
    return StoredSigningKey(
        alias=row.alias,
        private_key_pem=bytes(row.private_key_pem),
        certificate_der=bytes(row.certificate_der),
        created_at=row.created_at,
    )


# Configuration records travel as JSON; decoding coerces lists back to tuples and strings back
# to enums from the dataclass's own type hints, and keys a newer version added are ignored.


def _encode(value: Any) -> str:
    return json.dumps(dataclasses.asdict(value), sort_keys=True)


def _decode_config(cls: type[_T], values: Mapping[str, str]) -> _T:
    text = values.get(_CONFIG_KEYS[cls])
    if text is None:
        return cls()
    return _from_dict(cls, json.loads(text))


def _from_dict(cls: type[_T], data: Mapping[str, Any]) -> _T:
    hints = get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _coerce(hints[f.name], data[f.name], f.name)
    return cls(**kwargs)


def _normalise(value: _T) -> _T:
    """A copy of a configuration record with every field checked against its type hint."""
    if not dataclasses.is_dataclass(value) or type(value) not in _CONFIG_KEYS:
        raise ValidationError("Unsupported configuration record.")
    return _from_dict(type(value), {f.name: getattr(value, f.name)
                                    for f in dataclasses.fields(value)})


def _coerce(hint: Any, value: Any, name: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, UnionType):
        options = get_args(hint)
        if value is None and type(None) in options:
            return None
        inner = [o for o in options if o is not type(None)]
        return _coerce(inner[0], value, name)
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValidationError(f"{name} must be a list.")
        item = get_args(hint)[0]
        return tuple(_coerce(item, v, name) for v in value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError as exc:
            allowed = ", ".join(str(m.value) for m in hint)
            raise ValidationError(f"{name} must be one of {allowed}, not {value!r}.") from exc
    if hint is bool:
        if not isinstance(value, bool):
            raise ValidationError(f"{name} must be true or false.")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"{name} must be a whole number.")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ValidationError(f"{name} must be text.")
        return value
    return value
