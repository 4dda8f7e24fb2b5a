"""The Token inspector page: open or paste a SAML token, check it against a chosen certificate."""

from __future__ import annotations

import logging
from pathlib import Path

from cryptography import x509
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.certificate_files import FILE_PATTERNS, load_private_key, read_certificates
from stsdesk.core.certificates import certificate_fingerprint
from stsdesk.core.errors import StsError
from stsdesk.core.tokeninfo import DecodedToken, PrivateKey, decode_token, summarize_certificate
from stsdesk.core.tokeninput import extract_token
from stsdesk.core.wssec.header_report import (
    HeaderKeys,
    SecurityHeaderReport,
    read_security_header,
)
from stsdesk.services.admin.certificates import ServerCertificates, fetch_server_certificates
from stsdesk.services.errors import InputError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs.files import choose_open_path as ask_open_path  # tests patch it here
from stsdesk.ui.pages.base import Page
from stsdesk.ui.widgets.eliding_combo import ElidingComboBox
from stsdesk.ui.widgets.form import error_label, show_problem
from stsdesk.ui.widgets.security_header_view import SecurityHeaderView
from stsdesk.ui.widgets.token_view import TokenView

__all__ = [
    "TokenInspectorPage", "ask_open_path",
    "read_file", "MAX_TOKEN_FILE_BYTES", "KEY_FILE_FILTER", "CERT_FILE_FILTER",
]

log = logging.getLogger("stsdesk.ui.token_inspector")

# A token file is at most a few hundred kilobytes; the core refuses larger input anyway.
MAX_TOKEN_FILE_BYTES = 8 * 1024 * 1024
KEY_FILE_FILTER = "Private keys (*.pem *.key *.p12 *.pfx *.der);;All files (*)"
CERT_FILE_FILTER = f"Certificates ({' '.join(FILE_PATTERNS)});;All files (*)"
TOKEN_FILE_FILTER = "Tokens (*.xml *.txt *.saml *.b64);;All files (*)"
SIGNING, TRUST_STORE, FILE, NONE = "signing", "trust", "file", "none"


def read_file(path: str, what: str, limit: int = MAX_TOKEN_FILE_BYTES) -> bytes:
    """The bytes of ``path``; InputError with a message for the person when it cannot be read."""
    target = Path(path)
    try:
        size = target.stat().st_size
        if size > limit:
            raise InputError(f"The {what} {target.name} is {size // 1024} KB, far larger than "
                             "such a file can be; choose the right file.")
        return target.read_bytes()
    except OSError as exc:
        raise InputError(f"The {what} {path} cannot be read ({exc.strerror or exc}); check "
                         "the path and that you may read it.") from exc


def _choice(kind: str, alias: str = "") -> str:
    # Combo data as one string: Qt turns tuples into lists that findData cannot match.
    return f"{kind}\n{alias}"


class TokenInspectorPage(Page):
    """Paste or open a token; the shared token view shows it decoded, checked and explained."""

    title = "Token inspector"
    inspected = Signal(object)  # the DecodedToken shown (None when the input was refused)

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None) -> None:
        super().__init__(connection, parent)
        self.certificates = ServerCertificates()
        self.decoded: DecodedToken | None = None
        self.header_report: SecurityHeaderReport | None = None
        self._build()
        self._connect_signals()
        self.on_trust_choice_changed()

    # -- building --------------------------------------------------------------------------

    def _build(self) -> None:
        side = QWidget(self)
        token = QGroupBox("Token", side)
        self.input = QPlainTextEdit(token)
        self.input.setPlaceholderText(
            "Paste a SAML 1.1 or 2.0 assertion, an EncryptedAssertion, an RSTR or a SOAP "
            "envelope — as XML, base64 or base64+deflate (as SAML-tracer shows it). A secured "
            "SOAP request or response shows its security header too.")
        self.input.setTabChangesFocus(True)
        self.input.setAccessibleName("Token text")
        self.open_button = QPushButton("&Open file…", token)
        self.open_button.setToolTip("Read the token from a file (Ctrl+O)")
        self.clear_button = QPushButton("C&lear", token)
        self.input_error = error_label(token)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        token_box = QVBoxLayout(token)
        token_box.addWidget(self.input, 1)
        token_box.addLayout(buttons)
        token_box.addWidget(self.input_error)

        trust = QGroupBox("Check the signature against", side)
        self.trust_choice = ElidingComboBox(trust)  # its choices name aliases: user data
        self.trust_choice.setAccessibleName("Certificate to check the signature against")
        self.cert_path = QLineEdit(trust)
        # Hints short enough for the column at 1280 px; the whole one is the tooltip.
        self.cert_path.setPlaceholderText("A certificate file")
        self.cert_path.setToolTip("A certificate file: PEM, DER, PKCS#7, PKCS#12 or JKS")
        self.cert_browse = QPushButton("&Browse…", trust)
        self.cert_error = error_label(trust)
        cert_row = QHBoxLayout()
        cert_row.addWidget(self.cert_path, 1)
        cert_row.addWidget(self.cert_browse)
        trust_form = QFormLayout(trust)
        trust_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        trust_label = QLabel("&Certificate Alias:", trust)
        trust_label.setBuddy(self.trust_choice)
        trust_form.addRow(trust_label, self.trust_choice)
        trust_form.addRow("File:", cert_row)
        trust_form.addRow(self.cert_error)

        decrypt = QGroupBox("Decrypt with a private key (for encrypted tokens)", side)
        self.key_path = QLineEdit(decrypt)
        self.key_path.setPlaceholderText("PEM or PKCS#12 file")
        self.key_path.setToolTip("The relying party's private key: a PEM or PKCS#12 file")
        self.key_browse = QPushButton("Bro&wse…", decrypt)
        self.key_password = QLineEdit(decrypt)
        self.key_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_password.setPlaceholderText("Only if the key file has one")
        self.key_error = error_label(decrypt)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_path, 1)
        key_row.addWidget(self.key_browse)
        key_form = QFormLayout(decrypt)
        key_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        key_label = QLabel("Private &key:", decrypt)
        key_label.setBuddy(self.key_path)
        key_form.addRow(key_label, key_row)
        password_label = QLabel("Key &password:", decrypt)
        password_label.setBuddy(self.key_password)
        key_form.addRow(password_label, self.key_password)
        key_form.addRow(self.key_error)

        self.inspect_button = QPushButton("&Inspect", side)
        self.inspect_button.setDefault(True)
        self.inspect_button.setToolTip("Decode and check the token (Ctrl+Enter)")
        side_box = QVBoxLayout(side)
        side_box.setContentsMargins(0, 0, 6, 0)
        side_box.addWidget(token, 1)
        side_box.addWidget(trust)
        side_box.addWidget(decrypt)
        side_box.addWidget(self.inspect_button, 0, Qt.AlignmentFlag.AlignRight)

        self.view = TokenView(self)
        self.view.clear("Paste or open a token, then press Inspect.")
        # A secured SOAP message's header (who signed what, what was encrypted), above the
        # token it carries; hidden for a token alone.
        results = QSplitter(Qt.Orientation.Vertical, self)
        self.header_view = SecurityHeaderView(results)
        self.header_view.hide()
        results.addWidget(self.header_view)
        results.addWidget(self.view)
        results.setChildrenCollapsible(False)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(side)
        splitter.addWidget(results)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([420, 620])
        splitter.setChildrenCollapsible(False)
        self.body.addWidget(splitter, 1)

        self._inspect_shortcuts = [QShortcut(QKeySequence(keys), self)
                                   for keys in ("Ctrl+Return", "Ctrl+Enter")]
        self._open_shortcut = QShortcut(QKeySequence.StandardKey.Open, self)
        self.setTabOrder(self.input, self.open_button)
        self.setTabOrder(self.open_button, self.clear_button)
        self.setTabOrder(self.clear_button, self.trust_choice)
        self.setTabOrder(self.trust_choice, self.cert_path)
        self.setTabOrder(self.cert_path, self.cert_browse)
        self.setTabOrder(self.cert_browse, self.key_path)
        self.setTabOrder(self.key_path, self.key_browse)
        self.setTabOrder(self.key_browse, self.key_password)
        self.setTabOrder(self.key_password, self.inspect_button)

    def _connect_signals(self) -> None:
        self.open_button.clicked.connect(self.on_open_button_clicked)
        self._open_shortcut.activated.connect(self.on_open_button_clicked)
        self.clear_button.clicked.connect(self.on_clear_button_clicked)
        self.trust_choice.currentIndexChanged.connect(self.on_trust_choice_changed)
        self.cert_browse.clicked.connect(self.on_cert_browse_clicked)
        self.key_browse.clicked.connect(self.on_key_browse_clicked)
        self.inspect_button.clicked.connect(self.on_inspect_button_clicked)
        for shortcut in self._inspect_shortcuts:
            shortcut.activated.connect(self.on_inspect_button_clicked)
        self.input.textChanged.connect(lambda: show_problem(self.input_error, None))
        self.view.xml.save_failed.connect(self.banner.error)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        def loaded(certificates: ServerCertificates) -> None:
            self._fill_choices(certificates)
            self.loaded.emit()

        def failed(error: Exception) -> None:
            self.show_error("Loading the server's certificates", error)
            self.loaded.emit()

        self.call(fetch_server_certificates, loaded, action="Loading the server's certificates",
                  on_error=failed)

    def _fill_choices(self, certificates: ServerCertificates) -> None:
        self.certificates = certificates
        self.view.sts_aliases = set(certificates.signing)
        self.view.sts_fingerprints = {
            summarize_certificate(cert).sha256_fingerprint: alias
            for alias, cert in certificates.signing.items()}
        previous = self.trust_choice.currentData()
        self.trust_choice.blockSignals(True)
        self.trust_choice.clear()
        active = certificates.active_signing
        if active in certificates.signing:
            # The default, and it follows a roll-over: it always means the key the STS signs
            # with now, whichever alias that is after the next refresh.
            self.trust_choice.addItem(f"The STS's active signing certificate ('{active}')",
                                      _choice(SIGNING))
            self._tooltip(certificates.signing[active])
        for alias in sorted(certificates.signing, key=lambda a: (a != active, a)):
            label = (f"STS signing certificate '{alias}'"
                     + (" (active now)" if alias == active else " (not active)"))
            self.trust_choice.addItem(label, _choice(SIGNING, alias))
            self._tooltip(certificates.signing[alias])
        for alias in sorted(certificates.trust_store):
            self.trust_choice.addItem(f"Trust store: {alias}", _choice(TRUST_STORE, alias))
            self._tooltip(certificates.trust_store[alias])
        self.trust_choice.addItem("A certificate from a file…", _choice(FILE))
        self.trust_choice.addItem("None: only the certificate inside the token",
                                  _choice(NONE))
        index = self.trust_choice.findData(previous) if previous is not None else -1
        self.trust_choice.setCurrentIndex(max(index, 0))
        self.trust_choice.blockSignals(False)
        self.on_trust_choice_changed()

    def _tooltip(self, cert: x509.Certificate) -> None:
        self.trust_choice.setItemData(self.trust_choice.count() - 1, _describe(cert),
                                      Qt.ItemDataRole.ToolTipRole)

    def current_trust(self) -> tuple[str, str]:
        """What the signature is checked against: (kind, alias); the "active signing
        certificate" choice names the alias that is active now."""
        kind, _, alias = str(self.trust_choice.currentData() or NONE).partition("\n")
        if kind == SIGNING and not alias:
            alias = self.certificates.active_signing or ""
        return kind, alias

    def follows_active_key(self) -> bool:
        """True when the signature is checked against whichever key the STS signs with now."""
        return str(self.trust_choice.currentData() or "") == _choice(SIGNING)

    def select_trust(self, kind: str, alias: str = "") -> bool:
        """Choose what to check the signature against, as the combo box offers it."""
        index = self.trust_choice.findData(_choice(kind, alias))
        if index >= 0:
            self.trust_choice.setCurrentIndex(index)
        return index >= 0

    # -- slots -----------------------------------------------------------------------------

    def on_trust_choice_changed(self, _index: int = 0) -> None:
        kind, _alias = self.current_trust()
        self.cert_path.setEnabled(kind == FILE)
        self.cert_browse.setEnabled(kind == FILE)
        show_problem(self.cert_error, None)

    def on_open_button_clicked(self) -> None:
        path = ask_open_path(self, "Open a token", TOKEN_FILE_FILTER)
        if not path:
            return
        try:
            data = read_file(path, "token file")
            text = data.decode("utf-8-sig")
        except ValueError as exc:
            show_problem(self.input_error, str(exc) if not isinstance(exc, UnicodeDecodeError)
                        else f"{Path(path).name} is not a text file; a token is XML or base64 "
                        "text.")
            return
        self.input.setPlainText(text)
        self.on_inspect_button_clicked()

    def on_clear_button_clicked(self) -> None:
        self.input.clear()
        self.decoded = None
        self.header_report = None
        self.header_view.hide()
        self.view.show()
        self.view.clear("Paste or open a token, then press Inspect.")

    def on_cert_browse_clicked(self) -> None:
        path = ask_open_path(self, "The certificate to check the signature against",
                             CERT_FILE_FILTER)
        if path:
            self.cert_path.setText(path)

    def on_key_browse_clicked(self) -> None:
        path = ask_open_path(self, "The private key to decrypt the token with", KEY_FILE_FILTER)
        if path:
            self.key_path.setText(path)

    def on_inspect_button_clicked(self) -> None:
        for label in (self.input_error, self.cert_error, self.key_error):
            show_problem(label, None)
        text = self.input.toPlainText()
        if not text.strip():
            show_problem(self.input_error, "Paste a token or open a file first.")
            self.input.setFocus()
            return
        trusted = self._trusted()
        keys = self._private_keys()
        if trusted is None or keys is None:
            return
        report = self._security_header(text, trusted, keys)
        source: str | bytes = report.clear_envelope if report is not None else text
        try:
            extracted = extract_token(source)
            decoded = decode_token(extracted, trusted=trusted, private_keys=keys,
                                   known=self.certificates.all)
        except StsError as exc:
            self.decoded = None
            if report is not None:
                # A secured request (or a fault) carries no token: the header is the answer.
                self.view.clear(f"No token in this message: {exc.message}")
                self.view.hide()
                self.header_view.show_report(
                    report, heading="Security header (the message carries no SAML token)")
            else:
                show_problem(self.input_error, exc.message)
                self.view.clear("No token: the input was not accepted (see the message on "
                                "the left).")
            self.inspected.emit(None)
            return
        self.decoded = decoded
        self.view.show()
        self.view.show_token(decoded, checked_against=trusted)
        self.inspected.emit(decoded)

    def _security_header(self, text: str, trusted: dict[str, x509.Certificate],
                         keys: list[PrivateKey]) -> SecurityHeaderReport | None:
        """The security header of a secured SOAP message (shown), or None (hidden)."""
        certificates = tuple({**self.certificates.all, **trusted}.values())
        try:
            report = read_security_header(text.strip().encode("utf-8"),
                                          HeaderKeys(tuple(keys), certificates))
        except (StsError, ValueError):
            report = None
        if report is None or not report.has_security:
            self.header_view.hide()
            self.view.show()
            self.header_report = None
            return None
        self.header_report = report
        self.header_view.show_report(report, heading="Security header")
        self.header_view.show()
        return report

    # -- the parts -------------------------------------------------------------------------

    def _trusted(self) -> dict[str, x509.Certificate] | None:
        kind, alias = self.current_trust()
        if kind == SIGNING and alias in self.certificates.signing:
            return {alias: self.certificates.signing[alias]}
        if kind == TRUST_STORE and alias in self.certificates.trust_store:
            return {alias: self.certificates.trust_store[alias]}
        if kind == FILE:
            path = self.cert_path.text().strip()
            if not path:
                show_problem(self.cert_error, "Choose the certificate file to check against.")
                self.cert_path.setFocus()
                return None
            try:
                loaded = read_certificates(read_file(path, "certificate file"),
                                           filename=Path(path).name)
            except (ValueError, StsError) as exc:
                show_problem(self.cert_error, getattr(exc, "message", str(exc)))
                return None
            return {f"{Path(path).name} #{index + 1}" if index else Path(path).name: cert
                    for index, cert in enumerate(loaded.certificates)}
        return {}

    def _private_keys(self) -> list[PrivateKey] | None:
        path = self.key_path.text().strip()
        if not path:
            return []
        try:
            key = load_private_key(read_file(path, "private key file"),
                                   self.key_password.text() or None)
        except (ValueError, StsError) as exc:
            show_problem(self.key_error, getattr(exc, "message", str(exc)))
            self.key_path.setFocus()
            return None
        return [key]


def _describe(cert: x509.Certificate) -> str:
    return f"{cert.subject.rfc4514_string()} · SHA-256 {certificate_fingerprint(cert)}"
