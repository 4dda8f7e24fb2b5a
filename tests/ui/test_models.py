"""Every table model of the console, fed a few rows, passes Qt's model tester; the shared base."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt

from stsdesk.core.tokeninfo import TokenAttribute
from stsdesk.core.wstrust import KeyType, RequestType, TokenType
from stsdesk.services.admin.models import TrustedService
from stsdesk.services.token_session import ExchangeView, TokenRequestOptions, TokenResult
from stsdesk.ui.models.audit import AuditEntry, AuditLogTableModel
from stsdesk.ui.models.base import ROW_ROLE, SORT_ROLE, Column, RowTableModel
from stsdesk.ui.models.certificates import (
    SigningKeyRow,
    SigningKeysTableModel,
    TrustedCertificateRow,
    TrustedCertificatesTableModel,
)
from stsdesk.ui.models.scenarios import TrustedServicesTableModel
from stsdesk.ui.models.service_providers import (
    LocalClaim,
    RequestedClaimsTableModel,
    ServiceProviderRow,
    ServiceProvidersTableModel,
)
from stsdesk.ui.models.token_history import TokenHistoryTableModel
from stsdesk.ui.models.users import RoleRow, RolesTableModel, UserRow, UsersTableModel
from stsdesk.ui.widgets.token_view import TokenAttributesTableModel

NOW = dt.datetime(2030, 6, 1, 12, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def _certificate(alias: str, not_before: dt.datetime, not_after: dt.datetime) -> dict:
    return {"alias": alias, "subject": f"CN={alias}.example.org", "issuer": "CN=Example CA",
            "not_before": not_before, "not_after": not_after,
            "sha256_fingerprint": "AA:BB", "key_algorithm": "RSA", "key_size": 2048}


def _trusted() -> QAbstractItemModel:
    model = TrustedCertificatesTableModel(now=NOW)
    model.set_rows([
        TrustedCertificateRow(**_certificate("ok", NOW - DAY, NOW + 400 * DAY),
                              used_by=("Payroll",)),
        TrustedCertificateRow(**_certificate("gone", NOW - 9 * DAY, NOW - DAY)),
    ])
    return model


def _signing() -> QAbstractItemModel:
    model = SigningKeysTableModel(now=NOW)
    model.set_rows([
        SigningKeyRow(**_certificate("wso2carbon", NOW - DAY, NOW + 9 * DAY), active=True),
        SigningKeyRow(**_certificate("next", NOW - DAY, NOW + 900 * DAY)),
    ])
    return model


def _users() -> QAbstractItemModel:
    model = UsersTableModel()
    model.set_rows([UserRow("1", "zed", roles=(("g", "ops"),), locked=True, failed_attempts=3),
                    UserRow("2", "amy", email="amy@example.org", active=False)])
    return model


def _roles() -> QAbstractItemModel:
    model = RolesTableModel()
    model.set_rows([RoleRow("g", "ops", members=(("1", "zed"),)), RoleRow("h", "empty")])
    return model


def _service_providers() -> QAbstractItemModel:
    model = ServiceProvidersTableModel()
    model.set_rows([ServiceProviderRow("1", "Payroll", "pays\n people",
                                       "https://payroll.example.org", "payroll"),
                    ServiceProviderRow("2", "Wiki")])
    return model


def _claims() -> QAbstractItemModel:
    model = RequestedClaimsTableModel()
    model.set_claims([LocalClaim("http://wso2.org/claims/emailaddress", "Email"),
                      LocalClaim("http://wso2.org/claims/givenname", "First Name")],
                     [("http://wso2.org/claims/emailaddress", True),
                      ("http://wso2.org/claims/role", False)])
    return model


def _audit() -> QAbstractItemModel:
    model = AuditLogTableModel()
    model.set_entries([AuditEntry(2, NOW, "admin", "user.create", "amy", "email set"),
                       AuditEntry(1, None, "admin", "login", "", "")])
    return model


def _trusted_services() -> QAbstractItemModel:
    model = TrustedServicesTableModel()
    model.set_rows([TrustedService("https://rp.example.org", "rp", "id-a", "RP"),
                    TrustedService("https://b.example.org", None, "id-b", "B")])
    return model


def _history() -> QAbstractItemModel:
    options = TokenRequestOptions(endpoint="https://sts.example.org/services/wso2carbon-sts",
                                  username="amy", token_type=TokenType.SAML11,
                                  key_type=KeyType.SYMMETRIC)
    exchange = ExchangeView(status=200, elapsed_seconds=0.042, response_headers={},
                            request_xml="<a/>", response_xml="<b/>")
    model = TokenHistoryTableModel()
    model.set_results([
        TokenResult(RequestType.ISSUE, NOW, options, exchange=exchange),
        TokenResult(RequestType.VALIDATE, NOW + DAY, options, error="connection refused"),
    ])
    return model


def _attributes() -> QAbstractItemModel:
    model = TokenAttributesTableModel()
    model.set_attributes([
        TokenAttribute("http://wso2.org/claims/role", ("admin", "ops")),
        TokenAttribute("emailaddress", ("amy@example.org",), namespace="http://wso2.org/claims"),
    ])
    return model


MODELS: dict[str, Callable[[], QAbstractItemModel]] = {
    "trusted certificates": _trusted,
    "signing keys": _signing,
    "users": _users,
    "roles": _roles,
    "service providers": _service_providers,
    "requested claims": _claims,
    "audit log": _audit,
    "trusted services": _trusted_services,
    "token history": _history,
    "token attributes": _attributes,
}


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_every_model_passes_the_model_tester(qtmodeltester, make):
    model = make()
    qtmodeltester.check(model)
    assert model.rowCount() >= 2
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert all(isinstance(text, str) and text for text in headers)
    # Each row hands out its frozen object, and every cell has something to sort by.
    for row in range(model.rowCount()):
        assert model.index(row, 0).data(ROW_ROLE) is not None
        for column in range(model.columnCount()):
            assert model.index(row, column).data(SORT_ROLE) is not None


class _Pairs(RowTableModel[tuple[str, int]]):
    WORD, NUMBER = range(2)
    COLUMNS = (
        Column("Word", lambda pair: pair[0], tooltip=lambda pair: f"the word {pair[0]}"),
        Column("Number", lambda pair: str(pair[1]), sort_key=lambda pair: pair[1],
               alignment=Qt.AlignmentFlag.AlignRight),
    )


def test_the_base_derives_headers_and_sorts_by_the_key_or_the_folded_text(qtmodeltester):
    model = _Pairs()
    model.set_rows([("Beta", 10), ("alpha", 9)])
    qtmodeltester.check(model)
    assert _Pairs.HEADERS == ("Word", "Number")
    assert model.index(0, _Pairs.WORD).data(SORT_ROLE) == "beta"
    assert model.index(0, _Pairs.NUMBER).data(SORT_ROLE) == 10
    assert model.index(0, _Pairs.NUMBER).data() == "10"
    assert model.index(1, _Pairs.WORD).data(Qt.ItemDataRole.ToolTipRole) == "the word alpha"
    assert model.index(1, _Pairs.NUMBER).data(Qt.ItemDataRole.ToolTipRole) is None
    assert model.index(0, _Pairs.NUMBER).data(Qt.ItemDataRole.TextAlignmentRole) == \
        Qt.AlignmentFlag.AlignRight
    assert model.row_at(1) == ("alpha", 9)
    assert model.row_where(lambda pair: pair[1] == 9) == 1
    assert model.row_where(lambda pair: pair[1] == 8) == -1


def test_the_base_answers_nothing_outside_its_rows_and_columns():
    model = _Pairs()
    model.set_rows([("one", 1)])
    assert model.headerData(2, Qt.Orientation.Horizontal) is None
    assert model.headerData(0, Qt.Orientation.Vertical) is None
    assert model.data(QModelIndex()) is None
    assert model.index(1, 0).data() is None
    assert model.rowCount(model.index(0, 0)) == 0  # a flat table: rows have no children
    with pytest.raises(IndexError):
        model.row_at(5)
    rows = model.rows()
    rows.clear()  # a copy: the model keeps its rows
    assert model.rowCount() == 1
