"""Client certificates mapped to user accounts (SCIM ``x509Certificates``): an X.509 client
presenting one of them is that user, with their roles, claims and account state."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy import update as sql_update

from stsdesk.server.errors import ConflictError, NotFoundError, ValidationError
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.database import Database

__all__ = ["UserCertificateRepository", "certificate_fingerprint", "MAX_CERTIFICATES_PER_USER",
           "certificate_rows", "write_certificates"]

MAX_CERTIFICATES_PER_USER = 20


def certificate_fingerprint(der: bytes) -> str:
    """The key a certificate is mapped by: the SHA-256 of its DER, hex."""
    return hashlib.sha256(der).hexdigest()


class UserCertificateRepository:
    """Each certificate maps to one user at most; every change bumps the configuration version
    (the STS caches who a certificate stands for per version)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def for_user(self, user_id: str) -> tuple[bytes, ...]:
        """The certificates (DER) mapped to ``user_id``, in the order they were given."""
        table = s.user_certificates
        with self._db.transaction("single") as conn:
            return tuple(bytes(der) for der in conn.execute(
                select(table.c.certificate_der).where(table.c.user_id == user_id)
                .order_by(table.c.position)).scalars())

    def all_users(self) -> dict[str, tuple[bytes, ...]]:
        """User id -> mapped certificates, for every user that has any (one query)."""
        table = s.user_certificates
        result: dict[str, list[bytes]] = {}
        with self._db.transaction("single") as conn:
            for user_id, der in conn.execute(
                select(table.c.user_id, table.c.certificate_der)
                .order_by(table.c.user_id, table.c.position)
            ):
                result.setdefault(user_id, []).append(bytes(der))
        return {user_id: tuple(ders) for user_id, ders in result.items()}

    def replace(self, user_id: str, certificates: Sequence[bytes]) -> None:
        """Map exactly ``certificates`` (DER) to the user; ConflictError if one of them is
        mapped to another user, ValidationError if one is no certificate."""
        rows = certificate_rows(user_id, certificates)
        with self._db.transaction("write") as conn:
            if conn.execute(select(s.users.c.id).where(s.users.c.id == user_id)).first() is None:
                raise NotFoundError(f"There is no user with id {user_id!r}.")
            write_certificates(conn, user_id, rows)
            conn.execute(sql_update(s.users).where(s.users.c.id == user_id)
                         .values(modified_at=datetime.now(UTC)))
            self._db.bump_version(conn)

    def username_for(self, fingerprint: str) -> str | None:
        """The user a certificate (by :func:`certificate_fingerprint`) is mapped to, if any."""
        table = s.user_certificates
        with self._db.transaction("single") as conn:
            name = conn.execute(
                select(s.users.c.username).join(table, table.c.user_id == s.users.c.id)
                .where(table.c.fingerprint == fingerprint)
            ).scalar()
        return None if name is None else str(name)


def certificate_rows(user_id: str, certificates: Sequence[bytes]) -> list[dict[str, Any]]:
    """The rows mapping ``certificates`` (DER) to the user, checked before any transaction:
    ValidationError if there are too many or one is no certificate."""
    if len(certificates) > MAX_CERTIFICATES_PER_USER:
        raise ValidationError(
            f"A user has at most {MAX_CERTIFICATES_PER_USER} certificates mapped.")
    rows: list[dict[str, Any]] = []
    for position, der in enumerate(certificates):
        try:
            x509.load_der_x509_certificate(bytes(der))
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                f"Certificate {position + 1} is not a DER-encoded X.509 certificate."
            ) from exc
        fingerprint = certificate_fingerprint(bytes(der))
        if any(row["fingerprint"] == fingerprint for row in rows):
            continue  # the same certificate twice is one mapping
        rows.append({"fingerprint": fingerprint, "user_id": user_id,
                     "certificate_der": bytes(der), "position": position})
    return rows


def write_certificates(conn: Connection, user_id: str, rows: list[dict[str, Any]]) -> None:
    """Map exactly ``rows`` (:func:`certificate_rows`) to the user, inside the caller's
    transaction, so that the mapping changes with the rest of the user or not at all;
    ConflictError if a certificate is mapped to another user."""
    table = s.user_certificates
    if rows:
        taken = conn.execute(
            select(s.users.c.username)
            .join(table, table.c.user_id == s.users.c.id)
            .where(table.c.fingerprint.in_([r["fingerprint"] for r in rows]),
                   table.c.user_id != user_id)
        ).scalars().first()
        if taken is not None:
            raise ConflictError(
                f"The certificate is already mapped to the user {taken!r}. A "
                "certificate stands for one user: remove it there first."
            )
    conn.execute(delete(table).where(table.c.user_id == user_id))
    if rows:
        conn.execute(insert(table), rows)
