"""Service provider dialogs: register a new one, and the editor (like WSO2's SP editor)."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.limits import MAX_APPLICATION_DESCRIPTION, MAX_APPLICATION_NAME
from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.models import (
    Application,
    ApplicationDraft,
    LocalClaim,
    RequestedClaim,
    WsTrustConfig,
)
from stsdesk.services.errors import ConflictError, InvalidInputError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.dialogs.certificate_import import CertificateImportDialog
from stsdesk.ui.errors import show_error
from stsdesk.ui.models.service_providers import SORT_ROLE, RequestedClaimsTableModel
from stsdesk.ui.widgets.banner import MessageBanner
from stsdesk.ui.widgets.form import error_label, show_problem
from stsdesk.ui.wizards.ws_trust import (
    KEY_TYPES,
    NO_CERTIFICATE,
    TOKEN_TYPES,
    WsTrustConfigurationWizard,
    algorithm_label,
)

__all__ = ["NewServiceProviderDialog", "ServiceProviderDialog", "name_problem", "MAX_NAME",
           "USERNAME_SUBJECT"]

log = logging.getLogger("stsdesk.ui")

MAX_NAME = MAX_APPLICATION_NAME  # the admin API's limits
MAX_DESCRIPTION = MAX_APPLICATION_DESCRIPTION
USERNAME_SUBJECT = "(none — the username)"


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a service provider, or None if it can."""
    if not name.strip():
        return "Give the service provider a name."
    if len(name.strip()) > MAX_NAME:
        return f"A name has at most {MAX_NAME} characters."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "A name has no control characters."
    return None


class _ServerDialog(QDialog):
    """A dialog that talks to the server through the connection and shows failures inline."""

    def __init__(self, connection: ServerConnection, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._connection = connection
        self.banner = MessageBanner(self)

    def _call(self, work: Callable[[AdminApi], Any], on_success: Callable[[Any], None],
              action: str, on_error: Callable[[Exception], bool] | None = None) -> None:
        """``on_error`` returns True when it showed the error itself."""

        def failed(error: Exception) -> None:
            if on_error is not None and on_error(error):
                return
            show_error(self, self.banner, action, error)

        self._connection.call(work, on_success, failed)


# ------------------------------------------------------------------------------------ new


class NewServiceProviderDialog(_ServerDialog):
    """Register a service provider: a unique name and a description -> ``POST /applications``.

    Open with ``open()``; ``service_provider_created(dict)`` carries the server's answer (with
    the new ``id``) and the dialog closes. A taken name is said under the name field.
    """

    service_provider_created = Signal(object)

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None) -> None:
        super().__init__(connection, parent)
        self.setWindowTitle("Add service provider")
        self._saving = False
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(MAX_NAME)
        self.name_edit.setPlaceholderText("Payroll")
        self.name_error = error_label(self)
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(80)
        name_label = QLabel("Service Provider &Name*:", self)
        name_label.setBuddy(self.name_edit)
        description_label = QLabel("&Description:", self)
        description_label.setBuddy(self.description_edit)
        form = QFormLayout()
        form.addRow(name_label, self.name_edit)
        _add_note_row(form, self.name_error)
        form.addRow(description_label, self.description_edit)
        self.buttons = QDialogButtonBox(self)
        self.register_button = self.buttons.addButton("&Register",
                                                      QDialogButtonBox.ButtonRole.AcceptRole)
        self.register_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)
        self.setTabOrder(self.name_edit, self.description_edit)
        self.setTabOrder(self.description_edit, self.register_button)
        self.setTabOrder(self.register_button, self.cancel_button)
        self._connect_signals()
        self._update_state()

    def _connect_signals(self) -> None:
        self.name_edit.textChanged.connect(self.on_name_edit_text_changed)
        self.register_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    def on_name_edit_text_changed(self, text: str) -> None:
        show_problem(self.name_error, name_problem(text) if text else None)
        self._update_state()

    def _update_state(self) -> None:
        self.register_button.setEnabled(not self._saving and name_problem(self.name) is None)

    def accept(self) -> None:
        if self._saving:
            return
        problem = name_problem(self.name)
        if problem is not None:
            show_problem(self.name_error, problem)
            self.name_edit.setFocus()
            return
        draft = ApplicationDraft(self.name, self.description_edit.toPlainText())
        self._set_saving(True)
        self.banner.clear()
        self._call(lambda api: api.create_application(draft), self._on_created,
                   "Registering the service provider", self._on_failed)

    def _on_created(self, result: Application) -> None:
        self._set_saving(False)
        log.info("Service provider %r registered", self.name)
        self.service_provider_created.emit(result)
        super().accept()

    def _on_failed(self, error: Exception) -> bool:
        self._set_saving(False)
        if isinstance(error, InvalidInputError | ConflictError):
            # A taken or refused name belongs next to the name.
            show_problem(self.name_error, error.message)
            self.name_edit.setFocus()
            self.name_edit.selectAll()
            return True
        return False

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self._update_state()


# ------------------------------------------------------------------------------------ editor


@dataclass(frozen=True)
class SaveOutcome:
    """What Save left on the server: the application as saved, the WS-Trust configuration the
    server now has, and why the WS-Trust part failed (None: everything was saved)."""

    application: Application
    ws_trust: WsTrustConfig | None
    ws_trust_error: Exception | None = None


def _ws_trust_key(config: WsTrustConfig | None) -> WsTrustConfig | None:
    """A configuration as compared for changes (the server's advice is not a setting)."""
    return None if config is None else replace(config, warnings=())


def save_service_provider(api: AdminApi, application_id: str, draft: ApplicationDraft,
                          saved: WsTrustConfig | None,
                          wanted: WsTrustConfig | None) -> SaveOutcome:
    """Save the whole editor (blocking): the application, then its WS-Trust configuration.

    A refused application raises (nothing was saved). A refused WS-Trust change comes back in
    the outcome beside the saved application, with the configuration the server has then.
    """
    application = api.update_application(application_id, draft)
    current = saved
    if _ws_trust_key(wanted) == _ws_trust_key(saved):
        return SaveOutcome(application, current)
    try:
        if saved is not None and (wanted is None or wanted.audience != saved.audience):
            # The audience cannot change on update (as in WSO2): remove, then configure anew.
            api.delete_ws_trust(application_id)
            current = None
        if wanted is not None:
            current = api.put_ws_trust(application_id, wanted)
    except Exception as error:  # noqa: BLE001 - shown by the editor, which tells bugs apart
        return SaveOutcome(application, current, error)
    return SaveOutcome(application, current)


class ServiceProviderDialog(_ServerDialog):
    """The service provider editor: Basic Information, Claim Configuration and Inbound
    Authentication Configuration > WS-Trust Security Token Service Configuration.

    Open with ``open()``; it loads in the background and emits ``loaded``. One save model, as
    WSO2's console has (its Update): every change here, the WS-Trust configuration chosen in
    its wizard or removed included, waits for Save, which sends them together and closes;
    Cancel discards them all (asking first when there are any). A failure keeps what was
    typed.
    """

    loaded = Signal()
    service_provider_saved = Signal(object)
    ws_trust_changed = Signal()

    def __init__(self, connection: ServerConnection, application_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(connection, parent)
        self.setWindowTitle("Service provider")
        self.application_id = application_id
        self.application: Application | None = None
        self.ws_trust: WsTrustConfig | None = None  # as shown: what Save will leave
        self.saved_ws_trust: WsTrustConfig | None = None  # what the server has
        self.wizard: WsTrustConfigurationWizard | None = None
        self.import_dialog: CertificateImportDialog | None = None
        self._saved_state: tuple[Any, ...] | None = None
        self._busy = False
        self._build()
        self._connect_signals()
        self._set_busy(True)
        self.refresh()

    # -- layout --------------------------------------------------------------------------

    def _build(self) -> None:
        self.heading = QLabel(self)
        self.heading.setTextFormat(Qt.TextFormat.RichText)

        # Basic Information
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(MAX_NAME)
        self.name_error = error_label(self)
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setFixedHeight(60)
        basic = QGroupBox("Basic Information", self)
        basic_form = QFormLayout(basic)
        name_label = QLabel("Service Provider &Name*:", basic)
        name_label.setBuddy(self.name_edit)
        description_label = QLabel("&Description:", basic)
        description_label.setBuddy(self.description_edit)
        basic_form.addRow(name_label, self.name_edit)
        _add_note_row(basic_form, self.name_error)
        basic_form.addRow(description_label, self.description_edit)

        # Claim Configuration
        self.claims_model = RequestedClaimsTableModel(self)
        self.claims_proxy = QSortFilterProxyModel(self)
        self.claims_proxy.setSourceModel(self.claims_model)
        self.claims_proxy.setSortRole(SORT_ROLE)
        self.claims_view = QTableView(self)
        self.claims_view.setModel(self.claims_proxy)
        self.claims_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.claims_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.claims_view.setSortingEnabled(True)
        self.claims_view.sortByColumn(RequestedClaimsTableModel.CLAIM, Qt.SortOrder.AscendingOrder)
        self.claims_view.verticalHeader().hide()
        self.claims_view.setAlternatingRowColors(True)
        self.claims_view.setMinimumHeight(240)
        header = self.claims_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(RequestedClaimsTableModel.URI, QHeaderView.ResizeMode.Stretch)
        self.subject_combo = QComboBox(self)
        self.subject_combo.setMinimumContentsLength(30)
        claims = QGroupBox("Claim Configuration", self)
        claims_layout = QVBoxLayout(claims)
        claims_hint = QLabel(
            "Requested Claims, from the local claim dialect (http://wso2.org/claims): tokens "
            "carry them when a request names no claims. Space or a click ticks a box; a "
            "mandatory claim must have a value or no token is issued.", claims)
        claims_hint.setWordWrap(True)
        claims_layout.addWidget(claims_hint)
        claims_layout.addWidget(self.claims_view)
        subject_form = QFormLayout()
        subject_label = QLabel("S&ubject Claim URI:", claims)
        subject_label.setBuddy(self.subject_combo)
        subject_form.addRow(subject_label, self.subject_combo)
        claims_layout.addLayout(subject_form)

        # Inbound Authentication Configuration > WS-Trust
        self.audience_label = QLabel(self)
        self.alias_label = QLabel(self)
        self.token_label = QLabel(self)
        self.signature_label = QLabel(self)
        self.ws_trust_warnings = QLabel(self)
        for label in (self.audience_label, self.alias_label, self.token_label,
                      self.signature_label, self.ws_trust_warnings):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.ws_trust_warnings.setStyleSheet("color:#8a5300;")
        self.ws_trust_warnings.hide()
        self.ws_trust_pending = QLabel(
            "Changed here, not saved yet: Save applies it, Cancel discards it.", self)
        self.ws_trust_pending.setWordWrap(True)
        self.ws_trust_pending.setStyleSheet("color:#1f5fa8;")
        self.ws_trust_pending.hide()
        self.configure_button = QPushButton("&Configure…", self)
        self.remove_button = QPushButton("Re&move", self)
        ws_trust = QGroupBox("WS-Trust Security Token Service Configuration", self)
        ws_form = QFormLayout(ws_trust)
        ws_form.addRow("Endpoint Address:", self.audience_label)
        ws_form.addRow("Certificate Alias:", self.alias_label)
        ws_form.addRow("Token:", self.token_label)
        ws_form.addRow("Signature:", self.signature_label)
        _add_note_row(ws_form, self.ws_trust_warnings)
        _add_note_row(ws_form, self.ws_trust_pending)
        ws_buttons = QHBoxLayout()
        ws_buttons.addWidget(self.configure_button)
        ws_buttons.addWidget(self.remove_button)
        ws_buttons.addStretch(1)
        ws_form.addRow(ws_buttons)
        inbound = QGroupBox("Inbound Authentication Configuration", self)
        inbound_layout = QVBoxLayout(inbound)
        inbound_layout.addWidget(ws_trust)

        content = QWidget(self)
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 8, 0)
        content_layout.addWidget(basic)
        content_layout.addWidget(claims, 1)  # the claims table takes the spare height
        content_layout.addWidget(inbound)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(content)

        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setToolTip(
            "Save the name, description, claims and WS-Trust configuration (Ctrl+S)")
        self.save_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.banner)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)
        self.resize(860, 760)

        self.setTabOrder(self.name_edit, self.description_edit)
        self.setTabOrder(self.description_edit, self.claims_view)
        self.setTabOrder(self.claims_view, self.subject_combo)
        self.setTabOrder(self.subject_combo, self.configure_button)
        self.setTabOrder(self.configure_button, self.remove_button)
        self.setTabOrder(self.remove_button, self.save_button)
        self.setTabOrder(self.save_button, self.cancel_button)

    def _connect_signals(self) -> None:
        self.name_edit.textChanged.connect(self.on_name_edit_text_changed)
        self.save_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)
        self.configure_button.clicked.connect(self.on_configure_button_clicked)
        self.remove_button.clicked.connect(self.on_remove_button_clicked)
        QShortcut(QKeySequence.StandardKey.Save, self, self.accept)

    # -- loading -------------------------------------------------------------------------

    def refresh(self) -> None:
        app_id = self.application_id

        def work(
            api: AdminApi,
        ) -> tuple[Application, tuple[LocalClaim, ...], WsTrustConfig | None]:
            return api.get_application(app_id), api.list_local_claims(), api.get_ws_trust(app_id)

        self._call(work, self._on_loaded, "Loading the service provider",
                   self._on_load_failed)

    def _on_loaded(
        self, result: tuple[Application, tuple[LocalClaim, ...], WsTrustConfig | None],
    ) -> None:
        application, claims, ws_trust = result
        self.application = application
        name = application.name
        self.setWindowTitle(f"Service provider — {name}")
        self.heading.setText(f"<b>Edit Service Provider</b> — {html.escape(name)}")
        self.name_edit.setText(name)
        self.description_edit.setPlainText(application.description)
        requested = [(claim.uri, claim.mandatory) for claim in application.requested_claims]
        self.claims_model.set_claims(list(claims), requested)
        self.claims_view.resizeColumnsToContents()
        subject = application.subject_claim
        self.subject_combo.clear()
        self.subject_combo.addItem(USERNAME_SUBJECT, "")
        for claim in self.claims_model.claims():
            self.subject_combo.addItem(f"{claim.display_name} — {claim.uri}", claim.uri)
        if subject:
            if self.subject_combo.findData(subject) < 0:
                self.subject_combo.addItem(subject, subject)
            self.subject_combo.setCurrentIndex(self.subject_combo.findData(subject))
        self.saved_ws_trust = ws_trust
        self._show_ws_trust(ws_trust)
        self._saved_state = self._state()
        self._set_busy(False)
        self.loaded.emit()

    def _on_load_failed(self, error: Exception) -> bool:
        self._set_busy(False)
        self.save_button.setEnabled(False)  # nothing loaded, nothing to save
        return False

    def _show_ws_trust(self, ws_trust: WsTrustConfig | None) -> None:
        self.ws_trust = ws_trust
        if ws_trust is None:
            self.audience_label.setText(
                "<i>Not configured.</i> Configure it so that this STS issues tokens for this "
                "service provider.")
            for label in (self.alias_label, self.token_label, self.signature_label):
                label.setText("—")
            self.ws_trust_warnings.hide()
        else:
            self.audience_label.setText(html.escape(ws_trust.audience))
            self.alias_label.setText(html.escape(ws_trust.certificate_alias or NO_CERTIFICATE))
            token_type = ws_trust.token_type or ""
            key_type = ws_trust.key_type or ""
            lifetime = ws_trust.token_lifetime_seconds
            encrypted = ("encrypted with "
                         f"{algorithm_label(ws_trust.encryption_algorithm or '')}"
                         if ws_trust.encrypt_token and ws_trust.certificate_alias
                         else "not encrypted")
            self.token_label.setText(html.escape(
                f"{TOKEN_TYPES.get(token_type, token_type)}, "
                f"{KEY_TYPES.get(key_type, key_type).split(' — ')[0]}, "
                f"{f'{lifetime} s' if lifetime else 'server default lifetime'}, {encrypted}"))
            self.signature_label.setText(html.escape(
                f"{algorithm_label(ws_trust.signature_algorithm or '')} with "
                f"{algorithm_label(ws_trust.digest_algorithm or '')} digests"))
            warnings = list(ws_trust.warnings)
            self.ws_trust_warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
            self.ws_trust_warnings.setVisible(bool(warnings))
        self.ws_trust_pending.setVisible(self.ws_trust_changed_here())
        self.configure_button.setText("&Configure…" if ws_trust is None else "&Edit…")
        self._update_buttons()

    # -- state ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.name_edit.text().strip()

    @property
    def subject_claim(self) -> str | None:
        return str(self.subject_combo.currentData() or "") or None

    def _state(self) -> tuple[Any, ...]:
        return (self.name, self.description_edit.toPlainText(),
                tuple(self.claims_model.requested()), self.subject_claim)

    def ws_trust_changed_here(self) -> bool:
        """The WS-Trust configuration shown is not the server's (Save would change it)."""
        return _ws_trust_key(self.ws_trust) != _ws_trust_key(self.saved_ws_trust)

    def has_unsaved_changes(self) -> bool:
        return self._saved_state is not None and (self._state() != self._saved_state
                                                  or self.ws_trust_changed_here())

    def draft(self) -> ApplicationDraft:
        """What Save sends: the name, description and whole claim configuration."""
        return ApplicationDraft(
            name=self.name,
            description=self.description_edit.toPlainText(),
            requested_claims=tuple(RequestedClaim(uri, mandatory)
                                   for uri, mandatory in self.claims_model.requested()),
            subject_claim=self.subject_claim,
        )

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        loaded = self.application is not None
        self.save_button.setEnabled(not self._busy and loaded
                                    and name_problem(self.name_edit.text()) is None)
        self.configure_button.setEnabled(not self._busy and loaded)
        self.remove_button.setEnabled(not self._busy and self.ws_trust is not None)

    # -- slots ---------------------------------------------------------------------------

    def on_name_edit_text_changed(self, text: str) -> None:
        show_problem(self.name_error, name_problem(text))
        self._update_buttons()

    def on_configure_button_clicked(self) -> None:
        if self.application is None:
            return
        current, saved = self.ws_trust, self.saved_ws_trust
        # The server's audience cannot change on update; one only chosen here still can.
        locked = current is not None and saved is not None and current.audience == saved.audience
        wizard = WsTrustConfigurationWizard(self._connection, self.application_id,
                                            self.application.name, current, self,
                                            audience_locked=locked)
        wizard.configuration_chosen.connect(self.on_wizard_configuration_chosen)
        wizard.certificate_import_requested.connect(self.on_wizard_certificate_import_requested)
        self.wizard = wizard
        wizard.open()

    def on_wizard_configuration_chosen(self, configuration: WsTrustConfig) -> None:
        self._show_ws_trust(configuration)
        if self.ws_trust_changed_here():
            self.banner.info(
                f"WS-Trust configuration for {configuration.audience} set here: Save applies "
                "it with the rest of the service provider.")

    def on_wizard_certificate_import_requested(self) -> None:
        """The wizard's Import certificate…: the Keystores page's dialog, on this editor.

        The wizard steps aside while it runs (it keeps every choice), so that one window at a
        time stands on the editor, and comes back with the imported certificate chosen.
        """
        wizard = self.wizard
        if wizard is None:
            return
        wizard.hide()
        if self.import_dialog is not None:
            self.import_dialog.deleteLater()  # the one before, long closed
        dialog = CertificateImportDialog(self._connection, self)
        dialog.certificate_imported.connect(wizard.choose_alias)
        dialog.finished.connect(self.on_import_dialog_finished)
        self.import_dialog = dialog
        dialog.open()

    def on_import_dialog_finished(self, _result: int) -> None:
        if self.wizard is not None:
            self.wizard.show()
            self.wizard.activateWindow()

    def on_remove_button_clicked(self) -> None:
        if self.ws_trust is None:
            return
        audience = self.ws_trust.audience
        self._show_ws_trust(None)
        if self.ws_trust_changed_here():
            self.banner.info(
                f"WS-Trust configuration for {audience} removed here: Save removes it from "
                "the server (the STS then issues no tokens for it), Cancel keeps it.")

    # -- saving --------------------------------------------------------------------------

    def accept(self) -> None:
        """Save: the application, then any WS-Trust change; the editor closes when the
        server has taken both."""
        if self._busy or self.application is None:
            return
        problem = name_problem(self.name_edit.text())
        if problem is not None:
            show_problem(self.name_error, problem)
            self.name_edit.setFocus()
            return
        draft = self.draft()
        app_id = self.application_id
        saved, wanted = self.saved_ws_trust, self.ws_trust
        self._set_busy(True)
        self.banner.clear()
        self._call(lambda api: save_service_provider(api, app_id, draft, saved, wanted),
                   self._on_saved, "Saving the service provider", self._on_save_failed)

    def _on_saved(self, outcome: SaveOutcome) -> None:
        self._set_busy(False)
        self._saved_state = self._state()
        self.application = outcome.application
        log.info("Service provider %r saved", self.name)
        self.service_provider_saved.emit(outcome.application)
        ws_trust_saved = (_ws_trust_key(outcome.ws_trust)
                          != _ws_trust_key(self.saved_ws_trust))
        self.saved_ws_trust = outcome.ws_trust
        if ws_trust_saved:
            self.ws_trust_changed.emit()
        if outcome.ws_trust_error is not None:
            # The rest is saved; the WS-Trust change stays here, to be corrected and saved.
            self._show_ws_trust(self.ws_trust)
            show_error(self, self.banner, "Saving the WS-Trust configuration",
                       outcome.ws_trust_error)
            return
        self._show_ws_trust(outcome.ws_trust)
        if outcome.ws_trust is not None and outcome.ws_trust.warnings:
            # Stay open, so that the server's advice on what it stored is read.
            self.banner.success("Saved. The server's note on the WS-Trust configuration is "
                                "below; Save or Cancel closes the editor.")
            return
        super().accept()

    def _on_save_failed(self, error: Exception) -> bool:
        self._set_busy(False)
        if isinstance(error, ConflictError):
            show_problem(self.name_error, error.message)
            self.name_edit.setFocus()
            return True
        return False

    def reject(self) -> None:
        if self.has_unsaved_changes() and not confirm.ask(
            self, "Discard unsaved changes?",
            "The service provider has changes that are not saved"
            + (", the WS-Trust configuration among them" if self.ws_trust_changed_here()
               else "")
            + ". Discard them and close the editor?",
            destructive=True, action="&Discard",
        ):
            return
        super().reject()


def _add_note_row(form: QFormLayout, item: QWidget | QLayout) -> None:
    """A row with no label, so that it takes no room while its note is hidden."""
    row = form.rowCount()
    if isinstance(item, QWidget):
        form.setWidget(row, QFormLayout.ItemRole.FieldRole, item)
    else:
        form.setLayout(row, QFormLayout.ItemRole.FieldRole, item)
