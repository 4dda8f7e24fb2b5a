"""The Resident identity provider page against a live server: edit, Update, refusals, guards."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLineEdit

from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.services.admin.resident import ChangeAction, ChangedField, ResidentIdpChange
from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.pages.resident_idp import MINUTES_PER_WEEK, ResidentIdpPage
from tests.ui.conftest import ADMIN_PASSWORD, screenshot

TITLE = "Resident identity provider"
LEFT = Qt.MouseButton.LeftButton


def set_configs(client: AdminClient, *, identifiers: list[str], idle: str = "15",
                remember: str = "20160", issuer: str = "localhost") -> None:
    """Put the server into a known state behind the GUI's back."""
    current = client.get("/configs")
    operations = [{"operation": "REMOVE", "path": f"/homeRealmIdentifiers/{i}"}
                  for i in reversed(range(len(current["homeRealmIdentifiers"])))]
    operations += [{"operation": "ADD", "path": f"/homeRealmIdentifiers/{i}", "value": v}
                   for i, v in enumerate(identifiers)]
    operations += [
        {"operation": "REPLACE", "path": "/idleSessionTimeoutPeriod", "value": idle},
        {"operation": "REPLACE", "path": "/rememberMePeriod", "value": remember},
        {"operation": "REPLACE", "path": "/stsIssuer", "value": issuer},
    ]
    client.patch("/configs", operations)


@pytest.fixture(autouse=True)
def _restore_defaults(request: pytest.FixtureRequest, monkeypatch):
    # Closing a window with unsaved changes asks first; a failed test must not hang on that.
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)
    if "window" not in request.fixturenames:  # on the fake there is no server to restore
        yield
        return
    admin_client = request.getfixturevalue("admin_client")
    yield
    set_configs(admin_client, identifiers=["localhost"])


def open_page(qtbot, window) -> ResidentIdpPage:
    page = window.show_page(TITLE)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()
    return page


def replace_text(qtbot, widget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    qtbot.keyClicks(widget, text)


def patch_count(client: AdminClient) -> int:
    entries = client.get("/audit-logs", limit=1000)["entries"]
    return sum(1 for e in entries if e["action"] == "configs.patch")


def select_row(qtbot, page: ResidentIdpPage, text: str) -> None:
    row = page.identifiers().index(text)
    item = page.realm_list.item(row)
    qtbot.mouseClick(page.realm_list.viewport(), LEFT,
                     pos=page.realm_list.visualItemRect(item).center())
    assert page.realm_list.currentRow() == row


def test_update_sends_one_patch_with_what_changed(qtbot, window, admin_client):
    page = open_page(qtbot, window)
    assert page.identifiers() == ["localhost"]
    assert page.idle_timeout.value() == 15
    assert page.remember_me.value() == 2  # 20160 minutes are shown as two weeks
    assert not page.update_button.isEnabled()
    assert "No unsaved changes" in page.change_label.text()
    before = patch_count(admin_client)

    qtbot.keyClicks(page.new_identifier, "sts.example.org")
    qtbot.mouseClick(page.add_button, LEFT)
    replace_text(qtbot, page.idle_timeout, "30")
    replace_text(qtbot, page.remember_me, "4")
    replace_text(qtbot, page.issuer, "https://sts.example.org")
    assert page.has_unsaved_changes()
    assert page.update_button.isEnabled()
    assert "4 changes" in page.change_label.text()
    screenshot(window, "resident-idp")

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.update_button, LEFT)
    server = admin_client.get("/configs")
    assert server["homeRealmIdentifiers"] == ["localhost", "sts.example.org"]
    assert server["idleSessionTimeoutPeriod"] == "30"
    assert server["rememberMePeriod"] == str(4 * MINUTES_PER_WEEK)  # weeks -> minutes
    assert server["stsIssuer"] == "https://sts.example.org"
    assert patch_count(admin_client) == before + 1  # one PATCH for all of it
    assert not page.has_unsaved_changes()
    assert not page.update_button.isEnabled()
    assert page.banner.level == "success"


def test_list_editing_reorder_edit_in_place_and_remove(qtbot, window, admin_client):
    set_configs(admin_client, identifiers=["alpha", "beta", "gamma", "delta"])
    page = open_page(qtbot, window)
    assert page.identifiers() == ["alpha", "beta", "gamma", "delta"]

    select_row(qtbot, page, "delta")
    qtbot.mouseClick(page.up_button, LEFT)
    qtbot.mouseClick(page.up_button, LEFT)
    qtbot.mouseClick(page.up_button, LEFT)
    select_row(qtbot, page, "gamma")
    page.realm_list.setFocus()
    qtbot.keyClick(page.realm_list, Qt.Key.Key_Delete)  # Del removes the selected one
    # Edit "beta" in place: F2 opens the editor, type, Enter commits.
    select_row(qtbot, page, "beta")
    qtbot.keyClick(page.realm_list, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: page.realm_list.viewport().findChild(QLineEdit) is not None)
    editor = page.realm_list.viewport().findChild(QLineEdit)
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "bravo")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.identifiers() == ["delta", "alpha", "bravo"], timeout=2000)
    assert ResidentIdpChange(ChangeAction.ADD, ChangedField.HOME_REALM, "bravo", 2) in (
        page.pending_changes())

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClick(page, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Ctrl+S
    assert admin_client.get("/configs")["homeRealmIdentifiers"] == ["delta", "alpha", "bravo"]
    assert page.identifiers() == ["delta", "alpha", "bravo"]


def test_invalid_input_is_shown_inline_and_nothing_is_sent(qtbot, window, admin_client):
    page = open_page(qtbot, window)
    before = patch_count(admin_client)

    qtbot.keyClicks(page.new_identifier, "has space")
    assert not page.add_button.isEnabled()
    assert page.realm_error.isVisible() and "spaces" in page.realm_error.text()
    qtbot.keyClick(page.new_identifier, Qt.Key.Key_Return)  # Enter does not add it either
    assert page.identifiers() == ["localhost"]
    replace_text(qtbot, page.new_identifier, "localhost")
    assert "already in the list" in page.realm_error.text()
    qtbot.keyClick(page.new_identifier, Qt.Key.Key_Return)
    assert page.identifiers() == ["localhost"]

    replace_text(qtbot, page.new_identifier, "")
    replace_text(qtbot, page.issuer, "")
    assert page.issuer_error.isVisible() and "issuer name" in page.issuer_error.text()
    assert page.has_unsaved_changes()
    qtbot.mouseClick(page.update_button, LEFT)
    qtbot.wait(300)
    assert page.issuer.hasFocus()
    assert not window.runner.busy
    assert patch_count(admin_client) == before
    assert admin_client.get("/configs")["stsIssuer"] == "localhost"
    screenshot(window, "resident-idp-invalid")


def test_server_refusal_keeps_the_form_and_shows_the_servers_reason(qtbot, window,
                                                                     admin_client):
    page = open_page(qtbot, window)
    # Another administrator adds "shared" first; this page does not know yet.
    admin_client.patch("/configs", [{"operation": "ADD", "path": "/homeRealmIdentifiers/0",
                                     "value": "shared"}])
    qtbot.keyClicks(page.new_identifier, "shared")
    qtbot.mouseClick(page.add_button, LEFT)
    replace_text(qtbot, page.issuer, "issuer-kept")
    qtbot.mouseClick(page.update_button, LEFT)
    qtbot.waitUntil(lambda: page.banner.level == "error", timeout=10_000)
    assert "already in the list" in page.banner.text  # the server's own description
    assert page.identifiers() == ["localhost", "shared"]
    assert page.issuer.text() == "issuer-kept"
    assert page.has_unsaved_changes() and page.update_button.isEnabled()
    server = admin_client.get("/configs")
    assert server["stsIssuer"] == "localhost"  # all or nothing

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.reset_button, LEFT)
    assert page.identifiers() == ["shared", "localhost"]
    assert page.issuer.text() == "localhost"
    assert not page.has_unsaved_changes()


def test_a_value_not_in_whole_weeks_is_kept_unless_changed(qtbot, window, admin_client):
    set_configs(admin_client, identifiers=["localhost"], remember="20000")
    page = open_page(qtbot, window)
    assert page.remember_note.isVisible()
    assert "20000 minutes" in page.remember_note.text()
    replace_text(qtbot, page.idle_timeout, "45")
    assert [c.field for c in page.pending_changes()] == [ChangedField.IDLE_SESSION_TIMEOUT]
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.update_button, LEFT)
    server = admin_client.get("/configs")
    assert server["idleSessionTimeoutPeriod"] == "45"
    assert server["rememberMePeriod"] == "20000"

    replace_text(qtbot, page.remember_me, "3")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(page.update_button, LEFT)
    assert admin_client.get("/configs")["rememberMePeriod"] == str(3 * MINUTES_PER_WEEK)
    assert not page.remember_note.isVisible()


def test_unsaved_changes_guard_navigation(qtbot, window, admin_client, monkeypatch):
    page = open_page(qtbot, window)
    replace_text(qtbot, page.issuer, "typed-but-not-saved")
    assert page.has_unsaved_changes()
    asked = []
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: asked.append(a[2]) or False)
    window.show_page("Audit log")
    assert window.stack.currentWidget() is page  # stayed: the user said no
    assert page.issuer.text() == "typed-but-not-saved"
    assert asked and TITLE in asked[0]

    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)
    window.show_page("Audit log")
    assert window.stack.currentWidget() is not page
    assert not page.has_unsaved_changes()  # discarded, as the user agreed
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        window.show_page(TITLE)
    assert page.issuer.text() == "localhost"
    assert admin_client.get("/configs")["stsIssuer"] == "localhost"


def test_reload_keeps_unsaved_input(qtbot, fake_window, fake_admin):
    page = open_page(qtbot, fake_window)
    replace_text(qtbot, page.idle_timeout, "99")
    current = fake_admin.get_resident_idp()  # meanwhile, someone else changes the server
    fake_admin.update_resident_idp(current, replace(current, remember_me_minutes=30240))
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClick(fake_window, Qt.Key.Key_F5)
    assert page.idle_timeout.value() == 99
    assert page.has_unsaved_changes()
    assert page.banner.level == "info" and "changed since this page loaded" in page.banner.text


def test_invalid_input_in_a_form_sends_nothing(qtbot, fake_window, fake_admin):
    page = open_page(qtbot, fake_window)
    qtbot.keyClicks(page.new_identifier, "has space")
    assert not page.add_button.isEnabled()
    assert "spaces" in page.realm_error.text()
    replace_text(qtbot, page.new_identifier, "")
    replace_text(qtbot, page.issuer, " padded ")
    assert "spaces" in page.issuer_error.text()
    qtbot.mouseClick(page.update_button, LEFT)
    qtbot.wait(300)
    assert not fake_window.runner.busy
    assert "update_resident_idp" not in fake_admin.calls
    assert fake_admin.get_resident_idp().issuer == "localhost"


@pytest.fixture
def private_server(tmp_path: Path):
    settings_ = ServerSettings(data_dir=tmp_path / "data", port=0, admin_password=ADMIN_PASSWORD)
    server = BackgroundServer(settings_)
    server.start()
    yield server
    server.stop()


def test_server_down_mid_save_keeps_the_form(qtbot, private_server, tmp_path):
    from stsdesk.ui.app import build_window

    pin = fingerprint(fetch_certificate(private_server.url))
    endpoint = ServerEndpoint(private_server.url, "admin", ADMIN_PASSWORD,
                              TrustPolicy(pinned_sha256=pin))
    qsettings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    main = build_window(endpoint, name="Private", settings=qsettings, poll_ms=60_000)
    qtbot.addWidget(main)
    qtbot.waitUntil(lambda: main.connection.state == "connected", timeout=10_000)
    page = open_page(qtbot, main)
    replace_text(qtbot, page.issuer, "saved-nowhere")
    private_server.stop()
    qtbot.mouseClick(page.update_button, LEFT)
    qtbot.waitUntil(lambda: page.banner.level == "error", timeout=15_000)
    assert "cannot be reached" in page.banner.text
    assert page.issuer.text() == "saved-nowhere"
    assert page.update_button.isEnabled()
    main.runner.wait(5000)


def test_typing_zero_minutes_is_said_and_kept_not_silently_undone(qtbot, fake_window, fake_admin):
    page = open_page(qtbot, fake_window)
    box = page.idle_timeout
    qtbot.mouseClick(box.lineEdit(), LEFT)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "0")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Tab)
    assert box.value() == 0  # what was typed stays
    assert page.idle_error.isVisible()
    assert page.idle_error.text() == "The idle session time-out must be at least 1 minute."
    page.on_update_button_clicked()  # as Ctrl+S does
    assert box.hasFocus()
    assert "update_resident_idp" not in fake_admin.calls
    qtbot.keyClicks(box.lineEdit(), "5")
    assert not page.idle_error.isVisible()
