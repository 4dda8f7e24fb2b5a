"""The test client's one choice of the client's key pair ("Client certificate and key"): read by
the PublicKey token (and a SymmetricKey request's UseKey) and by the scenarios that sign
requests with the client's key, so a person enters the files once.

Only the paths and the password are collected here; the page reads them with
``read_client_key_pair`` off the GUI thread (a PKCS#12 file costs a key derivation), and a
problem comes back to :meth:`ClientKeyPairSection.show_error`, under the field to change.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.own_policy import OWN_POLICY_ID
from stsdesk.core.scenarios import find_scenario
from stsdesk.core.wstrust import KeyType
from stsdesk.services.message_security import MessageSecurity
from stsdesk.services.token_keys import ClientKeyPairError, ClientKeyPairFiles, KeyPairField
from stsdesk.ui.pages.token_inspector import CERT_FILE_FILTER, KEY_FILE_FILTER, ask_open_path
from stsdesk.ui.widgets.form import error_label, file_row, never_widen, show_problem

__all__ = ["ClientKeyPairSection", "key_pair_uses"]

_UNUSED = ("Not used now: a PublicKey token, or a scenario that signs requests with the "
           "client's key, needs it.")


def key_pair_uses(key_type: KeyType,
                  security: MessageSecurity | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Why the key pair is asked for: (what needs it, what may use it), each a phrase.

    ``security`` is the scenario requests are secured for (None when they are not)."""
    needed: list[str] = []
    optional: list[str] = []
    if key_type is KeyType.PUBLIC:
        needed.append("the PublicKey token is bound to this certificate")
    elif key_type is KeyType.SYMMETRIC:
        optional.append("the STS may encrypt the proof key for this certificate")
    if security is not None and security.secures_messages:
        if security.needs_client_certificate:
            needed.append(f"{_policy_name(security)} signs the requests with its key")
        elif security.needs_saml_token:
            optional.append("a PublicKey token from the history signs the requests with its key")
    return tuple(needed), tuple(optional)


def _policy_name(security: MessageSecurity) -> str:
    if security.scenario_id == OWN_POLICY_ID:
        return "the server's own policy"
    scenario = find_scenario(security.scenario_id)
    return f"scenario {scenario.number}" if scenario is not None else "the scenario"


class ClientKeyPairSection(QGroupBox):
    """The client's certificate and key: enabled while something uses them, with a line that
    says what does. Problems are shown under the one field to change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Client certificate and key", parent)
        self._needed: tuple[str, ...] = ()
        self._in_use = False
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.usage = never_widen(QLabel(_UNUSED, self))
        form.addRow(self.usage)
        self.certificate_file = QLineEdit(self)
        # Hints short enough for the form's column at 1280 px; the whole one is the tooltip.
        self.certificate_file.setPlaceholderText("PKCS#12, PEM or DER file")
        self.certificate_file.setToolTip(
            "The client's certificate: a PKCS#12 file (.p12/.pfx) or Java keystore holding it "
            "with its key, a PEM file holding both, or a PEM or DER certificate with its key "
            "file below")
        self.certificate_browse = QPushButton("Browse…", self)
        self.certificate_error = error_label(self)
        form.addRow("Certificate file:", self._column(
            file_row(self.certificate_file, self.certificate_browse), self.certificate_error))
        self.key_file = QLineEdit(self)
        self.key_file.setPlaceholderText("If the file above has no key")
        self.key_file.setToolTip("The private key of a PEM or DER certificate (PEM, DER or "
                                 "PKCS#12); empty when the file above holds the key")
        self.key_browse = QPushButton("Browse…", self)
        self.key_error = error_label(self)
        form.addRow("Key file:", self._column(file_row(self.key_file, self.key_browse),
                                              self.key_error))
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Only if a file has one")
        self.password.setToolTip("The password of the PKCS#12 file, keystore or encrypted key")
        self.password_error = error_label(self)
        form.addRow("Key password:", self._column(self.password, self.password_error))
        self._errors = {
            KeyPairField.CERTIFICATE: (self.certificate_error, self.certificate_file),
            KeyPairField.KEY: (self.key_error, self.key_file),
            KeyPairField.PASSWORD: (self.password_error, self.password),
        }
        self._connect_signals()
        self.set_uses(KeyType.BEARER, None)

    @staticmethod
    def _column(field: QWidget | QHBoxLayout, error: QLabel) -> QVBoxLayout:
        column = QVBoxLayout()
        if isinstance(field, QWidget):
            column.addWidget(field)
        else:
            column.addLayout(field)
        column.addWidget(error)
        return column

    def tab_chain(self) -> list[QWidget]:
        return [self.certificate_file, self.certificate_browse, self.key_file, self.key_browse,
                self.password]

    def _connect_signals(self) -> None:
        self.certificate_browse.clicked.connect(
            lambda: self._browse(self.certificate_file, "The client's certificate",
                                 CERT_FILE_FILTER))
        self.key_browse.clicked.connect(
            lambda: self._browse(self.key_file, "The client's private key", KEY_FILE_FILTER))
        for edit in (self.certificate_file, self.key_file, self.password):
            edit.textChanged.connect(lambda _text: self.clear_errors())

    def _browse(self, target: QLineEdit, title: str, file_filter: str) -> None:
        path = ask_open_path(self, title, file_filter)
        if path:
            target.setText(path)

    # -- state -----------------------------------------------------------------------------

    def set_uses(self, key_type: KeyType, security: MessageSecurity | None) -> None:
        """What the request will use the key pair for: enables the fields and says why."""
        needed, optional = key_pair_uses(key_type, security)
        self._needed = needed
        if needed:
            text = f"Needed: {', and '.join(needed)}."
        elif optional:
            text = f"Optional: {', or '.join(optional)}."
        else:
            text = _UNUSED
        self.usage.setText(text)
        self._in_use = bool(needed or optional)
        self.setEnabled(self._in_use)
        self.clear_errors()

    @property
    def needed(self) -> bool:
        return bool(self._needed)

    @property
    def in_use(self) -> bool:
        """Something in the request uses the key pair (needed, or optional)."""
        return self._in_use

    # -- reading ---------------------------------------------------------------------------

    def check(self) -> bool:
        """Whether what was chosen can be read (no file is opened); False with the problem
        shown under its field."""
        self.clear_errors()
        if not self.in_use:
            return True
        certificate = self.certificate_file.text().strip()
        if certificate:
            return True
        if self.needed:
            self._show(KeyPairField.CERTIFICATE,
                       f"Choose the client's certificate file: {', and '.join(self._needed)} "
                       "(a PKCS#12 file, or a PEM or DER certificate with its key file).")
            return False
        if self.key_file.text().strip():
            self._show(KeyPairField.CERTIFICATE, "Choose the certificate file that goes with "
                       "the key file, or clear the key file.")
            return False
        return True

    def files(self) -> ClientKeyPairFiles | None:
        """The files to read, or None when the key pair is not used or not given."""
        certificate = self.certificate_file.text().strip()
        if not self.in_use or not certificate:
            return None
        return ClientKeyPairFiles(certificate, self.key_file.text().strip(),
                                  self.password.text())

    def show_error(self, error: ClientKeyPairError) -> QLabel:
        """Show ``error`` under its field (focused); returns the message's label, to scroll to."""
        return self._show(error.field, error.message)

    def _show(self, where: KeyPairField, message: str) -> QLabel:
        self.clear_errors()
        label, field = self._errors[where]
        show_problem(label, message)
        field.setFocus()
        return label

    def clear_errors(self) -> None:
        for label, _field in self._errors.values():
            show_problem(label, None)
