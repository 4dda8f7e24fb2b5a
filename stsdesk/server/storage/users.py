"""Users: profiles, roles held, claims, and passwords hashed (and sealed, for PasswordDigest)."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from types import EllipsisType
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select
from sqlalchemy import update as sql_update

from stsdesk.server.errors import ConflictError, NotFoundError, SealedDataError, ValidationError
from stsdesk.server.master_secret import MasterSecret
from stsdesk.server.model import LOCKED_BY_ADMINISTRATOR, UserRecord
from stsdesk.server.passwords import hash_password
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.checks import check_external_id, check_name, check_uri, exists
from stsdesk.server.storage.config import password_digest_allowed
from stsdesk.server.storage.database import Database
from stsdesk.server.storage.roles import check_role_names, guard_last_admin, role_ids_for
from stsdesk.server.storage.user_certificates import certificate_rows, write_certificates

__all__ = ["UserRepository"]

log = logging.getLogger("stsdesk.server.storage")

# What a dummy sealed password is bound to: no username is empty, so no real one matches it.
_DUMMY_AAD = b""


class UserRepository:
    """Users by name (the STS's view) and by id (SCIM's); every change bumps the version.

    A user's profile is configuration: the STS caches it per configuration version. Login
    state (failures, locks) is not, and lives in :class:`~.logins.LoginRepository`.
    """

    def __init__(self, db: Database, master: MasterSecret | None) -> None:
        self._db = db
        self._master = master
        self._dummy_sealed: bytes | None = None

    def create(
        self,
        username: str,
        password: str | None,
        *,
        roles: Sequence[str] = (),
        claims: Mapping[str, str] | None = None,
        sealed_password: bytes | None = None,
        password_hash: str | None = None,
        active: bool = True,
        external_id: str | None = None,
        locked: bool = False,
        certificates: Sequence[bytes] = (),
    ) -> str:
        """Create a user and return its id; ConflictError if the username is taken.

        The password is hashed (argon2id) unless ``password_hash`` is given. While PasswordDigest
        is allowed it is also sealed under the master secret (or ``sealed_password`` is stored as
        given); otherwise no reversible copy is kept.
        With neither a password nor a hash the user has no password: it exists (provisioned,
        say, by SCIM) and cannot sign in until one is set. ``locked`` locks it until an
        administrator unlocks it (:data:`~stsdesk.server.model.LOCKED_BY_ADMINISTRATOR`).
        ``certificates`` (DER) are mapped to the user in the same transaction: a certificate
        mapped to someone else refuses the whole creation (ConflictError).
        """
        username = check_name(username, "username")
        if password is not None and password_hash is None:
            _check_password(password)
        role_names = check_role_names(roles)
        claim_map = _check_claims(claims or {})
        external = check_external_id(external_id)
        # argon2 takes tens of milliseconds: hash before taking the write lock.
        hashed = password_hash
        if hashed is None and password is not None:
            hashed = hash_password(password)
        sealed = sealed_password
        if sealed is None and password is not None:
            sealed = self._seal(username, password)
        user_id = str(uuid.uuid4())
        mapped = certificate_rows(user_id, certificates)
        with self._db.transaction("write") as conn:
            if exists(conn, s.users.c.username, username):
                raise ConflictError(
                    f"A user named {username!r} already exists. Choose another username."
                )
            if not password_digest_allowed(conn):
                sealed = None
            role_ids = role_ids_for(conn, role_names)
            conn.execute(
                insert(s.users).values(
                    id=user_id, username=username, password_hash=hashed, password_sealed=sealed,
                    active=bool(active), failed_attempts=0,
                    locked_until=LOCKED_BY_ADMINISTRATOR if locked else None,
                    created_at=datetime.now(UTC), external_id=external,
                )
            )
            _write_roles(conn, user_id, role_ids)
            _write_claims(conn, user_id, claim_map)
            if mapped:
                write_certificates(conn, user_id, mapped)
            self._db.bump_version(conn)
        return user_id

    def get(self, username: str) -> UserRecord | None:
        """The user named exactly ``username`` (case-sensitive), with roles and claims."""
        with self._db.transaction("read") as conn:
            row = conn.execute(select(s.users).where(s.users.c.username == username)).first()
            if row is None:
                return None
            return _user_record(conn, row)

    def get_by_id(self, user_id: str) -> UserRecord | None:
        """The user with id ``user_id``, with roles and claims; None if there is none."""
        with self._db.transaction("read") as conn:
            row = conn.execute(select(s.users).where(s.users.c.id == user_id)).first()
            if row is None:
                return None
            return _user_record(conn, row)

    def list_all(self) -> list[UserRecord]:
        """Every user, sorted by username, with roles and claims (three queries in all)."""
        with self._db.transaction("read") as conn:
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

    def update(
        self,
        user_id: str,
        *,
        username: str | None = None,
        password: str | None = None,
        claims: Mapping[str, str | None] | None = None,
        active: bool | None = None,
        unlock: bool = False,
        lock: bool = False,
        external_id: str | None | EllipsisType = ...,
        certificates: Sequence[bytes] | None = None,
    ) -> UserRecord:
        """Change a user's profile in one transaction and return the user after the change.

        ``claims`` is merged: a value sets the claim, None removes it, claims not named stay.
        ``external_id`` is set when given (None clears it) and kept when left out. ``lock``
        locks the account until an administrator unlocks it (``unlock``).
        A rename keeps the password: its sealed copy (if any) is sealed again under the new name.
        Deactivating the last active member of the admin role is refused (ConflictError).
        ``certificates`` (DER), when given, become exactly the user's mapped certificates in the
        same transaction: a refused profile change leaves the mapping as it was.
        """
        new_name = None if username is None else check_name(username, "username")
        external = ... if external_id is ... else check_external_id(external_id)
        hashed = None
        if password is not None:
            _check_password(password)
            hashed = hash_password(password)  # argon2 before the write lock, as create()
        merge: dict[str, str | None] = {}
        for uri, value in (claims or {}).items():
            check_uri(uri, "claim URI")
            if value is not None and not isinstance(value, str):
                raise ValidationError(f"The value of claim {uri!r} must be text.")
            merge[uri] = value
        mapped = None if certificates is None else certificate_rows(user_id, certificates)
        with self._db.transaction("write") as conn:
            row = conn.execute(select(s.users).where(s.users.c.id == user_id)).first()
            if row is None:
                raise NotFoundError(f"There is no user with id {user_id!r}.")
            final_name = row.username if new_name is None else new_name
            values: dict[str, Any] = {"modified_at": datetime.now(UTC)}
            if final_name != row.username:
                if exists(conn, s.users.c.username, final_name):
                    raise ConflictError(
                        f"A user named {final_name!r} already exists. Choose another username."
                    )
                values["username"] = final_name
                if password is None:
                    values["password_sealed"] = self._reseal(row, final_name)
            if password is not None:
                values["password_hash"] = hashed
                values["password_sealed"] = (
                    self._seal(final_name, password) if password_digest_allowed(conn) else None
                )
            if active is not None:
                if not active and row.active:
                    guard_last_admin(conn, {user_id})
                values["active"] = bool(active)
            if unlock:
                values["failed_attempts"] = 0
                values["locked_until"] = None
            if lock:
                values["locked_until"] = LOCKED_BY_ADMINISTRATOR
            if external is not ...:
                values["external_id"] = external
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
                _write_claims(conn, user_id, written)
            if mapped is not None:
                write_certificates(conn, user_id, mapped)
            self._db.bump_version(conn)
            fresh = conn.execute(select(s.users).where(s.users.c.id == user_id)).one()
            return _user_record(conn, fresh)

    def delete_by_id(self, user_id: str) -> str:
        """Delete a user by id and return the username; never the last active admin."""
        with self._db.transaction("write") as conn:
            row = conn.execute(
                select(s.users.c.username, s.users.c.active).where(s.users.c.id == user_id)
            ).first()
            if row is None:
                raise NotFoundError(f"There is no user with id {user_id!r}.")
            if row.active:
                guard_last_admin(conn, {user_id})
            conn.execute(delete(s.users).where(s.users.c.id == user_id))
            self._db.bump_version(conn)
            return str(row.username)

    def delete(self, username: str) -> None:
        """Delete a user by name."""
        with self._db.transaction("write") as conn:
            done = conn.execute(delete(s.users).where(s.users.c.username == username))
            if done.rowcount == 0:
                raise NotFoundError(f"There is no user named {username!r}.")
            self._db.bump_version(conn)

    def set_password(self, username: str, password: str) -> None:
        _check_password(password)
        hashed = hash_password(password)
        sealed = self._seal(username, password)
        with self._db.transaction("write") as conn:
            if not password_digest_allowed(conn):
                sealed = None
            done = conn.execute(
                sql_update(s.users)
                .where(s.users.c.username == username)
                .values(password_hash=hashed, password_sealed=sealed,
                        modified_at=datetime.now(UTC))
            )
            if done.rowcount == 0:
                raise NotFoundError(f"There is no user named {username!r}.")
            self._db.bump_version(conn)

    def set_roles(self, username: str, roles: Sequence[str]) -> None:
        """Replace the user's roles with ``roles`` (each must exist)."""
        role_names = check_role_names(roles)
        with self._db.transaction("write") as conn:
            user_id = _user_id(conn, username)
            role_ids = role_ids_for(conn, role_names)
            conn.execute(delete(s.user_roles).where(s.user_roles.c.user_id == user_id))
            _write_roles(conn, user_id, role_ids)
            _touch(conn, user_id)
            self._db.bump_version(conn)

    def set_claims(self, username: str, claims: Mapping[str, str]) -> None:
        """Replace the user's claims with ``claims`` (claim URI -> value)."""
        claim_map = _check_claims(claims)
        with self._db.transaction("write") as conn:
            user_id = _user_id(conn, username)
            conn.execute(delete(s.user_claims).where(s.user_claims.c.user_id == user_id))
            _write_claims(conn, user_id, claim_map)
            _touch(conn, user_id)
            self._db.bump_version(conn)

    # ----------------------------------------------------------------------------- sealing

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
        with self._db.transaction("write") as conn:
            if not password_digest_allowed(conn):
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
            self._db.bump_version(conn)
        log.info("Sealed the password of user %r for PasswordDigest at its sign-in.", user.username)
        return True

    def count_sealed_passwords(self) -> int:
        """How many users' passwords are stored reversibly (sealed) for PasswordDigest."""
        with self._db.transaction("single") as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(s.users)
                    .where(s.users.c.password_sealed.is_not(None))
                ).scalar_one()
            )

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


def _check_password(password: Any) -> None:
    if not isinstance(password, str) or not password:
        raise ValidationError("The password is empty; give one.")


def _check_claims(claims: Mapping[str, str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for uri, value in claims.items():
        check_uri(uri, "claim URI")
        if not isinstance(value, str):
            raise ValidationError(f"The value of claim {uri!r} must be text.")
        result[uri] = value
    return result


def _user_id(conn: Connection, username: str) -> str:
    user_id = conn.execute(select(s.users.c.id).where(s.users.c.username == username)).scalar()
    if user_id is None:
        raise NotFoundError(f"There is no user named {username!r}.")
    return str(user_id)


def _write_roles(conn: Connection, user_id: str, role_ids: Sequence[str]) -> None:
    if role_ids:
        conn.execute(
            insert(s.user_roles), [{"user_id": user_id, "role_id": rid} for rid in role_ids]
        )


def _write_claims(conn: Connection, user_id: str, claims: Mapping[str, str]) -> None:
    if claims:
        conn.execute(
            insert(s.user_claims),
            [{"user_id": user_id, "claim_uri": k, "value": v} for k, v in claims.items()],
        )


def _touch(conn: Connection, user_id: str) -> None:
    conn.execute(
        sql_update(s.users).where(s.users.c.id == user_id).values(modified_at=datetime.now(UTC))
    )


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
        external_id=row.external_id,
    )
