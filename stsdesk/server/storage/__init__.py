"""Storage for the embedded STS: the schema, the Store and its repositories (one per aggregate).

The module map (see each module's docstring)::

    store.py         Store: opens the engine, owns the transaction helper, composes the
                     repositories, builds the per-request configuration snapshot
    database.py      Database: transactions by mode, SQLite/PostgreSQL set-up, error mapping
    config.py        ConfigRepository: the configuration records and their explicit JSON codecs
    keys.py          KeyRepository: signing keys, the active signing alias, the trust store
    applications.py  ApplicationRepository: service providers, claims, relying parties
    roles.py         RoleRepository: roles and members; the admin-role guard
    users.py         UserRepository: users, their roles, claims and sealed passwords
    logins.py        LoginRepository: failed sign-ins, lockouts, nonces
    tokens.py        TokenRepository: issued-token records, one write path through the journal
    journal.py       TokenJournal: the group-committing writer thread
    audit.py         AuditRepository: the audit log
    hotpath.py       FastReads: the token path's fresh read on plain DBAPI connections;
                     FastInserts: the token journal's batch inserts
    checks.py        input checks the repositories share
    schema.py, migrate.py, migrations/, errors.py
"""

from __future__ import annotations

from stsdesk.server.storage.applications import KEY_TYPES, TOKEN_TYPES, ApplicationRecord
from stsdesk.server.storage.audit import AuditEntry
from stsdesk.server.storage.database import normalise_database_url
from stsdesk.server.storage.keys import DEFAULT_SIGNING_ALIAS, StoredSigningKey
from stsdesk.server.storage.logins import LoginState
from stsdesk.server.storage.roles import ADMIN_ROLE, ProtectedRoleError, StoredRole
from stsdesk.server.storage.store import Store

__all__ = [
    "Store", "ApplicationRecord", "AuditEntry", "LoginState", "StoredRole", "StoredSigningKey",
    "ProtectedRoleError", "ADMIN_ROLE", "DEFAULT_SIGNING_ALIAS", "TOKEN_TYPES", "KEY_TYPES",
    "normalise_database_url",
]
