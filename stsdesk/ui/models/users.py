"""Table models for users and roles, fed with frozen rows made from SCIM 2.0 resources."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    Qt,
)
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

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
    "user_name_filter",
    "lock_icon",
]

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the frozen row object behind a table row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value that sorts the way a person expects

# SCIM schema URIs (RFC 7643/7644 and WSO2's extension). stsdesk.core.ns has no SCIM entries
# and the UI may not import the server's copies.
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
WSO2_SCHEMA = "urn:scim:wso2:schema"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

_Index = QModelIndex | QPersistentModelIndex


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


class _RowsModel(QAbstractTableModel):
    """Shared plumbing: frozen rows, fixed headers, no editing."""

    _HEADERS: tuple[str, ...] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._HEADERS)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self._HEADERS)):
            return self._HEADERS[section]
        return None

    def set_rows(self, rows: Iterable[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def row_of(self, row_id: str) -> int:
        """The table row holding the object with ``row_id``; -1 if none."""
        for number, row in enumerate(self._rows):
            if row.id == row_id:
                return number
        return -1


class UsersTableModel(_RowsModel):
    """Users: user name, display name, email, roles, active, locked (with a padlock)."""

    USER_NAME, DISPLAY_NAME, EMAIL, ROLES, ACTIVE, LOCKED = range(6)
    _HEADERS = ("User Name", "Display Name", "Email", "Roles", "Active", "Locked")

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row: UserRow = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.LOCKED:
                if row.locked:
                    return ("Locked after repeated failed sign-ins. Select the user and click "
                            "Unlock to let them sign in again.")
                if row.failed_attempts:
                    return f"{row.failed_attempts} failed sign-in(s) since the last success."
                return None
            if column == self.ACTIVE and not row.active:
                return "Disabled: this user cannot sign in or get tokens."
            return self._text(row, column) or None
        if role == Qt.ItemDataRole.DecorationRole and column == self.LOCKED and row.locked:
            return lock_icon()
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.LOCKED and row.locked:
                return QColor("#c62828")
            if column == self.ACTIVE and not row.active:
                return QColor("#8a6d00")
        if role == SORT_ROLE:
            if column == self.ACTIVE:
                return int(row.active)
            if column == self.LOCKED:
                return (int(row.locked), row.failed_attempts)
            return self._text(row, column).casefold()
        return None

    def _text(self, row: UserRow, column: int) -> str:
        if column == self.USER_NAME:
            return row.user_name
        if column == self.DISPLAY_NAME:
            return row.display_name
        if column == self.EMAIL:
            return row.email
        if column == self.ROLES:
            return ", ".join(row.role_names)
        if column == self.ACTIVE:
            return "Yes" if row.active else "No"
        if column == self.LOCKED:
            return "Locked" if row.locked else ""
        return ""


class RolesTableModel(_RowsModel):
    """Roles: name and members."""

    NAME, MEMBERS = range(2)
    _HEADERS = ("Role Name", "Members")

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row: RoleRow = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == self.NAME:
                return row.name
            if column == self.MEMBERS:
                if not row.members:
                    return "no members" if role == Qt.ItemDataRole.DisplayRole else None
                return ", ".join(row.member_names)
        if role == Qt.ItemDataRole.ForegroundRole and column == self.MEMBERS and not row.members:
            return Qt.GlobalColor.gray
        if role == SORT_ROLE:
            if column == self.NAME:
                return row.name.casefold()
            if column == self.MEMBERS:
                return len(row.members)
        return None
