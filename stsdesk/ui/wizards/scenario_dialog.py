"""Read-only views shared by the security page and its wizard: a scenario and its policy
document, and the one question asked before security is disabled."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from stsdesk.services.admin.models import Scenario, ScenarioDetail
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.errors import describe
from stsdesk.ui.widgets.banner import MessageBanner

__all__ = ["NOT_AVAILABLE", "ScenarioDialog", "ask_disable_security"]

NOT_AVAILABLE = "not available on this STS"

DISABLE_TITLE = "Disable Security"
DISABLE_TEXT = (
    "Disable security on the STS (wso2carbon-sts)?\n\n"
    "The STS will then refuse every token request, from every client, until a security "
    "policy is applied again (Apply Security Policy…)."
)


def ask_disable_security(parent: QWidget | None) -> bool:
    """The one question asked before security is disabled (the page and the wizard share it)."""
    return confirm.ask(parent, DISABLE_TITLE, DISABLE_TEXT, destructive=True,
                       action="&Disable Security")



class ScenarioDialog(QDialog):
    """A scenario's description and its WS-SecurityPolicy document, read-only."""

    loaded = Signal()

    def __init__(self, connection: ServerConnection, scenario: Scenario,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Scenario {scenario.number}: {scenario.summary}")
        self.scenario = scenario
        self.banner = MessageBanner(self)
        heading = QLabel(f"<b>{scenario.title}</b> ({scenario.id})", self)
        heading.setWordWrap(True)
        self.description_label = QLabel(scenario.description, self)
        self.description_label.setWordWrap(True)
        availability = QLabel(
            "Available on this STS." if scenario.enforceable else
            f"<span style='color:#8a5a00'>This scenario is {NOT_AVAILABLE}: the STS cannot yet "
            "check everything its policy requires, so it refuses to apply it.</span>", self)
        availability.setWordWrap(True)
        self.policy_view = QPlainTextEdit(self)
        self.policy_view.setReadOnly(True)
        self.policy_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.policy_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.policy_view.setPlaceholderText("Loading the policy document…")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(heading)
        layout.addWidget(self.description_label)
        layout.addWidget(availability)
        layout.addWidget(QLabel("Policy document (WS-SecurityPolicy):", self))
        layout.addWidget(self.policy_view, 1)
        layout.addWidget(buttons)
        self.resize(780, 560)
        connection.call(lambda api: api.get_scenario(scenario.id),
                        self.on_scenario_loaded, self.on_scenario_failed)

    def on_scenario_loaded(self, detail: ScenarioDetail) -> None:
        self.policy_view.setPlainText(detail.policy)
        if detail.scenario.description:
            self.description_label.setText(detail.scenario.description)
        self.loaded.emit()

    def on_scenario_failed(self, error: Exception) -> None:
        self.banner.error(describe(error, "Loading the scenario's policy"))
        self.policy_view.setPlaceholderText("The policy document could not be loaded.")
        self.loaded.emit()
