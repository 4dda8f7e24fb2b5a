"""The test client's result view: the outcome, the token, the messages, the HTTP exchange, history."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.wstrust import RequestType
from stsdesk.services.token_session import TokenResult
from stsdesk.services.trust_client import pretty_xml
from stsdesk.ui.models.token_history import TokenHistoryTableModel, outcome_of
from stsdesk.ui.pages.test_client.controller import RequestFailure
from stsdesk.ui.widgets.security_header_view import SecurityHeaderView
from stsdesk.ui.widgets.token_view import TokenView
from stsdesk.ui.widgets.xml_view import XmlView

__all__ = ["TokenResultView", "WARNING_STYLE", "GOOD", "BAD", "PENDING", "NEUTRAL"]

WARNING_STYLE = ("color:#663c00; background:#fff4e5; border:1px solid #ffd8a8; "
                 "border-radius:4px; padding:4px;")
# Outcome colours: issued and valid, refused or failed, waiting or cancelled, nothing yet.
GOOD, BAD, PENDING, NEUTRAL = "#1a7f37", "#c62828", "#9a6700", "#57606a"


class TokenResultView(QWidget):
    """Shows one TokenResult at a time; ``history_chosen(result)`` when a past one is clicked."""

    history_chosen = Signal(object)  # TokenResult
    save_failed = Signal(str)  # a message or token could not be saved to a file
    decrypt_requested = Signal(object)  # the TokenResult whose encrypted token to open

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outcome = QLabel(self)
        self.outcome.setObjectName("testClientOutcome")
        self.outcome.setWordWrap(True)
        self.outcome.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Offered on an issued token that is encrypted and was not opened: the relying party's
        # key need not be known before the request.
        self.decrypt_button = QPushButton("Decrypt…", self)
        self.decrypt_button.setToolTip("Open the encrypted token with the relying party's "
                                       "private key (PEM or PKCS#12)")
        self.decrypt_button.hide()
        self.shown: TokenResult | None = None
        self.warnings = QLabel(self)
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(WARNING_STYLE)
        self.warnings.hide()
        self.tabs = QTabWidget(self)
        self.token_view = TokenView(self)
        self.tabs.addTab(self.token_view, "Token")
        messages = QSplitter(Qt.Orientation.Vertical, self)
        self.rst_view = XmlView("RST sent", messages, file_name="rst.xml")
        self.rstr_view = XmlView("RSTR received", messages, file_name="rstr.xml")
        messages.addWidget(self.rst_view)
        messages.addWidget(self.rstr_view)
        self.tabs.addTab(messages, "Messages")
        self.tabs.addTab(self._security_tab(), "Message security")
        self.tabs.addTab(self._exchange_tab(), "HTTP exchange")
        self.history = TokenHistoryTableModel(self)
        self.history_view = QTableView(self)
        self.history_view.setModel(self.history)
        self.history_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.history_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.history_view.verticalHeader().hide()
        self.history_view.horizontalHeader().setStretchLastSection(False)
        self.history_view.horizontalHeader().setSectionResizeMode(
            TokenHistoryTableModel.OUTCOME, QHeaderView.ResizeMode.Stretch)
        self.history_view.setToolTip("Click a request to show it again; its token becomes the "
                                     "token in hand.")
        self.tabs.addTab(self.history_view, "History")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.outcome, 1)
        top.addWidget(self.decrypt_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        layout.addWidget(self.warnings)
        layout.addWidget(self.tabs, 1)
        self.set_outcome("Fill in the request and press Request token.", NEUTRAL)
        self._connect_signals()

    def _security_tab(self) -> QWidget:
        """The verdict on the answer's security header, and the answer decrypted."""
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.security_view = SecurityHeaderView(split)
        self.security_view.clear("Requests are not secured at the message level (a "
                                 "UsernameToken over HTTPS).")
        self.clear_view = XmlView("Decrypted", split,
                                  file_name="rstr-decrypted.xml")
        split.addWidget(self.security_view)
        split.addWidget(self.clear_view)
        return split

    def _show_security(self, result: TokenResult) -> None:
        outcome = result.security
        if outcome is None:
            self.security_view.clear("This request was not secured at the message level (a "
                                     "UsernameToken over HTTPS).")
            self.clear_view.set_xml(None)
            return
        verdict = outcome.verdict
        if verdict is None:
            self.security_view.clear("The request was secured, but no answer came to judge.")
            self.clear_view.set_xml(None)
            return
        # SecureConversation (9-15): the context obtained before the request, or cancelled
        # after it, is part of what the person reads about its security.
        context = [line for step in result.context_steps for line in step.lines()]
        failed_context = any(not step.ok for step in result.context_steps)
        if result.fault_code:
            # A fault is answered in clear: there is nothing to hold against the policy.
            self.security_view.show_report(
                verdict.report, verdict=context, heading="The STS refused the request with a "
                "fault (see the outcome above); a fault is not signed or encrypted.")
        elif failed_context and result.error:
            self.security_view.show_report(
                verdict.report, verdict=context + verdict.lines(), ok=False,
                heading="No security context was obtained, so no token was requested:")
        else:
            ok = verdict.ok and not failed_context
            heading = ("The answer's security is as the policy asks." if ok
                       else "The answer's security is NOT as the policy asks:")
            self.security_view.show_report(verdict.report, verdict=context + verdict.lines(),
                                           ok=ok, heading=heading)
        clear = outcome.clear_response
        self.clear_view.set_xml(pretty_xml(clear) if clear else None, exact=clear or None)

    def _exchange_tab(self) -> QWidget:
        page = QWidget(self)
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

    def _connect_signals(self) -> None:
        self.history_view.clicked.connect(self.on_history_view_clicked)
        self.history_view.activated.connect(self.on_history_view_clicked)
        for view in (self.rst_view, self.rstr_view, self.token_view.xml, self.clear_view):
            view.save_failed.connect(self.save_failed)
        self.decrypt_button.clicked.connect(self.on_decrypt_button_clicked)

    def on_decrypt_button_clicked(self) -> None:
        if self.shown is not None:
            self.decrypt_requested.emit(self.shown)

    def on_history_view_clicked(self, index: QModelIndex) -> None:
        result = self.history.result_at(index.row())
        if result is not None:
            self.history_chosen.emit(result)

    # -- showing ---------------------------------------------------------------------------

    def set_outcome(self, text: str, colour: str) -> None:
        self.outcome.setText(text)
        self.outcome.setToolTip("")
        self.outcome.setStyleSheet(
            f"#testClientOutcome {{color:{colour}; font-weight:bold; padding:6px; "
            f"border:1px solid {colour}; border-radius:4px;}}")

    def show_history(self, results: Sequence[TokenResult]) -> None:
        self.history.set_results(results)

    def show_failure(self, failure: RequestFailure, history: Sequence[TokenResult]) -> None:
        self.set_outcome(failure.message, PENDING if failure.cancelled else BAD)
        self.show_history(history)

    def show_result(self, result: TokenResult, history: Sequence[TokenResult]) -> None:
        self.shown = result
        decoded = result.decoded
        self.decrypt_button.setVisible(decoded is not None and not decoded.readable
                                       and decoded.encryption is not None)
        self.show_history(history)
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
        self.rst_view.set_xml(exchange.request_xml if exchange else None,
                              exact=exchange.request_bytes if exchange else None)
        self.rstr_view.set_xml(exchange.response_xml if exchange else None,
                               exact=exchange.response_bytes if exchange else None)
        if exchange is None:
            self.http_status.setText("no answer")
            self.http_elapsed.setText("—")
            self.http_headers.setPlainText("")
        else:
            self.http_status.setText(str(exchange.status))
            self.http_elapsed.setText(f"{exchange.elapsed_seconds * 1000:.0f} ms")
            self.http_headers.setPlainText(
                "\n".join(f"{name}: {value}" for name, value in exchange.response_headers.items()))
        self._show_security(result)
        self.http_fault.setText(f"{result.fault_code}\n{result.fault_reason or ''}"
                                if result.fault_code else "—")

    def _show_outcome(self, result: TokenResult) -> None:
        action = result.action.value
        if result.error:
            self.set_outcome(f"{action}: the STS could not be reached. {result.error}", BAD)
        elif result.fault_code:
            self.set_outcome(f"{action} refused by the STS — {result.fault_name}: "
                             f"{result.fault_reason or 'no reason given'}", BAD)
            self.outcome.setToolTip(result.fault_code)
        elif result.valid is not None:
            if result.valid:
                self.set_outcome(f"Validate: the token is valid. {result.status_reason or ''}",
                                 GOOD)
            else:
                self.set_outcome(f"Validate: the token is NOT valid. "
                                 f"{result.status_reason or ''}", BAD)
        elif result.action is RequestType.CANCEL:
            if result.cancelled:
                self.set_outcome("Cancel: the STS cancelled the token; it no longer validates.",
                                 GOOD)
            else:
                self.set_outcome("Cancel: the STS did not confirm the cancellation.", BAD)
        elif result.decoded is not None:
            decoded = result.decoded
            version = f"SAML {decoded.version.value}" if decoded.version else "a token"
            verb = "Issued" if result.action is RequestType.ISSUE else "Renewed"
            self.set_outcome(f"{verb}: {version}, signature {decoded.signature.status.value}.",
                             GOOD if decoded.signature.ok else PENDING)
        else:
            self.set_outcome(f"{action}: {outcome_of(result)}", NEUTRAL)
