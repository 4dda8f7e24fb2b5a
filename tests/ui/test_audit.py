"""The Audit log page against a live server: entries, filters, paging, sorting, failures."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QSettings, Qt

from stsdesk.services.admin import Capability
from stsdesk.services.admin.models import ApplicationDraft
from stsdesk.services.admin_client import AdminClient
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.models.audit import AuditEntry, AuditLogFilterProxyModel, AuditLogTableModel
from stsdesk.ui.pages.audit import AuditLogPage
from tests.ui.conftest import screenshot

TITLE = "Audit log"
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture(autouse=True)
def _no_questions(monkeypatch):
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)


@pytest.fixture
def restore_issuer(admin_client: AdminClient):
    yield
    admin_client.patch("/configs", [
        {"operation": "REPLACE", "path": "/stsIssuer", "value": "localhost"},
        {"operation": "REPLACE", "path": "/idleSessionTimeoutPeriod", "value": "15"},
    ])


def open_audit(qtbot, window) -> AuditLogPage:
    page = window.page(TITLE)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        window.show_page(TITLE)
    return page


def shown_rows(page: AuditLogPage) -> list[AuditEntry]:
    proxy = page.proxy
    return [proxy.index(row, 0).data(AuditLogTableModel.ENTRY_ROLE)
            for row in range(proxy.rowCount())]


def test_the_audit_page_shows_the_entry_an_update_made(qtbot, window, admin_client,
                                                       restore_issuer):
    issuer = f"issuer-{uuid.uuid4().hex[:8]}"
    resident = window.show_page("Resident identity provider")
    with qtbot.waitSignal(resident.loaded, timeout=10_000):
        resident.refresh()
    resident.issuer.setFocus()
    qtbot.keyClick(resident.issuer, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(resident.issuer, issuer)
    with qtbot.waitSignal(resident.loaded, timeout=10_000):
        qtbot.mouseClick(resident.update_button, LEFT)
    assert admin_client.get("/configs")["stsIssuer"] == issuer

    page = open_audit(qtbot, window)
    rows = shown_rows(page)
    newest = rows[0]  # sorted by time, newest first
    assert newest.action == "configs.patch"
    assert newest.actor == "admin"
    assert newest.target == "resident-idp"
    assert issuer in newest.detail
    assert newest.timestamp is not None
    assert abs((datetime.now(UTC) - newest.timestamp).total_seconds()) < 120
    time_text = page.proxy.index(0, AuditLogTableModel.TIME).data()
    assert time_text == newest.local_time and len(time_text) == 19
    page.table.selectRow(0)
    assert issuer in page.detail_label.text()


def test_filter_text_and_action(qtbot, window, admin_client, restore_issuer):
    marker = f"marker-{uuid.uuid4().hex[:8]}"
    admin_client.patch("/configs", [{"operation": "REPLACE", "path": "/stsIssuer",
                                     "value": marker}])
    admin_client.patch("/configs", [{"operation": "REPLACE", "path": "/idleSessionTimeoutPeriod",
                                     "value": "16"}])
    page = open_audit(qtbot, window)
    total = page.model.rowCount()
    assert total >= 2

    qtbot.keyClicks(page.filter_edit, marker.upper())  # case does not matter
    rows = shown_rows(page)
    assert len(rows) == 1 and marker in rows[0].detail
    assert "1 of" in page.count_label.text()
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(page.filter_edit, Qt.Key.Key_Delete)
    assert page.proxy.rowCount() == total

    actions = [page.action_combo.itemText(i) for i in range(page.action_combo.count())]
    assert actions[0] == "All actions" and "configs.patch" in actions
    page.action_combo.setCurrentIndex(actions.index("configs.patch"))
    rows = shown_rows(page)
    assert rows and all(row.action == "configs.patch" for row in rows)
    # The chosen action survives a refresh.
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.refresh_button, LEFT)
    assert page.action_combo.currentText() == "configs.patch"
    qtbot.keyClicks(page.filter_edit, "no-such-text-anywhere")
    assert page.proxy.rowCount() == 0


def test_load_more_pages_through_the_log_without_duplicates(qtbot, window, admin_client,
                                                            restore_issuer):
    for minutes in range(20, 27):
        admin_client.patch("/configs", [{"operation": "REPLACE",
                                         "path": "/idleSessionTimeoutPeriod",
                                         "value": str(minutes)}])
    everything = admin_client.get("/audit-logs", limit=1000)["entries"]
    page = window.page(TITLE)
    page.page_size = 3
    page = open_audit(qtbot, window)
    assert page.model.rowCount() == 3
    assert page.load_more_button.isEnabled()
    # A change between two pages shifts the offsets; the page must not show it twice.
    admin_client.patch("/configs", [{"operation": "REPLACE", "path": "/idleSessionTimeoutPeriod",
                                     "value": "27"}])
    while page.load_more_button.isEnabled():
        with qtbot.waitSignal(page.loaded, timeout=10_000):
            qtbot.mouseClick(page.load_more_button, LEFT)
    ids = [entry.id for entry in page.model.entries()]
    assert len(ids) == len(set(ids))
    assert set(ids) == {e["id"] for e in everything}
    assert "whole log" in page.count_label.text()
    assert not page.load_more_button.isEnabled()
    page.table.selectRow(1)
    qtbot.wait(50)  # let the layout settle before the picture
    screenshot(window, "audit-log")


def test_sorting_by_a_column(qtbot, fake_window, fake_admin):
    for name in ("Wiki", "Payroll", "Travel"):
        application = fake_admin.create_application(ApplicationDraft(name))
    fake_admin.delete_application(application.id)
    page = open_audit(qtbot, fake_window)
    assert page.model.rowCount() == 4
    header = page.table.horizontalHeader()
    page.table.sortByColumn(AuditLogTableModel.TIME, Qt.SortOrder.AscendingOrder)
    ids = [entry.id for entry in shown_rows(page)]
    assert ids == sorted(ids)
    qtbot.mouseClick(header.viewport(), LEFT,
                     pos=header.rect().topLeft() + _section_centre(header,
                                                                   AuditLogTableModel.ACTION))
    actions = [entry.action.casefold() for entry in shown_rows(page)]
    assert header.sortIndicatorSection() == AuditLogTableModel.ACTION
    assert actions in (sorted(actions), sorted(actions, reverse=True))


def _section_centre(header, section: int):
    from PySide6.QtCore import QPoint

    return QPoint(header.sectionViewportPosition(section) + header.sectionSize(section) // 2,
                  header.height() // 2)


def test_an_unreachable_server_is_reported_in_the_banner(qtbot, endpoint, tmp_path):
    from stsdesk.ui.app import build_window

    gone = replace(endpoint, base_url="https://127.0.0.1:9")
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    main = build_window(gone, name="Gone", settings=settings, poll_ms=60_000)
    qtbot.addWidget(main)
    page = open_audit(qtbot, main)
    assert page.banner.level == "error"
    assert "Loading the audit log failed" in page.banner.text
    assert "cannot be reached" in page.banner.text
    assert page.model.rowCount() == 0
    assert page.refresh_button.isEnabled() and not page.load_more_button.isEnabled()
    main.runner.wait(5000)


def test_the_table_model_is_a_well_behaved_qt_model(qtmodeltester):
    model = AuditLogTableModel()
    model.set_entries([
        AuditEntry(2, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "admin", "configs.patch",
                   "resident-idp", "REPLACE /stsIssuer='x'"),
        AuditEntry(1, None, "bob", "scim.user.create", "Users/1", ""),
    ])
    assert model.append_entries([AuditEntry(1, None, "bob", "x", "y", "z"),
                                 AuditEntry(3, None, "carol", "a", "b", "c")]) == 1
    qtmodeltester.check(model)
    assert model.rowCount() == 3
    assert model.index(1, AuditLogTableModel.TIME).data() == ""  # a bad time is left blank
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Time"
    assert model.actions() == ["a", "configs.patch", "scim.user.create"]
    proxy = AuditLogFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.set_text("USERS/1")
    assert proxy.rowCount() == 1
    proxy.set_text("")
    proxy.set_action("a")
    assert proxy.rowCount() == 1 and proxy.index(0, 1).data() == "carol"
    qtmodeltester.check(proxy)


def test_a_server_without_an_audit_log_greys_it_out_with_the_reason(qtbot, fake_window,
                                                                    fake_admin):
    reason = "WSO2 Identity Server has no API for its audit log."
    fake_admin.missing[Capability.AUDIT_LOG] = reason
    fake_window.connection.check()
    qtbot.waitUntil(lambda: not fake_window.connection.supports(Capability.AUDIT_LOG),
                    timeout=10_000)
    page = open_audit(qtbot, fake_window)
    assert page.banner.level == "info" and reason in page.banner.text
    assert not page.table.isEnabled() and page.table.toolTip() == reason
    assert not page.load_more_button.isEnabled()
    assert "list_audit_entries" not in fake_admin.calls  # nothing was asked of the server


def test_the_audit_page_shows_what_the_fake_server_recorded(qtbot, fake_window, fake_admin):
    fake_admin.create_application(ApplicationDraft("Payroll"))
    page = open_audit(qtbot, fake_window)
    assert page.table.isEnabled()
    rows = shown_rows(page)
    assert [(r.actor, r.action, r.target) for r in rows][:1] == [
        ("admin", "application.create", "Payroll")]


def _arrow_points_down(header, section: int) -> bool:
    """Read the sort arrow off the painted header: a down arrow is widest at its top."""
    image = header.grab(header.rect()).toImage()
    right = header.sectionViewportPosition(section) + header.sectionSize(section)
    widths = []
    for y in range(image.height()):
        dark = [x for x in range(right - 20, right - 1)
                if image.pixelColor(x, y).lightness() < 120]
        if dark:
            widths.append(len(dark))
    assert len(widths) >= 2, "no sort arrow drawn"
    return widths[0] > widths[-1]


def test_newest_first_shows_a_downward_arrow_and_targets_by_name(qtbot, window, admin_client):
    name = f"Audit-named-{uuid.uuid4().hex[:6]}"
    app = admin_client.post("/applications", {"name": name})
    user = admin_client.scim("POST", "/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": f"audit-{uuid.uuid4().hex[:6]}", "password": "Aud1t-password!"})
    try:
        page = open_audit(qtbot, window)
        header = page.table.horizontalHeader()
        rows = shown_rows(page)
        assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=True)
        assert header.sortIndicatorSection() == AuditLogTableModel.TIME
        assert _arrow_points_down(header, AuditLogTableModel.TIME)
        page.table.sortByColumn(AuditLogTableModel.TIME, Qt.SortOrder.AscendingOrder)
        assert not _arrow_points_down(header, AuditLogTableModel.TIME)
        page.table.sortByColumn(AuditLogTableModel.TIME, Qt.SortOrder.DescendingOrder)
        targets = {page.proxy.index(row, AuditLogTableModel.TARGET).data(): row
                   for row in range(page.proxy.rowCount())}
        assert f"service provider {name}" in targets
        assert f"user {user['userName']}" in targets
        row = targets[f"service provider {name}"]
        assert page.proxy.index(row, AuditLogTableModel.TARGET).data(
            Qt.ItemDataRole.ToolTipRole) == app["id"]  # the id is still there to read
        assert not any(text.startswith("Users/") for text in targets)
        screenshot(window, "audit-log")
    finally:
        admin_client.delete(f"/applications/{app['id']}")
        admin_client.scim("DELETE", f"/Users/{user['id']}")
