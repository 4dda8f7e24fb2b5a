"""The audit log as a table model (one frozen row per entry) and its text/action filter."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from stsdesk.services.admin.models import AuditEntry
from stsdesk.ui.models.base import ROW_ROLE, Column, RowTableModel

__all__ = ["AuditEntry", "AuditLogTableModel", "AuditLogFilterProxyModel", "target_name"]

_Index = QModelIndex | QPersistentModelIndex

# The server writes SCIM targets as "Users/<id> (name)" and "Groups/<id> (name)".
_SCIM_TARGET = re.compile(r"^(Users|Groups)/\S+ \((?P<name>.*)\)$", re.DOTALL)
_KINDS = {"Users": "user", "Groups": "role"}


def target_name(entry: AuditEntry, application_names: Mapping[str, str] | None = None) -> str:
    """What the entry acted on, as a person names it: "user alice", "service provider Payroll"
    rather than the identifiers the server keeps (those stay in the tooltip)."""
    target = entry.target
    match = _SCIM_TARGET.match(target)
    if match:
        return f"{_KINDS[match.group(1)]} {match.group('name')}"
    if entry.action.startswith("application.") and application_names:
        name = application_names.get(target)
        if name is not None:
            return f"service provider {name}"
    return target


def _utc_time(entry: AuditEntry) -> str | None:
    if entry.timestamp is None:
        return None
    return entry.timestamp.astimezone(UTC).isoformat(timespec="seconds")


class AuditLogTableModel(RowTableModel[AuditEntry]):
    """Columns: time, user, action, target, detail. Newest first as the server sends them."""

    TIME, USER, ACTION, TARGET, DETAIL = range(5)
    COLUMNS = (
        # The time sorts by the entry id: the order the server wrote them.
        Column("Time", lambda e: e.local_time, sort_key=lambda e: e.id, tooltip=_utc_time),
        Column("User", lambda e: e.actor),
        Column("Action", lambda e: e.action),
        Column("Target", target_name, tooltip=lambda e: e.target or None),
        Column("Detail", lambda e: e.detail, tooltip=lambda e: e.detail or None),
    )
    ENTRY_ROLE = ROW_ROLE  # the AuditEntry of the row

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._application_names: dict[str, str] = {}

    def set_application_names(self, names: Mapping[str, str]) -> None:
        """Name service providers by id (the server's entries for them carry only the id)."""
        self._application_names = dict(names)
        if self._rows:
            self.dataChanged.emit(self.index(0, self.TARGET),
                                  self.index(len(self._rows) - 1, self.TARGET))

    def target_text(self, entry: AuditEntry) -> str:
        return target_name(entry, self._application_names)

    def cell(self, row: AuditEntry, column: int, role: int) -> Any:
        if column == self.TARGET and role in (Qt.ItemDataRole.DisplayRole, self.SORT_ROLE):
            text = self.target_text(row)
            return text if role == Qt.ItemDataRole.DisplayRole else text.casefold()
        return super().cell(row, column, role)

    # -- content ---------------------------------------------------------------------------

    def entries(self) -> list[AuditEntry]:
        return self.rows()

    def set_entries(self, entries: Iterable[AuditEntry]) -> None:
        self.set_rows(entries)

    def append_entries(self, entries: Iterable[AuditEntry]) -> int:
        """Add entries not shown yet (a later page may repeat some when new ones arrived)."""
        known = {entry.id for entry in self._rows}
        fresh = [entry for entry in entries if entry.id not in known]
        if fresh:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._rows.extend(fresh)
            self.endInsertRows()
        return len(fresh)

    def actions(self) -> list[str]:
        return sorted({entry.action for entry in self._rows if entry.action})


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
        target = (model.target_text(entry) if isinstance(model, AuditLogTableModel)
                  else entry.target)
        columns = (entry.local_time, entry.actor, entry.action, entry.target, target,
                   entry.detail)
        return any(self._text in value.casefold() for value in columns)
