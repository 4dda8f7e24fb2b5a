"""A small dialog to import a relying party's certificate into the trust store on the spot."""

from __future__ import annotations

import base64
import logging
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.certinfo import describe_certificate
from stsdesk.core.certs import load_certificate
from stsdesk.core.errors import StsError
from stsdesk.services.admin_client import AdminClient
from stsdesk.services.errors import AdminApiError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.errors import describe, is_expected, show_crash
from stsdesk.ui.widgets.banner import MessageBanner
from stsdesk.ui.widgets.form import ERROR_STYLE, error_label

__all__ = ["ImportCertificateDialog", "alias_problem", "MAX_ALIAS"]

log = logging.getLogger("stsdesk.ui")

MAX_ALIAS = 128  # the admin API's limit (stsdesk.server.admin.keystores)
_ALIAS = re.compile(r"[A-Za-z0-9._-]+")
_RESERVED = {"public"}  # would be shadowed by GET /keystores/certs/public
_MAX_FILE_BYTES = 100_000  # the admin API takes at most 100 000 characters


def alias_problem(alias: str) -> str | None:
    """Why ``alias`` cannot name a trust-store certificate, or None if it can."""
    if not alias:
        return "Give the alias the certificate will be known by, such as rp-example."
    if len(alias) > MAX_ALIAS:
        return f"An alias has at most {MAX_ALIAS} characters."
    if not _ALIAS.fullmatch(alias):
        return "Use only letters, digits, '.', '_' and '-' in an alias."
    if alias.lower() in _RESERVED:
        return f"'{alias}' is reserved (it names the STS's own certificate); choose another alias."
    return None


class ImportCertificateDialog(QDialog):
    """Alias + PEM (pasted or read from a file) -> ``POST /keystores/certs``.

    Open it with ``open()``; ``certificate_imported(alias)`` is emitted once the server has the
    certificate, and the dialog closes. Server refusals (alias taken, not a certificate) stay in
    the dialog with the server's words, and what was typed stays too.
    """

    certificate_imported = Signal(str)

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None, *,
                 alias: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Import certificate")
        self._connection = connection
        self._saving = False
        self.banner = MessageBanner(self)

        self.alias_edit = QLineEdit(alias, self)
        self.alias_edit.setMaxLength(MAX_ALIAS)
        self.alias_edit.setPlaceholderText("rp-example")
        self.alias_error = error_label(self)
        self.certificate_edit = QPlainTextEdit(self)
        self.certificate_edit.setPlaceholderText(
            "-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----")
        self.certificate_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.certificate_edit.setTabChangesFocus(True)
        self.certificate_edit.setMinimumSize(520, 180)
        self.certificate_info = QLabel(self)
        self.certificate_info.setWordWrap(True)
        # Room for the two lines it shows, so the dialog does not jump when they appear.
        self.certificate_info.setMinimumHeight(2 * self.fontMetrics().lineSpacing() + 4)
        self.certificate_info.setSizePolicy(QSizePolicy.Policy.Expanding,
                                            QSizePolicy.Policy.Preferred)
        self.browse_button = QPushButton("&Browse…", self)
        self.browse_button.setToolTip("Read the certificate from a .pem, .crt or .cer file")

        alias_label = QLabel("Certificate &Alias:", self)
        alias_label.setBuddy(self.alias_edit)
        certificate_label = QLabel("&Certificate (PEM):", self)
        certificate_label.setBuddy(self.certificate_edit)
        form = QFormLayout()
        form.addRow(alias_label, self.alias_edit)
        _add_note_row(form, self.alias_error)
        form.addRow(certificate_label, self.certificate_edit)
        file_row = QHBoxLayout()
        file_row.addWidget(self.certificate_info, 1)
        file_row.addWidget(self.browse_button, 0, Qt.AlignmentFlag.AlignTop)
        _add_note_row(form, file_row)

        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton("&Import",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        hint = QLabel(
            "The relying party's certificate is used to encrypt the tokens (and proof keys) "
            "issued for it. Paste it, or read it from a file.", self)
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

        self.setTabOrder(self.alias_edit, self.certificate_edit)
        self.setTabOrder(self.certificate_edit, self.browse_button)
        self.setTabOrder(self.browse_button, self.import_button)
        self.setTabOrder(self.import_button, self.cancel_button)
        self._connect_signals()
        self._update_state()

    def _connect_signals(self) -> None:
        self.alias_edit.textChanged.connect(self.on_alias_edit_text_changed)
        self.certificate_edit.textChanged.connect(self.on_certificate_edit_text_changed)
        self.browse_button.clicked.connect(self.on_browse_button_clicked)
        self.import_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        QShortcut(QKeySequence("Ctrl+Return"), self, self.accept)

    # -- reading -------------------------------------------------------------------------

    @property
    def alias(self) -> str:
        return self.alias_edit.text().strip()

    @property
    def certificate_text(self) -> str:
        return self.certificate_edit.toPlainText().strip()

    def load_file(self, path: str | Path) -> bool:
        """Put the certificate in ``path`` into the text box (base64 for a DER file)."""
        path = Path(path)
        try:
            data = path.read_bytes()[:_MAX_FILE_BYTES + 1]
        except OSError as exc:
            self.banner.error(f"{path.name} could not be read ({exc.strerror or exc}); choose "
                              "another file.")
            return False
        if len(data) > _MAX_FILE_BYTES:
            self.banner.error(f"{path.name} is too large to be a certificate; choose the "
                              "certificate file (.pem, .crt or .cer).")
            return False
        if b"-----BEGIN" in data:
            text = data.decode("ascii", "replace")
        else:  # DER: the admin API takes it as base64
            text = base64.encodebytes(data).decode("ascii")
        self.certificate_edit.setPlainText(text)
        if not self.alias_edit.text():
            self.alias_edit.setText(re.sub(r"[^A-Za-z0-9._-]", "-", path.stem)[:MAX_ALIAS])
        self.banner.clear()
        return True

    # -- slots ---------------------------------------------------------------------------

    def on_alias_edit_text_changed(self, _text: str) -> None:
        problem = alias_problem(self.alias) if self.alias_edit.text() else None
        self.alias_error.setText(problem or "")
        self.alias_error.setVisible(problem is not None)
        self._update_state()

    def on_certificate_edit_text_changed(self) -> None:
        text = self.certificate_text
        if not text:
            self.certificate_info.setText("")
        else:
            try:
                info = describe_certificate(load_certificate(text.encode("utf-8", "replace")))
            except StsError as exc:
                self.certificate_info.setStyleSheet(ERROR_STYLE)
                self.certificate_info.setText(exc.message)
            else:
                self.certificate_info.setStyleSheet("")
                self.certificate_info.setText(
                    f"Subject: {info.subject}\nValid until {info.not_after:%Y-%m-%d} · "
                    f"{info.key_algorithm} {info.key_size or ''}".rstrip())
        self._update_state()

    def on_browse_button_clicked(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, "Choose the relying party's certificate", "",
            "Certificates (*.pem *.crt *.cer *.der);;All files (*)")
        if path:
            self.load_file(path)

    # -- saving --------------------------------------------------------------------------

    def _valid(self) -> bool:
        if alias_problem(self.alias) is not None or not self.certificate_text:
            return False
        try:
            load_certificate(self.certificate_text.encode("utf-8", "replace"))
        except StsError:
            return False
        return True

    def _update_state(self) -> None:
        self.import_button.setEnabled(not self._saving and self._valid())

    def accept(self) -> None:
        if self._saving:
            return
        problem = alias_problem(self.alias)
        if problem is not None:
            self.alias_error.setText(problem)
            self.alias_error.show()
            self.alias_edit.setFocus()
            return
        if not self._valid():
            self.certificate_edit.setFocus()
            return
        body = {"alias": self.alias, "certificate": self.certificate_text}
        self._set_saving(True)
        self.banner.clear()

        def work(client: AdminClient) -> Any:
            return client.post("/keystores/certs", body)

        self._connection.call(work, self._on_imported, self._on_failed)

    def _on_imported(self, result: Any) -> None:
        self._set_saving(False)
        alias = str(result.get("alias", self.alias)) if isinstance(result, dict) else self.alias
        log.info("Certificate %r imported into the trust store", alias)
        self.certificate_imported.emit(alias)
        super().accept()

    def _on_failed(self, error: Exception) -> None:
        self._set_saving(False)
        action = "Importing the certificate"
        self.banner.error(describe(error, action))
        if isinstance(error, AdminApiError) and error.status == 409:
            # Alias taken or certificate already there: the alias is what to change (or reuse).
            self.alias_edit.setFocus()
            self.alias_edit.selectAll()
        if not is_expected(error):
            show_crash(self, action, error)

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.browse_button.setEnabled(not saving)
        self._update_state()


def _add_note_row(form: QFormLayout, item: QWidget | QLayout) -> None:
    """A row with no label, so that it takes no room while its note is hidden."""
    row = form.rowCount()
    if isinstance(item, QWidget):
        form.setWidget(row, QFormLayout.ItemRole.FieldRole, item)
    else:
        form.setLayout(row, QFormLayout.ItemRole.FieldRole, item)
