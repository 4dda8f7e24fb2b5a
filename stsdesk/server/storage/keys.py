"""Signing keys (encrypted at rest), the active signing alias, and the trust store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy import update as sql_update

from stsdesk.server.errors import ConflictError, NotFoundError, ValidationError
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.checks import check_name, exists
from stsdesk.server.storage.database import Database

__all__ = ["KeyRepository", "StoredSigningKey", "DEFAULT_SIGNING_ALIAS", "read_trusted"]

DEFAULT_SIGNING_ALIAS = "wso2carbon"


@dataclass(frozen=True)
class StoredSigningKey:
    """A signing key as stored: the PKCS#8 PEM is encrypted under the master secret."""

    alias: str
    private_key_pem: bytes = field(repr=False)
    certificate_der: bytes = field(repr=False)
    created_at: datetime


class KeyRepository:
    """Keys and certificates; every change is configuration and bumps its version."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # ----------------------------------------------------------------------------- signing keys

    def get_signing_alias(self) -> str:
        """The alias of the key that signs the tokens this STS issues."""
        with self._db.transaction("single") as conn:
            alias = conn.execute(select(s.config_state.c.signing_alias)).scalar()
        return DEFAULT_SIGNING_ALIAS if alias is None else str(alias)

    def set_signing_alias(self, alias: str) -> None:
        """Sign with the key stored under ``alias`` from now on; NotFoundError if there is none."""
        with self._db.transaction("write") as conn:
            if not exists(conn, s.signing_keys.c.alias, alias):
                raise NotFoundError(
                    f"There is no signing key with alias {alias!r}. Generate or import it first."
                )
            conn.execute(sql_update(s.config_state).values(signing_alias=alias))
            self._db.bump_version(conn)

    def add_signing_key(
        self, alias: str, private_key_pem: bytes, certificate_der: bytes, *, replace: bool = False
    ) -> None:
        """Store an (already encrypted) signing key; ConflictError if the alias exists."""
        alias = check_name(alias, "signing key alias")
        now = datetime.now(UTC)
        with self._db.transaction("write") as conn:
            if exists(conn, s.signing_keys.c.alias, alias):
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
            self._db.bump_version(conn)

    def get_signing_key(self, alias: str) -> StoredSigningKey | None:
        with self._db.transaction("single") as conn:
            row = conn.execute(
                select(s.signing_keys).where(s.signing_keys.c.alias == alias)
            ).first()
        return None if row is None else _signing_key(row)

    def list_signing_keys(self) -> list[StoredSigningKey]:
        """Every signing key, sorted by alias."""
        with self._db.transaction("single") as conn:
            rows = conn.execute(select(s.signing_keys).order_by(s.signing_keys.c.alias)).all()
        return [_signing_key(row) for row in rows]

    def delete_signing_key(self, alias: str) -> None:
        """Delete a signing key; ConflictError if it is the one signing tokens."""
        with self._db.transaction("write") as conn:
            current = conn.execute(select(s.config_state.c.signing_alias)).scalar()
            if current == alias:
                raise ConflictError(
                    f"The signing key {alias!r} signs the tokens this STS issues. Choose another "
                    "signing key first, then delete this one."
                )
            done = conn.execute(delete(s.signing_keys).where(s.signing_keys.c.alias == alias))
            if done.rowcount == 0:
                raise NotFoundError(f"There is no signing key with alias {alias!r}.")
            self._db.bump_version(conn)

    # ----------------------------------------------------------------------------- trust store

    def add_trusted_certificate(self, alias: str, der: bytes) -> None:
        """Trust a relying party's certificate (DER); ConflictError if the alias is taken."""
        alias = check_name(alias, "certificate alias")
        try:
            x509.load_der_x509_certificate(der)
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                f"The data for {alias!r} is not a DER-encoded X.509 certificate. Export the "
                "certificate again (PEM is accepted where the admin API takes text)."
            ) from exc
        with self._db.transaction("write") as conn:
            if exists(conn, s.trusted_certificates.c.alias, alias):
                raise ConflictError(
                    f"The trust store already has a certificate with alias {alias!r}. Choose "
                    "another alias, or delete the old certificate first."
                )
            conn.execute(
                insert(s.trusted_certificates).values(
                    alias=alias, certificate_der=bytes(der), created_at=datetime.now(UTC)
                )
            )
            self._db.bump_version(conn)

    def remove_trusted_certificate(self, alias: str) -> None:
        """Delete a certificate; ConflictError naming the service providers that still use it."""
        with self._db.transaction("write") as conn:
            if not exists(conn, s.trusted_certificates.c.alias, alias):
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
            self._db.bump_version(conn)

    def list_trusted_certificates(self) -> dict[str, bytes]:
        """Alias -> DER, sorted by alias."""
        with self._db.transaction("single") as conn:
            return read_trusted(conn)


def read_trusted(conn: Connection) -> dict[str, bytes]:
    """The trust store as alias -> DER, sorted by alias, read on ``conn``."""
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
