"""Moving the console between servers: the embedded one and remote profiles."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from stsdesk.services.credentials import CredentialStore
from stsdesk.services.profiles import EMBEDDED_PROFILE, ProfileError, ProfileStore, ServerProfile
from tests.ui.conftest import ADMIN_PASSWORD


@pytest.fixture
def desktop(qtbot, endpoint, tmp_path):
    from stsdesk.ui.app import Desktop

    profiles = ProfileStore(tmp_path / "profiles.json", CredentialStore())
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    made = Desktop(endpoint, profiles, settings=settings)
    yield made
    if made.window is not None:
        made.window.runner.wait(10_000)
        made.window.close()


def test_connect_to_a_saved_profile_and_back(qtbot, desktop, endpoint, ui_server):
    first = desktop.open(endpoint, EMBEDDED_PROFILE)
    qtbot.waitUntil(lambda: first.connection.state == "connected", timeout=10_000)
    desktop.profiles.save(
        ServerProfile("staging", ui_server.url, "admin",
                      pinned_sha256=endpoint.trust.pinned_sha256),
        password=ADMIN_PASSWORD,
    )
    second = desktop.connect_profile("staging")
    assert second is not None and desktop.window is second
    assert not first.isVisible()
    qtbot.waitUntil(lambda: second.connection.state == "connected", timeout=10_000)
    assert second.windowTitle() == "stsdesk — staging"
    menus = [action.text() for action in second.menuBar().actions()]
    assert "&Servers" in menus
    third = desktop.open(endpoint, EMBEDDED_PROFILE)
    assert third is not None and not second.isVisible()
    third.runner.wait(10_000)
    second.runner.wait(10_000)
    first.runner.wait(10_000)


def test_profile_without_a_password_says_what_to_do(desktop, ui_server):
    desktop.profiles.save(ServerProfile("nopass", ui_server.url))
    with pytest.raises(ProfileError) as caught:
        desktop.connect_profile("nopass")
    assert "Manage servers" in caught.value.message


def test_connect_to_reads_the_keyring_off_the_gui_thread(qtbot, desktop, endpoint, ui_server,
                                                          monkeypatch):
    import threading

    first = desktop.open(endpoint, EMBEDDED_PROFILE)
    desktop.profiles.save(
        ServerProfile("staging", ui_server.url, "admin",
                      pinned_sha256=endpoint.trust.pinned_sha256),
        password=ADMIN_PASSWORD,
    )
    on_main: list[bool] = []
    real = desktop.profiles.password

    def password(name):
        on_main.append(threading.current_thread() is threading.main_thread())
        return real(name)

    monkeypatch.setattr(desktop.profiles, "password", password)
    menu = next(a.menu() for a in first.menuBar().actions() if a.text() == "&Servers")
    connect_menu = next(a.menu() for a in menu.actions() if a.text() == "&Connect to")
    connect_menu.aboutToShow.emit()
    staging = next(a for a in connect_menu.actions() if a.text() == "staging")
    staging.trigger()
    qtbot.waitUntil(lambda: desktop.window is not first, timeout=10_000)
    assert desktop.window.windowTitle() == "stsdesk — staging"
    assert on_main == [False]
    first.runner.wait(10_000)
