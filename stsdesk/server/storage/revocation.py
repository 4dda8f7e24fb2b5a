"""Certificate revocation lists in the trust store: imported by the administrator, checked
against the CA that issued them, the newest one kept per CA."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from sqlalchemy import Connection, delete, insert, select
from sqlalchemy import update as sql_update

from stsdesk.server.errors import ConflictError, NotFoundError, ValidationError
from stsdesk.server.model import StoredCrl
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.database import Database
from stsdesk.server.storage.keys import read_trusted

__all__ = ["RevocationListRepository", "read_crls", "issuer_key", "crl_signed_by"]


def issuer_key(name: x509.Name) -> str:
    """The identifier of a CA's CRL: the SHA-256 of its name's DER (stable across spellings
    of the same DN, as certificates and CRLs carry the DER)."""
    return hashlib.sha256(name.public_bytes()).hexdigest()


def crl_signed_by(crl: x509.CertificateRevocationList,
                  candidates: list[x509.Certificate]) -> x509.Certificate | None:
    """The CA certificate among ``candidates`` that signed ``crl``, or None. Only a CA whose
    key may sign CRLs counts: a directly trusted client certificate bearing the CA's name
    does not speak for the CA."""
    for cert in candidates:
        if cert.subject != crl.issuer or not _may_sign_crls(cert):
            continue
        try:
            if crl.is_signature_valid(cert.public_key()):  # type: ignore[arg-type]
                return cert
        except (TypeError, ValueError, InvalidSignature):
            continue
    return None


def _complete(crl: x509.CertificateRevocationList, issuer: str) -> None:
    """ValidationError unless ``crl`` is its CA's complete list for client certificates: it
    replaces the CA's previous CRL and is the only one looked at, so a delta CRL or a partition
    (by reason, of CA certificates only, indirect) would let every certificate revoked outside
    it pass."""
    partial = None
    try:
        crl.extensions.get_extension_for_class(x509.DeltaCRLIndicator)
        partial = "a delta CRL (it lists only the changes since its base CRL)"
    except x509.ExtensionNotFound:
        pass
    try:
        point = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except x509.ExtensionNotFound:
        point = None
    if point is not None and partial is None:
        # One naming a distribution point is accepted (CAs that publish one CRL name it so);
        # it covers only the certificates that name that point (RevocationChecker).
        if point.only_some_reasons:
            partial = "limited to some revocation reasons"
        elif point.only_contains_ca_certs or point.only_contains_attribute_certs:
            partial = "limited to CA or attribute certificates"
        elif point.indirect_crl:
            partial = "an indirect CRL (it lists other issuers' certificates)"
    if partial is not None:
        raise ValidationError(
            f"The CRL of {issuer!r} is {partial}, not the complete list of the certificates "
            "the CA revoked; import the CA's full CRL."
        )


def _may_sign_crls(cert: x509.Certificate) -> bool:
    try:
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        return False
    try:
        return bool(cert.extensions.get_extension_for_class(x509.KeyUsage).value.crl_sign)
    except x509.ExtensionNotFound:
        return True  # no KeyUsage: the key's use is not restricted


class RevocationListRepository:
    """The trust store's CRLs; every change is configuration and bumps its version."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, der: bytes) -> tuple[StoredCrl, bool]:
        """Store a CRL (DER) and return it, with True if it replaced an older one of its CA.

        ValidationError if it is no CRL or no CA certificate in the trust store signed it;
        ConflictError if the trust store holds a newer CRL of the same CA.
        """
        try:
            crl = x509.load_der_x509_crl(bytes(der))
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                "The data is not a certificate revocation list (DER or PEM). Download the CRL "
                "from the certificate authority again."
            ) from exc
        issuer = crl.issuer.rfc4514_string()
        _complete(crl, issuer)
        key = issuer_key(crl.issuer)
        now = datetime.now(UTC)
        record = StoredCrl(
            issuer_key=key, issuer=issuer, crl_der=bytes(der),
            this_update=crl.last_update_utc, next_update=crl.next_update_utc,
            entries=len(crl), created_at=now,
        )
        with self._db.transaction("write") as conn:
            anchors = [x509.load_der_x509_certificate(d) for d in read_trusted(conn).values()]
            if crl_signed_by(crl, anchors) is None:
                raise ValidationError(
                    f"The CRL of {issuer!r} is not signed by a certificate in the trust store. "
                    "Import the issuing CA's certificate first, or check that this CRL is the "
                    "CA's own."
                )
            old = conn.execute(
                select(s.revocation_lists.c.this_update)
                .where(s.revocation_lists.c.issuer_key == key)
            ).scalar()
            values = {
                "issuer": issuer, "crl_der": record.crl_der, "this_update": record.this_update,
                "next_update": record.next_update, "entries": record.entries, "created_at": now,
            }
            if old is None:
                conn.execute(insert(s.revocation_lists).values(issuer_key=key, **values))
            elif old > record.this_update:
                raise ConflictError(
                    f"The trust store already has a newer CRL of {issuer!r} (issued "
                    f"{old:%Y-%m-%d %H:%M} UTC). Delete it first to go back to an older one."
                )
            else:
                conn.execute(sql_update(s.revocation_lists)
                             .where(s.revocation_lists.c.issuer_key == key).values(values))
            self._db.bump_version(conn)
        return record, old is not None

    def get(self, key: str) -> StoredCrl:
        with self._db.transaction("single") as conn:
            return _record(_existing(conn, key))

    def list_all(self) -> list[StoredCrl]:
        with self._db.transaction("single") as conn:
            return list(read_crls(conn))

    def delete(self, key: str) -> StoredCrl:
        with self._db.transaction("write") as conn:
            row = _existing(conn, key)
            conn.execute(delete(s.revocation_lists).where(s.revocation_lists.c.issuer_key == key))
            self._db.bump_version(conn)
        return _record(row)


def _existing(conn: Connection, key: str) -> Any:
    """The stored CRL with id ``key``; NotFoundError naming the id when there is none."""
    row = conn.execute(
        select(s.revocation_lists).where(s.revocation_lists.c.issuer_key == key)
    ).first()
    if row is None:
        raise NotFoundError(f"The trust store has no CRL with id {key!r}.")
    return row


def read_crls(conn: Connection) -> tuple[StoredCrl, ...]:
    """Every stored CRL, by issuer, read on ``conn`` (for the snapshot)."""
    rows = conn.execute(select(s.revocation_lists).order_by(s.revocation_lists.c.issuer)).all()
    return tuple(_record(row) for row in rows)


def _record(row: Any) -> StoredCrl:
    return StoredCrl(
        issuer_key=row.issuer_key, issuer=row.issuer, crl_der=bytes(row.crl_der),
        this_update=row.this_update, next_update=row.next_update, entries=row.entries,
        created_at=row.created_at,
    )
