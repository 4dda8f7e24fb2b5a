"""The desktop app's composition root: start or reach a server, build the window, run."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import platformdirs
from PySide6.QtCore import QEventLoop, QSettings, Qt
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QProgressDialog, QWidget

from stsdesk.services.admin import AdminApi, open_admin_api
from stsdesk.services.admin_client import ServerEndpoint
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.errors import ServiceError
from stsdesk.services.launcher import EmbeddedServer
from stsdesk.services.profiles import EMBEDDED_PROFILE, ProfileError, ProfileStore
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs.profiles import install_profiles_menu
from stsdesk.ui.main_window import MainWindow
from stsdesk.ui.pages.audit import AuditLogPage
from stsdesk.ui.pages.base import Page
from stsdesk.ui.pages.keystores import KeystoresPage
from stsdesk.ui.pages.resident_idp import ResidentIdpPage
from stsdesk.ui.pages.security import SecurityTokenServicePage
from stsdesk.ui.pages.service_providers import ServiceProvidersPage
from stsdesk.ui.pages.test_client import TestClientPage
from stsdesk.ui.pages.token_inspector import TokenInspectorPage
from stsdesk.ui.pages.users import UsersRolesPage
from stsdesk.ui.tasks import TaskRunner

__all__ = ["main", "build_window", "build_window_for", "build_pages", "has_display", "embedded_data_dir"]

log = logging.getLogger("stsdesk.ui")


def has_display() -> bool:
    """False on a Linux machine with no X11/Wayland display (and no platform chosen)."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def embedded_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("stsdesk", appauthor=False)) / "server"


def build_pages(connection: ServerConnection) -> list[Page]:
    return [
        ResidentIdpPage(connection),
        SecurityTokenServicePage(connection),
        ServiceProvidersPage(connection),
        UsersRolesPage(connection),
        KeystoresPage(connection),
        TestClientPage(connection),
        TokenInspectorPage(connection),
        AuditLogPage(connection),
    ]


def build_window(endpoint: ServerEndpoint, *, name: str, settings: QSettings | None = None,
                 poll_ms: int = 5000) -> MainWindow:
    """The main window connected to ``endpoint`` (tests call this with a live test server)."""
    return build_window_for(open_admin_api(endpoint), name=name, settings=settings,
                            poll_ms=poll_ms, endpoint=endpoint)


def build_window_for(api: AdminApi, *, name: str, settings: QSettings | None = None,
                     poll_ms: int = 5000, endpoint: ServerEndpoint | None = None) -> MainWindow:
    """The main window on any admin API (tests that only check rendering pass a fake)."""
    runner = TaskRunner()
    connection = ServerConnection(api, name=name, runner=runner, endpoint=endpoint,
                                  poll_ms=poll_ms)
    window = MainWindow(connection, runner, build_pages(connection), settings=settings)
    runner.setParent(window)
    connection.setParent(window)
    connection.start()
    return window


class Desktop:
    """Keeps the one main window and moves it between the embedded server and remote ones."""

    def __init__(self, embedded: ServerEndpoint, profiles: ProfileStore, *,
                 settings: QSettings | None = None) -> None:
        self.embedded = embedded
        self.profiles = profiles
        self._settings = settings
        self.window: MainWindow | None = None

    def open(self, endpoint: ServerEndpoint, name: str) -> MainWindow | None:
        """Show a window connected to ``endpoint``; the old one closes (asking about unsaved
        changes first — if the user keeps them, nothing changes and None is returned)."""
        window = build_window(endpoint, name=name, settings=self._settings)
        self._install_menus(window)
        window.show()  # before the old one closes, or Qt would quit with its last window
        old = self.window
        if old is not None and not old.close():
            window.close()
            window.deleteLater()
            return None
        self.window = window
        return window

    def connect_profile(self, name: str) -> MainWindow | None:
        profile = next((p for p in self.profiles.list() if p.name == name), None)
        if profile is None:
            raise ProfileError(f"There is no server profile named {name!r}.")
        password = self.profiles.password(name)
        if not password:
            raise ProfileError(
                f"No password is stored for {name!r}; open Servers › Manage servers… and "
                "enter it (it is kept in the OS keyring).")
        return self.open(profile.endpoint(password), name)

    def _install_menus(self, window: MainWindow) -> None:
        manage = install_profiles_menu(window, self.profiles)
        menu = manage.parent()
        if not isinstance(menu, QMenu):
            return
        connect_menu = menu.addMenu("&Connect to")
        connect_menu.aboutToShow.connect(lambda: self._fill_connect_menu(connect_menu, window))

    def _fill_connect_menu(self, menu: QMenu, window: MainWindow) -> None:
        menu.clear()
        current = window.connection.name
        entries = [EMBEDDED_PROFILE] + [p.name for p in self.profiles.list()]
        for name in entries:
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _=False, chosen=name: self._switch(chosen, window))

    def _switch(self, name: str, window: MainWindow) -> None:
        if name == window.connection.name:
            return
        try:
            if name == EMBEDDED_PROFILE:
                self.open(self.embedded, EMBEDDED_PROFILE)
            else:
                self.connect_profile(name)
        except ServiceError as error:
            window.statusBar().showMessage(error.message, 15_000)
            QMessageBox.warning(window, "Cannot connect", error.message)


def main() -> int:
    if not has_display():
        print(
            "stsdesk needs a graphical display, and this session has none (no DISPLAY or "
            "WAYLAND_DISPLAY).\nTo run only the embedded STS, use:\n"
            "    stsdesk serve --data-dir DIR\n(or `make serve`).",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("stsdesk")
    app.setOrganizationName("stsdesk")
    launcher = EmbeddedServer(embedded_data_dir(), CredentialStore())
    endpoint = _start_embedded(launcher)
    if endpoint is None:
        return 1
    profiles = ProfileStore(
        Path(platformdirs.user_config_dir("stsdesk", appauthor=False)) / "profiles.json",
        CredentialStore(),
    )
    desktop = Desktop(endpoint, profiles)
    window = desktop.open(endpoint, EMBEDDED_PROFILE)
    if window is None:
        return 1
    if launcher.password_in_file:
        window.statusBar().showMessage(
            "No OS keyring was found: the embedded server's admin password is kept in an "
            "owner-only file in its data directory.", 15_000)
    window.show()
    try:
        return app.exec()
    finally:
        launcher.stop()


def _start_embedded(launcher: EmbeddedServer) -> ServerEndpoint | None:
    """Start the embedded server with a progress dialog; on failure say what to do."""
    progress = QProgressDialog("Starting the embedded STS…", "", 0, 0)
    progress.setWindowTitle("stsdesk")
    progress.setCancelButton(None)  # type: ignore[arg-type]
    progress.setWindowModality(Qt.WindowModality.ApplicationModal)
    progress.show()
    runner = TaskRunner()
    outcome: dict[str, object] = {}
    waiting = QEventLoop()

    def finish(key: str, value: object) -> None:
        outcome[key] = value
        waiting.quit()

    runner.run(launcher.start, lambda value: finish("ok", value),
               lambda error: finish("error", error))
    waiting.exec()
    progress.close()
    if "error" in outcome:
        error = outcome["error"]
        _fatal(None, "The embedded STS could not start",
               getattr(error, "message", str(error)))
        return None
    return outcome["ok"]  # type: ignore[return-value]


def _fatal(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.critical(parent, title, text)
