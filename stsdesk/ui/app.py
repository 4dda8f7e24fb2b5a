"""The desktop app's composition root: start or reach a server, build the window, run."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QWidget

from stsdesk.services.credentials import CredentialStore
from stsdesk.services.errors import LaunchError, ServiceError
from stsdesk.services.profiles import EMBEDDED_PROFILE, ProfileError, ProfileStore
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.main_window import MainWindow
from stsdesk.ui.pages.base import Page
from stsdesk.ui.pages.resident_idp import ResidentIdpPage
from stsdesk.ui.servers_menu import install_profiles_menu
from stsdesk.ui.tasks import TaskRunner

if TYPE_CHECKING:  # imported when the window shows (start-up time)
    from stsdesk.services.admin.api import AdminApi
    from stsdesk.services.endpoint import ServerEndpoint
    from stsdesk.services.launcher import EmbeddedServer

__all__ = ["main", "build_window", "build_window_for", "build_pages", "build_starting_window",
           "has_display", "embedded_data_dir", "Desktop"]

log = logging.getLogger("stsdesk.ui")


def has_display() -> bool:
    """False on a Linux machine with no X11/Wayland display (and no platform chosen)."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def embedded_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("stsdesk", appauthor=False)) / "server"


def open_admin_api(endpoint: ServerEndpoint) -> AdminApi:
    """The admin API of ``endpoint``; its backends (and the HTTP stack) load on the first call,
    when the console connects, not before its window shows."""
    from stsdesk.services.admin.connect import open_admin_api as open_api

    return open_api(endpoint)


def _later_pages() -> list[Callable[[ServerConnection], Page]]:
    """The pages after the first, imported only when built: the window shows without them."""
    from stsdesk.ui.pages.audit import AuditLogPage
    from stsdesk.ui.pages.keystores import KeystoresPage
    from stsdesk.ui.pages.security import SecurityTokenServicePage
    from stsdesk.ui.pages.service_providers import ServiceProvidersPage
    from stsdesk.ui.pages.test_client import TestClientPage
    from stsdesk.ui.pages.token_inspector import TokenInspectorPage
    from stsdesk.ui.pages.users import UsersRolesPage

    return [SecurityTokenServicePage, ServiceProvidersPage, UsersRolesPage, KeystoresPage,
            TestClientPage, TokenInspectorPage, AuditLogPage]


def build_pages(connection: ServerConnection) -> list[Page]:
    return [ResidentIdpPage(connection)] + [make(connection) for make in _later_pages()]


def build_window(endpoint: ServerEndpoint, *, name: str, settings: QSettings | None = None,
                 poll_ms: int = 5000) -> MainWindow:
    """The main window connected to ``endpoint`` (tests call this with a live test server)."""
    return build_window_for(open_admin_api(endpoint), name=name, settings=settings,
                            poll_ms=poll_ms, endpoint=endpoint)


def build_window_for(api: AdminApi | None, *, name: str, settings: QSettings | None = None,
                     poll_ms: int = 5000, endpoint: ServerEndpoint | None = None,
                     all_pages: bool = True) -> MainWindow:
    """The main window on any admin API (tests that only check rendering pass a fake).

    With ``all_pages=False`` only the first page is built now; :func:`add_later_pages` builds
    the others once the window shows. ``api=None`` makes a window whose server is starting.
    """
    runner = TaskRunner()
    connection = ServerConnection(api, name=name, runner=runner, endpoint=endpoint,
                                  poll_ms=poll_ms)
    pages = build_pages(connection) if all_pages else [ResidentIdpPage(connection)]
    window = MainWindow(connection, runner, pages, settings=settings)
    runner.setParent(window)
    connection.setParent(window)
    connection.start()
    return window


def build_starting_window(name: str, *, settings: QSettings | None = None) -> MainWindow:
    """The window for a server still starting: its first page, saying so."""
    return build_window_for(None, name=name, settings=settings, all_pages=False)


def add_later_pages(window: MainWindow) -> None:
    """Build the remaining pages one per event-loop turn, so the window stays responsive."""
    makers = iter(_later_pages())

    def next_page() -> None:
        make = next(makers, None)
        if make is None:
            return
        window.add_page(make(window.connection))
        QTimer.singleShot(0, next_page)

    QTimer.singleShot(0, next_page)


class Desktop:
    """Keeps the one main window and moves it between the embedded server and remote ones.

    ``embedded`` is None while the embedded server is starting (see :meth:`start_embedded`).
    """

    def __init__(self, embedded: ServerEndpoint | None, profiles: ProfileStore, *,
                 settings: QSettings | None = None,
                 launcher: EmbeddedServer | None = None) -> None:
        self.embedded = embedded
        self.profiles = profiles
        self.launcher = launcher
        self._settings = settings
        self._embedded_error: ServiceError | None = None
        self.window: MainWindow | None = None

    def open(self, endpoint: ServerEndpoint, name: str) -> MainWindow | None:
        """Show a window connected to ``endpoint``; the old one closes (asking about unsaved
        changes first — if the user keeps them, nothing changes and None is returned)."""
        return self._replace(build_window(endpoint, name=name, settings=self._settings))

    def open_starting(self) -> MainWindow:
        """The first window: shown at once, on the embedded server that is still starting."""
        window = build_starting_window(EMBEDDED_PROFILE, settings=self._settings)
        self._install_menus(window)
        self.window = window
        return window

    def start_embedded(self) -> None:
        """Bring the embedded server up behind the window; the window attaches when it answers.

        Secrets (keyring: D-Bus, may prompt) and the wait run on the task runner; the child
        is spawned here, on the GUI (main) thread, so that Linux's parent-death signal is
        tied to a thread that lives as long as the console.
        """
        launcher = self.launcher
        window = self.window
        if launcher is None or window is None:
            raise LaunchError("There is no embedded server to start.")
        runner = window.runner

        def prepared(_none: object) -> None:
            try:
                launcher.spawn()
            except ServiceError as error:
                failed(error)
                return
            runner.run(launcher.wait_ready, ready, failed)

        def ready(endpoint: ServerEndpoint) -> None:
            self.embedded = endpoint
            current = self.window
            if current is not None and current.connection.starting:
                current.connection.attach(open_admin_api(endpoint), endpoint)

        def failed(error: Exception) -> None:
            message = getattr(error, "message", str(error))
            self._embedded_error = error if isinstance(error, ServiceError) else LaunchError(message)
            current = self.window
            if current is not None and current.connection.starting:
                current.connection.fail_start(self._embedded_error)
            log.error("the embedded STS could not start: %s", message)
            QMessageBox.critical(current, "The embedded STS could not start", message)

        def store_described(description: object) -> None:
            if self.window is not None:
                short = ("Passwords: OS keyring" if getattr(description, "keyring", False)
                         else "Passwords: encrypted file")
                self.window.show_secret_store(short, str(description))
                log.info("%s", description)

        runner.run(launcher.prepare, prepared, failed)
        runner.run(self.profiles.credentials.describe, store_described,
                   lambda error: log.warning("Which password store is in use is not known: %s",
                                             error))

    def _replace(self, window: MainWindow) -> MainWindow | None:
        self._install_menus(window)
        window.show()  # before the old one closes, or Qt would quit with its last window
        old = self.window
        if old is not None and not old.close():
            window.close()
            window.deleteLater()
            return None
        self.window = window
        return window

    def profile_endpoint(self, name: str) -> ServerEndpoint:
        """Where profile ``name`` is and how to sign in (reads the keyring: off the GUI thread)."""
        profile = next((p for p in self.profiles.list() if p.name == name), None)
        if profile is None:
            raise ProfileError(f"There is no server profile named {name!r}.")
        password = self.profiles.password(name)
        if not password:
            raise ProfileError(
                f"No password is stored for {name!r}; open Servers › Manage servers… and "
                "enter it.")
        return profile.endpoint(password)

    def connect_profile(self, name: str) -> MainWindow | None:
        return self.open(self.profile_endpoint(name), name)

    def _install_menus(self, window: MainWindow) -> None:
        manage = install_profiles_menu(window, self.profiles)
        menu = manage.parent()
        if not isinstance(menu, QMenu):
            return
        connect_menu = menu.addMenu("&Connect to")
        connect_menu.aboutToShow.connect(lambda: self._fill_connect_menu(connect_menu, window))
        password = menu.addAction("Embedded &admin password…")
        password.setToolTip("Where the embedded server's admin password is kept; reveal, copy "
                            "or change it")
        password.triggered.connect(lambda: self.show_embedded_admin(window))

    def show_embedded_admin(self, window: MainWindow) -> None:
        """Open the dialog that says where the embedded admin password is (Defect: it could
        not be found) and lets the person reveal, copy or change it."""
        launcher, endpoint = self.launcher, self.embedded
        if launcher is None or endpoint is None:
            QMessageBox.information(window, "Embedded server",
                                    "The embedded STS is still starting; try again in a moment.")
            return

        def located(where: str) -> None:
            from stsdesk.ui.dialogs.embedded_admin import EmbeddedAdminDialog

            def change(new_password: str) -> ServerEndpoint:
                return launcher.change_admin_password(open_admin_api(endpoint), new_password)

            dialog = EmbeddedAdminDialog(endpoint, where, runner=window.runner, change=change,
                                         parent=window)
            dialog.password_changed.connect(self.on_embedded_password_changed)
            dialog.open()

        # Where it is may mean asking the keyring which backend it uses: not on the GUI thread.
        window.runner.run(lambda: launcher.admin_password_location, located,
                          lambda error: QMessageBox.warning(
                              window, "Embedded server", getattr(error, "message", str(error))))

    def on_embedded_password_changed(self, endpoint: ServerEndpoint) -> None:
        self.embedded = endpoint
        if self.window is not None and self.window.connection.name == EMBEDDED_PROFILE:
            window = self.open(endpoint, EMBEDDED_PROFILE)
            if window is not None:
                window.statusBar().showMessage(
                    "The embedded admin password was changed; reconnected with it.", 10_000)

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

        def cannot(error: Exception) -> None:
            message = getattr(error, "message", str(error))
            window.statusBar().showMessage(message, 15_000)
            QMessageBox.warning(window, "Cannot connect", message)

        if name == EMBEDDED_PROFILE:
            if self.embedded is not None:
                self.open(self.embedded, EMBEDDED_PROFILE)
            else:
                cannot(self._embedded_error or LaunchError(
                    "The embedded STS is still starting; try again in a moment."))
            return
        # The password comes from the keyring (D-Bus, may prompt): not on the GUI thread.
        window.runner.run(lambda: self.profile_endpoint(name),
                          lambda endpoint: self.open(endpoint, name), cannot)


class _FirstPaint(QObject):
    """Calls ``then`` once, on the GUI thread, right after ``widget`` is first painted (or
    after ``fallback_ms``, should a platform never paint it)."""

    def __init__(self, widget: QWidget, then: Callable[[], object], *,
                 fallback_ms: int = 2000) -> None:
        super().__init__(widget)
        self._widget = widget
        self._then: Callable[[], object] | None = then
        widget.installEventFilter(self)
        QTimer.singleShot(fallback_ms, self._fire)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint and self._then is not None:
            QTimer.singleShot(0, self._fire)
        return False

    def _fire(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            self._widget.removeEventFilter(self)
            then()


def _quit_on_signals(app: QApplication) -> None:
    """SIGTERM (logout, shutdown, kill) and SIGINT close the console cleanly.

    Python runs signal handlers only between bytecodes, and Qt's event loop is C++: a timer
    wakes the interpreter a few times a second so that the handler gets its turn.
    """
    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %d: closing the console", signum)
        app.closeAllWindows()
        app.quit()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    ticker = QTimer(app)
    ticker.start(250)
    ticker.timeout.connect(lambda: None)


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
    if not isinstance(app, QApplication):
        return 1
    app.setApplicationName("stsdesk")
    app.setOrganizationName("stsdesk")
    _quit_on_signals(app)
    import platformdirs

    credentials = CredentialStore()
    profiles = ProfileStore(
        Path(platformdirs.user_config_dir("stsdesk", appauthor=False)) / "profiles.json",
        credentials,
    )
    desktop = Desktop(None, profiles)
    window = desktop.open_starting()
    window.show()

    def after_first_paint() -> None:
        # Not before: the server's start and the other pages' imports would hold the window
        # back (two cores, and the GUI thread imports the pages).
        from stsdesk.services.launcher import EmbeddedServer

        desktop.launcher = EmbeddedServer(embedded_data_dir(), credentials)
        desktop.start_embedded()
        add_later_pages(window)

    _FirstPaint(window, after_first_paint)
    try:
        return app.exec()
    finally:
        if desktop.launcher is not None:
            desktop.launcher.stop()
