"""The "Apply Security Policy" wizard: enable security, pick a scenario, who may use it, apply."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from stsdesk.core.algorithm_suite import DEFAULT_ALGORITHM_SUITE, AlgorithmSuite
from stsdesk.services.admin import AdminApi, Capability
from stsdesk.services.admin.models import (
    Keystore,
    Scenario,
    SecurityPolicy,
    SecurityPolicyRequest,
)
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.errors import describe, show_error
from stsdesk.ui.models.scenarios import offered_roles
from stsdesk.ui.widgets.banner import MessageBanner
from stsdesk.ui.widgets.form import error_label, show_problem
from stsdesk.ui.wizards.kerberos_service import KerberosServiceGroup
from stsdesk.ui.wizards.own_policy import (
    OWN_GROUP,
    OWN_GROUP_HEADING,
    OwnPolicyPage,
    is_own,
    own_policy_choice,
    own_policy_viewer,
)
from stsdesk.ui.wizards.scenario_dialog import NOT_AVAILABLE, ScenarioDialog, ask_disable_security

__all__ = [
    "ALGORITHM_SUITE_CHOICES",
    "ApplySecurityPolicyWizard",
    "SecurityPolicyRequest",
    "USER_STORE_DOMAINS",
    "load_role_names",
]

log = logging.getLogger("stsdesk.ui")

# The user-store domains the STS knows (WSO2 shows the same two for a single user store).
USER_STORE_DOMAINS = ("ALL-USER-STORE-DOMAINS", "PRIMARY")

# What each algorithm suite means for the clients of a message-security scenario: the label of
# its choice and the sentence under it.
ALGORITHM_SUITE_CHOICES: dict[AlgorithmSuite, tuple[str, str]] = {
    AlgorithmSuite.BASIC256: (
        "WSO2 default: &Basic256",
        "AES-256, RSA-OAEP key transport, SHA-1 digests and RSA-SHA1 signatures, as WSO2's "
        "scenario policy says. Works with every Rampart or WSS4J client configured from "
        "WSO2's policy."),
    AlgorithmSuite.BASIC256_SHA256: (
        "Basic256&Sha256",
        "AES-256 and RSA-OAEP key transport with SHA-256 digests: stronger. Clients must be "
        "configured for it (their policy must say Basic256Sha256); a client still using "
        "WSO2's policy is refused."),
}

_ASKS = {"servicePrincipal": "its Kerberos service principal and keytab"}

def load_role_names(api: AdminApi) -> list[str]:
    """Every role's name (run off the GUI thread)."""
    return [role.name for role in api.list_roles() if role.name]


def _checked(items: QListWidget) -> list[str]:
    return [items.item(i).text() for i in range(items.count())
            if items.item(i).checkState() == Qt.CheckState.Checked]


# ---------------------------------------------------------------------------------- step 1


class ScenarioSelectionPage(QWizardPage):
    """Step 1: "Enable Security?" and the scenario, grouped as WSO2's console groups them."""

    def __init__(self, scenarios: tuple[Scenario, ...], current: SecurityPolicy | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Security for the service: wso2carbon-sts")
        self.setSubTitle("Choose whether the STS enforces security and which scenario it applies "
                         "to token requests.")
        self.scenarios = scenarios
        self.yes_radio = QRadioButton("&Yes", self)
        self.no_radio = QRadioButton("N&o (the STS refuses every token request)", self)
        self._enable_group = QButtonGroup(self)
        self._enable_group.addButton(self.yes_radio)
        self._enable_group.addButton(self.no_radio)
        self.yes_radio.setChecked(True)
        enable_row = QHBoxLayout()
        enable_row.addWidget(QLabel("<b>Enable Security?</b>", self))
        enable_row.addWidget(self.yes_radio)
        enable_row.addWidget(self.no_radio)
        enable_row.addStretch(1)

        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["No.", "Security Scenario", "Availability"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.items: dict[str, QTreeWidgetItem] = {}
        self._fill_tree()

        self.description_label = QLabel(self)
        self.description_label.setWordWrap(True)
        self.reason_label = QLabel(self)
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet("color:#8a5a00;")
        self.reason_label.hide()
        self.view_button = QPushButton("&View scenario…", self)
        self.view_button.setToolTip("Show the scenario's description and policy document")
        self.view_button.setEnabled(False)
        note = QLabel(
            f"Scenarios marked “{NOT_AVAILABLE}” are listed as in the WSO2 console, but this STS "
            "cannot yet check everything their policies require of a request, so it refuses to "
            "apply them.", self)
        note.setWordWrap(True)
        note.setStyleSheet("color:#57606a;")
        bottom = QHBoxLayout()
        bottom.addWidget(self.description_label, 1)
        bottom.addWidget(self.view_button, 0, Qt.AlignmentFlag.AlignTop)

        # A hidden holder so the scenario is a mandatory wizard field: it is empty while no
        # scenario the STS can enforce is selected, which keeps Next disabled.
        self.scenario_id_edit = QLineEdit(self)
        self.scenario_id_edit.hide()
        self.registerField("enableSecurity", self.yes_radio)
        self.registerField("scenarioId*", self.scenario_id_edit)

        layout = QVBoxLayout(self)
        layout.addLayout(enable_row)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bottom)
        layout.addWidget(self.reason_label)
        layout.addWidget(note)
        self.setTabOrder(self.yes_radio, self.no_radio)
        self.setTabOrder(self.no_radio, self.tree)
        self.setTabOrder(self.tree, self.view_button)
        self._current_id = current.scenario_id if current is not None else ""
        self._connect_signals()

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        # Preselect the applied scenario here, not in __init__: QWizard records a mandatory
        # field's initial value when the page is added, and "complete" means "changed from it".
        if self._current_id in self.items and self.tree.currentItem() is None:
            self.tree.setCurrentItem(self.items[self._current_id])

    def _fill_tree(self) -> None:
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for group, heading in (("basic", "Basic Scenarios"), ("advanced", "Advanced Scenarios"),
                               (OWN_GROUP, OWN_GROUP_HEADING)):
            top = QTreeWidgetItem(self.tree, [heading])
            top.setFirstColumnSpanned(True)
            top.setFont(0, bold)
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading, not a choice
            for scenario in (s for s in self.scenarios if s.group == group):
                item = QTreeWidgetItem(top, [
                    str(scenario.number), scenario.summary,
                    "available" if scenario.enforceable else NOT_AVAILABLE,
                ])
                item.setData(0, Qt.ItemDataRole.UserRole, scenario)
                tip = f"{scenario.title}\n{scenario.description}"
                if scenario.enforceable:
                    item.setForeground(2, Qt.GlobalColor.darkGreen)
                else:
                    # Still selectable, so "View scenario" can show it; Next stays disabled.
                    tip += f"\n\n{NOT_AVAILABLE.capitalize()}: the STS cannot check it yet."
                    for column in range(3):
                        item.setForeground(column, Qt.GlobalColor.gray)
                for column in range(3):
                    item.setToolTip(column, tip)
                self.items[scenario.id] = item
            top.setExpanded(True)

    def _connect_signals(self) -> None:
        self.tree.currentItemChanged.connect(self.on_tree_current_item_changed)
        self.yes_radio.toggled.connect(self.on_yes_radio_toggled)
        self.view_button.clicked.connect(self.on_view_button_clicked)

    @property
    def selected_scenario(self) -> Scenario | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, Qt.ItemDataRole.UserRole)

    def select_scenario(self, scenario_id: str) -> None:
        self.tree.setCurrentItem(self.items[scenario_id])

    def on_tree_current_item_changed(self, current: QTreeWidgetItem | None, _: Any) -> None:
        scenario = None if current is None else current.data(0, Qt.ItemDataRole.UserRole)
        self.view_button.setEnabled(scenario is not None)
        if scenario is None:
            self.description_label.clear()
            self.scenario_id_edit.clear()
            self.reason_label.hide()
            return
        self.description_label.setText(f"<b>{scenario.title}</b><br>{scenario.description}")
        if scenario.enforceable:
            self.scenario_id_edit.setText(scenario.id)
            self.reason_label.hide()
        else:
            self.scenario_id_edit.clear()
            available = ", ".join(s.title for s in self.scenarios if s.enforceable) or "none"
            self.reason_label.setText(
                f"Scenario {scenario.number} ({scenario.summary}) is {NOT_AVAILABLE}: the STS "
                "cannot yet check everything its policy requires, so it would issue tokens to "
                f"requests the policy should refuse. Choose an available scenario ({available})."
            )
            self.reason_label.show()

    def on_yes_radio_toggled(self, checked: bool) -> None:
        self.tree.setEnabled(checked)
        self.completeChanged.emit()

    def on_view_button_clicked(self) -> None:
        scenario = self.selected_scenario
        if scenario is not None:
            wizard = self.wizard()
            if isinstance(wizard, ApplySecurityPolicyWizard):
                wizard.view_scenario(scenario)

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        if not self.yes_radio.isChecked():
            return True  # disabling needs no scenario
        return super().isComplete()

    def nextId(self) -> int:  # noqa: N802 - Qt override
        scenario = self.selected_scenario
        if self.yes_radio.isChecked() and is_own(scenario):
            return ApplySecurityPolicyWizard.OWN
        if not self.yes_radio.isChecked() or scenario is None or not scenario.asks_for:
            return ApplySecurityPolicyWizard.SUMMARY
        return ApplySecurityPolicyWizard.ACCESS


# ---------------------------------------------------------------------------------- step 2


class AccessPage(QWizardPage):
    """Step 2: what the scenario's category asks for: roles and/or keystores."""

    def __init__(self, keystores: tuple[Keystore, ...], current: SecurityPolicy | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Activate Security")
        self.current = current

        self.roles_group = QGroupBox("User groups (roles)", self)
        self.domain_combo = QComboBox(self.roles_group)
        self.domain_combo.addItems(USER_STORE_DOMAINS)
        if current is not None and current.user_store_domain in USER_STORE_DOMAINS:
            self.domain_combo.setCurrentText(current.user_store_domain)
        self.filter_edit = QLineEdit(self.roles_group)
        self.filter_edit.setPlaceholderText("Filter roles by name")
        self.filter_edit.setClearButtonEnabled(True)
        self.role_list = QListWidget(self.roles_group)
        self.role_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.role_status = QLabel("Loading the roles…", self.roles_group)
        self.role_status.setStyleSheet("color:#57606a;")
        self.role_status.setWordWrap(True)
        self.role_error = error_label(self.roles_group)
        domain_label = QLabel("User Store &Domain:", self.roles_group)
        domain_label.setBuddy(self.domain_combo)
        filter_label = QLabel("&Filter:", self.roles_group)
        filter_label.setBuddy(self.filter_edit)
        form = QFormLayout()
        form.addRow(domain_label, self.domain_combo)
        form.addRow(filter_label, self.filter_edit)
        roles_layout = QVBoxLayout(self.roles_group)
        roles_layout.addWidget(QLabel(
            "Only users who have one of the checked roles obtain tokens.", self.roles_group))
        roles_layout.addLayout(form)
        roles_layout.addWidget(self.role_list, 1)
        roles_layout.addWidget(self.role_status)
        roles_layout.addWidget(self.role_error)

        self.keystores_group = QGroupBox("Key stores", self)
        self.trusted_list = QListWidget(self.keystores_group)
        self.trusted_list.setMaximumHeight(90)
        self.private_combo = QComboBox(self.keystores_group)
        for keystore in keystores:
            item = QListWidgetItem(keystore.name, self.trusted_list)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            chosen = current is not None and keystore.name in current.trusted_keystores
            item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)
            if keystore.private_store:
                self.private_combo.addItem(keystore.name)
        self.keystore_error = error_label(self.keystores_group)
        trusted_label = QLabel("&Trusted Key Stores:", self.keystores_group)
        trusted_label.setBuddy(self.trusted_list)
        private_label = QLabel("&Private Key Store:", self.keystores_group)
        private_label.setBuddy(self.private_combo)
        keystore_form = QFormLayout(self.keystores_group)
        intro = QLabel("A client's X.509 certificate must chain to a certificate in a trusted "
                       "key store; the private key store holds the STS's own key.",
                       self.keystores_group)
        intro.setWordWrap(True)
        keystore_form.addRow(intro)
        keystore_form.addRow(trusted_label, self.trusted_list)
        keystore_form.addRow(private_label, self.private_combo)
        keystore_form.addRow(self.keystore_error)

        # The suite matters where the message itself is signed and encrypted: the scenarios
        # that ask for keystores. WSO2's wizard has no such choice; WSO2's policies say Basic256.
        self.suite_group = QGroupBox("Algorithm suite", self)
        self.suite_buttons = QButtonGroup(self)
        self.suite_radios: dict[AlgorithmSuite, QRadioButton] = {}
        suite_layout = QVBoxLayout(self.suite_group)
        chosen_suite = current.algorithm_suite if current is not None else DEFAULT_ALGORITHM_SUITE
        for suite, (label, meaning) in ALGORITHM_SUITE_CHOICES.items():
            radio = QRadioButton(label, self.suite_group)
            radio.setChecked(suite is chosen_suite)
            explanation = QLabel(meaning, self.suite_group)
            explanation.setWordWrap(True)
            explanation.setStyleSheet("color:#57606a; margin-left:22px;")
            self.suite_buttons.addButton(radio)
            self.suite_radios[suite] = radio
            suite_layout.addWidget(radio)
            suite_layout.addWidget(explanation)
        self.suite_missing = QLabel(self.suite_group)
        self.suite_missing.setWordWrap(True)
        self.suite_missing.setStyleSheet("color:#8a5a00;")
        self.suite_missing.hide()
        suite_layout.addWidget(self.suite_missing)
        self.kerberos_group = KerberosServiceGroup(current, self)  # scenario 20

        self.registerField("userStoreDomain", self.domain_combo, "currentText")
        layout = QVBoxLayout(self)
        layout.addWidget(self.roles_group, 1)
        layout.addWidget(self.keystores_group)
        layout.addWidget(self.suite_group)
        layout.addWidget(self.kerberos_group)
        layout.addStretch(0)  # takes the height the roles leave when a scenario has none
        self.setTabOrder(self.domain_combo, self.filter_edit)
        self.setTabOrder(self.filter_edit, self.role_list)
        self.setTabOrder(self.role_list, self.trusted_list)
        self.setTabOrder(self.trusted_list, self.private_combo)
        self.setTabOrder(self.private_combo, self.suite_radios[AlgorithmSuite.BASIC256])
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.filter_edit.textChanged.connect(self.on_filter_edit_text_changed)
        self.role_list.itemChanged.connect(self.on_role_list_item_changed)
        self.trusted_list.itemChanged.connect(lambda _: show_problem(self.keystore_error, ""))

    # -- roles -----------------------------------------------------------------------------

    def set_roles(self, names: list[str], note: str = "") -> None:
        """Fill the checklist; the applied policy's roles start checked."""
        keep = set(self.checked_roles) or set(self.current.allowed_roles if self.current else ())
        self.role_list.blockSignals(True)
        self.role_list.clear()
        for name in offered_roles(names):
            item = QListWidgetItem(name, self.role_list)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in keep else Qt.CheckState.Unchecked)
        self.role_list.blockSignals(False)
        self._note = note
        self.on_filter_edit_text_changed(self.filter_edit.text())

    @property
    def checked_roles(self) -> list[str]:
        return _checked(self.role_list)

    @property
    def visible_roles(self) -> list[str]:
        return [self.role_list.item(i).text() for i in range(self.role_list.count())
                if not self.role_list.item(i).isHidden()]

    def on_filter_edit_text_changed(self, text: str) -> None:
        wanted = text.strip().casefold()
        for i in range(self.role_list.count()):
            item = self.role_list.item(i)
            item.setHidden(wanted not in item.text().casefold())
        self._update_role_status()

    def on_role_list_item_changed(self, _: QListWidgetItem) -> None:
        show_problem(self.role_error, "")
        self._update_role_status()

    def _update_role_status(self) -> None:
        total = self.role_list.count()
        shown = len(self.visible_roles)
        text = f"{len(self.checked_roles)} of {total} roles checked"
        if shown < total:
            text += f"; {shown} shown" if shown else \
                f"; no role matches “{self.filter_edit.text().strip()}”"
        if getattr(self, "_note", ""):
            text = f"{self._note} {text}"
        self.role_status.setText(text + ".")

    # -- keystores -------------------------------------------------------------------------

    @property
    def checked_keystores(self) -> list[str]:
        return _checked(self.trusted_list)

    def offer_suites(self, missing_reason: str | None) -> None:
        """Offer the choice of suite, or (with the server's reason) only its own suite."""
        if missing_reason is None:
            return
        self.suite_radios[DEFAULT_ALGORITHM_SUITE].setChecked(True)
        for radio in self.suite_radios.values():
            radio.setEnabled(False)
        self.suite_missing.setText(missing_reason)
        self.suite_missing.show()

    @property
    def algorithm_suite(self) -> AlgorithmSuite:
        return next((suite for suite, radio in self.suite_radios.items() if radio.isChecked()),
                    DEFAULT_ALGORITHM_SUITE)

    # -- wizard ----------------------------------------------------------------------------

    def _scenario(self) -> Scenario | None:
        wizard = self.wizard()
        return wizard.scenario if isinstance(wizard, ApplySecurityPolicyWizard) else None

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        scenario = self._scenario()
        asks_roles = scenario is not None and scenario.asks_for_roles
        asks_keystores = scenario is not None and scenario.asks_for_keystores
        self.roles_group.setVisible(asks_roles)
        self.keystores_group.setVisible(asks_keystores)
        self.suite_group.setVisible(asks_keystores and not is_own(scenario))  # its own suite
        self.kerberos_group.setVisible(scenario is not None and scenario.asks_for_service_principal)
        if scenario is not None:
            asks = (_ASKS.get(wanted, wanted) for wanted in scenario.asks_for)
            self.setSubTitle(f"Scenario {scenario.title} asks for " + " and ".join(asks) + ".")
        show_problem(self.role_error, "")
        show_problem(self.keystore_error, "")
        if asks_roles:
            self.filter_edit.setFocus()

    def validatePage(self) -> bool:  # noqa: N802 - Qt override
        scenario = self._scenario()
        ok = True
        if scenario is not None and scenario.asks_for_roles and not self.checked_roles:
            show_problem(self.role_error,
                        "Check at least one role: only users with one of the checked roles will "
                        "obtain tokens." + (" (Clear the filter to see every role.)"
                                            if self.filter_edit.text() else ""))
            ok = False
        if scenario is not None and scenario.asks_for_keystores and (
                not self.checked_keystores or not self.private_combo.currentText()):
            show_problem(self.keystore_error,
                        "Check at least one trusted key store and choose the private key store "
                        "that holds the STS's signing key.")
            ok = False
        if scenario is not None and scenario.asks_for_service_principal:
            ok = self.kerberos_group.validate() and ok
        return ok


# ---------------------------------------------------------------------------------- step 3


class SummaryPage(QWizardPage):
    """Step 3: what Apply will do; server refusals show here and the wizard stays open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Summary")
        self.banner = MessageBanner(self)
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextFormat(Qt.TextFormat.RichText)
        self.summary_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.summary_label, 1)
        self.setFinalPage(True)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        wizard = self.wizard()
        if not isinstance(wizard, ApplySecurityPolicyWizard):
            return
        self.banner.clear()
        if not wizard.enable_security:
            self.setSubTitle("Disable Security turns security off on the STS.")
            self.summary_label.setText(
                "<p><b>Security will be disabled.</b></p>"
                "<p style='color:#b3261e'>The STS will refuse every token request, from every "
                "client, until a security policy is applied again.</p>")
            wizard.setButtonText(QWizard.WizardButton.FinishButton, "&Disable Security")
            return
        request = wizard.build_request()
        scenario = wizard.scenario
        own = wizard.own_page.summary_rows(wizard.own_page.build_request(request))
        rows = own if is_own(scenario) else [("Security Scenario",
                 f"{scenario.title} ({scenario.id})" if scenario else request.scenario_id)]
        if scenario is not None and not is_own(scenario):
            rows.append(("Description", scenario.description))
        if not is_own(scenario) and (scenario is None or scenario.asks_for_roles):
            rows.append(("User Store Domain", request.user_store_domain))
            rows.append(("Allowed Roles", ", ".join(request.allowed_roles) or "—"))
        if not is_own(scenario) and (scenario is None or scenario.asks_for_keystores):
            rows.append(("Trusted Key Stores", ", ".join(request.trusted_keystores) or "—"))
            rows.append(("Private Key Store", request.private_keystore or "—"))
            suite = request.algorithm_suite
            default = " (WSO2 default)" if suite is DEFAULT_ALGORITHM_SUITE else ""
            rows.append(("Algorithm Suite",
                         f"{suite.value}{default}: {ALGORITHM_SUITE_CHOICES[suite][1]}"))
        if scenario is not None and scenario.asks_for_service_principal:
            rows.append(("Service Principal", request.service_principal or "—"))
            rows.append(("Keytab", wizard.access_page.kerberos_group.summary()))
        cells = "".join(
            f"<tr><td style='padding:3px 12px 3px 0'><b>{_html(k)}</b></td>"
            f"<td style='padding:3px 0'>{_html(v)}</td></tr>" for k, v in rows)
        self.summary_label.setText(f"<table>{cells}</table><p>Apply sends this policy to the "
                                   "STS; it takes effect for the next token request.</p>")
        self.setSubTitle("Check what will be applied, then click Apply.")
        wizard.setButtonText(QWizard.WizardButton.FinishButton, "&Apply")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------- the wizard


class ApplySecurityPolicyWizard(QWizard):
    """Apply a security scenario to the STS (or disable security) in three steps.

    Finish asks for confirmation and makes one call: ``PUT /sts/security`` (or ``DELETE`` when
    "Enable Security?" is No). On success the wizard closes and emits ``security_applied`` /
    ``security_disabled``; when the server refuses, it stays open with the server's words.
    """

    SCENARIO, ACCESS, SUMMARY, OWN = range(4)

    security_applied = Signal(object)  # SecurityPolicy
    security_disabled = Signal()
    roles_loaded = Signal()
    scenario_viewed = Signal(object)  # the ScenarioDialog

    def __init__(
        self,
        connection: ServerConnection,
        *,
        scenarios: tuple[Scenario, ...],
        keystores: tuple[Keystore, ...],
        current: SecurityPolicy | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Apply Security Policy")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.connection = connection
        self.current = current
        self.saving = False
        self.roles_ready = False
        self.scenario_dialog: QDialog | None = None
        scenarios += (own_policy_choice(scenarios, connection.missing_reason(
            Capability.OWN_POLICY_CHECK)),)
        self.scenario_page = ScenarioSelectionPage(scenarios, current, self)
        self.own_page = OwnPolicyPage(connection, current, access_id=self.ACCESS,
                                      summary_id=self.SUMMARY, parent=self)
        self.access_page = AccessPage(keystores, current, self)
        self.access_page.offer_suites(connection.missing_reason(Capability.ALGORITHM_SUITE))
        self.summary_page = SummaryPage(self)
        self.setPage(self.SCENARIO, self.scenario_page)
        self.setPage(self.ACCESS, self.access_page)
        self.setPage(self.SUMMARY, self.summary_page)
        self.setPage(self.OWN, self.own_page)
        self.resize(920, 640)
        self._connect_signals()
        connection.call(load_role_names, self.on_roles_loaded, self.on_roles_failed)

    def _connect_signals(self) -> None:
        self.currentIdChanged.connect(self.on_wizard_current_id_changed)
        # QWizard's own Enter handling goes to the default button; Ctrl+Return finishes too.
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.on_finish_shortcut_activated)

    # -- what the user chose ---------------------------------------------------------------

    @property
    def enable_security(self) -> bool:
        return bool(self.field("enableSecurity"))

    @property
    def scenario(self) -> Scenario | None:
        selected = self.scenario_page.selected_scenario
        return self.own_page.as_scenario(selected) if is_own(selected) else selected

    def build_request(self) -> SecurityPolicyRequest:
        """The one request Finish sends, from the fields the steps hold."""
        scenario = self.scenario
        roles = scenario is None or scenario.asks_for_roles
        keystores = scenario is None or scenario.asks_for_keystores
        kerberos = self.access_page.kerberos_group
        asks_kerberos = scenario is not None and scenario.asks_for_service_principal
        return SecurityPolicyRequest(
            scenario_id=str(self.field("scenarioId")),
            user_store_domain=str(self.field("userStoreDomain")) if roles
            else USER_STORE_DOMAINS[0],
            allowed_roles=tuple(self.access_page.checked_roles) if roles else (),
            trusted_keystores=tuple(self.access_page.checked_keystores) if keystores else (),
            private_keystore=(self.access_page.private_combo.currentText() or None)
            if keystores else None,
            # Transport-security scenarios keep WSO2's suite: TLS protects their messages.
            algorithm_suite=self.access_page.algorithm_suite if keystores
            else DEFAULT_ALGORITHM_SUITE,
            service_principal=kerberos.principal if asks_kerberos else None,
            keytab=kerberos.keytab if asks_kerberos else None,
        )

    # -- slots -----------------------------------------------------------------------------

    def on_roles_loaded(self, names: list[str]) -> None:
        self.access_page.set_roles(names)
        self.roles_ready = True
        self.roles_loaded.emit()

    def on_roles_failed(self, error: Exception) -> None:
        # SCIM may be missing on an older server: offer what the applied policy already allows.
        fallback = list(self.current.allowed_roles) if self.current else []
        log.info("roles could not be read for the security wizard: %s",
                 getattr(error, "message", type(error).__name__))
        self.access_page.set_roles(
            fallback,
            note="The server's roles could not be read (" + describe(error, "Reading the roles")
            + "); showing the roles the applied policy already has.")
        self.roles_ready = True
        self.roles_loaded.emit()

    def on_wizard_current_id_changed(self, page_id: int) -> None:
        if page_id != self.SUMMARY:
            self.setButtonText(QWizard.WizardButton.FinishButton, "&Finish")

    def on_finish_shortcut_activated(self) -> None:
        if self.currentId() == self.SUMMARY or self.currentPage().isFinalPage():
            self.accept()

    def view_scenario(self, scenario: Scenario) -> QDialog:
        """Open the scenario's description and policy (non-modal); for an own policy, the
        chosen document, else the applied one."""
        if self.scenario_dialog is not None:
            self.scenario_dialog.close()
            self.scenario_dialog.deleteLater()
        own = own_policy_viewer(self.own_page, self.current, self) if is_own(scenario) else None
        self.scenario_dialog = own or ScenarioDialog(self.connection, scenario, self)
        self.scenario_dialog.open()
        self.scenario_viewed.emit(self.scenario_dialog)
        return self.scenario_dialog

    # -- finish ----------------------------------------------------------------------------

    def accept(self) -> None:
        """Confirm, then make the one call; close only when the server agreed."""
        if self.saving or not self.currentPage().validatePage():
            return
        if not self.enable_security:
            if not ask_disable_security(self):
                return
            self._send(lambda api: api.disable_security(), "Disabling security")
            return
        request = self.build_request()
        scenario = self.scenario
        if is_own(scenario):
            own = self.own_page.build_request(request)
            if confirm.ask(self, "Apply Security Policy", f"Apply your own security policy "
                           f"{own.name} to the STS?", action="&Apply"):
                self._send(lambda api: api.apply_own_policy(own), "Applying the security policy")
            return
        title = scenario.title if scenario else request.scenario_id
        who = (f"\n\nOnly users with one of these roles will obtain tokens: "
               f"{', '.join(request.allowed_roles)}." if request.allowed_roles else "")
        if not confirm.ask(self, "Apply Security Policy",
                           f"Apply the security scenario {title} to the STS?{who}",
                           action="&Apply"):
            return
        self._send(lambda api: api.apply_security_policy(request),
                   "Applying the security policy")

    def reject(self) -> None:
        if not self.saving:  # closing mid-save would hide the outcome
            super().reject()

    def _send(self, work: Callable[[AdminApi], SecurityPolicy | None], action: str) -> None:
        self._set_saving(True)
        self.summary_page.banner.info(f"{action}…")

        def done(result: SecurityPolicy | None) -> None:
            self._set_saving(False)
            self.summary_page.banner.clear()
            if result is None:
                self.security_disabled.emit()
            else:
                self.security_applied.emit(result)
            super(ApplySecurityPolicyWizard, self).accept()

        def failed(error: Exception) -> None:
            self._set_saving(False)
            show_error(self, self.summary_page.banner, action, error)

        self.connection.call(work, done, failed)

    def _set_saving(self, saving: bool) -> None:
        self.saving = saving
        for which in (QWizard.WizardButton.FinishButton, QWizard.WizardButton.BackButton,
                      QWizard.WizardButton.CancelButton):
            button = self.button(which)
            if button is not None:
                button.setEnabled(not saving)
