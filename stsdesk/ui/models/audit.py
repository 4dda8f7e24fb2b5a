"""The audit log as a table model (one frozen row per entry) and its text/action filter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

__all__ = ["AuditEntry", "AuditLogTableModel", "AuditLogFilterProxyModel"]

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class AuditEntry:
    """One line of ``GET /audit-logs``: who did what, on what, when."""

    id: int
    timestamp: datetime | None
    actor: str
    action: str
    target: str
    detail: str

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> AuditEntry:
        return cls(
            id=_int(body.get("id")),
            timestamp=_time(body.get("timestamp")),
            actor=str(body.get("actor") or ""),
            action=str(body.get("action") or ""),
            target=str(body.get("target") or ""),
            detail=str(body.get("detail") or ""),
        )

    @property
    def local_time(self) -> str:
        if self.timestamp is None:
            return ""
        return self.timestamp.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # The server writes UTC; a value without an offset is UTC too.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class AuditLogTableModel(QAbstractTableModel):
    """Columns: time, user, action, target, detail. Newest first as the server sends them."""

    TIME, USER, ACTION, TARGET, DETAIL = range(5)
    HEADERS = ("Time", "User", "Action", "Target", "Detail")
    ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1  # the AuditEntry of the row
    SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value that sorts right (time: the entry id)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[AuditEntry] = []

    # -- content ---------------------------------------------------------------------------

    def entries(self) -> list[AuditEntry]:
        return list(self._entries)

    def set_entries(self, entries: Iterable[AuditEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def append_entries(self, entries: Iterable[AuditEntry]) -> int:
        """Add entries not shown yet (a later page may repeat some when new ones arrived)."""
        known = {entry.id for entry in self._entries}
        fresh = [entry for entry in entries if entry.id not in known]
        if fresh:
            first = len(self._entries)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._entries.extend(fresh)
            self.endInsertRows()
        return len(fresh)

    def actions(self) -> list[str]:
        return sorted({entry.action for entry in self._entries if entry.action})

    # -- Qt model --------------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.HEADERS)):
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = index.column()
        if role == self.ENTRY_ROLE:
            return entry
        if role == self.SORT_ROLE:
            return entry.id if column == self.TIME else self._text(entry, column).casefold()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == self.TIME and entry.timestamp is not None:
                return entry.timestamp.astimezone(UTC).isoformat(timespec="seconds")
            if column in (self.TARGET, self.DETAIL):
                return self._text(entry, column) or None
        return None

    def _text(self, entry: AuditEntry, column: int) -> str:
        if column == self.TIME:
            return entry.local_time
        if column == self.USER:
            return entry.actor
        if column == self.ACTION:
            return entry.action
        if column == self.TARGET:
            return entry.target
        if column == self.DETAIL:
            return entry.detail
        return ""


class AuditLogFilterProxyModel(QSortFilterProxyModel):
    """Keeps the rows whose columns contain the filter text and whose action is the chosen one."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._text = ""
        self._action = ""
        self.setSortRole(AuditLogTableModel.SORT_ROLE)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().casefold()
        self.endFilterChange()

    def set_action(self, action: str) -> None:
        """Only rows of ``action`` ("" for every action)."""
        self.beginFilterChange()
        self._action = action
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        model = self.sourceModel()
        if model is None:
            return True
        entry = model.index(source_row, 0, source_parent).data(AuditLogTableModel.ENTRY_ROLE)
        if not isinstance(entry, AuditEntry):
            return True
        if self._action and entry.action != self._action:
            return False
        if not self._text:
            return True
        columns = (entry.local_time, entry.actor, entry.action, entry.target, entry.detail)
        return any(self._text in value.casefold() for value in columns)
