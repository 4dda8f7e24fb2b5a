"""Start-up: the window shows at once, the embedded server comes up behind it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings

from stsdesk.services.credentials import CredentialStore
from stsdesk.services.errors import LaunchError
from stsdesk.services.profiles import EMBEDDED_PROFILE, ProfileStore
from stsdesk.ui.connection import STARTING_TEXT
from tests.helpers.fake_admin import FakeAdminApi


@pytest.fixture
def desktop(qtbot, tmp_path):
    from stsdesk.ui.app import Desktop

    profiles = ProfileStore(tmp_path / "profiles.json", CredentialStore(fallback_dir=tmp_path))
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    made = Desktop(None, profiles, settings=settings)
    yield made
    if made.window is not None:
        made.window.runner.wait(10_000)
        made.window.close()


def test_the_window_shows_before_the_server_answers_and_fills_in_after(qtbot, desktop):
    window = desktop.open_starting()
    window.show()
    page = window.pages[0]
    assert window.windowTitle() == f"stsdesk — {EMBEDDED_PROFILE}"
    assert page.banner.text == STARTING_TEXT
    assert "starting the embedded STS" in window.state_label.text()
    assert window.server_label.text() == f"{EMBEDDED_PROFILE}: starting…"
    fake = FakeAdminApi()
    with qtbot.waitSignal(page.loaded, timeout=10_000):  # the refresh it asked for meanwhile
        window.connection.attach(fake)
    qtbot.waitUntil(lambda: window.connection.state == "connected", timeout=10_000)
    assert page.banner.text == ""  # the "starting" notice went with its cause
    assert window.server_label.text().startswith(f"{EMBEDDED_PROFILE}: {fake.base_url}")


def test_the_other_pages_are_built_after_the_window_shows(qtbot, desktop):
    from stsdesk.ui.app import add_later_pages

    window = desktop.open_starting()
    window.show()
    assert len(window.pages) == 1
    add_later_pages(window)
    qtbot.waitUntil(lambda: len(window.pages) == 8, timeout=30_000)
    assert window.navigation.count() == 8
    assert window.pages[-1].banner.text == STARTING_TEXT  # built while still starting


def test_a_server_that_never_comes_says_why_on_the_page(qtbot, desktop):
    window = desktop.open_starting()
    window.show()
    error = LaunchError("The embedded server did not start. What it said: disk full")
    window.connection.fail_start(error)
    page = window.pages[0]
    page.refresh()
    assert "disk full" in page.banner.text
    assert "unreachable" in window.state_label.text()


def test_the_password_store_notice_leaves_the_server_address_visible(qtbot, desktop):
    window = desktop.open_starting()
    window.show()
    window.connection.attach(FakeAdminApi())
    qtbot.waitUntil(lambda: window.connection.state == "connected", timeout=10_000)
    window.show_secret_store("Passwords: encrypted file", "No OS keyring was found: …")
    assert window.server_label.isVisible() and window.state_label.isVisible()
    assert "reachable" in window.state_label.text()
    assert window.secrets_label.isVisible()
    assert window.statusBar().currentMessage() == ""  # not a message that covers the rest


def test_importing_the_app_leaves_the_later_pages_unloaded():
    """What the first page does not need is imported after the window shows."""
    later = ["stsdesk.ui.pages.keystores", "stsdesk.ui.pages.test_client",
             "stsdesk.ui.pages.token_inspector", "stsdesk.ui.pages.security",
             "stsdesk.services.launcher", "stsdesk.ui.dialogs.profiles", "keyring",
             # The admin API's backends load when the console connects.
             "stsdesk.services.admin.stsdesk_backend", "stsdesk.services.admin.connect",
             "stsdesk.services.admin.wso2", "requests"]
    code = ("import sys, stsdesk.ui.app; "
            f"print([m for m in {later!r} if m in sys.modules])")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={"QT_QPA_PLATFORM": "offscreen", "PATH": ""})
    assert loaded.stdout.strip() == "[]"
