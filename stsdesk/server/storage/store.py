"""The composition point of the STS database: one engine, one transaction helper, one
repository per aggregate, and the configuration snapshot every request reads.

::

    store.config        resident IdP, security policy, token settings, lockout, PasswordDigest
    store.keys          signing keys, the active signing alias, the trust store
    store.applications  service providers, their requested claims and relying parties
    store.roles         roles (SCIM groups) and their members
    store.users         users, their roles, claims and passwords
    store.logins        failed sign-ins, lockouts and PasswordDigest nonces
    store.tokens        issued-token records (group-committed by the token journal)
    store.contexts      WS-SecureConversation contexts (their keys sealed)
    store.audit         the audit log
    store.crls          certificate revocation lists in the trust store
    store.saml_issuers  trust-store certificates trusted to sign SAML assertions of an issuer
    store.user_certificates  client certificates mapped to users
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, insert, inspect, select
from sqlalchemy.engine import URL

from stsdesk.server.errors import ServerError
from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.model import ConfigSnapshot
from stsdesk.server.storage import migrate
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.applications import ApplicationRepository, read_relying_parties
from stsdesk.server.storage.audit import AuditRepository
from stsdesk.server.storage.config import ConfigRepository, default_rows, read_config
from stsdesk.server.storage.contexts import ContextRepository
from stsdesk.server.storage.database import Database, open_engine
from stsdesk.server.storage.keys import DEFAULT_SIGNING_ALIAS, KeyRepository, read_trusted
from stsdesk.server.storage.logins import LoginRepository
from stsdesk.server.storage.revocation import RevocationListRepository, read_crls
from stsdesk.server.storage.roles import RoleRepository
from stsdesk.server.storage.saml_issuers import SamlIssuerRepository, read_saml_issuers
from stsdesk.server.storage.tokens import TokenRepository
from stsdesk.server.storage.user_certificates import UserCertificateRepository
from stsdesk.server.storage.users import UserRepository

__all__ = ["Store"]


class Store:
    """Every read and write of the STS database goes through here; safe to share between threads.

    Configuration writes bump ``config_version`` in their own transaction, so :meth:`snapshot`
    can answer from its cache after one cheap query while nothing changed, in this process or in
    any other one using the same database.
    """

    def __init__(self, engine: Engine, master: MasterSecret | None = None) -> None:
        self.database = Database(engine)
        self.config = ConfigRepository(self.database)
        self.keys = KeyRepository(self.database)
        self.applications = ApplicationRepository(self.database)
        self.roles = RoleRepository(self.database)
        self.users = UserRepository(self.database, master)
        self.logins = LoginRepository(self.database)
        self.tokens = TokenRepository(self.database)
        self.contexts = ContextRepository(self.database, master)
        self.audit = AuditRepository(self.database)
        self.crls = RevocationListRepository(self.database)
        self.saml_issuers = SamlIssuerRepository(self.database)
        self.user_certificates = UserCertificateRepository(self.database)
        self._snapshot: ConfigSnapshot | None = None
        self._snapshot_lock = threading.Lock()

    # ----------------------------------------------------------------------------- lifecycle

    @classmethod
    def open(
        cls, database_url: str | URL, master: MasterSecret | None = None, *, echo: bool = False
    ) -> Store:
        """A Store on ``database_url``; nothing is read until the first call.

        ``postgresql://`` URLs use psycopg 3. Connections are checked before use, so a node
        whose database went away and came back carries on without a restart.
        """
        return cls(open_engine(database_url, echo=echo), master)

    @property
    def engine(self) -> Engine:
        return self.database.engine

    @property
    def observed_version(self) -> int | None:
        """The configuration version of the last snapshot this Store built (no query)."""
        snap = self._snapshot
        return None if snap is None else snap.version

    def close(self) -> None:
        """Make every queued token record durable, stop the journal, release the connections."""
        self.tokens.close()
        self.database.engine.dispose()

    def create_schema(self) -> None:
        """Migrate the schema to the head, write the version row and the default configuration.

        Safe to repeat, and safe when several nodes start at once on one database: it runs in
        one "write" transaction (serialised between nodes), and an older database is upgraded
        in place (see :mod:`stsdesk.server.storage.migrate`).
        """
        with self.database.transaction("write") as conn:
            migrate.upgrade(conn)
            if conn.execute(select(s.config_state.c.id)).first() is None:
                conn.execute(
                    insert(s.config_state).values(
                        id=s.CONFIG_STATE_ID, version=1, signing_alias=DEFAULT_SIGNING_ALIAS
                    )
                )
                present = set(conn.execute(select(s.config_values.c.key)).scalars())
                missing = default_rows(present)
                if missing:
                    conn.execute(insert(s.config_values), missing)

    def is_initialised(self) -> bool:
        """True if the schema exists and holds the configuration version row."""
        with self.database.transaction("read") as conn:
            if not inspect(conn).has_table(s.config_state.name):
                return False
            return conn.execute(select(s.config_state.c.id)).first() is not None

    def schema_revision(self) -> str | None:
        """The migration revision the database is at; None before :meth:`create_schema`."""
        with self.database.transaction("single") as conn:
            return migrate.current_revision(conn)

    # ----------------------------------------------------------------------------- snapshot

    def snapshot(self, version: int | None = None) -> ConfigSnapshot:
        """The current configuration; one cheap query when it has not changed since last time.

        ``version`` is the configuration version when the caller has just read it (the token
        path reads it without SQLAlchemy); then no query is made while it is the cached one.
        """
        if version is None:
            with self.database.transaction("single") as conn:
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
        # One "read" transaction: every part is from the same configuration version.
        with self.database.transaction("read") as conn:
            state = conn.execute(select(s.config_state)).one()
            config = read_config(conn)
            parties = read_relying_parties(conn)
            trusted = read_trusted(conn)
            crls = read_crls(conn)
            saml_issuers = read_saml_issuers(conn)
        return ConfigSnapshot(
            version=state.version,
            resident_idp=config.resident_idp,
            security=config.security,
            relying_parties=parties,
            trusted_certificates=trusted,
            signing_alias=state.signing_alias,
            tokens=config.tokens,
            lockout=config.lockout,
            password_digest=config.password_digest,
            revocation=config.revocation,
            crls=crls,
            saml_issuers=saml_issuers,
        )
