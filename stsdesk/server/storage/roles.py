"""Roles (SCIM groups) and their members, and the rule that keeps the admin role staffed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import EllipsisType
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy import update as sql_update

from stsdesk.server.errors import ConflictError, NotFoundError, ValidationError
from stsdesk.server.storage import schema as s
from stsdesk.server.storage.checks import check_external_id, check_name, exists
from stsdesk.server.storage.database import Database

__all__ = [
    "RoleRepository", "StoredRole", "ADMIN_ROLE", "ProtectedRoleError", "guard_last_admin",
    "role_ids_for", "check_role_names",
]

# The role the admin API requires (as stsdesk.server.bootstrap.ADMIN_ROLE): the user and role
# methods made for the admin API refuse to delete or rename it, or to take away its last active
# member, which would lock every administrator out.
ADMIN_ROLE = "admin"


class ProtectedRoleError(ConflictError):
    """The change would delete or rename the admin role, or leave it without an active member."""


@dataclass(frozen=True)
class StoredRole:
    """A role (a SCIM group) with its members as ``(user id, username)``, sorted by username."""

    role_id: str
    name: str
    members: tuple[tuple[str, str], ...] = ()
    created_at: datetime | None = None
    modified_at: datetime | None = None
    external_id: str | None = None  # SCIM externalId


class RoleRepository:
    """Roles by id (the SCIM view) and by name; every change bumps the configuration version."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def create(
        self, name: str, *, member_ids: Sequence[str] = (), external_id: str | None = None
    ) -> str:
        """Create a role (with these users as members) and return its id."""
        name = check_name(name, "role name")
        members = _check_ids(member_ids, "member")
        external = check_external_id(external_id)
        role_id = str(uuid.uuid4())
        with self._db.transaction("write") as conn:
            if exists(conn, s.roles.c.name, name):
                raise ConflictError(f"A role named {name!r} already exists.")
            _require_users(conn, members)
            conn.execute(
                insert(s.roles).values(id=role_id, name=name, created_at=datetime.now(UTC),
                                       external_id=external)
            )
            if members:
                conn.execute(
                    insert(s.user_roles), [{"user_id": u, "role_id": role_id} for u in members]
                )
            self._db.bump_version(conn)
        return role_id

    def get(self, role_id: str) -> StoredRole | None:
        """The role with id ``role_id`` and its members; None if there is none."""
        with self._db.transaction("read") as conn:
            row = conn.execute(select(s.roles).where(s.roles.c.id == role_id)).first()
            if row is None:
                return None
            return _stored_roles(conn, [row])[0]

    def ids_by_name(self) -> dict[str, str]:
        """Role name -> role id, for every role."""
        with self._db.transaction("single") as conn:
            return dict(conn.execute(select(s.roles.c.name, s.roles.c.id)).all())

    def list_all(self) -> list[StoredRole]:
        """Every role with its members, sorted by name."""
        with self._db.transaction("read") as conn:
            rows = conn.execute(select(s.roles).order_by(s.roles.c.name)).all()
            return _stored_roles(conn, rows)

    def names(self) -> list[str]:
        """Every role's name, sorted."""
        with self._db.transaction("single") as conn:
            return list(conn.execute(select(s.roles.c.name).order_by(s.roles.c.name)).scalars())

    def update(
        self,
        role_id: str,
        *,
        name: str | None = None,
        member_ids: Sequence[str] | None = None,
        add_member_ids: Sequence[str] = (),
        remove_member_ids: Sequence[str] = (),
        external_id: str | None | EllipsisType = ...,
    ) -> StoredRole:
        """Rename a role and change its members in one transaction; returns the role after.

        ``member_ids`` replaces the members; then ``add_member_ids`` and ``remove_member_ids``
        apply. ``external_id`` is set when given (None clears it). The admin role cannot be
        renamed or lose its last active member (ConflictError).
        """
        new_name = None if name is None else check_name(name, "role name")
        external = ... if external_id is ... else check_external_id(external_id)
        replace = None if member_ids is None else set(_check_ids(member_ids, "member"))
        adding = set(_check_ids(add_member_ids, "member"))
        removing = set(_check_ids(remove_member_ids, "member"))
        with self._db.transaction("write") as conn:
            row = conn.execute(select(s.roles).where(s.roles.c.id == role_id)).first()
            if row is None:
                raise NotFoundError(f"There is no role with id {role_id!r}.")
            if new_name is not None and new_name != row.name:
                if row.name == ADMIN_ROLE:
                    raise ProtectedRoleError(
                        f"The role {ADMIN_ROLE!r} cannot be renamed: the admin API admits only "
                        "its members. Create another role instead."
                    )
                if exists(conn, s.roles.c.name, new_name):
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
                guard_last_admin(conn, lost)
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
            if external is not ...:
                values["external_id"] = external
            conn.execute(sql_update(s.roles).where(s.roles.c.id == role_id).values(values))
            self._db.bump_version(conn)
            fresh = conn.execute(select(s.roles).where(s.roles.c.id == role_id)).one()
            return _stored_roles(conn, [fresh])[0]

    def delete_by_id(self, role_id: str) -> str:
        """Delete a role by id and return its name; the admin role cannot be deleted."""
        with self._db.transaction("write") as conn:
            name = conn.execute(select(s.roles.c.name).where(s.roles.c.id == role_id)).scalar()
            if name is None:
                raise NotFoundError(f"There is no role with id {role_id!r}.")
            if name == ADMIN_ROLE:
                raise ProtectedRoleError(
                    f"The role {ADMIN_ROLE!r} cannot be deleted: the admin API admits only its "
                    "members, so deleting it would lock every administrator out."
                )
            conn.execute(delete(s.roles).where(s.roles.c.id == role_id))
            self._db.bump_version(conn)
            return str(name)

    def delete(self, name: str) -> None:
        """Delete a role by name; its users simply lose it."""
        with self._db.transaction("write") as conn:
            done = conn.execute(delete(s.roles).where(s.roles.c.name == name))
            if done.rowcount == 0:
                raise NotFoundError(f"There is no role named {name!r}.")
            self._db.bump_version(conn)


def check_role_names(roles: Sequence[str]) -> list[str]:
    """The role names given, checked, without duplicates, sorted."""
    if isinstance(roles, str):
        raise ValidationError("Give roles as a list of names, not one string.")
    return sorted({check_name(r, "role name") for r in roles})


def role_ids_for(conn: Connection, names: Sequence[str]) -> list[str]:
    """The ids of the roles named; ValidationError naming those that do not exist."""
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


def guard_last_admin(conn: Connection, losing: set[str]) -> None:
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
            created_at=row.created_at, modified_at=row.modified_at, external_id=row.external_id,
        )
        for row in rows
    ]
