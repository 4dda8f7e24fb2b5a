"""Add an STS signing key: generate an RSA key pair, or import one from a PKCS#12 file."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.aliases import MAX_ALIAS_LENGTH, RESERVED_SIGNING_KEY_ALIASES, validate_alias
from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.models import NewSigningKey, SigningKey
from stsdesk.services.errors import ConflictError, InvalidInputError, ServiceError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs.files import choose_open_path
from stsdesk.ui.errors import show_error
from stsdesk.ui.widgets.banner import MessageBanner
from stsdesk.ui.widgets.form import error_label

__all__ = ["SigningKeyDialog", "ask", "choose_pkcs12_path", "KEY_SIZES", "MAX_VALIDITY_DAYS",
           "MAX_COMMON_NAME"]

log = logging.getLogger("stsdesk.ui")

KEY_SIZES = (2048, 3072, 4096)  # what POST /keystores/signing-keys accepts
MAX_VALIDITY_DAYS = 3650
MAX_COMMON_NAME = 64  # RFC 5280's ub-common-name
_DEFAULT_VALIDITY_DAYS = 730
_MAX_PKCS12_BYTES = 100_000  # the API takes 200 000 base64 characters at most


def choose_pkcs12_path(parent: QWidget | None) -> str:
    """Ask for a PKCS#12 file; "" when cancelled (one place for tests to patch)."""
    return choose_open_path(parent, "Choose the PKCS#12 file holding the signing key",
                            "PKCS#12 keystores (*.p12 *.pfx);;All files (*)")


def _read_pkcs12(path: str) -> bytes:
    """Blocking: the file's bytes (run off the GUI thread)."""
    file = Path(path)
    try:
        data = file.read_bytes()[:_MAX_PKCS12_BYTES + 1]
    except OSError as exc:
        raise ServiceError(f"The file {file.name} could not be read ({exc.strerror or exc}). "
                           "Check that it exists and that you may read it.") from exc
    if len(data) > _MAX_PKCS12_BYTES:
        raise ServiceError(f"The file {file.name} is too large to be a PKCS#12 key pair; choose "
                           "the .p12 or .pfx file that holds the signing key.")
    return data


class SigningKeyDialog(QDialog):
    """Alias plus either a new key pair (CN, size, validity) or a PKCS#12 file and password.

    Open it with ``open()``; ``signing_key_added(alias)`` is emitted once the server has the key
    and the dialog closes. Refusals (alias taken, wrong password) stay in the dialog.
    """

    signing_key_added = Signal(str)

    def __init__(self, connection: ServerConnection, existing: Collection[str] = (),
                 parent: QWidget | None = None, *, import_pkcs12: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add a signing key")
        self._connection = connection
        self._existing = tuple(existing)
        self._saving = False
        self.banner = MessageBanner(self)

        self.alias_edit = QLineEdit(self)
        self.alias_edit.setMaxLength(MAX_ALIAS_LENGTH)
        self.alias_edit.setPlaceholderText("sts-signing-2025")
        self.alias_error = error_label(self)
        alias_label = QLabel("&Alias:", self)
        alias_label.setBuddy(self.alias_edit)

        self.generate_radio = QRadioButton("&Generate a new RSA key pair", self)
        self.import_radio = QRadioButton("Import a key pair from a PKCS#12 file (.p12, .pf&x)",
                                         self)
        self._mode = QButtonGroup(self)
        self._mode.addButton(self.generate_radio)
        self._mode.addButton(self.import_radio)

        self.common_name_edit = QLineEdit(self)
        self.common_name_edit.setMaxLength(MAX_COMMON_NAME)
        self.common_name_edit.setPlaceholderText("sts.example.org")
        self.common_name_error = error_label(self)
        self.key_size_combo = QComboBox(self)
        for size in KEY_SIZES:
            self.key_size_combo.addItem(f"{size} bits", size)
        self.validity_spin = QSpinBox(self)
        self.validity_spin.setRange(1, MAX_VALIDITY_DAYS)
        self.validity_spin.setValue(_DEFAULT_VALIDITY_DAYS)
        self.validity_spin.setSuffix(" days")
        self.generate_box = QGroupBox(self)
        generate_form = QFormLayout(self.generate_box)
        common_name_label = QLabel("Common &Name (CN):", self)
        common_name_label.setBuddy(self.common_name_edit)
        key_size_label = QLabel("Key &size:", self)
        key_size_label.setBuddy(self.key_size_combo)
        validity_label = QLabel("&Validity:", self)
        validity_label.setBuddy(self.validity_spin)
        generate_form.addRow(common_name_label, self.common_name_edit)
        generate_form.addRow("", self.common_name_error)
        generate_form.addRow(key_size_label, self.key_size_combo)
        generate_form.addRow(validity_label, self.validity_spin)

        self.file_edit = QLineEdit(self)
        self.file_edit.setPlaceholderText("Choose the .p12 or .pfx file")
        self.browse_button = QPushButton("&Browse…", self)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.import_box = QGroupBox(self)
        import_form = QFormLayout(self.import_box)
        file_label = QLabel("&File:", self)
        file_label.setBuddy(self.file_edit)
        password_label = QLabel("&Password:", self)
        password_label.setBuddy(self.password_edit)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.browse_button)
        import_form.addRow(file_label, file_row)
        import_form.addRow(password_label, self.password_edit)

        self.buttons = QDialogButtonBox(self)
        self.add_button = self.buttons.addButton("A&dd key", QDialogButtonBox.ButtonRole.AcceptRole)
        self.add_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        hint = QLabel(
            "The STS signs tokens with its active signing key. A key added here does not sign "
            "until you make it active (roll-over), so relying parties can be given its "
            "certificate first.", self)
        hint.setWordWrap(True)
        alias_form = QFormLayout()
        alias_form.addRow(alias_label, self.alias_edit)
        alias_form.addRow("", self.alias_error)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(hint)
        layout.addLayout(alias_form)
        layout.addWidget(self.generate_radio)
        layout.addWidget(self.generate_box)
        layout.addWidget(self.import_radio)
        layout.addWidget(self.import_box)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(600)
        self.resize(600, self.sizeHint().height())

        self.setTabOrder(self.alias_edit, self.generate_radio)
        self.setTabOrder(self.generate_radio, self.common_name_edit)
        self.setTabOrder(self.common_name_edit, self.key_size_combo)
        self.setTabOrder(self.key_size_combo, self.validity_spin)
        self.setTabOrder(self.validity_spin, self.import_radio)
        self.setTabOrder(self.import_radio, self.file_edit)
        self.setTabOrder(self.file_edit, self.browse_button)
        self.setTabOrder(self.browse_button, self.password_edit)
        self.setTabOrder(self.password_edit, self.add_button)
        self.setTabOrder(self.add_button, self.cancel_button)
        (self.import_radio if import_pkcs12 else self.generate_radio).setChecked(True)
        self._connect_signals()
        self.on_mode_toggled()

    def _connect_signals(self) -> None:
        self.alias_edit.textChanged.connect(self.on_alias_edit_text_changed)
        self.common_name_edit.textChanged.connect(self.on_common_name_edit_text_changed)
        self.generate_radio.toggled.connect(self.on_mode_toggled)
        self.file_edit.textChanged.connect(self._update_state)
        self.browse_button.clicked.connect(self.on_browse_button_clicked)
        self.add_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)

    # -- state ---------------------------------------------------------------------------

    @property
    def alias(self) -> str:
        return self.alias_edit.text().strip()

    @property
    def generating(self) -> bool:
        return self.generate_radio.isChecked()

    def _alias_problem(self) -> str | None:
        return validate_alias(self.alias, self._existing, reserved=RESERVED_SIGNING_KEY_ALIASES)

    def _common_name_problem(self) -> str | None:
        if not self.common_name_edit.text().strip():
            return "Give the common name, usually the STS's host name, such as sts.example.org."
        return None

    def request(self) -> NewSigningKey:
        """What Add sends (without the PKCS#12 bytes, read off the GUI thread)."""
        if self.generating:
            return NewSigningKey(alias=self.alias,
                                 common_name=self.common_name_edit.text().strip(),
                                 key_size=int(self.key_size_combo.currentData()),
                                 validity_days=self.validity_spin.value())
        return NewSigningKey(alias=self.alias, password=self.password_edit.text())

    def _valid(self) -> bool:
        if self._alias_problem() is not None:
            return False
        if self.generating:
            return self._common_name_problem() is None
        return bool(self.file_edit.text().strip())

    def _update_state(self) -> None:
        self.add_button.setEnabled(not self._saving and self._valid())

    # -- slots ---------------------------------------------------------------------------

    def on_mode_toggled(self, *_args: Any) -> None:
        self.generate_box.setEnabled(self.generating)
        self.import_box.setEnabled(not self.generating)
        self._update_state()

    def on_alias_edit_text_changed(self, text: str) -> None:
        problem = self._alias_problem() if text else None
        self.alias_error.setText(problem or "")
        self.alias_error.setVisible(problem is not None)
        self._update_state()

    def on_common_name_edit_text_changed(self, text: str) -> None:
        problem = self._common_name_problem() if text else None
        self.common_name_error.setText(problem or "")
        self.common_name_error.setVisible(problem is not None)
        self._update_state()

    def on_browse_button_clicked(self) -> None:
        path = choose_pkcs12_path(self)
        if path:
            self.file_edit.setText(path)

    # -- saving --------------------------------------------------------------------------

    def accept(self) -> None:
        if self._saving:
            return
        problem = self._alias_problem()
        if problem is not None:
            self.alias_error.setText(problem)
            self.alias_error.show()
            self.alias_edit.setFocus()
            return
        if self.generating and self._common_name_problem() is not None:
            self.common_name_error.setText(self._common_name_problem() or "")
            self.common_name_error.show()
            self.common_name_edit.setFocus()
            return
        if not self._valid():
            self.file_edit.setFocus()
            return
        request = self.request()
        path = None if self.generating else self.file_edit.text().strip()
        self._saving = True
        self.banner.info("Generating the key pair…" if self.generating
                         else "Importing the key pair…")
        self._update_state()

        def work(api: AdminApi) -> SigningKey:
            if path is None:
                return api.add_signing_key(request)
            return api.add_signing_key(replace(request, pkcs12=_read_pkcs12(path)))

        self._connection.call(work, self._on_added, self._on_failed)

    def _on_added(self, result: SigningKey) -> None:
        self._saving = False
        alias = result.alias
        log.info("Signing key %r added", alias)
        self.signing_key_added.emit(alias)
        super().accept()

    def _on_failed(self, error: Exception) -> None:
        self._saving = False
        action = "Adding the signing key"
        show_error(self, self.banner, action, error)
        if isinstance(error, ConflictError):
            self.alias_edit.setFocus()
            self.alias_edit.selectAll()
        elif isinstance(error, InvalidInputError) and not self.generating:
            self.password_edit.setFocus()
            self.password_edit.selectAll()
        self._update_state()


def ask(connection: ServerConnection, existing: Collection[str] = (),
        parent: QWidget | None = None, *, import_pkcs12: bool = False) -> str | None:
    """Run the dialog modally; the alias added, or None if cancelled."""
    dialog = SigningKeyDialog(connection, existing, parent, import_pkcs12=import_pkcs12)
    added: list[str] = []
    dialog.signing_key_added.connect(added.append)
    dialog.exec()
    dialog.deleteLater()
    return added[0] if added else None
