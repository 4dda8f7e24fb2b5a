"""Applications (service providers), their requested claims and their WS-Trust relying party."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import EllipsisType
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy import update as sql_update

from stsdesk.core.tokentypes import ISSUED_TOKEN_TYPES, TokenType
from stsdesk.server.errors import ConflictError, NotFoundError, ValidationError
from stsdesk.server.model import RelyingParty, RequestedClaim
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.checks import check_name, check_text, check_uri, exists
from stsdesk.server.storage.database import Database

__all__ = [
    "ApplicationRepository", "ApplicationRecord", "TOKEN_TYPES", "KEY_TYPES",
    "read_relying_parties",
]

TOKEN_TYPES = ISSUED_TOKEN_TYPES  # SAML11, SAML20: the values stored in rows
KEY_TYPES = ("Bearer", "SymmetricKey", "PublicKey")


@dataclass(frozen=True)
class ApplicationRecord:
    """A service provider: its claim configuration (the relying party is stored beside it)."""

    application_id: str
    name: str
    description: str = ""
    requested_claims: tuple[RequestedClaim, ...] = ()  # in the order the administrator gave
    subject_claim_uri: str | None = None  # None: the token's subject is the username


class ApplicationRepository:
    """Applications and relying parties; every change is configuration and bumps its version."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, name: str, description: str = "") -> str:
        """Create an application and return its id; ConflictError if the name is taken."""
        name = check_name(name, "application name")
        check_text(description, "description")
        app_id = str(uuid.uuid4())
        with self._db.transaction("write") as conn:
            if exists(conn, s.applications.c.name, name):
                raise ConflictError(
                    f"An application named {name!r} already exists. Choose another name."
                )
            conn.execute(
                insert(s.applications).values(
                    id=app_id, name=name, description=description, subject_claim_uri=None,
                    created_at=datetime.now(UTC),
                )
            )
            self._db.bump_version(conn)
        return app_id

    def get(self, app_id: str) -> ApplicationRecord:
        """The application with id ``app_id``; NotFoundError if there is none."""
        with self._db.transaction("read") as conn:
            row = _app_row(conn, app_id)
            claims = _claims_by_app(conn, app_id).get(app_id, ())
        return _application(row, claims)

    def list_all(self) -> list[ApplicationRecord]:
        """Every application, sorted by name."""
        with self._db.transaction("read") as conn:
            rows = conn.execute(select(s.applications).order_by(s.applications.c.name)).all()
            claims = _claims_by_app(conn)
        return [_application(row, claims.get(row.id, ())) for row in rows]

    def update(
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
            values["name"] = check_name(name, "application name")
        if description is not None:
            values["description"] = check_text(description, "description")
        if subject_claim_uri is not ...:
            if subject_claim_uri is not None:
                check_uri(subject_claim_uri, "subject claim URI")
            values["subject_claim_uri"] = subject_claim_uri
        claims = None if requested_claims is None else _check_claims(requested_claims)
        with self._db.transaction("write") as conn:
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
                _write_claims(conn, app_id, claims)
            self._db.bump_version(conn)

    def delete(self, app_id: str) -> None:
        """Delete the application, its claim configuration and its relying party."""
        with self._db.transaction("write") as conn:
            done = conn.execute(delete(s.applications).where(s.applications.c.id == app_id))
            if done.rowcount == 0:
                raise NotFoundError(f"There is no application with id {app_id!r}.")
            self._db.bump_version(conn)

    # ----------------------------------------------------------------------------- WS-Trust

    def set_relying_party(self, app_id: str, party: RelyingParty) -> None:
        """Create or replace ``app_id``'s WS-Trust configuration.

        ``party.application_id``, ``name``, ``requested_claims`` and ``subject_claim_uri`` are
        ignored: they come from the application (see :meth:`update`).
        """
        values = _party_values(party)
        with self._db.transaction("write") as conn:
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
            if alias is not None and not exists(conn, s.trusted_certificates.c.alias, alias):
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
            self._db.bump_version(conn)

    def get_relying_party(self, app_id: str) -> RelyingParty | None:
        """The app's WS-Trust configuration with its claims merged in; None if it has none."""
        with self._db.transaction("read") as conn:
            app = _app_row(conn, app_id)
            row = conn.execute(
                select(s.relying_parties).where(s.relying_parties.c.application_id == app_id)
            ).first()
            if row is None:
                return None
            claims = _claims_by_app(conn, app_id).get(app_id, ())
        return _party(row, app, claims)

    def delete_relying_party(self, app_id: str) -> None:
        """Remove the app's WS-Trust configuration (nothing happens if it has none)."""
        with self._db.transaction("write") as conn:
            _app_row(conn, app_id)
            done = conn.execute(
                delete(s.relying_parties).where(s.relying_parties.c.application_id == app_id)
            )
            if done.rowcount:
                self._db.bump_version(conn)


def read_relying_parties(conn: Connection) -> tuple[RelyingParty, ...]:
    """Every relying party with its application's claims merged in, sorted by audience."""
    apps = {row.id: row for row in conn.execute(select(s.applications))}
    claims = _claims_by_app(conn)
    return tuple(
        _party(row, apps[row.application_id], claims.get(row.application_id, ()))
        for row in conn.execute(select(s.relying_parties).order_by(s.relying_parties.c.audience))
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


def _write_claims(conn: Connection, app_id: str, claims: Sequence[RequestedClaim]) -> None:
    conn.execute(
        delete(s.application_claims).where(s.application_claims.c.application_id == app_id)
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


def _check_claims(claims: Sequence[RequestedClaim]) -> list[RequestedClaim]:
    result: list[RequestedClaim] = []
    seen: set[str] = set()
    for claim in claims:
        if not isinstance(claim, RequestedClaim):
            raise ValidationError("Requested claims must be RequestedClaim records.")
        check_uri(claim.uri, "requested claim URI")
        if claim.uri in seen:
            raise ValidationError(f"The claim {claim.uri!r} is requested twice; list it once.")
        seen.add(claim.uri)
        result.append(RequestedClaim(claim.uri, bool(claim.mandatory)))
    return result


def _application(row: Any, claims: Sequence[RequestedClaim]) -> ApplicationRecord:
    return ApplicationRecord(
        application_id=row.id,
        name=row.name,
        description=row.description,
        requested_claims=tuple(claims),
        subject_claim_uri=row.subject_claim_uri,
    )


def _party_values(party: RelyingParty) -> dict[str, Any]:
    if not isinstance(party, RelyingParty):
        raise ValidationError("The WS-Trust configuration must be a RelyingParty record.")
    audience = check_uri(party.audience, "audience")
    if party.certificate_alias is not None:
        check_name(party.certificate_alias, "certificate alias")
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
        check_uri(getattr(party, what), what.replace("_", " "))
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


def _party(row: Any, app: Any, claims: Sequence[RequestedClaim]) -> RelyingParty:
    return RelyingParty(
        application_id=row.application_id,
        name=app.name,
        audience=row.audience,
        certificate_alias=row.certificate_alias,
        token_type=TokenType(row.token_type),
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
