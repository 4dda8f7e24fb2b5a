"""Table models for users and roles, fed with the admin API's frozen records."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TypeVar

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from stsdesk.services.admin.models import Role, User
from stsdesk.ui.models.base import ROW_ROLE, SORT_ROLE, Column, RowTableModel

__all__ = [
    "UserRow",
    "RoleRow",
    "UsersTableModel",
    "RolesTableModel",
    "ROW_ROLE",
    "SORT_ROLE",
    "lock_icon",
    "NO_PASSWORD",
]

# The service records are the rows: the tables show them as the admin API returns them.
UserRow = User
RoleRow = Role

T = TypeVar("T", bound="User | Role")


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
