"""The list of client certificates mapped to a user (SCIM x509Certificates), in the user dialog."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.certificates import load_certificate
from stsdesk.core.errors import StsError
from stsdesk.ui.dialogs import files

__all__ = ["MappedCertificatesBox", "certificate_label"]

_CERTIFICATE_FILES = "Certificates (*.pem *.crt *.cer *.der);;All files (*)"
_MAX_FILE = 200_000


def certificate_label(certificate: x509.Certificate) -> str:
    """How a mapped certificate is named in the list: subject, expiry, short fingerprint."""
    digest = certificate.fingerprint(hashes.SHA256()).hex().upper()
    return (f"{certificate.subject.rfc4514_string()}  (until "
            f"{certificate.not_valid_after_utc:%Y-%m-%d}; SHA-256 {digest[:16]}…)")


class MappedCertificatesBox(QGroupBox):
    """Client certificates that authenticate as this user (WS-Security scenarios 2 and 5).

    ``problem(text)`` is emitted when a chosen file holds no certificate; ``changed`` when the
    list changes.
    """

    problem = Signal(str)
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Client &certificates", parent)
        hint = QLabel("A client signing with one of these certificates obtains tokens as this "
                      "user, with their roles and claims.", self)
        hint.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setMinimumHeight(60)
        self.add_button = QPushButton("Add cer&tificate…", self)
        self.remove_button = QPushButton("Re&move", self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self._connect_signals()
        self._update_buttons()

    def _connect_signals(self) -> None:
        self.add_button.clicked.connect(self.on_add_button_clicked)
        self.remove_button.clicked.connect(self.on_remove_button_clicked)
        self.list.currentRowChanged.connect(self._update_buttons)

    def certificates(self) -> tuple[bytes, ...]:
        return tuple(self.list.item(row).data(Qt.ItemDataRole.UserRole)
                     for row in range(self.list.count()))

    def set_certificates(self, certificates: Sequence[bytes]) -> None:
        self.list.clear()
        for der in certificates:
            self._append(x509.load_der_x509_certificate(der))
        self._update_buttons()

    def _append(self, certificate: x509.Certificate) -> None:
        der = certificate.public_bytes(Encoding.DER)
        if der in self.certificates():
            return
        item = QListWidgetItem(certificate_label(certificate), self.list)
        item.setData(Qt.ItemDataRole.UserRole, der)
        item.setToolTip(certificate.subject.rfc4514_string())

    def _update_buttons(self, *_args: object) -> None:
        self.remove_button.setEnabled(self.list.currentRow() >= 0)

    def on_add_button_clicked(self) -> None:
        path = files.choose_open_path(self, "Map a client certificate", _CERTIFICATE_FILES)
        if not path:
            return
        try:
            certificate = load_certificate(Path(path).read_bytes()[:_MAX_FILE])
        except OSError as exc:
            self.problem.emit(f"The file {path} cannot be read: {exc.strerror}.")
            return
        except StsError as exc:
            self.problem.emit(exc.message)
            return
        self._append(certificate)
        self.list.setCurrentRow(self.list.count() - 1)
        self.changed.emit()

    def on_remove_button_clicked(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self._update_buttons()
            self.changed.emit()
