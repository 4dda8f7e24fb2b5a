"""The main window: navigation on the left, one page at a time, server status at the bottom."""

from __future__ import annotations

from importlib import resources

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QProgressBar,
    QSplitter,
    QStackedWidget,
)

from stsdesk.ui.connection import (
    CONNECTED,
    CONNECTING,
    STARTING,
    STARTING_TEXT,
    UNREACHABLE,
    ServerConnection,
)
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.pages.base import Page
from stsdesk.ui.tasks import TaskRunner

__all__ = ["MainWindow"]


def _style_sheet() -> str:
    return (resources.files("stsdesk.resources") / "styles" / "console.qss").read_text("utf-8")


_STATE_TEXT = {
    STARTING: ("●", "#b58900", "starting the embedded STS…"),
    CONNECTING: ("●", "#b58900", "connecting…"),
    CONNECTED: ("●", "#2e7d32", "reachable"),
    UNREACHABLE: ("●", "#c62828", "unreachable — retrying"),
}


class MainWindow(QMainWindow):
    """Composed by stsdesk.ui.app with a connection and the pages to show."""

    def __init__(self, connection: ServerConnection, runner: TaskRunner, pages: list[Page],
                 *, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle(f"stsdesk — {connection.name}")
        self.setStyleSheet(_style_sheet())
        self.connection = connection
        self.runner = runner
        self._settings = settings or QSettings("stsdesk", "stsdesk")
        self.navigation = QListWidget(self)
        self.navigation.setObjectName("navigation")
        self.navigation.setMaximumWidth(260)
        self.stack = QStackedWidget(self)
        self.pages: list[Page] = []
        splitter = QSplitter(self)
        splitter.addWidget(self.navigation)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([220, 1060])
        self.setCentralWidget(splitter)
        self.server_label = QLabel(f"{connection.name}: {connection.url}")
        self.state_label = QLabel()
        self.security_label = QLabel("Security: …")
        # Which store keeps passwords (OS keyring or encrypted file): said once, and kept in
        # a permanent label so that it never covers the server's address and reachability.
        self.secrets_label = QLabel()
        self.secrets_label.setVisible(False)
        self.expiry_label = QLabel()
        self.expiry_label.setVisible(False)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setMaximumWidth(120)
        self.busy.setVisible(False)
        status = self.statusBar()
        status.addWidget(self.server_label)
        status.addWidget(self.state_label)
        status.addPermanentWidget(self.secrets_label)
        status.addPermanentWidget(self.expiry_label)
        status.addPermanentWidget(self.security_label)
        status.addPermanentWidget(self.busy)
        self._add_actions()
        self._connect_signals()
        for page in pages:
            self.add_page(page)
        self.on_connection_state_changed(connection.state, "")
        self._restore_layout()
        self.navigation.setCurrentRow(0)

    # -- wiring ----------------------------------------------------------------------------

    def _add_actions(self) -> None:
        refresh = QAction("Refresh", self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(self.on_refresh_triggered)
        self.addAction(refresh)

    def add_page(self, page: Page) -> None:
        """Add a page at the end (the app builds all but the first after the window shows)."""
        index = len(self.pages)
        self.pages.append(page)
        self.navigation.addItem(QListWidgetItem(page.title))
        self.stack.addWidget(page)
        if index < 9:
            go = QAction(f"Go to page {index + 1}", self)
            go.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            go.triggered.connect(lambda _=False, row=index: self.navigation.setCurrentRow(row))
            self.addAction(go)
        expiring = getattr(page, "signing_certificate_expiring", None)
        if expiring is not None:
            expiring.connect(self.on_signing_certificate_expiring)
        if self.connection.state == STARTING:
            page.banner.info(STARTING_TEXT)

    def _connect_signals(self) -> None:
        self.navigation.currentRowChanged.connect(self.on_navigation_row_changed)
        self.connection.state_changed.connect(self.on_connection_state_changed)
        self.connection.security_changed.connect(self.on_connection_security_changed)
        self.connection.reconnected.connect(self.on_connection_reconnected)
        self.runner.busy_changed.connect(self.busy.setVisible)

    # -- slots -----------------------------------------------------------------------------

    def on_navigation_row_changed(self, row: int) -> None:
        if row < 0:
            return
        current = self.stack.currentWidget()
        leaving = isinstance(current, Page) and current is not self.pages[row]
        if leaving and current.has_unsaved_changes():
            if not confirm.ask(
                self, "Unsaved changes",
                f"{current.title} has changes that are not saved. Leave and discard them?",
                destructive=True,
            ):
                self.navigation.blockSignals(True)
                self.navigation.setCurrentRow(self.pages.index(current))
                self.navigation.blockSignals(False)
                return
        self.stack.setCurrentIndex(row)
        self.pages[row].refresh()

    def on_refresh_triggered(self) -> None:
        page = self.stack.currentWidget()
        if isinstance(page, Page):
            page.refresh()
        self.connection.check()

    def on_connection_state_changed(self, state: str, detail: str) -> None:
        # Behind a load balancer, which node answered the last check.
        node = f" — node {self.connection.node}" if self.connection.node else ""
        url = self.connection.url or "starting…"
        self.server_label.setText(f"{self.connection.name}: {url}{node}")
        if state != STARTING:  # the "starting" notice goes once the server answers or fails
            for page in self.pages:
                if page.banner.text == STARTING_TEXT:
                    page.banner.clear()
        dot, colour, text = _STATE_TEXT.get(state, ("●", "#666", state))
        self.state_label.setText(f"<span style='color:{colour}'>{dot}</span> {text}")
        self.state_label.setToolTip(detail)
        if state == UNREACHABLE and detail:
            self.statusBar().showMessage(f"The server went away: {detail}", 10_000)

    def show_secret_store(self, short: str, detail: str) -> None:
        """Say which store keeps passwords (once per window, without hiding the server)."""
        self.secrets_label.setText(short)
        self.secrets_label.setToolTip(detail)
        self.secrets_label.setVisible(True)

    def on_signing_certificate_expiring(self, message: str) -> None:
        self.expiry_label.setText(f"<span style='color:#b26a00'>⚠ {message}</span>")
        self.expiry_label.setToolTip(message)
        self.expiry_label.setVisible(bool(message))

    def on_connection_security_changed(self, text: str) -> None:
        self.security_label.setText(f"Security: {text}")

    def on_connection_reconnected(self) -> None:
        self.statusBar().showMessage("The server is back; reloading.", 5000)
        page = self.stack.currentWidget()
        if isinstance(page, Page):
            page.refresh()

    # -- layout memory ---------------------------------------------------------------------

    def _restore_layout(self) -> None:
        geometry = self._settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = self._settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        unsaved = [page.title for page in self.pages if page.has_unsaved_changes()]
        if unsaved:
            if not confirm.ask(
                self, "Unsaved changes",
                "These pages have changes that are not saved: " + ", ".join(unsaved) +
                ". Quit and discard them?",
                destructive=True,
            ):
                event.ignore()
                return
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState())
        self.connection.stop()
        event.accept()

    def page(self, title: str) -> Page:
        for page in self.pages:
            if page.title == title:
                return page
        raise KeyError(title)

    def show_page(self, title: str) -> Page:
        page = self.page(title)
        self.navigation.setCurrentRow(self.pages.index(page))
        return page


