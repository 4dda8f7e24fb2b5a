"""The main window: navigation and status bar on the fake admin API, the live server's picture
and an unreachable server for real."""

from __future__ import annotations

import re

from stsdesk.services.admin.models import NewSigningKey
from tests.ui.conftest import screenshot


def test_status_bar_shows_server_reachability_and_scenario(qtbot, window, ui_server):
    assert ui_server.url in window.server_label.text()
    assert "reachable" in window.state_label.text()
    qtbot.waitUntil(lambda: "scenario 1. UsernameToken" in window.security_label.text(),
                    timeout=10_000)
    assert "admin" in window.security_label.text()
    first = window.pages[0]
    qtbot.waitUntil(lambda: first.change_label.text() == "No unsaved changes", timeout=10_000)
    screenshot(window, "main-window")


def test_status_bar_names_the_node_that_answered(fake_window):
    assert fake_window.connection.node == "fake-node"
    assert "node fake-node" in fake_window.server_label.text()


def test_status_bar_shows_the_scenario_of_the_server_it_shows(qtbot, fake_window, fake_admin):
    assert fake_admin.base_url in fake_window.server_label.text()
    qtbot.waitUntil(lambda: "scenario 1. UsernameToken" in fake_window.security_label.text(),
                    timeout=10_000)
    fake_admin.disable_security()
    fake_window.connection.check()
    qtbot.waitUntil(lambda: "disabled" in fake_window.security_label.text(), timeout=10_000)


def test_expiring_signing_certificate_is_flagged_in_the_status_bar(
        qtbot, fake_admin, tmp_path):
    from PySide6.QtCore import QSettings

    from stsdesk.ui.app import build_window_for

    # Roll over to a key whose certificate really ends in three days, as an admin could.
    alias = "expires-in-three-days"
    fake_admin.add_signing_key(NewSigningKey(alias, common_name="sts.example.org",
                                             validity_days=3))
    fake_admin.activate_signing_key(alias)
    settings = QSettings(str(tmp_path / "expiring.ini"), QSettings.Format.IniFormat)
    main = build_window_for(fake_admin, name="Expiring", settings=settings, poll_ms=60_000)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.expiry_label.isVisibleTo(main), timeout=10_000)
    text = main.expiry_label.toolTip()
    assert f"signing certificate '{alias}' expires in" in text
    assert re.search(r"expires in [23] days", text), text
    main.runner.wait(5000)


def test_a_signing_key_valid_for_years_is_not_flagged(qtbot, fake_window):
    qtbot.waitUntil(lambda: not fake_window.runner.busy, timeout=10_000)
    assert "list_signing_keys" in fake_window.connection.api.calls  # the check has run
    assert not fake_window.expiry_label.isVisibleTo(fake_window)


def test_every_page_is_in_the_navigation(fake_window):
    navigation = fake_window.navigation
    titles = [navigation.item(i).text() for i in range(navigation.count())]
    assert titles[:4] == ["Resident identity provider", "Security Token Service",
                          "Service providers", "Users and roles"]
    assert "Keystores and certificates" in titles and "Audit log" in titles


def test_keyboard_shortcut_switches_pages(qtbot, fake_window):
    from PySide6.QtCore import Qt

    qtbot.keyClick(fake_window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert fake_window.stack.currentWidget().title == "Service providers"


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


def test_every_page_fits_a_1280_pixel_screen_beside_the_navigation(qtbot, fake_window):
    """A page wider than that squeezes the navigation and cuts its titles off."""
    qtbot.waitUntil(lambda: len(fake_window.pages) >= 8, timeout=10_000)
    room = 1280 - 220 - fake_window.centralWidget().handleWidth() - 16
    too_wide = {type(page).__name__: page.minimumSizeHint().width()
                for page in fake_window.pages if page.minimumSizeHint().width() > room}
    assert not too_wide
