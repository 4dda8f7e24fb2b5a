"""Table models for the keystores page: the trust store's certificates and the signing keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont

from stsdesk.core.certificate_description import EXPIRY_WARNING_DAYS, CertificateStatus
from stsdesk.services.admin.models import SigningKey, TrustedCertificate, validity_status
from stsdesk.ui.models.base import ROW_ROLE, SORT_ROLE, RowTableModel

__all__ = [
    "TrustedCertificateRow", "SigningKeyRow", "TrustedCertificatesTableModel",
    "SigningKeysTableModel", "CertificateFilterProxyModel", "validity_status", "common_name",
    "status_text", "key_text", "ROW_ROLE", "SORT_ROLE", "STATUS_ROLE", "STATUS_COLOURS",
]

STATUS_ROLE = Qt.ItemDataRole.UserRole + 3  # the row's CertificateStatus (for the filter)

_Index = QModelIndex | QPersistentModelIndex

# Background and text colour per status: the same traffic-light palette as the page banner.
STATUS_COLOURS: dict[CertificateStatus, tuple[str, str]] = {
    CertificateStatus.VALID: ("#edf7ed", "#1e4620"),
    CertificateStatus.EXPIRES_SOON: ("#fff4e5", "#663c00"),
    CertificateStatus.EXPIRED: ("#fdecea", "#611a15"),
    CertificateStatus.NOT_YET_VALID: ("#fdecea", "#611a15"),
}
_STATUS_TEXT = {
    CertificateStatus.VALID: "valid",
    CertificateStatus.EXPIRES_SOON: f"expires within {EXPIRY_WARNING_DAYS} days",
    CertificateStatus.EXPIRED: "expired",
    CertificateStatus.NOT_YET_VALID: "not yet valid",
}
# The service records are the rows: the tables show them as the admin API returns them.
TrustedCertificateRow = TrustedCertificate
SigningKeyRow = SigningKey

# Worst first when sorting by status.
_STATUS_ORDER = {
    CertificateStatus.EXPIRED: 0, CertificateStatus.NOT_YET_VALID: 1,
    CertificateStatus.EXPIRES_SOON: 2, CertificateStatus.VALID: 3,
}


def status_text(status: CertificateStatus) -> str:
    return _STATUS_TEXT[status]


def common_name(rfc4514: str) -> str:
    """The CN of an RFC 4514 name (the whole name when it has none or cannot be read)."""
    try:
        name = x509.Name.from_rfc4514_string(rfc4514)
    except ValueError:
        return rfc4514
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not values:
        return rfc4514
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def key_text(row: TrustedCertificateRow | SigningKeyRow) -> str:
    """"RSA 2048", or the algorithm alone when the size is unknown."""
    return f"{row.key_algorithm} {row.key_size}" if row.key_size else row.key_algorithm


class _CertificateTableModel(RowTableModel[Any]):
    """Rows of certificate facts; subclasses name the columns and say what each shows."""

    STATUS = -1  # the column coloured by validity status

    def __init__(self, parent: Any = None, *, now: dt.datetime | None = None) -> None:
        super().__init__(parent)
        self._now = now  # fixed in tests; None means the clock

    def cell(self, row: Any, column: int, role: int) -> Any:
        # Every cell depends on the status at the model's clock, not on the row alone.
        status = row.status(self._now)
        if role == STATUS_ROLE:
            return status
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column, status)
        if role == SORT_ROLE:
            return self._sort_key(row, column, status)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if column == self.STATUS and status is not CertificateStatus.VALID:
            background, foreground = STATUS_COLOURS[status]
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(QColor(background))
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(foreground))
        if column == self.STATUS and role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(STATUS_COLOURS[status][1]))
        return None

    def _display(self, row: Any, column: int, status: CertificateStatus) -> Any:
        raise NotImplementedError

    def _sort_key(self, row: Any, column: int, status: CertificateStatus) -> Any:
        raise NotImplementedError

    def _tooltip(self, row: Any, column: int) -> Any:
        lines = [f"Subject: {row.subject}", f"Issuer: {row.issuer}",
                 f"Valid from {row.not_before:%Y-%m-%d %H:%M} to {row.not_after:%Y-%m-%d %H:%M} UTC",
                 f"SHA-256: {row.sha256_fingerprint}"]
        lines += row.warnings
        return "\n".join(lines)

    def _status_display(self, row: Any, status: CertificateStatus) -> str:
        days = row.days_remaining(self._now)
        if status is CertificateStatus.EXPIRES_SOON:
            return f"expires in {days} day{'s' if days != 1 else ''}"
        return status_text(status)


class TrustedCertificatesTableModel(_CertificateTableModel):
    """The trust store: alias, subject CN, issuer CN, valid until, status, SHA-256, key, used by."""

    ALIAS, SUBJECT_CN, ISSUER_CN, VALID_UNTIL, STATUS, SHA256, KEY, USED_BY = range(8)
    HEADERS = ("Alias", "Subject CN", "Issuer CN", "Valid until", "Status",
                "SHA-256 fingerprint", "Key", "Used by")

    def _display(self, row: TrustedCertificateRow, column: int,
                 status: CertificateStatus) -> Any:
        return (
            row.alias, common_name(row.subject), common_name(row.issuer), f"{row.not_after:%Y-%m-%d}",
            self._status_display(row, status), row.sha256_fingerprint, key_text(row),
            ", ".join(row.used_by) or "—",
        )[column]

    def _sort_key(self, row: TrustedCertificateRow, column: int,
                  status: CertificateStatus) -> Any:
        if column == self.VALID_UNTIL:
            return row.not_after.timestamp()
        if column == self.STATUS:
            return (_STATUS_ORDER[status], row.not_after.timestamp())
        if column == self.KEY:
            return (row.key_algorithm, row.key_size or 0)
        if column == self.USED_BY:
            # Certificates in use first, then by the names.
            return (not row.used_by, ", ".join(row.used_by).casefold())
        return str(self._display(row, column, status)).casefold()

    def _tooltip(self, row: TrustedCertificateRow, column: int) -> Any:
        if column == self.USED_BY and row.used_by:
            return "Used by the service providers: " + ", ".join(row.used_by)
        return super()._tooltip(row, column)


class SigningKeysTableModel(_CertificateTableModel):
    """The signing keystore: which key signs now, alias, subject, validity, key, SHA-256."""

    SIGNS_NOW, ALIAS, SUBJECT, VALID_FROM, VALID_UNTIL, STATUS, KEY, SHA256 = range(8)
    HEADERS = ("Signs now", "Alias", "Subject", "Valid from", "Valid until", "Status", "Key",
                "SHA-256 fingerprint")

    def _display(self, row: SigningKeyRow, column: int, status: CertificateStatus) -> Any:
        return (
            "✔ active" if row.active else "", row.alias, row.subject,
            f"{row.not_before:%Y-%m-%d}", f"{row.not_after:%Y-%m-%d}",
            self._status_display(row, status), key_text(row), row.sha256_fingerprint,
        )[column]

    def _sort_key(self, row: SigningKeyRow, column: int, status: CertificateStatus) -> Any:
        if column == self.SIGNS_NOW:
            return (not row.active, row.alias.casefold())
        if column == self.VALID_FROM:
            return row.not_before.timestamp()
        if column == self.VALID_UNTIL:
            return row.not_after.timestamp()
        if column == self.STATUS:
            return (_STATUS_ORDER[status], row.not_after.timestamp())
        if column == self.KEY:
            return (row.key_algorithm, row.key_size or 0)
        return str(self._display(row, column, status)).casefold()

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        value = super().data(index, role)
        if (value is None and role == Qt.ItemDataRole.FontRole and index.isValid()
                and self._rows[index.row()].active):
            font = QFont()
            font.setBold(True)
            return font
        return value

    def active_row(self) -> SigningKeyRow | None:
        return next((row for row in self._rows if row.active), None)


class CertificateFilterProxyModel(QSortFilterProxyModel):
    """Sorts by SORT_ROLE; filters by text (any column) and, optionally, by validity status."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self._status: CertificateStatus | None = None

    def set_status_filter(self, status: CertificateStatus | None) -> None:
        self.beginFilterChange()
        self._status = status
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:  # noqa: N802
        if self._status is not None:
            model = self.sourceModel()
            if model.index(source_row, 0, source_parent).data(STATUS_ROLE) != self._status:
                return False
        return super().filterAcceptsRow(source_row, source_parent)
