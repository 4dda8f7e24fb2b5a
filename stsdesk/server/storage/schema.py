"""The database schema (SQLAlchemy Core tables), portable between SQLite and PostgreSQL.

Every change here needs a migration in ``migrations/versions`` (tests/server/test_migrations.py
checks that the migrated database matches these tables).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.types import TypeDecorator, TypeEngine

__all__ = [
    "metadata", "UtcDateTime", "config_state", "config_values", "trusted_certificates",
    "signing_keys", "applications", "application_claims", "relying_parties", "users", "roles",
    "user_roles", "user_claims", "nonces", "issued_tokens", "audit_log", "CONFIG_STATE_ID",
    "revocation_lists", "user_certificates", "trusted_saml_issuers",
    "security_contexts",
]

CONFIG_STATE_ID = 1

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class _SqliteDateTimeText(sqlite.DATETIME):
    """SQLite's DATETIME, its text (the default storage format, ``2030-05-06 07:10:11.123456``)
    written by ``datetime.isoformat``, which gives the same characters.

    The inherited processor fills a %-format from seven attributes; with it a UtcDateTime
    cost 2.7 µs to bind, with isoformat 1.9 µs, twice for every token record the journal
    writes. Anything but a naive ``datetime`` (a date, a wrong type) still goes through the
    inherited one.
    """

    def bind_processor(self, dialect: Dialect) -> Any:
        inherited = cast(Callable[[Any], Any], super().bind_processor(dialect))

        def process(value: Any) -> Any:
            if type(value) is datetime and value.tzinfo is None:
                return value.isoformat(" ", "microseconds")
            return inherited(value)

        return process


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, stored naive (SQLite has no zones)."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SqliteDateTimeText())
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:  # what the STS itself passes: nothing to convert
            return value.replace(tzinfo=None)
        if value.tzinfo is None or value.utcoffset() is None:
            # A naive time is ambiguous; the Store checks its inputs first, so this is a bug.
            raise ValueError("naive datetime given to the database; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_NAME = 255
_URI = 1024

# One row: the configuration version, bumped in the transaction of every configuration write,
# and the alias of the key that signs tokens.
config_state = Table(
    "config_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
    Column("signing_alias", String(_NAME), nullable=False),
)

# Small configuration records (resident IdP, security policy, token settings, lockout) as JSON.
config_values = Table(
    "config_values",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

trusted_certificates = Table(
    "trusted_certificates",
    metadata,
    Column("alias", String(_NAME), primary_key=True),
    Column("certificate_der", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("alias", String(_NAME), primary_key=True),
    Column("private_key_pem", LargeBinary, nullable=False),  # encrypted PKCS#8
    Column("certificate_der", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

applications = Table(
    "applications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(_NAME), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("subject_claim_uri", String(_URI), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)

application_claims = Table(
    "application_claims",
    metadata,
    Column(
        "application_id",
        String(36),
        ForeignKey("applications.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("claim_uri", String(_URI), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("mandatory", Boolean, nullable=False, default=False),
)

relying_parties = Table(
    "relying_parties",
    metadata,
    Column(
        "application_id",
        String(36),
        ForeignKey("applications.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("audience", String(2048), nullable=False, unique=True),
    # RESTRICT: a certificate a relying party encrypts to cannot vanish underneath it.
    Column(
        "certificate_alias",
        String(_NAME),
        ForeignKey("trusted_certificates.alias", ondelete="RESTRICT"),
        nullable=True,
    ),
    Column("token_type", String(16), nullable=False),
    Column("key_type", String(16), nullable=False),
    Column("encrypt_token", Boolean, nullable=False),
    Column("encryption_algorithm", String(_URI), nullable=False),
    Column("key_transport_algorithm", String(_URI), nullable=False),
    Column("signature_algorithm", String(_URI), nullable=False),
    Column("digest_algorithm", String(_URI), nullable=False),
    Column("token_lifetime_seconds", Integer, nullable=True),
    Column("name_id_format", String(_URI), nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", String(36), primary_key=True),
    # Case-sensitive, as in WSO2: SQLite's and PostgreSQL's default collations compare bytes.
    Column("username", String(_NAME), nullable=False, unique=True),
    # NULL: no password set yet (a provisioned account); sign-ins fail until one is set.
    Column("password_hash", String(_NAME), nullable=True),
    Column("password_sealed", LargeBinary, nullable=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_attempts", Integer, nullable=False, default=0),
    Column("locked_until", UtcDateTime, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    # Set by every profile change (SCIM meta.lastModified); None: never changed since created.
    # Nullable so that migration 0002 can add it to a database made by an older release.
    Column("modified_at", UtcDateTime, nullable=True),
    # SCIM externalId (RFC 7643 §3.1): the provisioning client's identifier, kept as given.
    Column("external_id", String(_NAME), nullable=True),
)

roles = Table(
    "roles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(_NAME), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("modified_at", UtcDateTime, nullable=True),  # as users.modified_at
    Column("external_id", String(_NAME), nullable=True),  # as users.external_id
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", String(36), ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_user_roles_role_id", "role_id"),
)

user_claims = Table(
    "user_claims",
    metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("claim_uri", String(_URI), primary_key=True),
    Column("value", Text, nullable=False),
)

# PasswordDigest replay cache: SHA-256 of each nonce seen, until it could no longer be fresh.
nonces = Table(
    "nonces",
    metadata,
    Column("digest", LargeBinary(32), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

issued_tokens = Table(
    "issued_tokens",
    metadata,
    Column("token_id", String(_NAME), primary_key=True),
    Column("token_type", String(16), nullable=False),
    Column("subject", Text, nullable=False),
    Column("audience", Text, nullable=True),
    Column("issued_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("renew_allowed", Boolean, nullable=False),
    Column("renew_after_expiry", Boolean, nullable=False),
    Column("replaced_by", String(_NAME), nullable=True),
    # Whom the token was issued to (a local user's id, or a principal such as
    # "saml:<issuer>!<subject>"): the subject name alone may also be a local user's name.
    Column("user_id", String(_NAME), nullable=True),
)

# WS-SecureConversation contexts: every node accepts a context any node issued. The key is
# sealed (AES-GCM) under the master secret; the principal is the one the bootstrap proved.
security_contexts = Table(
    "security_contexts",
    metadata,
    Column("identifier", String(_NAME), primary_key=True),
    Column("key_sealed", LargeBinary, nullable=False),
    Column("user_id", String(_NAME), nullable=False),
    Column("username", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    Column("cancelled_at", UtcDateTime, nullable=True),
    # The client certificate (DER) the bootstrap proved, re-checked on each use of the context.
    Column("certificate_der", LargeBinary, nullable=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("actor", String(_NAME), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("detail", Text, nullable=False),
)


# Certificate revocation lists the administrator imported into the trust store: the newest one
# per issuing CA (keyed by the SHA-256 of the issuer name's DER).
revocation_lists = Table(
    "revocation_lists",
    metadata,
    Column("issuer_key", String(64), primary_key=True),
    Column("issuer", Text, nullable=False),  # RFC 4514, for people
    Column("crl_der", LargeBinary, nullable=False),
    Column("this_update", UtcDateTime, nullable=False),
    Column("next_update", UtcDateTime, nullable=True),
    Column("entries", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Client certificates mapped to user accounts (SCIM x509Certificates): an X.509 client with one
# of them is that user. A certificate maps to one user at most.
user_certificates = Table(
    "user_certificates",
    metadata,
    Column("fingerprint", String(64), primary_key=True),  # SHA-256 of the DER, hex
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("certificate_der", LargeBinary, nullable=False),
    Column("position", Integer, nullable=False),
)

# Trust-store certificates whose keys may sign SAML assertions for the issuer named here
# (scenarios 31-34). The trust vanishes with the certificate.
trusted_saml_issuers = Table(
    "trusted_saml_issuers",
    metadata,
    Column(
        "certificate_alias",
        String(_NAME),
        ForeignKey("trusted_certificates.alias", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("issuer", String(_URI), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
)
