"""Where the embedded server's admin password is, and how to reveal, copy or change it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stsdesk.services.admin_client import ServerEndpoint
from stsdesk.ui.errors import describe
from stsdesk.ui.tasks import TaskRunner
from stsdesk.ui.widgets.banner import MessageBanner
from stsdesk.ui.widgets.form import error_label, show_problem

__all__ = ["EmbeddedAdminDialog"]


class EmbeddedAdminDialog(QDialog):
    """Shows the embedded admin's user name, where its password is kept, and the password.

    ``change(new_password)`` is the blocking work that sets it on the server and in the store
    (run on ``runner``); ``password_changed(endpoint)`` tells the console to reconnect.
    """

    password_changed = Signal(object)  # the ServerEndpoint with the new password

    def __init__(self, endpoint: ServerEndpoint, location: str, *, runner: TaskRunner,
                 change: Callable[[str], ServerEndpoint],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Embedded server: admin password")
        self.runner = runner
        self._change = change
        self.banner = MessageBanner(self)
        intro = QLabel(
            f"The embedded STS at {endpoint.base_url} signs its administrator in as "
            f"“{endpoint.username}” with a password stsdesk generated on its first start. "
            f"It is kept in {location}. The console and the test client use it for you; "
            "reveal it here to use it elsewhere, or change it.", self)
        intro.setWordWrap(True)
        self.location_label = intro
        self.password_edit = QLineEdit(endpoint.password, self)
        self.password_edit.setReadOnly(True)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.reveal_button = QPushButton("&Reveal", self)
        self.reveal_button.setCheckable(True)
        self.copy_button = QPushButton("Cop&y", self)
        shown = QHBoxLayout()
        shown.addWidget(self.password_edit, 1)
        shown.addWidget(self.reveal_button)
        shown.addWidget(self.copy_button)

        self.new_edit = QLineEdit(self)
        self.new_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat_edit = QLineEdit(self)
        self.repeat_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_error = error_label(self)
        self.change_button = QPushButton("&Change password", self)
        form = QFormLayout()
        form.addRow("Current password:", shown)
        form.addRow("&New password:", self.new_edit)
        form.addRow("Re&peat it:", self.repeat_edit)
        form.addRow("", self.new_error)
        form.addRow("", self.change_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.reveal_button.toggled.connect(self.on_reveal_button_toggled)
        self.copy_button.clicked.connect(self.on_copy_button_clicked)
        self.change_button.clicked.connect(self.on_change_button_clicked)

    def on_reveal_button_toggled(self, shown: bool) -> None:
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Normal if shown
                                       else QLineEdit.EchoMode.Password)
        self.reveal_button.setText("&Hide" if shown else "&Reveal")

    def on_copy_button_clicked(self) -> None:
        QApplication.clipboard().setText(self.password_edit.text())
        self.banner.info("The password is on the clipboard.")

    def on_change_button_clicked(self) -> None:
        new, repeat = self.new_edit.text(), self.repeat_edit.text()
        problem = ("Type the new password." if not new
                   else "The two passwords differ." if new != repeat else None)
        show_problem(self.new_error, problem)
        if problem is not None:
            self.new_edit.setFocus()
            return
        self.change_button.setEnabled(False)

        def changed(endpoint: ServerEndpoint) -> None:
            self.change_button.setEnabled(True)
            self.password_edit.setText(endpoint.password)
            self.new_edit.clear()
            self.repeat_edit.clear()
            self.banner.success("The admin password was changed; the console reconnects "
                                "with it.")
            self.password_changed.emit(endpoint)

        def failed(error: Exception) -> None:
            self.change_button.setEnabled(True)
            self.banner.error(describe(error, "Changing the admin password"))

        self.runner.run(lambda: self._change(new), changed, failed)
