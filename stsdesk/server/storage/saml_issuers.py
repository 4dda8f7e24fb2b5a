"""Trusted SAML issuers: trust-store certificates whose keys may sign assertions for a named
issuer (scenarios 31-34)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy import update as sql_update

from stsdesk.server.errors import NotFoundError, ValidationError
from stsdesk.server.model import TrustedSamlIssuer
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.checks import check_uri, exists
from stsdesk.server.storage.database import Database

__all__ = ["SamlIssuerRepository", "read_saml_issuers"]

_MAX_ISSUER = 1024


class SamlIssuerRepository:
    """Which certificate speaks for which issuer; every change bumps the configuration version.

    A certificate serves one issuer; an issuer may have several certificates (a key rollover).
    Deleting the certificate from the trust store removes its trust as an issuer too.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def trust(self, alias: str, issuer: str) -> bool:
        """Trust the certificate ``alias`` to sign assertions of ``issuer``; True if it is new
        (False: it served another issuer name before, now replaced)."""
        issuer = check_uri(issuer, "SAML issuer name")
        if len(issuer) > _MAX_ISSUER:
            raise ValidationError(
                f"The SAML issuer name is longer than {_MAX_ISSUER} characters; shorten it.")
        with self._db.transaction("write") as conn:
            if not exists(conn, s.trusted_certificates.c.alias, alias):
                raise NotFoundError(f"The trust store has no certificate with alias {alias!r}.")
            table = s.trusted_saml_issuers
            known = exists(conn, table.c.certificate_alias, alias)
            if known:
                conn.execute(sql_update(table).where(table.c.certificate_alias == alias)
                             .values(issuer=issuer))
            else:
                conn.execute(insert(table).values(certificate_alias=alias, issuer=issuer,
                                                  created_at=datetime.now(UTC)))
            self._db.bump_version(conn)
        return not known

    def distrust(self, alias: str) -> TrustedSamlIssuer:
        table = s.trusted_saml_issuers
        with self._db.transaction("write") as conn:
            issuer = conn.execute(
                select(table.c.issuer).where(table.c.certificate_alias == alias)).scalar()
            if issuer is None:
                raise NotFoundError(
                    f"The certificate {alias!r} is not a trusted SAML issuer's certificate.")
            conn.execute(delete(table).where(table.c.certificate_alias == alias))
            self._db.bump_version(conn)
        return TrustedSamlIssuer(alias, issuer)

    def list_all(self) -> list[TrustedSamlIssuer]:
        with self._db.transaction("single") as conn:
            return list(read_saml_issuers(conn))


def read_saml_issuers(conn: Connection) -> tuple[TrustedSamlIssuer, ...]:
    """Every trusted issuer's certificate, by issuer then alias, read on ``conn``."""
    table = s.trusted_saml_issuers
    rows = conn.execute(select(table.c.certificate_alias, table.c.issuer)
                        .order_by(table.c.issuer, table.c.certificate_alias)).all()
    return tuple(TrustedSamlIssuer(alias, issuer) for alias, issuer in rows)
