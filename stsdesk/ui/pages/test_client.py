"""The Test client page: request a token with any options, then Validate, Renew or Cancel it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core import ns
from stsdesk.core.errors import StsError
from stsdesk.core.soap import SoapVersion
from stsdesk.core.tokeninfo import PrivateKey, load_private_key
from stsdesk.core.wstrust import KeyType, RequestType, TokenType, TrustVersion
from stsdesk.services.admin_client import AdminClient
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.errors import ServiceError
from stsdesk.services.tls import display_fingerprint
from stsdesk.services.token_session import (
    ClientKeyPair,
    TokenRequestOptions,
    TokenResult,
    TokenSession,
    load_client_key_pair,
)
from stsdesk.services.trust_client import RequestCancelledError, TlsTrust, TrustClientError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.models.token_history import TokenHistoryTableModel, outcome_of
from stsdesk.ui.pages.base import Page
from stsdesk.ui.pages.token_inspector import (
    CERT_FILE_FILTER,
    KEY_FILE_FILTER,
    ServerCertificates,
    ask_open_path,
    fetch_certificates,
    read_file,
)
from stsdesk.ui.widgets.form import error_label, show_problem
from stsdesk.ui.widgets.token_view import TokenView
from stsdesk.ui.widgets.xml_view import XmlView

__all__ = ["TestClientPage", "ServerChoices", "endpoint_problem", "keyring_key",
           "IDENTITY_DIALECT", "DEFAULT_TIMEOUT_SECONDS"]

log = logging.getLogger("stsdesk.ui.test_client")

# The claim dialect of WS-Federation / ADFS clients (ic:ClaimType); WSO2's is ns.WSO2_CLAIMS.
IDENTITY_DIALECT = "http://schemas.xmlsoap.org/ws/2005/05/identity"
DEFAULT_TIMEOUT_SECONDS = 30
MAX_LIFETIME_SECONDS = 7 * 24 * 3600
_KEYRING_PREFIX = "test-client:"
_WARNING_STYLE = ("color:#663c00; background:#fff4e5; border:1px solid #ffd8a8; "
                  "border-radius:4px; padding:4px;")
TLS_PINNED, TLS_CA_FILE, TLS_SYSTEM, TLS_INSECURE = range(4)


@dataclass(frozen=True)
class ServerChoices:
    """What the connected server offers the form: its STS address, audiences, claims, certs."""

    sts_url: str = ""
    audiences: tuple[str, ...] = ()
    claims: tuple[tuple[str, str], ...] = ()  # (URI, display name)
    certificates: ServerCertificates = field(default_factory=ServerCertificates)


def _fetch_choices(client: AdminClient) -> ServerChoices:
    endpoints = client.get("/sts/endpoints") or {}
    services = client.get("/sts/trusted-services") or []
    claims = client.get("/claim-dialects/local/claims") or []
    return ServerChoices(
        sts_url=str(endpoints.get("sts") or ""),
        audiences=tuple(sorted({str(s["audience"]) for s in services if s.get("audience")})),
        claims=tuple((str(c["claimURI"]), str(c.get("displayName") or c["claimURI"]))
                     for c in claims if c.get("claimURI")),
        certificates=fetch_certificates(client),
    )


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


def keyring_key(endpoint: str, username: str) -> str:
    """Where the test client keeps a remembered password in the OS keyring."""
    return f"{_KEYRING_PREFIX}{endpoint.strip()}|{username.strip()}"


def _file_row(edit: QLineEdit, button: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row


def _same_server(first: str, second: str) -> bool:
    a, b = urlsplit(first), urlsplit(second)
    return (a.hostname or "", a.port or 443) == (b.hostname or "", b.port or 443)


class TestClientPage(Page):
    """WSO2 sends administrators to build a Java sample client; this page is that client."""

    __test__ = False  # not a pytest test class, despite its name
    title = "Test client"
    request_finished = Signal(object)  # the TokenResult shown
    request_failed = Signal(str)  # why no result came (cancelled, not sent)

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None, *,
                 credentials: CredentialStore | None = None) -> None:
        super().__init__(connection, parent)
        self.credentials = credentials or CredentialStore()
        self.choices = ServerChoices()
        self.session: TokenSession | None = None
        self.cancel_event = threading.Event()
        self.busy = False
        self._shown: TokenResult | None = None
        self._build()
        self._connect_signals()
        self.on_key_type_changed()
        self.on_tls_choice_changed()
        self._update_buttons()

    # -- building --------------------------------------------------------------------------

    def _build(self) -> None:
        form_widget = QWidget(self)
        form_box = QVBoxLayout(form_widget)
        form_box.setContentsMargins(0, 0, 8, 0)
        form_box.addWidget(self._endpoint_group(form_widget))
        form_box.addWidget(self._token_group(form_widget))
        form_box.addWidget(self._claims_group(form_widget))
        form_box.addWidget(self._user_group(form_widget))
        form_box.addWidget(self._tls_group(form_widget))
        form_box.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(form_widget)
        scroll.setMinimumWidth(400)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form_scroll = scroll

        self.request_button = QPushButton("&Request token", self)
        self.request_button.setDefault(True)
        self.request_button.setToolTip("Send an Issue request (Ctrl+Enter)")
        self.stop_button = QPushButton("Cancel re&quest", self)
        self.stop_button.setToolTip("Stop waiting for the STS (Esc)")
        self.validate_button = QPushButton("&Validate", self)
        self.validate_button.setToolTip("Ask the STS whether the token in hand is valid")
        self.renew_button = QPushButton("Re&new", self)
        self.renew_button.setToolTip("Renew the token in hand")
        self.cancel_token_button = QPushButton("Cancel &token", self)
        self.cancel_token_button.setToolTip("Cancel the token in hand at the STS")
        actions = QHBoxLayout()
        for button in (self.request_button, self.stop_button):
            actions.addWidget(button)
        actions.addSpacing(16)
        for button in (self.validate_button, self.renew_button, self.cancel_token_button):
            actions.addWidget(button)
        actions.addStretch(1)

        left = QWidget(self)
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(scroll, 1)

        right = QWidget(self)
        right_box = QVBoxLayout(right)
        right_box.setContentsMargins(6, 0, 0, 0)
        self.outcome = QLabel("Fill in the request and press Request token.", right)
        self.outcome.setObjectName("testClientOutcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warnings = QLabel(right)
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(_WARNING_STYLE)
        self.warnings.hide()
        self.results = QTabWidget(right)
        self.token_view = TokenView(right)
        self.results.addTab(self.token_view, "Token")
        messages = QSplitter(Qt.Orientation.Vertical, right)
        self.rst_view = XmlView("RST sent", messages, file_name="rst.xml")
        self.rstr_view = XmlView("RSTR received", messages, file_name="rstr.xml")
        messages.addWidget(self.rst_view)
        messages.addWidget(self.rstr_view)
        self.results.addTab(messages, "Messages")
        self.results.addTab(self._exchange_tab(right), "HTTP exchange")
        self.history = TokenHistoryTableModel(self)
        self.history_view = QTableView(right)
        self.history_view.setModel(self.history)
        self.history_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.history_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.history_view.verticalHeader().hide()
        self.history_view.horizontalHeader().setStretchLastSection(False)
        self.history_view.horizontalHeader().setSectionResizeMode(
            TokenHistoryTableModel.OUTCOME, QHeaderView.ResizeMode.Stretch)
        self.history_view.setToolTip("Click a request to show it again; its token becomes the "
                                     "token in hand.")
        self.results.addTab(self.history_view, "History")
        right_box.addWidget(self.outcome)
        right_box.addWidget(self.warnings)
        right_box.addWidget(self.results, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([470, 570])
        self.body.addLayout(actions)
        self.body.addWidget(splitter, 1)

        self._request_shortcuts = [QShortcut(QKeySequence(keys), self)
                                   for keys in ("Ctrl+Return", "Ctrl+Enter")]
        self._stop_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self._set_outcome("Fill in the request and press Request token.", "#57606a")
        self._tab_order()

    def _endpoint_group(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("WS-Trust Security Token Service", parent)
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
        label = QLabel("S&OAP version:", box)
        label.setBuddy(self.soap_version)
        form.addRow(label, self.soap_version)
        self.trust_version = QComboBox(box)
        self.trust_version.addItem("WS-Trust 1.3", TrustVersion.WST_13)
        self.trust_version.addItem("WS-Trust 2005/02 (WSO2, ADFS)", TrustVersion.WST_2005)
        label = QLabel("WS-Tr&ust version:", box)
        label.setBuddy(self.trust_version)
        form.addRow(label, self.trust_version)
        self.timeout = QSpinBox(box)
        self.timeout.setRange(1, 600)
        self.timeout.setValue(DEFAULT_TIMEOUT_SECONDS)
        self.timeout.setSuffix(" s")
        self.timeout.setToolTip("How long to wait for the STS before giving up")
        form.addRow("Time-out:", self.timeout)
        return box

    def _token_group(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Token", parent)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.token_type = QComboBox(box)
        self.token_type.addItem("SAML 2.0", TokenType.SAML20)
        self.token_type.addItem("SAML 1.1", TokenType.SAML11)
        label = QLabel("Token t&ype:", box)
        label.setBuddy(self.token_type)
        form.addRow(label, self.token_type)
        self.key_type = QComboBox(box)
        self.key_type.addItem("Bearer", KeyType.BEARER)
        self.key_type.addItem("SymmetricKey (holder-of-key)", KeyType.SYMMETRIC)
        self.key_type.addItem("PublicKey (holder-of-key)", KeyType.PUBLIC)
        label = QLabel("&Key type:", box)
        label.setBuddy(self.key_type)
        form.addRow(label, self.key_type)
        self.entropy = QCheckBox("Send client &entropy (computed key)", box)
        form.addRow("", self.entropy)
        self.key_size = QSpinBox(box)
        self.key_size.setRange(128, 1024)
        self.key_size.setSingleStep(64)
        self.key_size.setValue(256)
        self.key_size.setSuffix(" bits")
        form.addRow("Proof key size:", self.key_size)
        self.client_cert = QLineEdit(box)
        self.client_cert.setPlaceholderText("Client certificate (PEM, DER or PKCS#12)")
        self.client_cert_browse = QPushButton("Browse…", box)
        form.addRow("Client certificate:", _file_row(self.client_cert, self.client_cert_browse))
        self.client_key = QLineEdit(box)
        self.client_key.setPlaceholderText("Its private key (PEM or PKCS#12)")
        self.client_key_browse = QPushButton("Browse…", box)
        form.addRow("Client key:", _file_row(self.client_key, self.client_key_browse))
        self.client_key_password = QLineEdit(box)
        self.client_key_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_key_password.setPlaceholderText("Only if the key file has one")
        form.addRow("Key password:", self.client_key_password)
        self.client_error = error_label(box)
        form.addRow(self.client_error)
        self.applies_to = QComboBox(box)
        self.applies_to.setEditable(True)
        # Long audiences must not widen the form: the field scrolls instead.
        self.applies_to.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.applies_to.setMinimumContentsLength(16)
        self.applies_to.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.applies_to.lineEdit().setPlaceholderText("The relying party's audience (or empty)")
        self.applies_to.setToolTip("The registered service providers' audiences, or type any")
        label = QLabel("A&ppliesTo:", box)
        label.setBuddy(self.applies_to)
        form.addRow(label, self.applies_to)
        self.lifetime = QSpinBox(box)
        self.lifetime.setRange(0, MAX_LIFETIME_SECONDS)
        self.lifetime.setSingleStep(60)
        self.lifetime.setSuffix(" s")
        self.lifetime.setSpecialValueText("STS default")
        label = QLabel("Requested &lifetime:", box)
        label.setBuddy(self.lifetime)
        form.addRow(label, self.lifetime)
        self.rp_key = QLineEdit(box)
        self.rp_key.setPlaceholderText("Optional: to read tokens encrypted for the relying party")
        self.rp_key_browse = QPushButton("Browse…", box)
        form.addRow("Relying party key:", _file_row(self.rp_key, self.rp_key_browse))
        self.rp_key_password = QLineEdit(box)
        self.rp_key_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.rp_key_password.setPlaceholderText("Only if the key file has one")
        form.addRow("RP key password:", self.rp_key_password)
        self.rp_key_error = error_label(box)
        form.addRow(self.rp_key_error)
        return box

    def _claims_group(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("Claims", parent)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.dialect = QComboBox(box)
        self.dialect.setEditable(True)
        self.dialect.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dialect.setMinimumContentsLength(16)
        self.dialect.addItem(ns.WSO2_CLAIMS)
        self.dialect.addItem(IDENTITY_DIALECT)
        label = QLabel("Claim &dialect:", box)
        label.setBuddy(self.dialect)
        form.addRow(label, self.dialect)
        self.dialect_in_trust = QCheckBox("Send it as wst:Dialect (WSO2 style)", box)
        form.addRow("", self.dialect_in_trust)
        self.claims = QListWidget(box)
        self.claims.setMinimumHeight(110)
        self.claims.setMaximumHeight(150)
        self.claims.setToolTip("Tick the claims to ask for (Space ticks the selected one). "
                               "None ticked: the service provider's requested claims.")
        label = QLabel("Claim&s:", box)
        label.setBuddy(self.claims)
        form.addRow(label, self.claims)
        self.other_claim = QLineEdit(box)
        self.other_claim.setPlaceholderText("Another claim URI")
        self.add_claim_button = QPushButton("Add", box)
        form.addRow("", _file_row(self.other_claim, self.add_claim_button))
        self.claim_error = error_label(box)
        form.addRow(self.claim_error)
        return box

    def _user_group(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("User", parent)
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
        label = QLabel("Pass&word:", box)
        label.setBuddy(self.password)
        form.addRow(label, self.password)
        self.remember = QCheckBox("Remem&ber the password in the OS keyring", box)
        form.addRow("", self.remember)
        self.password_type = QComboBox(box)
        self.password_type.addItem("PasswordText", False)
        self.password_type.addItem("PasswordDigest", True)
        form.addRow("Password type:", self.password_type)
        return box

    def _tls_group(self, parent: QWidget) -> QGroupBox:
        box = QGroupBox("TLS trust", parent)
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
        self.insecure_warning = QLabel(
            "⚠ TLS certificate checks are OFF: anyone on the network path could read the "
            "password and change the token. Use this only against a test server.", box)
        self.insecure_warning.setWordWrap(True)
        self.insecure_warning.setStyleSheet(_WARNING_STYLE)
        self.tls_error = error_label(box)
        for index, button in enumerate((self.tls_pinned, self.tls_ca, self.tls_system,
                                        self.tls_insecure)):
            self.tls_choice.addButton(button, index)
        self.tls_system.setChecked(True)
        layout.addWidget(self.tls_pinned)
        layout.addWidget(self.pin)
        layout.addWidget(self.tls_ca)
        layout.addLayout(_file_row(self.ca_file, self.ca_browse))
        layout.addWidget(self.tls_system)
        layout.addWidget(self.tls_insecure)
        layout.addWidget(self.insecure_warning)
        layout.addWidget(self.tls_error)
        return box

    def _exchange_tab(self, parent: QWidget) -> QWidget:
        page = QWidget(parent)
        form = QFormLayout(page)
        self.http_status = QLabel("—", page)
        self.http_elapsed = QLabel("—", page)
        self.http_fault = QLabel("—", page)
        self.http_fault.setWordWrap(True)
        for label in (self.http_status, self.http_elapsed, self.http_fault):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.http_headers = QPlainTextEdit(page)
        self.http_headers.setReadOnly(True)
        form.addRow("HTTP status:", self.http_status)
        form.addRow("Time taken:", self.http_elapsed)
        form.addRow("SOAP fault:", self.http_fault)
        form.addRow("Response headers:", self.http_headers)
        return page

    def _tab_order(self) -> None:
        chain = [
            self.request_button, self.stop_button, self.validate_button, self.renew_button,
            self.cancel_token_button, self.endpoint, self.soap_version, self.trust_version,
            self.timeout, self.token_type, self.key_type, self.entropy, self.key_size,
            self.client_cert, self.client_cert_browse, self.client_key, self.client_key_browse,
            self.client_key_password, self.applies_to, self.lifetime, self.rp_key,
            self.rp_key_browse, self.rp_key_password, self.dialect, self.dialect_in_trust,
            self.claims, self.other_claim, self.add_claim_button, self.username, self.password,
            self.remember, self.password_type, self.tls_pinned, self.pin, self.tls_ca,
            self.ca_file, self.ca_browse, self.tls_system, self.tls_insecure, self.results,
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            self.setTabOrder(first, second)

    def _connect_signals(self) -> None:
        self.endpoint.textChanged.connect(self.on_endpoint_text_changed)
        self.endpoint.editingFinished.connect(self.on_username_editing_finished)
        self.username.textChanged.connect(lambda _text: show_problem(self.username_error, None))
        self.username.editingFinished.connect(self.on_username_editing_finished)
        self.key_type.currentIndexChanged.connect(self.on_key_type_changed)
        self.tls_choice.idToggled.connect(self.on_tls_choice_changed)
        self.client_cert_browse.clicked.connect(
            lambda: self._browse(self.client_cert, "The client certificate", CERT_FILE_FILTER))
        self.client_key_browse.clicked.connect(
            lambda: self._browse(self.client_key, "The client's private key", KEY_FILE_FILTER))
        self.rp_key_browse.clicked.connect(
            lambda: self._browse(self.rp_key, "The relying party's private key",
                                 KEY_FILE_FILTER))
        self.ca_browse.clicked.connect(
            lambda: self._browse(self.ca_file, "The CA certificates to trust", CERT_FILE_FILTER))
        self.add_claim_button.clicked.connect(self.on_add_claim_button_clicked)
        self.other_claim.returnPressed.connect(self.on_add_claim_button_clicked)
        self.request_button.clicked.connect(self.on_request_button_clicked)
        self.stop_button.clicked.connect(self.on_stop_button_clicked)
        self.validate_button.clicked.connect(self.on_validate_button_clicked)
        self.renew_button.clicked.connect(self.on_renew_button_clicked)
        self.cancel_token_button.clicked.connect(self.on_cancel_token_button_clicked)
        self.history_view.clicked.connect(self.on_history_view_clicked)
        self.history_view.activated.connect(self.on_history_view_clicked)
        for shortcut in self._request_shortcuts:
            shortcut.activated.connect(self.on_request_button_clicked)
        self._stop_shortcut.activated.connect(self.on_stop_button_clicked)
        for view in (self.rst_view, self.rstr_view, self.token_view.xml):
            view.save_failed.connect(self.banner.error)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        def loaded(choices: ServerChoices) -> None:
            self._fill(choices)
            self.loaded.emit()

        def failed(error: Exception) -> None:
            self.show_error("Loading the STS address, audiences and claims", error)
            self.loaded.emit()

        self.call(_fetch_choices, loaded, on_error=failed,
                  action="Loading the STS address, audiences and claims")

    def _fill(self, choices: ServerChoices) -> None:
        self.choices = choices
        self.token_view.sts_aliases = set(choices.certificates.signing)
        if not self.endpoint.text().strip() and choices.sts_url:
            self.endpoint.setText(choices.sts_url)
            pin = self.connection.client.endpoint.trust.pinned_sha256
            if pin and _same_server(choices.sts_url, self.connection.url):
                self.pin.setText(display_fingerprint(pin))
                self.tls_pinned.setChecked(True)
        if not self.username.text():
            self.username.setText(self.connection.client.endpoint.username)
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

    # -- form slots ------------------------------------------------------------------------

    def on_endpoint_text_changed(self, text: str) -> None:
        show_problem(self.endpoint_error, endpoint_problem(text) if text else None)

    def on_key_type_changed(self, _index: int = 0) -> None:
        key_type = KeyType(self.key_type.currentData())
        symmetric = key_type is KeyType.SYMMETRIC
        holder = key_type is not KeyType.BEARER
        self.entropy.setEnabled(symmetric)
        if not symmetric:
            self.entropy.setChecked(False)
        self.key_size.setEnabled(symmetric)
        for widget in (self.client_cert, self.client_cert_browse, self.client_key,
                       self.client_key_browse, self.client_key_password):
            widget.setEnabled(holder)
        show_problem(self.client_error, None)

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
        """Fill in a remembered password (read off the GUI thread: the keyring may block)."""
        endpoint, username = self.endpoint.text().strip(), self.username.text().strip()
        if not endpoint or not username or self.password.text():
            return
        key = keyring_key(endpoint, username)

        def found(secret: str | None) -> None:
            if secret and not self.password.text() and self.username.text().strip() == username:
                self.password.setText(secret)
                self.remember.setChecked(True)

        self.connection.runner.run(lambda: self.credentials.get(key), found,
                                   lambda error: log.info("No remembered password: %s", error))

    def _browse(self, target: QLineEdit, title: str, file_filter: str) -> None:
        path = ask_open_path(self, title, file_filter)
        if path:
            target.setText(path)

    # -- building the request --------------------------------------------------------------

    def build_options(self) -> TokenRequestOptions | None:
        """The request as the form says, or None with the problems shown next to the fields."""
        for label in (self.endpoint_error, self.username_error, self.client_error,
                      self.tls_error, self.claim_error, self.rp_key_error):
            show_problem(label, None)
        problems: list[QWidget] = []
        endpoint = self.endpoint.text().strip()
        problem = endpoint_problem(endpoint)
        if problem:
            show_problem(self.endpoint_error, problem)
            problems.append(self.endpoint)
        if not self.username.text().strip():
            show_problem(self.username_error, "Type the user name to request the token as.")
            problems.append(self.username)
        key_type = KeyType(self.key_type.currentData())
        client = self._client_key_pair(key_type, problems)
        tls = self._tls(problems)
        if problems or tls is None:
            problems[0].setFocus()
            return None
        dialect = self.dialect.currentText().strip() or None
        try:
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
                client_certificate=client,
                applies_to=self.applies_to.currentText().strip() or None,
                claims_dialect=dialect if self.requested_claims() else None,
                claims=tuple(self.requested_claims()),
                dialect_in_trust_namespace=self.dialect_in_trust.isChecked(),
                lifetime_seconds=self.lifetime.value() or None,
                password_digest=bool(self.password_type.currentData()),
                tls=tls,
                timeout_seconds=float(self.timeout.value()),
            )
        except StsError as exc:
            self.banner.error(f"The request cannot be sent: {exc.message}")
            return None

    def _client_key_pair(self, key_type: KeyType, problems: list[QWidget]) -> ClientKeyPair | None:
        cert_path, key_path = self.client_cert.text().strip(), self.client_key.text().strip()
        if key_type is KeyType.BEARER or (key_type is KeyType.SYMMETRIC and not cert_path):
            return None
        if not cert_path or not key_path:
            show_problem(self.client_error, "A PublicKey token is bound to the client's "
                        "certificate: choose the certificate file and its private key file.")
            problems.append(self.client_cert if not cert_path else self.client_key)
            return None
        try:
            return load_client_key_pair(read_file(cert_path, "client certificate"),
                                        read_file(key_path, "client key"),
                                        self.client_key_password.text() or None)
        except (ValueError, StsError) as exc:
            show_problem(self.client_error, getattr(exc, "message", str(exc)))
            problems.append(self.client_cert)
            return None

    def _tls(self, problems: list[QWidget]) -> TlsTrust | None:
        choice = self.tls_choice.checkedId()
        try:
            if choice == TLS_PINNED:
                return TlsTrust(pinned_sha256=self.pin.text().strip() or "-")
            if choice == TLS_CA_FILE:
                path = self.ca_file.text().strip()
                if not path or not Path(path).is_file():
                    raise ValueError("Choose the PEM file of the certificate authorities to "
                                     "trust; the path given is not a file.")
                return TlsTrust(ca_file=path)
            if choice == TLS_INSECURE:
                return TlsTrust(insecure=True)
            return TlsTrust()
        except ValueError as exc:
            show_problem(self.tls_error, str(exc))
            problems.append(self.pin if choice == TLS_PINNED else self.ca_file)
            return None

    def _relying_party_keys(self) -> list[PrivateKey] | None:
        path = self.rp_key.text().strip()
        if not path:
            return []
        try:
            return [load_private_key(read_file(path, "relying party key"),
                                     self.rp_key_password.text() or None)]
        except (ValueError, StsError) as exc:
            show_problem(self.rp_key_error, getattr(exc, "message", str(exc)))
            self.rp_key.setFocus()
            return None

    # -- actions ---------------------------------------------------------------------------

    def on_request_button_clicked(self) -> None:
        if self.busy:
            return
        options = self.build_options()
        if options is None:
            return
        keys = self._relying_party_keys()
        if keys is None:
            return
        certificates = self.choices.certificates
        if self.session is None:
            self.session = TokenSession(options, cancel_event=self.cancel_event)
        session = self.session
        # Our own signing keys and trust store decide what "trusted" means; a remote STS's
        # certificate is not among them, so its tokens show as untrusted, as they should.
        session.trusted = certificates.all
        session.known = certificates.all
        session.private_keys = tuple(keys)
        remember = self.remember.isChecked()
        self._run(lambda: session.issue(options), "Requesting a token",
                  after=lambda result: self._remember_password(options, remember, result))

    def on_validate_button_clicked(self) -> None:
        self._act(lambda session: session.validate(), "Validating the token")

    def on_renew_button_clicked(self) -> None:
        self._act(lambda session: session.renew(), "Renewing the token")

    def on_cancel_token_button_clicked(self) -> None:
        self._act(lambda session: session.cancel(), "Cancelling the token")

    def on_stop_button_clicked(self) -> None:
        if not self.busy:
            return
        self.cancel_event.set()
        self.stop_button.setEnabled(False)
        self._set_outcome("Cancelling… the answer still on its way will be dropped.", "#9a6700")

    def on_history_view_clicked(self, index: QModelIndex) -> None:
        result = self.history.result_at(index.row())
        if result is None or self.busy:
            return
        if result.token is not None and self.session is not None:
            self.session.use(result)
            self.banner.info(f"Reopened the {result.action.value} of "
                             f"{result.started_at.astimezone():%H:%M:%S}; its token is now the "
                             "token in hand.")
        self.show_result(result)
        self._update_buttons()

    def _act(self, work: Callable[[TokenSession], TokenResult], action: str) -> None:
        session = self.session
        if self.busy or session is None or session.current is None:
            return
        self._run(lambda: work(session), action)

    def _run(self, work: Callable[[], TokenResult], action: str, *,
             after: Callable[[TokenResult], None] | None = None) -> None:
        self.cancel_event.clear()
        self.banner.clear()
        self._set_busy(True)
        self._set_outcome(f"{action}…", "#57606a")

        def done(result: TokenResult) -> None:
            self._set_busy(False)
            self.show_result(result)
            if after is not None:
                after(result)
            self.request_finished.emit(result)

        def failed(error: Exception) -> None:
            self._set_busy(False)
            if isinstance(error, RequestCancelledError) or (
                isinstance(error, TrustClientError) and self.cancel_event.is_set()
            ):
                text = (f"{action} was cancelled; nothing that came back was used. "
                        "Press Request token to try again.")
                self._set_outcome(text, "#9a6700")
            elif isinstance(error, StsError | ServiceError):
                text = f"{action} failed: {error.message}"
                self._set_outcome(text, "#c62828")
            else:
                self.show_error(action, error)
                text = self.banner.text
                self._set_outcome(f"{action} failed.", "#c62828")
            self._update_history()
            self.request_failed.emit(text)

        self.connection.runner.run(work, done, failed)

    def _remember_password(self, options: TokenRequestOptions, remember: bool,
                           result: TokenResult) -> None:
        # Only a password the STS accepted is worth keeping; unticking forgets it.
        key = keyring_key(options.endpoint, options.username)
        if remember and result.ok:
            secret = options.password
            work: Callable[[], None] = lambda: self.credentials.set(key, secret)  # noqa: E731
        elif not remember:
            work = lambda: self.credentials.delete(key)  # noqa: E731
        else:
            return
        self.connection.runner.run(
            work, lambda _none: None,
            lambda error: self.banner.error(
                f"The password could not be remembered: {getattr(error, 'message', error)}"))

    # -- showing ---------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        in_hand = (self.session is not None and self.session.current is not None)
        self.request_button.setEnabled(not self.busy)
        self.stop_button.setEnabled(self.busy)
        for button in (self.validate_button, self.renew_button, self.cancel_token_button):
            button.setEnabled(in_hand and not self.busy)

    def _set_outcome(self, text: str, colour: str) -> None:
        self.outcome.setText(text)
        self.outcome.setToolTip("")
        self.outcome.setStyleSheet(
            f"#testClientOutcome {{color:{colour}; font-weight:bold; padding:6px; "
            f"border:1px solid {colour}; border-radius:4px;}}")

    def _update_history(self) -> None:
        if self.session is not None:
            self.history.set_results(self.session.history)

    def show_result(self, result: TokenResult) -> None:
        self._shown = result
        self._update_history()
        row = self.history.row_of(result)
        if row >= 0:
            self.history_view.selectRow(row)
        self._show_outcome(result)
        warnings = "\n".join(f"⚠ {w}" for w in result.warnings)
        self.warnings.setText(warnings)
        self.warnings.setVisible(bool(warnings))
        if result.decoded is not None:
            self.token_view.show_token(result.decoded, result.proof,
                                       not_issued=result.claims_not_issued)
        elif result.action in (RequestType.ISSUE, RequestType.RENEW):
            self.token_view.clear(f"No token: {outcome_of(result)}")
        exchange = result.exchange
        self.rst_view.set_xml(exchange.request_xml if exchange else None)
        self.rstr_view.set_xml(exchange.response_xml if exchange else None)
        if exchange is None:
            self.http_status.setText("no answer")
            self.http_elapsed.setText("—")
            self.http_headers.setPlainText("")
        else:
            self.http_status.setText(str(exchange.status))
            self.http_elapsed.setText(f"{exchange.elapsed_seconds * 1000:.0f} ms")
            self.http_headers.setPlainText(
                "\n".join(f"{name}: {value}" for name, value in exchange.response_headers.items()))
        self.http_fault.setText(f"{result.fault_code}\n{result.fault_reason or ''}"
                                if result.fault_code else "—")
        self._update_buttons()

    def _show_outcome(self, result: TokenResult) -> None:
        action = result.action.value
        if result.error:
            self._set_outcome(f"{action}: the STS could not be reached. {result.error}",
                              "#c62828")
        elif result.fault_code:
            self._set_outcome(f"{action} refused by the STS — {result.fault_name}: "
                              f"{result.fault_reason or 'no reason given'}", "#c62828")
            self.outcome.setToolTip(result.fault_code)
        elif result.valid is not None:
            if result.valid:
                self._set_outcome(f"Validate: the token is valid. {result.status_reason or ''}",
                                  "#1a7f37")
            else:
                self._set_outcome(f"Validate: the token is NOT valid. "
                                  f"{result.status_reason or ''}", "#c62828")
        elif result.action is RequestType.CANCEL:
            if result.cancelled:
                self._set_outcome("Cancel: the STS cancelled the token; it no longer validates.",
                                  "#1a7f37")
            else:
                self._set_outcome("Cancel: the STS did not confirm the cancellation.", "#c62828")
        elif result.decoded is not None:
            decoded = result.decoded
            version = f"SAML {decoded.version.value}" if decoded.version else "a token"
            verb = "Issued" if result.action is RequestType.ISSUE else "Renewed"
            self._set_outcome(f"{verb}: {version}, signature {decoded.signature.status.value}.",
                              "#1a7f37" if decoded.signature.ok else "#9a6700")
        else:
            self._set_outcome(f"{action}: {outcome_of(result)}", "#57606a")
