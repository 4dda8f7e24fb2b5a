"""The Test client page: the request form, the controller and the result view, wired together."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QScrollArea, QSplitter, QWidget

from stsdesk.core.errors import StsError
from stsdesk.core.tokeninfo import PrivateKey
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.errors import InputError, TrustClientError
from stsdesk.services.message_security import MessageSecurity
from stsdesk.services.profiles import EMBEDDED_PROFILE
from stsdesk.services.token_keys import ClientKeyPair, ClientKeyPairError, read_client_key_pair
from stsdesk.services.token_session import TokenResult
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.pages.base import Page
from stsdesk.ui.pages.test_client.controller import (
    RequestFailure,
    ServerChoices,
    TestClientController,
    decrypt_result,
    fetch_choices,
)
from stsdesk.ui.pages.test_client.form import TokenRequestForm, read_relying_party_key
from stsdesk.ui.pages.test_client.result_view import NEUTRAL, TokenResultView
from stsdesk.ui.pages.test_client.security_section import build_message_security
from stsdesk.ui.pages.token_inspector import KEY_FILE_FILTER, ask_open_path
from stsdesk.ui.widgets.form import show_problem

__all__ = ["TestClientPage"]

_LOADING = "Loading the STS address, audiences and claims"


class TestClientPage(Page):
    """WSO2 sends administrators to build a Java sample client; this page is that client."""

    __test__ = False  # not a pytest test class, despite its name
    title = "Test client"
    request_finished = Signal(object)  # the TokenResult shown
    request_failed = Signal(str)  # why no result came (cancelled, not sent)

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None, *,
                 credentials: CredentialStore | None = None) -> None:
        super().__init__(connection, parent)
        self.choices = ServerChoices()
        self.controller = TestClientController(connection.runner,
                                               credentials or CredentialStore(), self)
        self.form = TokenRequestForm(self)
        self.result_view = TokenResultView(self)
        self._build()
        self._connect_signals()
        self._update_buttons()

    def _build(self) -> None:
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(self.form)
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

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(scroll)
        splitter.addWidget(self.result_view)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([470, 570])
        self.body.addLayout(actions)
        self.body.addWidget(splitter, 1)

        self._request_shortcuts = [QShortcut(QKeySequence(keys), self)
                                   for keys in ("Ctrl+Return", "Ctrl+Enter")]
        self._stop_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        chain = [self.request_button, self.stop_button, self.validate_button, self.renew_button,
                 self.cancel_token_button, *self.form.tab_chain(), self.result_view.tabs]
        for first, second in zip(chain, chain[1:], strict=False):
            self.setTabOrder(first, second)

    def _connect_signals(self) -> None:
        self.request_button.clicked.connect(self.on_request_button_clicked)
        self.stop_button.clicked.connect(self.on_stop_button_clicked)
        self.validate_button.clicked.connect(self.controller.validate)
        self.renew_button.clicked.connect(self.controller.renew)
        self.cancel_token_button.clicked.connect(self.controller.cancel_token)
        for shortcut in self._request_shortcuts:
            shortcut.activated.connect(self.on_request_button_clicked)
        self._stop_shortcut.activated.connect(self.on_stop_button_clicked)
        self.form.credentials_entered.connect(self.controller.look_up_password)
        self.controller.password_found.connect(self.form.offer_password)
        self.controller.password_not_saved.connect(self.banner.error)
        self.controller.busy_changed.connect(self.on_controller_busy_changed)
        self.controller.request_started.connect(self.on_controller_request_started)
        self.controller.request_finished.connect(self.on_controller_request_finished)
        self.controller.request_failed.connect(self.on_controller_request_failed)
        self.result_view.history_chosen.connect(self.on_result_view_history_chosen)
        self.result_view.save_failed.connect(self.banner.error)
        self.result_view.decrypt_requested.connect(self.on_result_view_decrypt_requested)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        def loaded(choices: ServerChoices) -> None:
            self.choices = choices
            self.result_view.token_view.sts_aliases = set(choices.certificates.signing)
            if choices.security is not None:
                self.connection.report_security(choices.security)
            endpoint = self.connection.endpoint
            self.form.fill(choices, server_url=self.connection.url,
                           username=endpoint.username if endpoint else "",
                           pinned_sha256=endpoint.trust.pinned_sha256 if endpoint else None)
            if endpoint is not None and self.connection.name == EMBEDDED_PROFILE:
                # The embedded admin's generated password, instead of an empty one that
                # counts toward the lockout (the form keeps whatever was typed).
                self.form.offer_embedded_admin(endpoint.username, endpoint.password,
                                               choices.sts_url, self.connection.url)
            self.loaded.emit()

        def failed(error: Exception) -> None:
            self.show_error(_LOADING, error)
            self.loaded.emit()

        self.call(fetch_choices, loaded, on_error=failed, action=_LOADING)

    # -- slots -----------------------------------------------------------------------------

    def on_request_button_clicked(self) -> None:
        if self.controller.busy:
            return
        section, keys = self.form.security, self.form.client_keys
        if not keys.check():
            self._scroll_to(keys.certificate_error)
            return
        files = keys.files()
        choice = None
        if section.active:
            trust = self.form.trust_policy()
            if trust is None:
                return
            choice = section.read_choice(endpoint=self.form.endpoint.text().strip(), tls=trust)
            if choice is None:
                return
        if files is None and choice is None:
            self._send(None, None)
            return

        def prepare() -> tuple[ClientKeyPair | None, MessageSecurity | None]:
            # The one key pair, read once, for the token and for the request's signature.
            client = read_client_key_pair(files) if files is not None else None
            security = build_message_security(choice, client) if choice is not None else None
            return client, security

        def unusable(error: Exception) -> None:
            if isinstance(error, ClientKeyPairError):
                self._scroll_to(keys.show_error(error))
                self.banner.error(f"The client's key pair cannot be used: {error.message}")
            elif isinstance(error, InputError | StsError | TrustClientError):
                section.show_problem(error.message)
                self.banner.error(f"The request cannot be secured: {error.message}")
            else:
                self.show_error("Reading the client's keys", error)

        # PKCS#12 and encrypted PEM keys cost a key derivation, metadata a round trip: off the
        # GUI thread.
        self.connection.runner.run(prepare, lambda prepared: self._send(*prepared), unusable)

    def _scroll_to(self, problem: QWidget) -> None:
        # Once the label that just appeared has its place in the layout (the next turn of the
        # event loop), so the message under the field is in view, not only the field.
        QTimer.singleShot(0, self, lambda: self.form_scroll.ensureWidgetVisible(problem))

    def _send(self, client: ClientKeyPair | None,
              message_security: MessageSecurity | None) -> None:
        if self.controller.busy:
            return
        try:
            options = self.form.build_options(message_security, client)
        except StsError as exc:
            self.banner.error(f"The request cannot be sent: {exc.message}")
            return
        if options is None:
            return
        remember = self.form.remember.isChecked()

        def send(keys: list[PrivateKey]) -> None:
            self.controller.issue(options, certificates=self.choices.certificates.all,
                                  private_keys=keys, remember=remember)

        key_file = self.form.relying_party_key_file()
        if key_file is None:
            send([])
            return

        def unreadable(error: Exception) -> None:
            if isinstance(error, InputError | StsError):
                self.form.show_relying_party_key_problem(error.message)
            else:
                self.show_error("Reading the relying party key", error)

        # PEM/PKCS#12 parsing (a key derivation for an encrypted key) stays off the GUI thread.
        self.connection.runner.run(lambda: read_relying_party_key(*key_file), send, unreadable)

    def on_stop_button_clicked(self) -> None:
        # Frees the page at once: the controller reports the request as cancelled.
        self.controller.stop()

    def on_result_view_history_chosen(self, result: TokenResult) -> None:
        if self.controller.busy:
            return
        if self.controller.reopen(result):
            self.banner.info(f"Reopened the {result.action.value} of "
                             f"{result.started_at.astimezone():%H:%M:%S}; its token is now the "
                             "token in hand.")
        self.result_view.show_result(result, self.controller.history)
        self._update_buttons()

    def on_controller_busy_changed(self, _busy: bool) -> None:
        self._update_buttons()

    def on_controller_request_started(self, action: str) -> None:
        self.banner.clear()
        self.result_view.set_outcome(f"{action}…", NEUTRAL)

    def on_result_view_decrypt_requested(self, result: TokenResult) -> None:
        """Open an issued, encrypted token with the relying party's key, chosen now."""
        form = self.form
        if not form.rp_key.text().strip():
            path = ask_open_path(self, "The relying party's private key", KEY_FILE_FILTER)
            if not path:
                return
            form.rp_key.setText(path)
        key_file = form.relying_party_key_file()
        if key_file is None:
            return
        certificates = dict(self.choices.certificates.all) if self.choices else {}
        show_problem(form.rp_key_error, None)
        self.result_view.decrypt_button.setEnabled(False)

        def work() -> TokenResult:
            return decrypt_result(result, read_relying_party_key(*key_file), certificates)

        def done(opened: TokenResult) -> None:
            self.result_view.decrypt_button.setEnabled(True)
            decoded = opened.decoded
            if decoded is None or not decoded.readable:
                reason = decoded.encryption.reason if decoded and decoded.encryption else ""
                form.show_relying_party_key_problem(reason or "That key does not open the token.")
                self.banner.error(f"The token could not be decrypted: {reason}")
                return
            self.result_view.decrypt_button.hide()
            self.result_view.token_view.show_token(decoded, opened.proof,
                                                   not_issued=opened.claims_not_issued)
            self.banner.success("The token is decrypted with the relying party's key.")

        def failed(error: Exception) -> None:
            self.result_view.decrypt_button.setEnabled(True)
            message = getattr(error, "message", None) or str(error)
            form.show_relying_party_key_problem(message)
            self.banner.error(f"The relying party's key could not be used: {message}")

        self.controller.runner.run(work, done, failed)

    def on_controller_request_finished(self, result: TokenResult) -> None:
        self.result_view.show_result(result, self.controller.history)
        self.form.security.set_history(self.controller.history)
        self._update_buttons()
        self.request_finished.emit(result)

    def on_controller_request_failed(self, failure: RequestFailure) -> None:
        text = failure.message
        if failure.bug is not None:
            self.show_error(failure.action, failure.bug)  # the banner and the crash dialog
            text = self.banner.text
        self.result_view.show_failure(failure, self.controller.history)
        self.request_failed.emit(text)

    def _update_buttons(self) -> None:
        busy = self.controller.busy
        self.request_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        for button in (self.validate_button, self.renew_button, self.cancel_token_button):
            button.setEnabled(self.controller.token_in_hand and not busy)
