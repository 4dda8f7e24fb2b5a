"""The main window against a live server: navigation, status bar, reconnection."""

from __future__ import annotations

import re

from tests.ui.conftest import screenshot


def test_status_bar_shows_server_reachability_and_scenario(qtbot, window, ui_server):
    assert ui_server.url in window.server_label.text()
    assert "reachable" in window.state_label.text()
    qtbot.waitUntil(lambda: "scenario1" in window.security_label.text(), timeout=10_000)
    assert "admin" in window.security_label.text()
    screenshot(window, "main-window")


def test_status_bar_names_the_node_that_answered(window):
    assert window.connection.node
    assert f"node {window.connection.node}" in window.server_label.text()


def _open_window(qtbot, endpoint, tmp_path, name: str):
    from PySide6.QtCore import QSettings

    from stsdesk.ui.app import build_window

    settings = QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)
    main = build_window(endpoint, name=name, settings=settings, poll_ms=60_000)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.connection.state == "connected", timeout=10_000)
    return main


def test_expiring_signing_certificate_is_flagged_in_the_status_bar(
        qtbot, window, admin_client, endpoint, tmp_path):
    # The server's own key is valid for years: nothing to flag once the check has run.
    # (The check starts when the connection comes up, which the fixture waited for.)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    assert not window.expiry_label.isVisibleTo(window)
    # Roll over to a key whose certificate really ends in three days, as an admin could.
    alias = "expires-in-three-days"
    admin_client.post("/keystores/signing-keys", {
        "alias": alias, "generate": {"commonName": "sts.example.org", "validityDays": 3}})
    previous = admin_client.get("/keystores/signing-keys/active")["alias"]
    admin_client.put("/keystores/signing-keys/active", {"alias": alias})
    try:
        main = _open_window(qtbot, endpoint, tmp_path, "Expiring")
        qtbot.waitUntil(lambda: main.expiry_label.isVisibleTo(main), timeout=10_000)
        text = main.expiry_label.toolTip()
        assert f"signing certificate '{alias}' expires in" in text
        assert re.search(r"expires in [23] days", text), text
        main.runner.wait(5000)
    finally:
        admin_client.put("/keystores/signing-keys/active", {"alias": previous})
        admin_client.delete(f"/keystores/signing-keys/{alias}")


def test_every_page_is_in_the_navigation(window):
    titles = [window.navigation.item(i).text() for i in range(window.navigation.count())]
    assert titles[:4] == ["Resident identity provider", "Security Token Service",
                          "Service providers", "Users and roles"]
    assert "Keystores and certificates" in titles and "Audit log" in titles


def test_keyboard_shortcut_switches_pages(qtbot, window):
    from PySide6.QtCore import Qt

    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget().title == "Service providers"


def test_unreachable_server_is_reported(qtbot, endpoint, tmp_path):
    from dataclasses import replace

    from PySide6.QtCore import QSettings

    from stsdesk.ui.app import build_window

    gone = replace(endpoint, base_url="https://127.0.0.1:9")
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    main = build_window(gone, name="Gone", settings=settings, poll_ms=60_000)
    qtbot.addWidget(main)
    qtbot.waitUntil(lambda: main.connection.state == "unreachable", timeout=10_000)
    assert "unreachable" in main.state_label.text()
    main.runner.wait(5000)
