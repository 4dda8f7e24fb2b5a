"""Scenario 20's part of the security wizard's step 2: the service principal and its keytab.

WSO2's wizard asks for the principal and its password; this one asks for the keytab file
(exported with ``kadmin ktadd -norandkey``), which carries the key version the KDC issues
tickets with. The file is read when the step is left, so Finish sends its bytes.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from stsdesk.services.admin.models import SecurityPolicy
from stsdesk.ui.dialogs.files import choose_open_path
from stsdesk.ui.widgets.form import error_label, show_problem

__all__ = ["KerberosServiceGroup", "MAX_KEYTAB_BYTES"]

MAX_KEYTAB_BYTES = 64 * 1024  # the server's limit too


class KerberosServiceGroup(QGroupBox):
    """The principal (with its realm) and the keytab file; ``validate()`` reads the file."""

    def __init__(self, current: SecurityPolicy | None, parent: QWidget | None = None) -> None:
        super().__init__("Kerberos service", parent)
        self.held_principal = current.service_principal if current is not None else None
        self.keytab: bytes | None = None
        self.principal_edit = QLineEdit(self.held_principal or "", self)
        self.principal_edit.setPlaceholderText("HTTP/sts.example.org@EXAMPLE.ORG")
        self.keytab_edit = QLineEdit(self)
        self.keytab_edit.setPlaceholderText("The keytab file holding the principal's keys")
        self.browse_button = QPushButton("Bro&wse…", self)
        self.error = error_label(self)
        intro = QLabel("Clients request Kerberos tickets for this service principal; the STS "
                       "decrypts them with the keys in its keytab (kadmin: ktadd -k FILE "
                       "-norandkey PRINCIPAL). The keytab is stored encrypted and never shown "
                       "again.", self)
        intro.setWordWrap(True)
        principal_label = QLabel("Ser&vice Principal:", self)
        principal_label.setBuddy(self.principal_edit)
        keytab_label = QLabel("&Keytab:", self)
        keytab_label.setBuddy(self.keytab_edit)
        file_row = QHBoxLayout()
        file_row.addWidget(self.keytab_edit, 1)
        file_row.addWidget(self.browse_button)
        form = QFormLayout(self)
        form.addRow(intro)
        form.addRow(principal_label, self.principal_edit)
        form.addRow(keytab_label, file_row)
        form.addRow(self.error)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.browse_button.clicked.connect(self.on_browse_button_clicked)
        self.principal_edit.textEdited.connect(lambda _: show_problem(self.error, ""))
        self.keytab_edit.textEdited.connect(lambda _: show_problem(self.error, ""))

    def on_browse_button_clicked(self) -> None:
        path = choose_open_path(self, "Choose the service's keytab",
                                "Keytab files (*.keytab *.kt);;All files (*)")
        if path:
            self.keytab_edit.setText(path)
            show_problem(self.error, "")

    @property
    def principal(self) -> str:
        return self.principal_edit.text().strip()

    @property
    def keeps_held_keytab(self) -> bool:
        """No file chosen for the principal the server already holds a keytab of."""
        return not self.keytab_edit.text().strip() and self.principal == self.held_principal

    def validate(self) -> bool:
        """Check the principal and read the keytab file; problems show under the fields."""
        self.keytab = None
        principal = self.principal
        name, at, realm = principal.rpartition("@")
        if not (name and at and realm):
            show_problem(self.error, "Write the service principal in full, with its realm: "
                                     "for example HTTP/sts.example.org@EXAMPLE.ORG.")
            return False
        if self.keeps_held_keytab:
            return True
        path = self.keytab_edit.text().strip()
        if not path:
            show_problem(self.error, f"Choose the keytab file of {principal}.")
            return False
        try:
            with Path(path).open("rb") as file:
                data = file.read(MAX_KEYTAB_BYTES + 1)
        except OSError as exc:
            show_problem(self.error, f"The keytab {path} cannot be read ({exc.strerror}).")
            return False
        if not data.startswith(b"\x05\x02") or len(data) > MAX_KEYTAB_BYTES:
            show_problem(self.error, f"{Path(path).name} is not a keytab file: export one with "
                                     "kadmin's ktadd or ktutil's wkt.")
            return False
        self.keytab = data
        return True

    def summary(self) -> str:
        """What the summary step says of the keytab."""
        if self.keytab is not None:
            return f"{Path(self.keytab_edit.text().strip()).name} ({len(self.keytab)} bytes)"
        return "the keytab the STS already holds for this principal"
