"""The test client's session history as a table model: one frozen TokenResult per row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from stsdesk.services.token_session import TokenResult

__all__ = ["TokenHistoryTableModel", "outcome_of"]

_Index = QModelIndex | QPersistentModelIndex
_RED = QBrush(QColor("#c62828"))


def outcome_of(result: TokenResult) -> str:
    """What came of one request, in a few words."""
    if result.error:
        return f"failed: {result.error}"
    if result.fault_code:
        return f"refused: {result.fault_name} — {result.fault_reason or ''}".rstrip(" —")
    if result.valid is not None:
        return "valid" if result.valid else f"invalid: {result.status_reason or ''}".rstrip(": ")
    if result.cancelled:
        return "cancelled at the STS"
    if result.decoded is not None:
        return f"token, signature {result.decoded.signature.status.value}"
    return "done"


class TokenHistoryTableModel(QAbstractTableModel):
    """Columns: time, action, token, outcome, time taken. In the order the requests were made."""

    TIME, ACTION, TOKEN, OUTCOME, ELAPSED = range(5)
    HEADERS = ("Time", "Action", "Token", "Outcome", "Took")
    RESULT_ROLE = Qt.ItemDataRole.UserRole + 1  # the TokenResult of the row
    SORT_ROLE = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[TokenResult] = []

    def set_results(self, results: Iterable[TokenResult]) -> None:
        self.beginResetModel()
        self._rows = list(results)
        self.endResetModel()

    def result_at(self, row: int) -> TokenResult | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, result: TokenResult) -> int:
        for row, candidate in enumerate(self._rows):
            if candidate is result:
                return row
        return -1

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        result = self._rows[index.row()]
        column = index.column()
        if role == self.RESULT_ROLE:
            return result
        if role == self.SORT_ROLE:
            if column == self.TIME:
                return result.started_at.timestamp()
            if column == self.ELAPSED:
                return result.exchange.elapsed_seconds if result.exchange else -1.0
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.TIME:
                return result.started_at.astimezone().strftime("%H:%M:%S")
            if column == self.ACTION:
                return result.action.value
            if column == self.TOKEN:
                opts = result.options
                name = "SAML 1.1" if opts.token_type.name == "SAML11" else "SAML 2.0"
                return f"{name}, {opts.key_type.value}"
            if column == self.OUTCOME:
                return outcome_of(result)
            if column == self.ELAPSED:
                return f"{result.exchange.elapsed_seconds * 1000:.0f} ms" if result.exchange else ""
        if role == Qt.ItemDataRole.ForegroundRole and column == self.OUTCOME and (
            result.error or result.fault_code or result.valid is False
        ):
            return _RED
        if role == Qt.ItemDataRole.ToolTipRole:
            return result.summary
        return None
