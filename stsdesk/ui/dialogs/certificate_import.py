"""Import a certificate into the trust store from a file, pasted PEM or a TLS endpoint."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.aliases import MAX_ALIAS_LENGTH, RESERVED_CERTIFICATE_ALIASES, validate_alias
from stsdesk.core.certificate_description import (
    CertificateDescription,
    describe_certificate,
    suggest_alias,
)
from stsdesk.core.certificate_files import (
    FILE_PATTERNS,
    SUPPORTED_FORMATS,
    CertificateFileError,
    LoadedFile,
    PasswordRequiredError,
    WrongPasswordError,
    read_certificates,
    read_pem_text,
)
from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.models import TrustedCertificate
from stsdesk.services.errors import ConflictError
from stsdesk.services.tls_chain import InvalidEndpointError, fetch_chain, parse_endpoint
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs.certificate_details import CertificateGeneralView
from stsdesk.ui.dialogs.files import choose_open_path  # tests patch it here
from stsdesk.ui.errors import show_error
from stsdesk.ui.widgets.banner import MessageBanner
from stsdesk.ui.widgets.form import error_label

__all__ = [
    "CertificateImportDialog", "Candidate", "ask", "choose_open_path", "RESERVED_ALIASES",
    "SOURCE_FILE", "SOURCE_PASTE", "SOURCE_ENDPOINT",
]

log = logging.getLogger("stsdesk.ui")

# GET /keystores/certs/public names the STS's own certificate, so "public" cannot be an alias.
RESERVED_ALIASES = RESERVED_CERTIFICATE_ALIASES
SOURCE_FILE, SOURCE_PASTE, SOURCE_ENDPOINT = range(3)
_ENDPOINT_TIMEOUT = 10.0  # seconds: a handshake on a working network takes well under one
_FILE_FILTER = (f"Certificates and keystores ({' '.join(FILE_PATTERNS)});;"
                "All files (*)")


@dataclass(frozen=True)
class Candidate:
    """A certificate found in the chosen source, ready to preview and import."""

    certificate: x509.Certificate
    description: CertificateDescription
    alias_hint: str | None = None
    has_private_key: bool = False

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def label(self) -> str:
        name = self.description.common_name or self.description.subject or "(no subject)"
        parts = [name]
        if self.description.is_ca:
            parts.append("CA")
        if self.alias_hint:
            parts.append(f"entry '{self.alias_hint}'")
        if self.has_private_key:
            parts.append("with private key")
        issuer = self.description.issuer_common_name or self.description.issuer
        return f"{' · '.join(parts)}\n  issued by {issuer}"


def _candidates(loaded: LoadedFile | Sequence[x509.Certificate]) -> list[Candidate]:
    if not isinstance(loaded, LoadedFile):
        return [Candidate(cert, describe_certificate(cert)) for cert in loaded]
    found: list[Candidate] = []
    seen: list[x509.Certificate] = []
    for entry in loaded.entries:
        # A key entry's chain (PKCS#12, JKS) is listed after it: its CA may be the one wanted.
        for position, cert in enumerate(entry.chain or (entry.certificate,)):
            if cert in seen:
                continue
            seen.append(cert)
            leaf = position == 0
            found.append(Candidate(cert, describe_certificate(cert),
                                   entry.alias_hint if leaf else None,
                                   leaf and entry.private_key is not None))
    return found


def _read_file(path: str, password: str | None) -> list[Candidate]:
    """Blocking: read and parse the file (run it off the GUI thread)."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CertificateFileError(
            f"The file {file.name} could not be read ({exc.strerror or exc}). Check that it "
            "exists and that you may read it."
        ) from exc
    return _candidates(read_certificates(data, filename=file.name, password=password))


class CertificateImportDialog(QDialog):
    """Choose a source, pick a certificate, check its preview and warnings, name it, import.

    Open it with ``open()``; ``certificate_imported(alias)`` is emitted once the server stored
    it, then the dialog closes. Anything that goes wrong (a wrong password, a damaged file, an
    unreachable server, a refusal) is shown in the dialog, which keeps what the user entered.
    """

    certificate_imported = Signal(str)
    candidates_changed = Signal()  # the list of certificates found was refilled (tests wait)
    present_loaded = Signal()  # the trust store's aliases and fingerprints arrived

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None, *,
                 expect_end_entity: bool = True, now: dt.datetime | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import certificate into the trust store")
        self._connection = connection
        self._expect_end_entity = expect_end_entity
        self._now = now
        self._saving = False
        self._reading = False
        self._fetching = False
        self._suggested = ""  # the alias last pre-filled
        self._present: dict[str, str] = {}  # alias -> SHA-256 fingerprint in the trust store
        self._found: dict[int, list[Candidate]] = {SOURCE_FILE: [], SOURCE_PASTE: [],
                                                   SOURCE_ENDPOINT: []}
        self.banner = MessageBanner(self)

        # -- source: file
        self.file_edit = QLineEdit(self)
        self.file_edit.setPlaceholderText("Choose a certificate or keystore file")
        self.browse_button = QPushButton("&Browse…", self)
        self.read_button = QPushButton("&Read", self)
        self.password_label = QLabel("Pass&word:", self)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_label.setBuddy(self.password_edit)
        self.open_button = QPushButton("&Open", self)
        self.password_error = error_label(self)
        file_label = QLabel("&File:", self)
        file_label.setBuddy(self.file_edit)
        file_row = QHBoxLayout()
        file_row.addWidget(file_label)
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.browse_button)
        file_row.addWidget(self.read_button)
        self._password_row = QWidget(self)
        password_layout = QHBoxLayout(self._password_row)
        password_layout.setContentsMargins(0, 0, 0, 0)
        password_layout.addWidget(self.password_label)
        password_layout.addWidget(self.password_edit, 1)
        password_layout.addWidget(self.open_button)
        formats = QLabel(f"Reads {SUPPORTED_FORMATS}.", self)
        formats.setWordWrap(True)
        formats.setStyleSheet("color:#555;")
        file_page = QWidget()
        file_layout = QVBoxLayout(file_page)
        file_layout.addLayout(file_row)
        file_layout.addWidget(formats)
        file_layout.addWidget(self._password_row)
        file_layout.addWidget(self.password_error)
        file_layout.addStretch(1)

        # -- source: pasted PEM
        self.pem_edit = QPlainTextEdit(self)
        self.pem_edit.setPlaceholderText(
            "-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----")
        self.pem_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.pem_edit.setTabChangesFocus(True)
        self.pem_error = error_label(self)
        paste_page = QWidget()
        paste_layout = QVBoxLayout(paste_page)
        paste_label = QLabel("Paste the certificate's PEM text (several blocks for a chain):",
                             paste_page)
        paste_label.setBuddy(self.pem_edit)
        paste_layout.addWidget(paste_label)
        paste_layout.addWidget(self.pem_edit, 1)
        paste_layout.addWidget(self.pem_error)

        # -- source: TLS endpoint
        self.endpoint_edit = QLineEdit(self)
        self.endpoint_edit.setPlaceholderText("https://rp.example.org:443")
        self.connect_button = QPushButton("&Connect", self)
        self.endpoint_error = error_label(self)
        endpoint_label = QLabel("&Server:", self)
        endpoint_label.setBuddy(self.endpoint_edit)
        endpoint_row = QHBoxLayout()
        endpoint_row.addWidget(endpoint_label)
        endpoint_row.addWidget(self.endpoint_edit, 1)
        endpoint_row.addWidget(self.connect_button)
        endpoint_note = QLabel(
            "Connects to the server, shows the certificate chain it presents (without trusting "
            "it) and lets you pick which certificate to import.", self)
        endpoint_note.setWordWrap(True)
        endpoint_note.setStyleSheet("color:#555;")
        endpoint_page = QWidget()
        endpoint_layout = QVBoxLayout(endpoint_page)
        endpoint_layout.addLayout(endpoint_row)
        endpoint_layout.addWidget(self.endpoint_error)
        endpoint_layout.addWidget(endpoint_note)
        endpoint_layout.addStretch(1)

        self.source_tabs = QTabWidget(self)
        self.source_tabs.addTab(file_page, "From a fi&le")
        self.source_tabs.addTab(paste_page, "&Paste PEM")
        self.source_tabs.addTab(endpoint_page, "From a &TLS endpoint")
        self.pem_edit.setMinimumHeight(90)
        self.source_tabs.setSizePolicy(QSizePolicy.Policy.Preferred,
                                       QSizePolicy.Policy.Maximum)

        # -- what was found, and its preview
        self.found_list = QListWidget(self)
        self.found_list.setAlternatingRowColors(True)
        self.found_list.setMinimumWidth(260)
        found_label = QLabel("Certificates f&ound:", self)
        found_label.setBuddy(self.found_list)
        found_box = QWidget(self)
        found_layout = QVBoxLayout(found_box)
        found_layout.setContentsMargins(0, 0, 0, 0)
        found_layout.addWidget(found_label)
        found_layout.addWidget(self.found_list, 1)
        self.preview = CertificateGeneralView(self)
        preview_scroll = QScrollArea(self)
        preview_scroll.setWidgetResizable(True)
        preview_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        preview_scroll.setFrameShape(QFrame.Shape.StyledPanel)
        preview_page = QWidget()
        preview_layout = QVBoxLayout(preview_page)
        preview_layout.addWidget(self.preview)
        preview_scroll.setWidget(preview_page)
        splitter = QSplitter(self)
        splitter.addWidget(found_box)
        splitter.addWidget(preview_scroll)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 840])

        # -- alias and buttons
        self.alias_edit = QLineEdit(self)
        self.alias_edit.setMaxLength(MAX_ALIAS_LENGTH)
        self.alias_edit.setPlaceholderText("rp-example")
        self.alias_error = error_label(self)
        alias_label = QLabel("Certificate &Alias:", self)
        alias_label.setBuddy(self.alias_edit)
        alias_form = QFormLayout()
        alias_form.addRow(alias_label, self.alias_edit)
        alias_form.addRow("", self.alias_error)

        self.buttons = QDialogButtonBox(self)
        self.import_button = self.buttons.addButton("&Import",
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.source_tabs)
        layout.addWidget(splitter, 1)
        layout.addLayout(alias_form)
        layout.addWidget(self.buttons)
        self.resize(1100, 760)

        self.setTabOrder(self.source_tabs, self.file_edit)
        self.setTabOrder(self.file_edit, self.browse_button)
        self.setTabOrder(self.browse_button, self.read_button)
        self.setTabOrder(self.read_button, self.password_edit)
        self.setTabOrder(self.password_edit, self.open_button)
        self.setTabOrder(self.open_button, self.found_list)
        self.setTabOrder(self.found_list, self.alias_edit)
        self.setTabOrder(self.alias_edit, self.import_button)
        self.setTabOrder(self.import_button, self.cancel_button)
        self._import_shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        self._show_password(False)
        self._connect_signals()
        self._update_state()
        self._load_present()

    def _connect_signals(self) -> None:
        self.browse_button.clicked.connect(self.on_browse_button_clicked)
        self.read_button.clicked.connect(self.on_read_button_clicked)
        self.file_edit.returnPressed.connect(self.on_read_button_clicked)
        self.file_edit.textChanged.connect(self.on_file_edit_text_changed)
        self.open_button.clicked.connect(self.on_open_button_clicked)
        self.password_edit.returnPressed.connect(self.on_open_button_clicked)
        self.pem_edit.textChanged.connect(self.on_pem_edit_text_changed)
        self.endpoint_edit.textChanged.connect(self.on_endpoint_edit_text_changed)
        self.endpoint_edit.returnPressed.connect(self.on_connect_button_clicked)
        self.connect_button.clicked.connect(self.on_connect_button_clicked)
        self.source_tabs.currentChanged.connect(self.on_source_tabs_current_changed)
        self.found_list.currentRowChanged.connect(self.on_found_list_current_row_changed)
        self.alias_edit.textChanged.connect(self.on_alias_edit_text_changed)
        self.import_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        self._import_shortcut.activated.connect(self.accept)

    # -- state ---------------------------------------------------------------------------

    @property
    def alias(self) -> str:
        return self.alias_edit.text().strip()

    @property
    def candidates(self) -> list[Candidate]:
        return list(self._found[self.source_tabs.currentIndex()])

    def selected(self) -> Candidate | None:
        row = self.found_list.currentRow()
        found = self._found[self.source_tabs.currentIndex()]
        return found[row] if 0 <= row < len(found) else None

    def busy(self) -> bool:
        return self._saving or self._reading or self._fetching

    def _alias_problem(self) -> str | None:
        return validate_alias(self.alias, self._present.keys(), reserved=RESERVED_ALIASES)

    def _update_state(self) -> None:
        self.import_button.setEnabled(
            not self.busy() and self.selected() is not None and self._alias_problem() is None)
        self.read_button.setEnabled(not self._reading and bool(self.file_edit.text().strip()))
        self.browse_button.setEnabled(not self._reading)
        self.open_button.setEnabled(not self._reading)
        endpoint_ok = self._endpoint_problem() is None
        self.connect_button.setEnabled(not self._fetching and endpoint_ok)

    def _show_password(self, shown: bool) -> None:
        self.password_label.setVisible(shown)
        self._password_row.setVisible(shown)
        if not shown:
            self.password_error.hide()

    def _set_candidates(self, source: int, found: list[Candidate]) -> None:
        self._found[source] = found
        if source == self.source_tabs.currentIndex():
            self._fill_list()

    def _fill_list(self) -> None:
        found = self._found[self.source_tabs.currentIndex()]
        self.found_list.blockSignals(True)
        self.found_list.clear()
        for candidate in found:
            item = QListWidgetItem(candidate.label)
            item.setToolTip(f"Subject: {candidate.description.subject}\n"
                            f"Issuer: {candidate.description.issuer}")
            self.found_list.addItem(item)
        self.found_list.blockSignals(False)
        if found:
            # A relying party's own certificate is what is usually wanted: pre-select the
            # first end-entity certificate (the leaf of a TLS chain, the key entry of a store).
            first = next((i for i, c in enumerate(found) if not c.description.is_ca), 0)
            self.found_list.setCurrentRow(first)
        self.on_found_list_current_row_changed(self.found_list.currentRow())
        self.candidates_changed.emit()

    def _load_present(self) -> None:
        def work(api: AdminApi) -> tuple[TrustedCertificate, ...]:
            return api.list_certificates()

        def loaded(items: tuple[TrustedCertificate, ...]) -> None:
            self._present = {item.alias: item.sha256_fingerprint for item in items}
            self._refresh_preview(reset_alias=False)
            self.present_loaded.emit()

        def failed(error: Exception) -> None:
            # The import itself still works (the server checks aliases and duplicates).
            log.info("Trust store list not loaded for the import preview: %s", error)
            self.present_loaded.emit()

        self._connection.call(work, loaded, failed)

    def warnings_for(self, candidate: Candidate) -> tuple[str, ...]:
        fingerprint = candidate.description.sha256_fingerprint
        der = candidate.certificate.public_bytes(serialization.Encoding.DER)
        # Same SHA-256 as an entry in the trust store: the same DER, so core can say so.
        present = {alias: der for alias, fp in self._present.items() if fp == fingerprint}
        return candidate.description.warnings(
            self._now, expect_end_entity=self._expect_end_entity, present=present)

    def _unique_alias(self, candidate: Candidate) -> str:
        base = suggest_alias(candidate.description)
        taken = {alias.casefold() for alias in self._present}
        alias, number = base, 2
        while alias.casefold() in taken or alias.casefold() in RESERVED_ALIASES:
            suffix = f"-{number}"
            alias = base[:MAX_ALIAS_LENGTH - len(suffix)] + suffix
            number += 1
        return alias

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        # Enter in a source field reads, opens or connects; it must not also press Import
        # (which would import the certificate read before).
        sources = (self.file_edit, self.password_edit, self.endpoint_edit)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.focusWidget() in sources:
            event.accept()
            return
        super().keyPressEvent(event)

    # -- sources -------------------------------------------------------------------------

    def on_browse_button_clicked(self) -> None:
        path = choose_open_path(self, "Choose a certificate or keystore", _FILE_FILTER)
        if path:
            self.file_edit.setText(path)
            self.read_file(path)

    def on_read_button_clicked(self) -> None:
        if self.file_edit.text().strip():
            self.read_file(self.file_edit.text().strip())

    def on_open_button_clicked(self) -> None:
        if self.file_edit.text().strip():
            self.read_file(self.file_edit.text().strip(), self.password_edit.text())

    def on_file_edit_text_changed(self, _text: str) -> None:
        # Another file: its password is another question.
        self._show_password(False)
        self.password_edit.clear()
        self._update_state()

    def read_file(self, path: str, password: str | None = None) -> None:
        """Read ``path`` in the background (with ``password`` for PKCS#12 / JKS)."""
        if self._reading:
            return
        self._reading = True
        self.banner.clear()
        self.source_tabs.setCurrentIndex(SOURCE_FILE)
        self._update_state()
        self._connection.runner.run(lambda: _read_file(path, password or None),
                                    self._on_file_read, self._on_file_failed)

    def _on_file_read(self, found: list[Candidate]) -> None:
        self._reading = False
        self.password_error.hide()
        self._set_candidates(SOURCE_FILE, found)
        self.banner.info(f"{len(found)} certificate{'s' if len(found) != 1 else ''} found in "
                         f"{Path(self.file_edit.text()).name}. Choose one to import.")
        self._update_state()

    def _on_file_failed(self, error: Exception) -> None:
        self._reading = False
        self._set_candidates(SOURCE_FILE, [])
        if isinstance(error, PasswordRequiredError | WrongPasswordError):
            self._show_password(True)
            self.password_error.setText(error.message)
            self.password_error.show()
            self.password_edit.selectAll()
            self.password_edit.setFocus()
        elif isinstance(error, CertificateFileError):
            self.banner.error(error.message)
        else:
            self._show_error("Reading the file", error)
        self._update_state()

    def on_pem_edit_text_changed(self) -> None:
        text = self.pem_edit.toPlainText()
        if not text.strip():
            self.pem_error.hide()
            self._set_candidates(SOURCE_PASTE, [])
            self._update_state()
            return
        try:
            # Pasted PEM is a few kilobytes: parsing it as you type costs milliseconds.
            found = _candidates(read_pem_text(text))
        except CertificateFileError as exc:
            self.pem_error.setText(exc.message)
            self.pem_error.show()
            self._set_candidates(SOURCE_PASTE, [])
        else:
            self.pem_error.hide()
            self._set_candidates(SOURCE_PASTE, found)
        self._update_state()

    def _endpoint_problem(self) -> str | None:
        try:
            parse_endpoint(self.endpoint_edit.text())
        except InvalidEndpointError as exc:
            return exc.message
        return None

    def on_endpoint_edit_text_changed(self, text: str) -> None:
        problem = self._endpoint_problem() if text.strip() else None
        self.endpoint_error.setText(problem or "")
        self.endpoint_error.setVisible(problem is not None)
        self._update_state()

    def on_connect_button_clicked(self) -> None:
        problem = self._endpoint_problem()
        if problem is not None:
            self.endpoint_error.setText(problem)
            self.endpoint_error.show()
            return
        if self._fetching:
            return
        address = self.endpoint_edit.text().strip()
        self._fetching = True
        self.banner.info(f"Connecting to {address}…")
        self._update_state()
        self._connection.runner.run(
            lambda: _candidates(fetch_chain(address, timeout=_ENDPOINT_TIMEOUT)),
            lambda found: self._on_chain_fetched(address, found), self._on_chain_failed)

    def _on_chain_fetched(self, address: str, found: list[Candidate]) -> None:
        self._fetching = False
        self._set_candidates(SOURCE_ENDPOINT, found)
        self.banner.info(f"{address} presented {len(found)} certificate"
                         f"{'s' if len(found) != 1 else ''} (leaf first). Choose one to import.")
        self._update_state()

    def _on_chain_failed(self, error: Exception) -> None:
        self._fetching = False
        self._set_candidates(SOURCE_ENDPOINT, [])
        self._show_error("Connecting to the server", error)
        self._update_state()

    def on_source_tabs_current_changed(self, _index: int) -> None:
        self._fill_list()
        self._update_state()

    # -- preview and alias ---------------------------------------------------------------

    def on_found_list_current_row_changed(self, _row: int) -> None:
        self._refresh_preview(reset_alias=True)

    def _refresh_preview(self, *, reset_alias: bool) -> None:
        candidate = self.selected()
        if candidate is None:
            self.preview.show_description(None)
        else:
            self.preview.show_description(candidate.description, self.warnings_for(candidate),
                                          now=self._now)
            # Keep an alias the user typed; replace only the one suggested before.
            if reset_alias or self.alias_edit.text() == self._suggested:
                self._suggested = self._unique_alias(candidate)
                self.alias_edit.setText(self._suggested)
        self.on_alias_edit_text_changed(self.alias_edit.text())

    def on_alias_edit_text_changed(self, _text: str) -> None:
        problem = self._alias_problem() if self.selected() is not None else None
        self.alias_error.setText(problem or "")
        self.alias_error.setVisible(problem is not None)
        self._update_state()

    # -- importing -----------------------------------------------------------------------

    def accept(self) -> None:
        if self._saving:
            return
        candidate = self.selected()
        if candidate is None:
            self.banner.error("Choose a certificate to import: read a file, paste PEM text or "
                              "connect to a server first.")
            return
        problem = self._alias_problem()
        if problem is not None:
            self.alias_error.setText(problem)
            self.alias_error.show()
            self.alias_edit.setFocus()
            return
        alias, pem = self.alias, candidate.pem
        self._saving = True
        self.banner.clear()
        self._update_state()

        def work(api: AdminApi) -> TrustedCertificate:
            return api.import_certificate(alias, pem)

        self._connection.call(work, self._on_imported, self._on_import_failed)

    def _on_imported(self, result: TrustedCertificate) -> None:
        self._saving = False
        alias = result.alias
        log.info("Certificate %r imported into the trust store", alias)
        self.certificate_imported.emit(alias)
        super().accept()

    def _on_import_failed(self, error: Exception) -> None:
        self._saving = False
        self._show_error("Importing the certificate", error)
        if isinstance(error, ConflictError):
            self.alias_edit.setFocus()
            self.alias_edit.selectAll()
        self._update_state()

    def _show_error(self, action: str, error: Exception) -> None:
        show_error(self, self.banner, action, error)


def ask(connection: ServerConnection, parent: QWidget | None = None, *,
        expect_end_entity: bool = True) -> str | None:
    """Run the dialog modally; the alias imported, or None if cancelled."""
    dialog = CertificateImportDialog(connection, parent, expect_end_entity=expect_end_entity)
    imported: list[str] = []
    dialog.certificate_imported.connect(imported.append)
    dialog.exec()
    dialog.deleteLater()
    return imported[0] if imported else None
