"""The test client's request form: every option the STS supports, checked as it is read."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core import ns
from stsdesk.core.certificate_files import load_private_key
from stsdesk.core.soap import SoapVersion
from stsdesk.core.tokeninfo import PrivateKey
from stsdesk.core.wstrust import KeyType, TokenType, TrustVersion
from stsdesk.services.errors import InputError
from stsdesk.services.message_security import MessageSecurity
from stsdesk.services.tls import TrustPolicy, display_fingerprint
from stsdesk.services.token_keys import ClientKeyPair
from stsdesk.services.token_session import TokenRequestOptions
from stsdesk.ui.pages.test_client.client_key_section import ClientKeyPairSection
from stsdesk.ui.pages.test_client.controller import ServerChoices
from stsdesk.ui.pages.test_client.result_view import WARNING_STYLE
from stsdesk.ui.pages.test_client.security_section import MessageSecuritySection
from stsdesk.ui.pages.token_inspector import (
    CERT_FILE_FILTER,
    KEY_FILE_FILTER,
    ask_open_path,
    read_file,
)
from stsdesk.ui.widgets.form import error_label, file_row, show_problem

__all__ = [
    "TokenRequestForm", "endpoint_problem", "read_relying_party_key", "IDENTITY_DIALECT",
    "DEFAULT_TIMEOUT_SECONDS",
    "TLS_PINNED", "TLS_CA_FILE", "TLS_SYSTEM", "TLS_INSECURE",
]

# The claim dialect of WS-Federation / ADFS clients (ic:ClaimType); WSO2's is ns.WSO2_CLAIMS.
IDENTITY_DIALECT = ns.WSID
DEFAULT_TIMEOUT_SECONDS = 30
MAX_LIFETIME_SECONDS = 7 * 24 * 3600
TLS_PINNED, TLS_CA_FILE, TLS_SYSTEM, TLS_INSECURE = range(4)


# The symmetric proof key sizes the STS issues (server/sts/issuer.py), so the form cannot ask for
# one it would refuse.
PROOF_KEY_BITS = (128, 512)


def endpoint_problem(text: str) -> str | None:
    """Why ``text`` cannot be an STS address, or None."""
    value = text.strip()
    if not value:
        return "Type the STS address, e.g. https://localhost:9443/services/wso2carbon-sts."
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "The STS address must be an http(s) URL with a host name."
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return "The port in the STS address is not a number between 0 and 65535."
    return None


def _same_server(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    return (a.hostname or "", a.port or 443) == (b.hostname or "", b.port or 443)


def _align_label_columns(groups: list[QWidget]) -> None:
    """One label column for ``groups``, so their fields start at one edge rather than each
    group's own (the key pair's fields sat 30 px left of the token's above them)."""
    labels: list[QWidget] = []
    for group in groups:
        layout = group.layout()
        if not isinstance(layout, QFormLayout):
            continue
        for row in range(layout.rowCount()):
            item = layout.itemAt(row, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if widget is not None:
                labels.append(widget)
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)


def _labelled(form: QFormLayout, text: str, field: QWidget, buddy: QWidget | None = None,
              parent: QWidget | None = None) -> None:
    label = QLabel(text, parent)
    label.setBuddy(buddy or field)
    form.addRow(label, field)


class TokenRequestForm(QWidget):
    """The request as a person fills it in; :meth:`build_options` reads it.

    Problems are shown next to their fields. ``credentials_entered(endpoint, user)`` asks for
    a remembered password once both are known and the password is still empty.
    """

    credentials_entered = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._server_sts = ""
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 8, 0)
        self.security = MessageSecuritySection(self)
        # After both uses of the key pair: the token's key type and the scenario.
        self.client_keys = ClientKeyPairSection(self)
        request: list[QWidget] = [self._endpoint_group(), self._token_group(), self.security,
                                  self.client_keys]
        for group in request:
            box.addWidget(group)
        # The claims list keeps its own, wider column: its rows are sized to fit it.
        box.addWidget(self._claims_group())
        box.addWidget(self._user_group())
        box.addWidget(self._tls_group())
        box.addStretch(1)
        _align_label_columns(request)
        self._connect_signals()
        self.on_key_type_changed()
        self.on_tls_choice_changed()

    # -- building --------------------------------------------------------------------------

    def _endpoint_group(self) -> QGroupBox:
        box = QGroupBox("WS-Trust Security Token Service", self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.endpoint = QLineEdit(box)
        self.endpoint.setPlaceholderText("https://localhost:9443/services/wso2carbon-sts")
        self.endpoint_error = error_label(box)
        column = QVBoxLayout()
        column.addWidget(self.endpoint)
        column.addWidget(self.endpoint_error)
        label = QLabel("Endpoint &Address:", box)
        label.setBuddy(self.endpoint)
        form.addRow(label, column)
        self.soap_version = QComboBox(box)
        self.soap_version.addItem("SOAP 1.2", SoapVersion.SOAP12)
        self.soap_version.addItem("SOAP 1.1", SoapVersion.SOAP11)
        _labelled(form, "S&OAP version:", self.soap_version, parent=box)
        self.trust_version = QComboBox(box)
        self.trust_version.addItem("WS-Trust 1.3", TrustVersion.WST_13)
        self.trust_version.addItem("WS-Trust 2005/02 (WSO2, ADFS)", TrustVersion.WST_2005)
        _labelled(form, "WS-Tr&ust version:", self.trust_version, parent=box)
        self.timeout = QSpinBox(box)
        self.timeout.setRange(1, 600)
        self.timeout.setValue(DEFAULT_TIMEOUT_SECONDS)
        self.timeout.setSuffix(" s")
        self.timeout.setToolTip("How long to wait for the STS before giving up")
        form.addRow("Time-out:", self.timeout)
        return box

    def _token_group(self) -> QGroupBox:
        box = QGroupBox("Token", self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.token_type = QComboBox(box)
        self.token_type.addItem("SAML 2.0", TokenType.SAML20)
        self.token_type.addItem("SAML 1.1", TokenType.SAML11)
        _labelled(form, "Token t&ype:", self.token_type, parent=box)
        self.key_type = QComboBox(box)
        self.key_type.addItem("Bearer", KeyType.BEARER)
        self.key_type.addItem("SymmetricKey (holder-of-key)", KeyType.SYMMETRIC)
        self.key_type.addItem("PublicKey (holder-of-key)", KeyType.PUBLIC)
        _labelled(form, "&Key type:", self.key_type, parent=box)
        self.entropy = QCheckBox("Send client &entropy (computed key)", box)
        form.addRow("", self.entropy)
        self.key_size = QSpinBox(box)
        self.key_size.setRange(*PROOF_KEY_BITS)
        self.key_size.setSingleStep(64)
        self.key_size.setValue(256)
        self.key_size.setSuffix(" bits")
        self.key_size.setToolTip(f"The STS issues symmetric proof keys of {PROOF_KEY_BITS[0]} to "
                                 f"{PROOF_KEY_BITS[1]} bits, in steps of 8")
        form.addRow("Proof key size:", self.key_size)
        self.key_size_error = error_label(box)
        form.addRow(self.key_size_error)
        self.applies_to = QComboBox(box)
        self.applies_to.setEditable(True)
        # Long audiences must not widen the form: the field scrolls instead.
        self.applies_to.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.applies_to.setMinimumContentsLength(16)
        self.applies_to.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.applies_to.lineEdit().setPlaceholderText("The relying party's audience (or empty)")
        self.applies_to.setToolTip("The registered service providers' audiences, or type any")
        _labelled(form, "A&ppliesTo:", self.applies_to, parent=box)
        self.lifetime = QSpinBox(box)
        self.lifetime.setRange(0, MAX_LIFETIME_SECONDS)
        self.lifetime.setSingleStep(60)
        self.lifetime.setSuffix(" s")
        self.lifetime.setSpecialValueText("STS default")
        _labelled(form, "Requested &lifetime:", self.lifetime, parent=box)
        self.rp_key = QLineEdit(box)
        self.rp_key.setPlaceholderText("Optional: decrypts its tokens")
        self.rp_key.setToolTip(
            "Optional: the relying party's private key, to read tokens encrypted for it")
        self.rp_key_browse = QPushButton("Browse…", box)
        form.addRow("Relying party key:", file_row(self.rp_key, self.rp_key_browse))
        self.rp_key_password = QLineEdit(box)
        self.rp_key_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.rp_key_password.setPlaceholderText("Only if the key file has one")
        form.addRow("RP key password:", self.rp_key_password)
        self.rp_key_error = error_label(box)
        form.addRow(self.rp_key_error)
        return box

    def _claims_group(self) -> QGroupBox:
        box = QGroupBox("Claims", self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.dialect = QComboBox(box)
        self.dialect.setEditable(True)
        self.dialect.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dialect.setMinimumContentsLength(16)
        self.dialect.addItem(ns.WSO2_CLAIMS)
        self.dialect.addItem(IDENTITY_DIALECT)
        _labelled(form, "Claim &dialect:", self.dialect, parent=box)
        self.dialect_in_trust = QCheckBox("Send it as wst:Dialect (WSO2 style)", box)
        form.addRow("", self.dialect_in_trust)
        self.claims = QListWidget(box)
        self.claims.setMinimumHeight(110)
        self.claims.setMaximumHeight(150)
        # The rows fit the list's width: a long URI is shortened in the middle (the whole one
        # is the row's tooltip) rather than hidden behind a horizontal scroll bar.
        self.claims.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.claims.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.claims.setToolTip("Tick the claims to ask for (Space ticks the selected one). "
                               "None ticked: the service provider's requested claims.")
        # No Alt+letter: every letter of "Claims" already opens another field (or the Servers
        # menu); Tab reaches the list.
        _labelled(form, "Claims:", self.claims, parent=box)
        self.other_claim = QLineEdit(box)
        self.other_claim.setPlaceholderText("Another claim URI")
        self.add_claim_button = QPushButton("Add", box)
        form.addRow("", file_row(self.other_claim, self.add_claim_button))
        self.claim_error = error_label(box)
        form.addRow(self.claim_error)
        return box

    def _user_group(self) -> QGroupBox:
        box = QGroupBox("User", self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.username = QLineEdit(box)
        self.username_error = error_label(box)
        column = QVBoxLayout()
        column.addWidget(self.username)
        column.addWidget(self.username_error)
        label = QLabel("User na&me:", box)
        label.setBuddy(self.username)
        form.addRow(label, column)
        self.password = QLineEdit(box)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        _labelled(form, "Pass&word:", self.password, parent=box)
        self.remember = QCheckBox("Remem&ber the password in the OS keyring", box)
        form.addRow("", self.remember)
        self.password_type = QComboBox(box)
        self.password_type.addItem("PasswordText", False)
        self.password_type.addItem("PasswordDigest", True)
        form.addRow("Password type:", self.password_type)
        return box

    def _tls_group(self) -> QGroupBox:
        box = QGroupBox("TLS trust", self)
        layout = QVBoxLayout(box)
        self.tls_choice = QButtonGroup(box)
        self.tls_pinned = QRadioButton("The pinned certificate (S&HA-256):", box)
        self.pin = QLineEdit(box)
        self.pin.setPlaceholderText("The STS's TLS certificate SHA-256, 64 hex digits")
        self.tls_ca = QRadioButton("A &CA file:", box)
        self.ca_file = QLineEdit(box)
        self.ca_file.setPlaceholderText("PEM file of the certificate authorities to trust")
        self.ca_browse = QPushButton("Browse…", box)
        self.tls_system = QRadioButton("The system's certificate authorities", box)
        self.tls_insecure = QRadioButton("Do not check the certificate (&insecure)", box)
        self.insecure_warning = QLabel(f"⚠ {TrustPolicy(insecure=True).warning}", box)
        self.insecure_warning.setWordWrap(True)
        self.insecure_warning.setStyleSheet(WARNING_STYLE)
        self.tls_error = error_label(box)
        for index, button in enumerate((self.tls_pinned, self.tls_ca, self.tls_system,
                                        self.tls_insecure)):
            self.tls_choice.addButton(button, index)
        self.tls_system.setChecked(True)
        layout.addWidget(self.tls_pinned)
        layout.addWidget(self.pin)
        layout.addWidget(self.tls_ca)
        layout.addLayout(file_row(self.ca_file, self.ca_browse))
        layout.addWidget(self.tls_system)
        layout.addWidget(self.tls_insecure)
        layout.addWidget(self.insecure_warning)
        layout.addWidget(self.tls_error)
        return box

    def tab_chain(self) -> list[QWidget]:
        """The fields in the order Tab visits them."""
        return [
            self.endpoint, self.soap_version, self.trust_version, self.timeout, self.token_type,
            self.key_type, self.entropy, self.key_size, self.applies_to,
            self.lifetime, self.rp_key, self.rp_key_browse, self.rp_key_password,
            *self.security.tab_chain(), *self.client_keys.tab_chain(), self.dialect,
            self.dialect_in_trust, self.claims, self.other_claim, self.add_claim_button,
            self.username, self.password, self.remember, self.password_type, self.tls_pinned,
            self.pin, self.tls_ca, self.ca_file, self.ca_browse, self.tls_system,
            self.tls_insecure,
        ]

    def _connect_signals(self) -> None:
        self.endpoint.textChanged.connect(self.on_endpoint_text_changed)
        self.endpoint.editingFinished.connect(self.on_username_editing_finished)
        self.username.textChanged.connect(lambda _text: show_problem(self.username_error, None))
        self.username.editingFinished.connect(self.on_username_editing_finished)
        self.key_type.currentIndexChanged.connect(self.on_key_type_changed)
        self.security.changed.connect(self.on_security_changed)
        self.tls_choice.idToggled.connect(self.on_tls_choice_changed)
        self.rp_key_browse.clicked.connect(
            lambda: self._browse(self.rp_key, "The relying party's private key",
                                 KEY_FILE_FILTER))
        self.ca_browse.clicked.connect(
            lambda: self._browse(self.ca_file, "The CA certificates to trust", CERT_FILE_FILTER))
        self.add_claim_button.clicked.connect(self.on_add_claim_button_clicked)
        self.other_claim.returnPressed.connect(self.on_add_claim_button_clicked)

    # -- filling ---------------------------------------------------------------------------

    def fill(self, choices: ServerChoices, *, server_url: str, username: str,
             pinned_sha256: str | None) -> None:
        """Offer what the connected server has; keep what the person typed."""
        self._server_sts = choices.sts_url
        self.security.set_server(choices.security, choices.certificates.signing,
                                 choices.certificates.active_signing)
        if not self.endpoint.text().strip() and choices.sts_url:
            self.endpoint.setText(choices.sts_url)
            self.endpoint.setCursorPosition(0)  # show the scheme and host, not the path's end
            # The STS of the server we administer has the TLS certificate we pinned for it.
            if pinned_sha256 and _same_server(choices.sts_url, server_url):
                self.pin.setText(display_fingerprint(pinned_sha256))
                self.tls_pinned.setChecked(True)
        if not self.username.text():
            self.username.setText(username)
            self.on_username_editing_finished()
        typed = self.applies_to.currentText()
        self.applies_to.clear()
        self.applies_to.addItems(list(choices.audiences))
        self.applies_to.setEditText(typed or (choices.audiences[0] if choices.audiences else ""))
        ticked = set(self.requested_claims())
        known = {self.claims.item(i).data(Qt.ItemDataRole.UserRole)
                 for i in range(self.claims.count())}
        for uri, name in choices.claims:
            if uri not in known:
                self._add_claim_item(uri, name, checked=uri in ticked)

    def offer_embedded_admin(self, username: str, password: str, sts_url: str,
                             server_url: str) -> None:
        """On the embedded server, sign in as its admin: filled in while the fields still
        name that admin on that server and no password was typed (nothing is remembered)."""
        if (self.username.text().strip() == username and not self.password.text()
                and _same_server(self.endpoint.text().strip() or sts_url, server_url)):
            self.password.setText(password)
            self.password.setToolTip("The embedded server's admin password, filled in for you "
                                     "(Servers › Embedded admin password… shows where it is kept)")

    def offer_password(self, username: str, secret: str) -> None:
        """A remembered password for ``username``: used if nothing was typed meanwhile."""
        if not self.password.text() and self.username.text().strip() == username:
            self.password.setText(secret)
            self.remember.setChecked(True)

    def _add_claim_item(self, uri: str, name: str, *, checked: bool) -> QListWidgetItem:
        item = QListWidgetItem(f"{name}  —  {uri}" if name != uri else uri, self.claims)
        item.setData(Qt.ItemDataRole.UserRole, uri)
        item.setToolTip(uri)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        return item

    def requested_claims(self) -> list[str]:
        return [self.claims.item(i).data(Qt.ItemDataRole.UserRole)
                for i in range(self.claims.count())
                if self.claims.item(i).checkState() == Qt.CheckState.Checked]

    def claim_item(self, uri: str) -> QListWidgetItem | None:
        for i in range(self.claims.count()):
            if self.claims.item(i).data(Qt.ItemDataRole.UserRole) == uri:
                return self.claims.item(i)
        return None

    # -- slots -----------------------------------------------------------------------------

    def on_endpoint_text_changed(self, text: str) -> None:
        show_problem(self.endpoint_error, endpoint_problem(text) if text else None)
        # Another STS than the connected server's: its scenario must be chosen by hand.
        self.security.set_foreign(bool(self._server_sts) and bool(text.strip())
                                  and text.strip() != self._server_sts)

    def on_key_type_changed(self, _index: int = 0) -> None:
        key_type = KeyType(self.key_type.currentData())
        symmetric = key_type is KeyType.SYMMETRIC
        self.entropy.setEnabled(symmetric)
        if not symmetric:
            self.entropy.setChecked(False)
        self.key_size.setEnabled(symmetric)
        show_problem(self.key_size_error, None)
        self.on_security_changed()

    def on_security_changed(self) -> None:
        # The key pair serves the token's key type and the scenario: it follows both.
        section = self.security
        self.client_keys.set_uses(KeyType(self.key_type.currentData()),
                                  section.security() if section.active else None)

    def on_tls_choice_changed(self, _id: int = 0, _checked: bool = True) -> None:
        choice = self.tls_choice.checkedId()
        self.pin.setEnabled(choice == TLS_PINNED)
        self.ca_file.setEnabled(choice == TLS_CA_FILE)
        self.ca_browse.setEnabled(choice == TLS_CA_FILE)
        self.insecure_warning.setVisible(choice == TLS_INSECURE)
        show_problem(self.tls_error, None)

    def on_add_claim_button_clicked(self) -> None:
        uri = self.other_claim.text().strip()
        if not uri:
            show_problem(self.claim_error, "Type the claim's URI, then press Add.")
            return
        if any(ch.isspace() for ch in uri):
            show_problem(self.claim_error, "A claim URI has no spaces in it.")
            return
        show_problem(self.claim_error, None)
        item = self.claim_item(uri) or self._add_claim_item(uri, uri, checked=True)
        item.setCheckState(Qt.CheckState.Checked)
        self.claims.scrollToItem(item)
        self.other_claim.clear()

    def on_username_editing_finished(self) -> None:
        endpoint, username = self.endpoint.text().strip(), self.username.text().strip()
        if endpoint and username and not self.password.text():
            self.credentials_entered.emit(endpoint, username)

    def _browse(self, target: QLineEdit, title: str, file_filter: str) -> None:
        path = ask_open_path(self, title, file_filter)
        if path:
            target.setText(path)

    # -- reading ---------------------------------------------------------------------------

    def build_options(
        self, message_security: MessageSecurity | None = None,
        client: ClientKeyPair | None = None,
    ) -> TokenRequestOptions | None:
        """The request as the form says, or None with the problems shown next to the fields.

        ``message_security`` (built from the security section) secures it; ``client`` is the
        key pair :attr:`client_keys` names, both read off the GUI thread. Raises the core's
        InvalidRequestError when the options, each fine, do not go together.
        """
        for label in (self.endpoint_error, self.username_error, self.key_size_error,
                      self.tls_error, self.claim_error, self.rp_key_error):
            show_problem(label, None)
        problems: list[QWidget] = []
        endpoint = self.endpoint.text().strip()
        problem = endpoint_problem(endpoint)
        if problem:
            show_problem(self.endpoint_error, problem)
            problems.append(self.endpoint)
        username_needed = message_security is None or message_security.needs_username
        if username_needed and not self.username.text().strip():
            show_problem(self.username_error, "Type the user name to request the token as.")
            problems.append(self.username)
        key_type = KeyType(self.key_type.currentData())
        if key_type is KeyType.SYMMETRIC and self.key_size.value() % 8:
            show_problem(self.key_size_error, "The proof key size must be a whole number of "
                         "bytes: a multiple of 8 bits, such as 256.")
            problems.append(self.key_size)
        trust = self._trust(problems)
        if problems or trust is None:
            problems[0].setFocus()
            return None
        dialect = self.dialect.currentText().strip() or None
        return TokenRequestOptions(
            endpoint=endpoint,
            username=self.username.text().strip(),
            password=self.password.text(),
            soap_version=SoapVersion(self.soap_version.currentData()),
            trust_version=TrustVersion(self.trust_version.currentData()),
            token_type=TokenType(self.token_type.currentData()),
            key_type=key_type,
            client_entropy=self.entropy.isChecked(),
            key_size=self.key_size.value(),
            # A bearer token binds no key (the pair may still sign the request).
            client_certificate=client if key_type is not KeyType.BEARER else None,
            applies_to=self.applies_to.currentText().strip() or None,
            claims_dialect=dialect if self.requested_claims() else None,
            claims=tuple(self.requested_claims()),
            dialect_in_trust_namespace=self.dialect_in_trust.isChecked(),
            lifetime_seconds=self.lifetime.value() or None,
            password_digest=bool(self.password_type.currentData()),
            tls=trust,
            timeout_seconds=float(self.timeout.value()),
            message_security=message_security,
        )

    def trust_policy(self) -> TrustPolicy | None:
        """How the STS's TLS certificate is trusted, or None with the problem shown."""
        return self._trust([])

    def _trust(self, problems: list[QWidget]) -> TrustPolicy | None:
        choice = self.tls_choice.checkedId()
        field = self.pin if choice == TLS_PINNED else self.ca_file
        try:
            if choice == TLS_PINNED:
                if not self.pin.text().strip():
                    raise InputError("Type the STS's TLS certificate SHA-256 to pin it, or "
                                     "choose another way to trust the server.")
                return TrustPolicy(pinned_sha256=self.pin.text())
            if choice == TLS_CA_FILE:
                path = self.ca_file.text().strip()
                if not path or not Path(path).is_file():
                    raise InputError("Choose the PEM file of the certificate authorities to "
                                     "trust; the path given is not a file.")
                return TrustPolicy(ca_file=path)
            if choice == TLS_INSECURE:
                return TrustPolicy(insecure=True)
            return TrustPolicy()
        except InputError as exc:
            show_problem(self.tls_error, exc.message)
            problems.append(field)
            return None

    def relying_party_key_file(self) -> tuple[str, str | None] | None:
        """The relying party's key file and its password, or None when none is given.

        Reading it (PEM or PKCS#12, a key derivation for an encrypted one) is blocking work:
        the page does it with :func:`read_relying_party_key` off the GUI thread.
        """
        path = self.rp_key.text().strip()
        return (path, self.rp_key_password.text() or None) if path else None

    def show_relying_party_key_problem(self, problem: str) -> None:
        show_problem(self.rp_key_error, problem)
        self.rp_key.setFocus()


def read_relying_party_key(path: str, password: str | None) -> list[PrivateKey]:
    """Read and parse the relying party's private key (blocking: run it on the task runner)."""
    return [load_private_key(read_file(path, "relying party key"), password)]
