"""Table models for the trust store's revocation lists and trusted SAML issuers."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from PySide6.QtGui import QBrush, QColor

from stsdesk.services.admin.models import RevocationList, SamlIssuer
from stsdesk.ui.models.base import Column, RowTableModel

__all__ = ["RevocationListsTableModel", "SamlIssuersTableModel", "crl_status"]

_WARNING = QBrush(QColor(176, 0, 32))
_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.UTC)


def _day(value: dt.datetime | None) -> str:
    return "" if value is None else f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def crl_status(row: RevocationList) -> str:
    if row.stale:
        return "Out of date: import a current CRL"
    if row.next_update is None:
        return "Current (no next update stated)"
    return "Current"


class RevocationListsTableModel(RowTableModel[RevocationList]):
    """One CRL per certificate authority: who issued it, when, until when, how many entries."""

    ISSUER, THIS_UPDATE, NEXT_UPDATE, ENTRIES, STATUS = range(5)
    COLUMNS: ClassVar[tuple[Column[Any], ...]] = (
        Column("Issuer (CA)", lambda r: r.issuer, tooltip=lambda r: r.issuer),
        Column("This update", lambda r: _day(r.this_update), sort_key=lambda r: r.this_update),
        Column("Next update", lambda r: _day(r.next_update),
               sort_key=lambda r: r.next_update or _FAR_FUTURE),
        Column("Revoked certificates", lambda r: r.entries),
        Column("Status", crl_status, foreground=lambda r: _WARNING if r.stale else None),
    )


class SamlIssuersTableModel(RowTableModel[SamlIssuer]):
    """Trust-store certificates trusted to sign SAML tokens, with the issuer each speaks for."""

    ALIAS, ISSUER, SUBJECT, VALID_UNTIL = range(4)
    COLUMNS: ClassVar[tuple[Column[Any], ...]] = (
        Column("Certificate alias", lambda r: r.certificate_alias),
        Column("Issuer name", lambda r: r.issuer, tooltip=lambda r: r.issuer),
        Column("Certificate subject", lambda r: r.subject),
        Column("Valid until", lambda r: _day(r.not_after),
               sort_key=lambda r: r.not_after or _FAR_FUTURE),
    )
