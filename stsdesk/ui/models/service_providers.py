"""Table models for service providers: the list of them and the claims one of them requests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from stsdesk.services.admin.models import ApplicationSummary, LocalClaim
from stsdesk.ui.models.base import ROW_ROLE, SORT_ROLE, Column, RowTableModel

__all__ = [
    "ServiceProviderRow",
    "ServiceProvidersTableModel",
    "LocalClaim",
    "RequestedClaimsTableModel",
    "ROW_ROLE",
    "SORT_ROLE",
    "NOT_CONFIGURED",
]

NOT_CONFIGURED = "not configured"

_Index = QModelIndex | QPersistentModelIndex


# The service records are the rows: the list shows them as the admin API returns them.
ServiceProviderRow = ApplicationSummary


def _audience_text(row: ServiceProviderRow) -> str:
    return row.audience if row.audience is not None else NOT_CONFIGURED


def _audience_tooltip(row: ServiceProviderRow) -> str:
    if row.audience is None:
        return NOT_CONFIGURED
    alias = row.certificate_alias or "none (tokens not encrypted)"
    return f"{row.audience}\nCertificate Alias: {alias}"


class ServiceProvidersTableModel(RowTableModel[ServiceProviderRow]):
    """Service providers: name, description and WS-Trust audience (or "not configured")."""

    NAME, DESCRIPTION, AUDIENCE = range(3)
    COLUMNS = (
        Column("Name", lambda r: r.name, tooltip=lambda r: r.name),
        # One line in the table; the tooltip shows all of it.
        Column("Description", lambda r: " ".join(r.description.split()),
               sort_key=lambda r: r.description.casefold(), tooltip=lambda r: r.description),
        Column("WS-Trust audience", _audience_text, tooltip=_audience_tooltip,
               # Configured ones first, then those without WS-Trust.
               sort_key=lambda r: (r.audience is None, (r.audience or "").casefold()),
               foreground=lambda r: Qt.GlobalColor.gray if r.audience is None else None),
    )


class RequestedClaimsTableModel(RowTableModel[LocalClaim]):
    """Every local claim with two check boxes: requested, and (if requested) mandatory.

    Like the "Requested Claims" table of WSO2's service provider editor, but listing all local
    claims, so that picking one is a click (or Space) rather than a search.
    """

    REQUESTED, CLAIM, URI, MANDATORY = range(4)
    HEADERS = ("Requested", "Claim", "Claim URI", "Mandatory Claim")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._requested: set[str] = set()
        self._mandatory: set[str] = set()

    # -- Qt interface ----------------------------------------------------------------------

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
        claim = self._rows[index.row()]
        if index.column() == self.REQUESTED:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        elif index.column() == self.MANDATORY:
            if claim.uri in self._requested:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            else:
                # Only a requested claim can be mandatory.
                flags &= ~Qt.ItemFlag.ItemIsEnabled
        return flags

    def cell(self, claim: LocalClaim, column: int, role: int) -> Any:
        # The check boxes depend on the model's sets, not on the row alone.
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
        uri = self._rows[index.row()].uri
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
                              self.index(index.row(), len(self.HEADERS) - 1))
        return True

    # -- feeding and reading ---------------------------------------------------------------

    def set_claims(self, claims: Iterable[LocalClaim],
                   requested: Iterable[tuple[str, bool]] = ()) -> None:
        """Show ``claims``; ``requested`` is (uri, mandatory) for each requested claim."""
        self.beginResetModel()
        self._rows = list(claims)
        known = {claim.uri for claim in self._rows}
        self._requested = set()
        self._mandatory = set()
        for uri, mandatory in requested:
            if uri not in known:
                # A claim the server knows but did not list; keep it rather than drop it.
                self._rows.append(LocalClaim(uri, uri.rsplit("/", 1)[-1]))
                known.add(uri)
            self._requested.add(uri)
            if mandatory:
                self._mandatory.add(uri)
        self.endResetModel()

    def claims(self) -> list[LocalClaim]:
        return self.rows()

    def requested(self) -> list[tuple[str, bool]]:
        """(uri, mandatory) for each requested claim, in the table's order."""
        return [(claim.uri, claim.uri in self._mandatory)
                for claim in self._rows if claim.uri in self._requested]

    def row_of(self, uri: str) -> int:
        row = self.row_where(lambda claim: claim.uri == uri)
        if row < 0:
            raise KeyError(uri)
        return row


def _check(on: bool) -> Qt.CheckState:
    return Qt.CheckState.Checked if on else Qt.CheckState.Unchecked


def _is_checked(value: Any) -> bool:
    if isinstance(value, Qt.CheckState):
        return value == Qt.CheckState.Checked
    return int(value) == Qt.CheckState.Checked.value
