"""Table models for users and roles, fed with frozen rows made from SCIM 2.0 resources."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from stsdesk.ui.models.base import ROW_ROLE, SORT_ROLE, Column, RowTableModel

__all__ = [
    "UserRow",
    "RoleRow",
    "UsersTableModel",
    "RolesTableModel",
    "ROW_ROLE",
    "SORT_ROLE",
    "USER_SCHEMA",
    "GROUP_SCHEMA",
    "WSO2_SCHEMA",
    "PATCH_OP_SCHEMA",
    "USER_ATTRIBUTES",
    "ROLE_ATTRIBUTES",
    "user_name_filter",
    "lock_icon",
    "NO_PASSWORD",
]

# SCIM schema URIs (RFC 7643/7644 and WSO2's extension). stsdesk.core.ns has no SCIM entries
# and the UI may not import the server's copies.
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
WSO2_SCHEMA = "urn:scim:wso2:schema"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# What the console reads of a user and a role. Named one by one because stsdesk returns the
# account details (failed sign-ins, whether a password is set) and members' names only when
# asked for by name (RFC 7643 "returned": "request").
USER_ATTRIBUTES = ",".join((
    "userName", "externalId", "name", "displayName", "emails", "active", "groups",
    f"{WSO2_SCHEMA}:accountLocked", f"{WSO2_SCHEMA}:failedLoginAttempts",
    f"{WSO2_SCHEMA}:passwordSet",
))
ROLE_ATTRIBUTES = "displayName,members.value,members.display"

T = TypeVar("T", bound="UserRow | RoleRow")


def user_name_filter(text: str) -> str | None:
    """The SCIM filter ``userName sw "<text>"``, or None for no filter.

    The text goes in as a JSON string (RFC 7644 §3.4.2.2 compValue), so quotes, backslashes
    and control characters typed in the box are escaped and cannot change the expression.
    """
    text = text.strip()
    if not text:
        return None
    return f"userName sw {json.dumps(text)}"


@dataclass(frozen=True)
class UserRow:
    """One user as the table and the user dialog show it."""

    id: str
    user_name: str
    display_name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""
    # The SCIM emails, to keep the typed ones (work, home) on edit; dicts, so not hashed.
    emails: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)
    roles: tuple[tuple[str, str], ...] = ()  # (group id, role name)
    active: bool = True
    locked: bool = False
    failed_attempts: int = 0
    # False for a user created without a password (by a provisioning service, say): it cannot
    # sign in until one is set. A server that does not say (WSO2) is taken to have one.
    password_set: bool = True

    @classmethod
    def from_scim(cls, resource: Mapping[str, Any]) -> UserRow:
        name = resource.get("name") or {}
        emails = tuple(e for e in resource.get("emails") or [] if isinstance(e, dict))
        primary = next((e for e in emails if e.get("primary")), emails[0] if emails else None)
        extension = resource.get(WSO2_SCHEMA) or {}
        roles = tuple(
            (str(g.get("value", "")), str(g.get("display") or g.get("value") or ""))
            for g in resource.get("groups") or [] if isinstance(g, dict)
        )
        return cls(
            id=str(resource.get("id", "")),
            user_name=str(resource.get("userName", "")),
            display_name=str(resource.get("displayName") or ""),
            given_name=str(name.get("givenName") or ""),
            family_name=str(name.get("familyName") or ""),
            email=str(primary.get("value") or "") if primary else "",
            emails=emails,
            roles=roles,
            active=bool(resource.get("active", True)),
            locked=bool(extension.get("accountLocked", False)),
            failed_attempts=int(extension.get("failedLoginAttempts") or 0),
            password_set=extension.get("passwordSet") is not False,
        )

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(sorted((name for _, name in self.roles), key=str.casefold))

    @property
    def role_ids(self) -> frozenset[str]:
        return frozenset(role_id for role_id, _ in self.roles)


@dataclass(frozen=True)
class RoleRow:
    """One role (a SCIM group) with its members as (user id, user name)."""

    id: str
    name: str
    members: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_scim(cls, resource: Mapping[str, Any]) -> RoleRow:
        members = tuple(
            (str(m.get("value", "")), str(m.get("display") or m.get("value") or ""))
            for m in resource.get("members") or [] if isinstance(m, dict)
        )
        return cls(id=str(resource.get("id", "")), name=str(resource.get("displayName", "")),
                   members=tuple(sorted(members, key=lambda m: m[1].casefold())))

    @property
    def member_names(self) -> tuple[str, ...]:
        return tuple(name for _, name in self.members)

    @property
    def member_ids(self) -> frozenset[str]:
        return frozenset(user_id for user_id, _ in self.members)


@cache
def lock_icon() -> QIcon:
    """A small padlock, drawn (the package ships no icon set)."""
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor("#c62828")
    painter.setPen(QPen(colour, 1.6))
    painter.drawArc(QRectF(4.5, 1.5, 7, 8), 0, 180 * 16)
    painter.drawLine(QPointF(4.5, 5.5), QPointF(4.5, 7.5))
    painter.drawLine(QPointF(11.5, 5.5), QPointF(11.5, 7.5))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawRoundedRect(QRectF(2.5, 7, 11, 8), 1.5, 1.5)
    painter.end()
    return QIcon(pixmap)


class _RowsModel(RowTableModel[T]):
    """Rows that carry a SCIM ``id``."""

    def row_of(self, row_id: str) -> int:
        """The table row holding the object with ``row_id``; -1 if none."""
        return self.row_where(lambda row: row.id == row_id)


def _roles_text(row: UserRow) -> str:
    return ", ".join(row.role_names)


def _active_text(row: UserRow) -> str:
    return "Yes" if row.active else "No"


def _locked_text(row: UserRow) -> str:
    return "Locked" if row.locked else ""


def _locked_tooltip(row: UserRow) -> str | None:
    if row.locked:
        return ("Locked after repeated failed sign-ins or by an administrator. Select the user "
                "and click Unlock to let them sign in again.")
    if row.failed_attempts:
        return f"{row.failed_attempts} failed sign-in(s) since the last success."
    return None


NO_PASSWORD = "no password set"


def _password_text(row: UserRow) -> str:
    return "" if row.password_set else NO_PASSWORD


def _password_tooltip(row: UserRow) -> str | None:
    if row.password_set:
        return None
    return ("This user was created without a password (by a provisioning service, say) and "
            "cannot sign in until one is set. Edit the user to set one.")


def _user_column(header: str, text: Callable[[UserRow], str]) -> Column[UserRow]:
    return Column(header, text, tooltip=lambda row: text(row) or None)


class UsersTableModel(_RowsModel[UserRow]):
    """Users: user name, display name, email, roles, active, locked (with a padlock), password."""

    USER_NAME, DISPLAY_NAME, EMAIL, ROLES, ACTIVE, LOCKED, PASSWORD = range(7)
    COLUMNS = (
        _user_column("User Name", lambda row: row.user_name),
        _user_column("Display Name", lambda row: row.display_name),
        _user_column("Email", lambda row: row.email),
        _user_column("Roles", _roles_text),
        Column("Active", _active_text, sort_key=lambda row: int(row.active),
               tooltip=lambda row: ("Yes" if row.active
                                    else "Disabled: this user cannot sign in or get tokens."),
               foreground=lambda row: None if row.active else QColor("#8a6d00")),
        Column("Locked", _locked_text, sort_key=lambda row: (int(row.locked), row.failed_attempts),
               tooltip=_locked_tooltip,
               foreground=lambda row: QColor("#c62828") if row.locked else None,
               decoration=lambda row: lock_icon() if row.locked else None),
        Column("Password", _password_text, sort_key=lambda row: int(row.password_set),
               tooltip=_password_tooltip,
               foreground=lambda row: None if row.password_set else QColor("#8a6d00")),
    )


def _members_text(row: RoleRow) -> str | None:
    return ", ".join(row.member_names) if row.members else None


class RolesTableModel(_RowsModel[RoleRow]):
    """Roles: name and members."""

    NAME, MEMBERS = range(2)
    COLUMNS = (
        Column("Role Name", lambda row: row.name, tooltip=lambda row: row.name),
        Column("Members", lambda row: _members_text(row) or "no members",
               sort_key=lambda row: len(row.members), tooltip=_members_text,
               foreground=lambda row: None if row.members else Qt.GlobalColor.gray),
    )
