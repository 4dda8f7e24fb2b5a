"""One read-only table model for frozen rows: columns declared once, the Qt plumbing written once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

__all__ = ["Column", "RowTableModel", "ROW_ROLE", "SORT_ROLE"]

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the frozen row object behind a table row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value that sorts the way a person expects

_Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()  # the invalid index: Qt's "no parent"

T = TypeVar("T")


@dataclass(frozen=True)
class Column(Generic[T]):
    """What one column shows for a row. Every callable takes the row; None means "nothing"."""

    header: str
    display: Callable[[T], Any]
    # None: the displayed value, casefolded when it is text.
    sort_key: Callable[[T], Any] | None = None
    tooltip: Callable[[T], Any] | None = None
    foreground: Callable[[T], Any] | None = None
    decoration: Callable[[T], Any] | None = None
    alignment: Qt.AlignmentFlag | None = None


class RowTableModel(QAbstractTableModel, Generic[T]):
    """A flat table of frozen rows, one per line; no editing unless a subclass adds it.

    A subclass either declares ``COLUMNS`` (and gets ``HEADERS`` from them), or declares
    ``HEADERS`` and overrides :meth:`cell` when a cell depends on more than its row.
    """

    COLUMNS: ClassVar[tuple[Column[Any], ...]] = ()
    HEADERS: ClassVar[tuple[str, ...]] = ()
    ROW_ROLE: ClassVar[int] = ROW_ROLE
    SORT_ROLE: ClassVar[int] = SORT_ROLE

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "COLUMNS" in cls.__dict__:
            cls.HEADERS = tuple(column.header for column in cls.COLUMNS)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[T] = []

    # -- feeding and reading ---------------------------------------------------------------

    def set_rows(self, rows: Iterable[T]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[T]:
        return list(self._rows)

    def row_at(self, row: int) -> T:
        return self._rows[row]

    def row_where(self, predicate: Callable[[T], bool]) -> int:
        """The number of the first row ``predicate`` holds for; -1 if none."""
        for number, row in enumerate(self._rows):
            if predicate(row):
                return number
        return -1

    # -- Qt interface ----------------------------------------------------------------------

    def rowCount(self, parent: _Index = _ROOT) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = _ROOT) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(  # noqa: N802 - Qt override
        self, section: int, orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.HEADERS)):
            return self.HEADERS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        return self.cell(row, index.column(), role)

    def cell(self, row: T, column: int, role: int) -> Any:
        """The value of ``role`` for ``row`` in ``column``, from ``COLUMNS``."""
        if not 0 <= column < len(self.COLUMNS):
            return None
        spec = self.COLUMNS[column]
        if role == Qt.ItemDataRole.DisplayRole:
            return spec.display(row)
        if role == SORT_ROLE:
            if spec.sort_key is not None:
                return spec.sort_key(row)
            value = spec.display(row)
            return value.casefold() if isinstance(value, str) else value
        if role == Qt.ItemDataRole.ToolTipRole:
            return spec.tooltip(row) if spec.tooltip else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return spec.foreground(row) if spec.foreground else None
        if role == Qt.ItemDataRole.DecorationRole:
            return spec.decoration(row) if spec.decoration else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return spec.alignment
        return None
