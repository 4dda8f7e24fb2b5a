"""The Security Token Service page: applied scenario, trusted services, proof key, endpoints."""

from __future__ import annotations

import html
import logging
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE
from stsdesk.services.admin import AdminApi, Capability
from stsdesk.services.admin.models import SecurityPolicy, StsSettings
from stsdesk.services.errors import ServiceError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.models.scenarios import StsOverview, TrustedServicesTableModel
from stsdesk.ui.pages.base import Page
from stsdesk.ui.widgets.sts_settings import StsSettingsGroup
from stsdesk.ui.wizards.scenario_dialog import ask_disable_security
from stsdesk.ui.wizards.security_policy import ApplySecurityPolicyWizard

__all__ = ["SecurityTokenServicePage", "load_overview", "ENCRYPTED_KEY", "BINARY_SECRET"]

log = logging.getLogger("stsdesk.ui")

ENCRYPTED_KEY = "EncryptedKey"
BINARY_SECRET = "BinarySecret"
_MUTED = "color:#57606a;"
_ENABLED_PILL = ("<span style='background:#dafbe1; color:#116329; font-weight:bold; "
                 "padding:2px 8px;'>&nbsp;● Enabled&nbsp;</span>")
_DISABLED_PILL = ("<span style='background:#ffebe9; color:#a40e26; font-weight:bold; "
                  "padding:2px 8px;'>&nbsp;● Disabled&nbsp;</span>")


def load_overview(api: AdminApi) -> StsOverview:
    """Read everything the page shows (off the GUI thread)."""
    endpoints = api.get_endpoints()
    return StsOverview(
        security=api.get_security_policy(),
        scenarios=api.list_scenarios(),
        trusted_services=api.list_trusted_services(),
        keystores=api.list_keystores(),
        sts_url=endpoints.sts_url,
        wsdl_url=endpoints.wsdl_url,
        signing_alias=_active_signing_alias(api),
    )


def _active_signing_alias(api: AdminApi) -> str | None:
    """The signing key in use now, so the page is right after a roll-over; None when the
    server does not list its signing keys (e.g. WSO2 over this API)."""
    try:
        keys = api.list_signing_keys()
    except ServiceError:
        return None
    return next((key.alias for key in keys if key.active), None)


def _value_label(parent: QWidget) -> QLabel:
    label = QLabel("…", parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class SecurityTokenServicePage(Page):
    """WSO2's "WS-Trust Security Token Service Configuration", as one page."""

    title = "Security Token Service"

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None) -> None:
        super().__init__(connection, parent)
        self.overview: StsOverview | None = None
        self.wizard: ApplySecurityPolicyWizard | None = None
        self._loading = False
        self._reload = False
        self._saving = False
        self._build_policy_group()
        self._build_trusted_group()
        self._build_bottom_row()
        self._set_tab_order()
        self._connect_signals()
        self._update_buttons()

    # -- building --------------------------------------------------------------------------

    def _build_policy_group(self) -> None:
        group = QGroupBox("WS-Trust Security Token Service Configuration", self)
        self.status_label = _value_label(group)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.scenario_label = _value_label(group)
        self.description_label = _value_label(group)
        self.description_label.setStyleSheet(_MUTED)
        self.domain_label = _value_label(group)
        self.roles_label = _value_label(group)
        self.keystores_label = _value_label(group)
        self.suite_label = _value_label(group)
        self.kerberos_label = _value_label(group)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Security:", self.status_label)
        form.addRow("Security Scenario:", self.scenario_label)
        form.addRow("", self.description_label)
        form.addRow("User Store Domain:", self.domain_label)
        form.addRow("Allowed Roles:", self.roles_label)
        form.addRow("Key Stores:", self.keystores_label)
        form.addRow("Algorithm Suite:", self.suite_label)
        form.addRow("Kerberos Service:", self.kerberos_label)
        self._policy_form = form
        self.apply_button = QPushButton("&Apply Security Policy…", group)
        self.apply_button.setToolTip("Enable security and choose the scenario, roles and key "
                                     "stores (Ctrl+Shift+A)")
        self.apply_button.setDefault(True)
        self.disable_button = QPushButton("&Disable Security", group)
        self.disable_button.setToolTip("The STS then refuses every token request until a policy "
                                       "is applied again")
        buttons = QVBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.disable_button)
        buttons.addStretch(1)
        row = QHBoxLayout(group)
        row.addLayout(form, 1)
        row.addSpacing(16)
        row.addLayout(buttons)
        self.body.addWidget(group)

    def _build_trusted_group(self) -> None:
        group = QGroupBox("Trusted Services", self)
        self.trusted_model = TrustedServicesTableModel(self)
        self.trusted_proxy = QSortFilterProxyModel(self)
        self.trusted_proxy.setSourceModel(self.trusted_model)
        self.trusted_proxy.setSortRole(TrustedServicesTableModel.SORT_ROLE)
        self.trusted_view = QTableView(group)
        self.trusted_view.setModel(self.trusted_proxy)
        self.trusted_view.setSortingEnabled(True)
        self.trusted_view.sortByColumn(TrustedServicesTableModel.AUDIENCE,
                                       Qt.SortOrder.AscendingOrder)
        self.trusted_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.trusted_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.trusted_view.setAlternatingRowColors(True)
        self.trusted_view.verticalHeader().hide()
        header = self.trusted_view.horizontalHeader()
        header.setSectionResizeMode(TrustedServicesTableModel.AUDIENCE,
                                    QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(TrustedServicesTableModel.CERTIFICATE_ALIAS,
                                    QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TrustedServicesTableModel.SERVICE_PROVIDER,
                                    QHeaderView.ResizeMode.Interactive)
        header.resizeSection(TrustedServicesTableModel.CERTIFICATE_ALIAS, 220)
        header.resizeSection(TrustedServicesTableModel.SERVICE_PROVIDER, 220)
        self.trusted_empty = QLabel(
            "No trusted services yet. A service provider becomes one when its Inbound "
            "Authentication Configuration has WS-Trust set (Service providers page).", group)
        self.trusted_empty.setWordWrap(True)
        self.trusted_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.trusted_empty.setStyleSheet(_MUTED)
        self.trusted_stack = QStackedWidget(group)
        self.trusted_stack.addWidget(self.trusted_view)
        self.trusted_stack.addWidget(self.trusted_empty)
        layout = QVBoxLayout(group)
        layout.addWidget(self.trusted_stack)
        self.body.addWidget(group, 1)

    def _build_bottom_row(self) -> None:
        proof = QGroupBox("Proof Key Type", self)
        self.encrypted_radio = QRadioButton(ENCRYPTED_KEY, proof)
        self.binary_radio = QRadioButton(BINARY_SECRET, proof)
        self._proof_group = QButtonGroup(self)
        self._proof_group.addButton(self.encrypted_radio)
        self._proof_group.addButton(self.binary_radio)
        self.proof_apply_button = QPushButton("Appl&y", proof)
        self.proof_apply_button.setToolTip("Save the proof key type (Ctrl+S)")
        hint = QLabel("How a symmetric proof key reaches the client: encrypted for its "
                      "certificate, or as a plain binary secret inside the TLS channel.", proof)
        hint.setWordWrap(True)
        hint.setStyleSheet(_MUTED)
        radios = QHBoxLayout()
        radios.addWidget(self.encrypted_radio)
        radios.addWidget(self.binary_radio)
        radios.addStretch(1)
        radios.addWidget(self.proof_apply_button)
        proof_layout = QVBoxLayout(proof)
        proof_layout.addLayout(radios)
        proof_layout.addWidget(hint)
        proof_layout.addStretch(1)

        endpoints = QGroupBox("Endpoints", self)
        self.sts_edit = QLineEdit(endpoints)
        self.sts_edit.setReadOnly(True)
        self.wsdl_edit = QLineEdit(endpoints)
        self.wsdl_edit.setReadOnly(True)
        self.copy_sts_button = QPushButton("&Copy", endpoints)
        self.copy_sts_button.setToolTip("Copy the STS endpoint address to the clipboard")
        self.copy_wsdl_button = QPushButton("Co&py", endpoints)
        self.copy_wsdl_button.setToolTip("Copy the WSDL address to the clipboard")
        form = QFormLayout(endpoints)
        for label, edit, button in (("Endpoint Address:", self.sts_edit, self.copy_sts_button),
                                    ("WSDL:", self.wsdl_edit, self.copy_wsdl_button)):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(button)
            form.addRow(label, row)

        bottom = QHBoxLayout()
        bottom.addWidget(proof, 2)
        bottom.addWidget(endpoints, 3)
        self.body.addLayout(bottom)
        self.settings_group = StsSettingsGroup(self)
        self._settings_error = ""  # the banner text of the last refused save of the group
        self.body.addWidget(self.settings_group)

    def _set_tab_order(self) -> None:
        chain = [self.apply_button, self.disable_button, self.trusted_view, self.encrypted_radio,
                 self.binary_radio, self.proof_apply_button, self.sts_edit, self.copy_sts_button,
                 self.wsdl_edit, self.copy_wsdl_button]
        for first, second in zip(chain, chain[1:], strict=False):
            self.setTabOrder(first, second)

    def _connect_signals(self) -> None:
        self.apply_button.clicked.connect(self.on_apply_button_clicked)
        self.disable_button.clicked.connect(self.on_disable_button_clicked)
        self.proof_apply_button.clicked.connect(self.on_proof_apply_button_clicked)
        self._proof_group.buttonToggled.connect(self.on_proof_group_button_toggled)
        self.copy_sts_button.clicked.connect(self.on_copy_sts_button_clicked)
        self.copy_wsdl_button.clicked.connect(self.on_copy_wsdl_button_clicked)
        self.settings_group.apply_requested.connect(self.on_settings_group_apply_requested)
        self.settings_group.edited.connect(self.on_settings_group_edited)
        QShortcut(QKeySequence.StandardKey.Save, self,
                  activated=self.on_proof_apply_button_clicked,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+Shift+A"), self, activated=self.on_apply_button_clicked,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        if self._loading:
            self._reload = True  # what is in flight may predate a change: read again after it
            return
        self._loading = True
        self._reload = False
        self._update_buttons()
        self.call(load_overview, self.on_overview_loaded,
                  action="Loading the STS security settings", on_error=self.on_overview_failed)
        if self.offer(self.settings_group, Capability.STS_SETTINGS):
            self.call(lambda api: api.get_sts_settings(), self.settings_group.show_values,
                      action="Loading the token and sign-in settings")

    def on_overview_loaded(self, overview: StsOverview) -> None:
        self._loading = False
        self.overview = overview
        self._show_security(overview)
        self.connection.report_security(overview.security)
        self.trusted_model.set_rows(overview.trusted_services)
        self.trusted_stack.setCurrentWidget(
            self.trusted_view if overview.trusted_services else self.trusted_empty)
        self._show_proof_key_type(overview.security.proof_key_type)
        self.sts_edit.setText(overview.sts_url)
        self.wsdl_edit.setText(overview.wsdl_url)
        self.sts_edit.setCursorPosition(0)
        self.wsdl_edit.setCursorPosition(0)
        self._update_buttons()
        if self._reload:
            self.refresh()
            return
        self.loaded.emit()

    def on_overview_failed(self, error: Exception) -> None:
        self._loading = False
        self.show_error("Loading the STS security settings", error)
        self._update_buttons()
        self.loaded.emit()

    def _show_security(self, overview: StsOverview) -> None:
        security = overview.security
        scenario = overview.scenario(security.scenario_id)
        if security.enabled:
            self.status_label.setText(_ENABLED_PILL + "&nbsp; the STS issues tokens to "
                                      "requests that satisfy the scenario below")
        else:
            self.status_label.setText(_DISABLED_PILL + "&nbsp; <span style='color:#a40e26'>the "
                                      "STS refuses every token request until a security policy "
                                      "is applied</span>")
        prefix = "" if security.enabled else "(last applied) "
        if scenario is not None:
            self.scenario_label.setText(f"{prefix}{scenario.title} ({scenario.id})")
            self.description_label.setText(scenario.description)
        elif security.own_policy:
            self.scenario_label.setText(f"{prefix}{security.policy_name} (a policy of your own)")
            self.description_label.setText("An administrator's own WS-SecurityPolicy: the "
                                           "wizard's View scenario shows it.")
        else:
            self.scenario_label.setText(f"{prefix}{security.scenario_id or '—'}")
            self.description_label.setText("")
        self.domain_label.setText(security.user_store_domain or "—")
        self.roles_label.setText(
            "not used by this scenario" if scenario is not None and not scenario.asks_for_roles
            else ", ".join(security.allowed_roles) or "— (none)")
        available = ", ".join(k.name + (" (private)" if k.private_store else "")
                              for k in overview.keystores) or "none"
        if scenario is not None and not scenario.asks_for_keystores:
            used = "not used by this scenario"
        else:
            used = (f"trusted: {', '.join(security.trusted_keystores) or 'none'}; "
                    f"private: {security.private_keystore or 'none'}")
        signing = (f"; tokens are signed with the key '{html.escape(overview.signing_alias)}'"
                   if overview.signing_alias else "")
        self.keystores_label.setText(
            f"{used}{signing}  <span style='{_MUTED}'>(available: {available})</span>")
        # Only a Kerberos policy has a service principal; its keytab is never shown (the server
        # holds it sealed and never returns it).
        principal = security.service_principal
        self.kerberos_label.setText(
            f"{principal} (its keytab is held by the STS, sealed)" if principal else "")
        self._policy_form.setRowVisible(self.kerberos_label, bool(principal))
        suite = security.algorithm_suite
        default = " (WSO2 default)" if suite is DEFAULT_ALGORITHM_SUITE else ""
        # Only the transport scenario (1) leaves its messages to TLS; the others, Kerberos
        # among them, sign them with the suite's algorithms.
        transport = scenario is not None and scenario.id == "scenario1"
        self.suite_label.setText(
            f"{suite.value}{default}: TLS protects this scenario's messages" if transport
            else f"{suite.value}{default}")

    def _show_proof_key_type(self, value: str) -> None:
        self._proof_group.blockSignals(True)
        self.binary_radio.setChecked(value == BINARY_SECRET)
        self.encrypted_radio.setChecked(value != BINARY_SECRET)
        self._proof_group.blockSignals(False)

    # -- state -----------------------------------------------------------------------------

    @property
    def chosen_proof_key_type(self) -> str:
        return BINARY_SECRET if self.binary_radio.isChecked() else ENCRYPTED_KEY

    def on_settings_group_apply_requested(self, values: StsSettings) -> None:
        self.settings_group.set_busy(True)

        def done(saved: StsSettings) -> None:
            self.settings_group.show_values(saved)
            self.banner.success("The token and sign-in settings are saved; they apply to the "
                                "next request.")

        def failed(error: Exception) -> None:
            self.settings_group.set_busy(False)
            self.show_error("Saving the token and sign-in settings", error)
            self._settings_error = self.banner.text

        self.call(lambda api: api.update_sts_settings(values), done,
                  action="Saving the token and sign-in settings", on_error=failed)

    def on_settings_group_edited(self) -> None:
        # The server's complaint was about the values as they were; once they change, it goes
        # (the form itself says what is still wrong).
        if self._settings_error and self.banner.text == self._settings_error:
            self.banner.clear()
        self._settings_error = ""

    def has_unsaved_changes(self) -> bool:
        proof_changed = (self.overview is not None
                         and self.chosen_proof_key_type != self.overview.security.proof_key_type)
        return proof_changed or self.settings_group.has_unsaved_changes()

    def _update_buttons(self) -> None:
        ready = self.overview is not None and not self._saving
        enabled = self.overview is not None and self.overview.security.enabled
        self.offer(self.apply_button, Capability.SECURITY_POLICY, ready)
        self.offer(self.disable_button, Capability.SECURITY_POLICY, ready and enabled)
        self.offer(self.proof_apply_button, Capability.PROOF_KEY_TYPE,
                   ready and self.has_unsaved_changes())
        self.offer(self.encrypted_radio, Capability.PROOF_KEY_TYPE, ready)
        self.offer(self.binary_radio, Capability.PROOF_KEY_TYPE, ready)
        has_urls = bool(self.sts_edit.text())
        self.copy_sts_button.setEnabled(has_urls)
        self.copy_wsdl_button.setEnabled(has_urls)

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self._update_buttons()

    # -- slots -----------------------------------------------------------------------------

    def on_apply_button_clicked(self) -> None:
        if self.overview is None or self._saving:
            return
        if self.wizard is not None and self.wizard.isVisible():
            self.wizard.raise_()
            self.wizard.activateWindow()
            return
        if self.wizard is not None:
            self.wizard.deleteLater()
        self.wizard = ApplySecurityPolicyWizard(
            self.connection,
            scenarios=self.overview.scenarios,
            keystores=self.overview.keystores,
            current=self.overview.security,
            parent=self,
        )
        self.wizard.security_applied.connect(self.on_wizard_security_applied)
        self.wizard.security_disabled.connect(self.on_wizard_security_disabled)
        self.wizard.open()

    def on_wizard_security_applied(self, security: SecurityPolicy) -> None:
        scenario = self.overview.scenario(security.scenario_id) if self.overview else None
        name = scenario.title if scenario else security.scenario_id
        if security.own_policy:
            name = f"{security.policy_name} (a policy of your own)"
        roles = ", ".join(security.allowed_roles)
        # WSO2's summaries end in a full stop of their own ("…Kerberos Token.").
        self.banner.success(f"Security scenario {name.rstrip('.')} applied." +
                            (f" Only users with the roles {roles} obtain tokens." if roles else ""))
        self._after_change()

    def on_wizard_security_disabled(self) -> None:
        self._announce_disabled()

    def on_disable_button_clicked(self) -> None:
        if self.overview is None or self._saving or not ask_disable_security(self):
            return
        self._set_saving(True)

        def done(_: Any) -> None:
            self._set_saving(False)
            self._announce_disabled()

        def failed(error: Exception) -> None:
            self._set_saving(False)
            self.show_error("Disabling security", error)

        self.call(lambda api: api.disable_security(), done,
                  action="Disabling security", on_error=failed)

    def _announce_disabled(self) -> None:
        self.banner.info("Security is disabled: the STS refuses every token request until a "
                         "security policy is applied again (Apply Security Policy…).")
        self._after_change()

    def _after_change(self) -> None:
        self.refresh()
        self.connection.check()  # the status bar shows the scenario in force

    def on_proof_group_button_toggled(self, *_: Any) -> None:
        self._update_buttons()

    def on_proof_apply_button_clicked(self) -> None:
        if not self.proof_apply_button.isEnabled():
            return
        chosen = self.chosen_proof_key_type
        self._set_saving(True)

        def done(result: str) -> None:
            self._set_saving(False)
            self.banner.success(f"Proof key type set to {result or chosen}.")
            self.refresh()

        def failed(error: Exception) -> None:
            self._set_saving(False)  # the radio keeps the user's choice
            self.show_error("Saving the proof key type", error)

        self.call(lambda api: api.set_proof_key_type(chosen), done, action="Saving the proof key type", on_error=failed)

    def on_copy_sts_button_clicked(self) -> None:
        self._copy(self.sts_edit.text(), self.copy_sts_button, "&Copy")

    def on_copy_wsdl_button_clicked(self) -> None:
        self._copy(self.wsdl_edit.text(), self.copy_wsdl_button, "Co&py")

    def _copy(self, text: str, button: QPushButton, label: str) -> None:
        QGuiApplication.clipboard().setText(text)
        button.setText("Copied ✓")
        QTimer.singleShot(1500, button, lambda: button.setText(label))
