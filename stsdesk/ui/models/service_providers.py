"""Table models for service providers: the list of them and the claims one of them requests."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

__all__ = [
    "ServiceProviderRow",
    "ServiceProvidersTableModel",
    "LocalClaim",
    "RequestedClaimsTableModel",
    "ROW_ROLE",
    "SORT_ROLE",
    "NOT_CONFIGURED",
]

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the frozen row object behind a table row
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # a value that sorts the way a person expects

NOT_CONFIGURED = "not configured"

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ServiceProviderRow:
    """One service provider as the list shows it; ``audience`` is None without WS-Trust."""

    id: str
    name: str
    description: str = ""
    audience: str | None = None
    certificate_alias: str | None = None


class ServiceProvidersTableModel(QAbstractTableModel):
    """Service providers: name, description and WS-Trust audience (or "not configured")."""

    NAME, DESCRIPTION, AUDIENCE = range(3)
    _HEADERS = ("Name", "Description", "WS-Trust audience")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[ServiceProviderRow] = []

    # -- Qt interface ----------------------------------------------------------------------

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

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if column == self.NAME:
                return row.name
            if column == self.DESCRIPTION:
                # One line in the table; the tooltip shows all of it.
                return row.description if role == Qt.ItemDataRole.ToolTipRole \
                    else " ".join(row.description.split())
            if column == self.AUDIENCE:
                if role == Qt.ItemDataRole.ToolTipRole and row.audience is not None:
                    alias = row.certificate_alias or "none (tokens not encrypted)"
                    return f"{row.audience}\nCertificate Alias: {alias}"
                return row.audience if row.audience is not None else NOT_CONFIGURED
        if role == SORT_ROLE:
            if column == self.NAME:
                return row.name.casefold()
            if column == self.DESCRIPTION:
                return row.description.casefold()
            if column == self.AUDIENCE:
                # Configured ones first, then those without WS-Trust.
                return (row.audience is None, (row.audience or "").casefold())
        if role == Qt.ItemDataRole.ForegroundRole and column == self.AUDIENCE \
                and row.audience is None:
            return Qt.GlobalColor.gray
        return None

    # -- feeding ---------------------------------------------------------------------------

    def set_rows(self, rows: Iterable[ServiceProviderRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[ServiceProviderRow]:
        return list(self._rows)

    def row_at(self, row: int) -> ServiceProviderRow:
        return self._rows[row]


@dataclass(frozen=True)
class LocalClaim:
    """A claim of the local dialect (http://wso2.org/claims)."""

    uri: str
    display_name: str


class RequestedClaimsTableModel(QAbstractTableModel):
    """Every local claim with two check boxes: requested, and (if requested) mandatory.

    Like the "Requested Claims" table of WSO2's service provider editor, but listing all local
    claims, so that picking one is a click (or Space) rather than a search.
    """

    REQUESTED, CLAIM, URI, MANDATORY = range(4)
    _HEADERS = ("Requested", "Claim", "Claim URI", "Mandatory Claim")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._claims: list[LocalClaim] = []
        self._requested: set[str] = set()
        self._mandatory: set[str] = set()

    # -- Qt interface ----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._claims)

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

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        claim = self._claims[index.row()]
        if index.column() == self.REQUESTED:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        elif index.column() == self.MANDATORY:
            if claim.uri in self._requested:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            else:
                # Only a requested claim can be mandatory.
                flags &= ~Qt.ItemFlag.ItemIsEnabled
        return flags

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._claims):
            return None
        claim = self._claims[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return claim
        if role == Qt.ItemDataRole.CheckStateRole:
            if column == self.REQUESTED:
                return _check(claim.uri in self._requested)
            if column == self.MANDATORY:
                return _check(claim.uri in self._mandatory)
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.CLAIM:
                return claim.display_name
            if column == self.URI:
                return claim.uri
        if role == Qt.ItemDataRole.ToolTipRole and column == self.MANDATORY:
            return ("A mandatory claim must have a value in the user's profile, or no token is "
                    "issued.")
        if role == SORT_ROLE:
            if column == self.REQUESTED:
                return claim.uri not in self._requested
            if column == self.MANDATORY:
                return claim.uri not in self._mandatory
            return claim.display_name.casefold() if column == self.CLAIM else claim.uri
        return None

    def setData(  # noqa: N802 - Qt override
        self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole:
            return False
        if not self.flags(index) & Qt.ItemFlag.ItemIsUserCheckable:
            return False
        checked = _is_checked(value)
        uri = self._claims[index.row()].uri
        if index.column() == self.REQUESTED:
            if checked:
                self._requested.add(uri)
            else:
                self._requested.discard(uri)
                self._mandatory.discard(uri)
        elif index.column() == self.MANDATORY:
            if checked:
                self._mandatory.add(uri)
            else:
                self._mandatory.discard(uri)
        else:
            return False
        self.dataChanged.emit(self.index(index.row(), 0),
                              self.index(index.row(), len(self._HEADERS) - 1))
        return True

    # -- feeding and reading ---------------------------------------------------------------

    def set_claims(self, claims: Iterable[LocalClaim],
                   requested: Iterable[tuple[str, bool]] = ()) -> None:
        """Show ``claims``; ``requested`` is (uri, mandatory) for each requested claim."""
        self.beginResetModel()
        self._claims = list(claims)
        known = {claim.uri for claim in self._claims}
        self._requested = set()
        self._mandatory = set()
        for uri, mandatory in requested:
            if uri not in known:
                # A claim the server knows but did not list; keep it rather than drop it.
                self._claims.append(LocalClaim(uri, uri.rsplit("/", 1)[-1]))
                known.add(uri)
            self._requested.add(uri)
            if mandatory:
                self._mandatory.add(uri)
        self.endResetModel()

    def claims(self) -> list[LocalClaim]:
        return list(self._claims)

    def requested(self) -> list[tuple[str, bool]]:
        """(uri, mandatory) for each requested claim, in the table's order."""
        return [(claim.uri, claim.uri in self._mandatory)
                for claim in self._claims if claim.uri in self._requested]

    def row_of(self, uri: str) -> int:
        for row, claim in enumerate(self._claims):
            if claim.uri == uri:
                return row
        raise KeyError(uri)


def _check(on: bool) -> Qt.CheckState:
    return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked


def _is_checked(value: Any) -> bool:
    if isinstance(value, Qt.CheckState):
        return value == Qt.CheckState.Checked
    return int(value) == Qt.CheckState.Checked.value
