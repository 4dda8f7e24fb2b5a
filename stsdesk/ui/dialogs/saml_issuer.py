"""The dialog that trusts a trust-store certificate to sign SAML tokens for a named issuer."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

__all__ = ["SamlIssuerDialog", "ask", "issuer_problem"]

_MAX_ISSUER = 1024


def issuer_problem(issuer: str) -> str | None:
    """Why ``issuer`` cannot name a SAML issuer, or None if it can."""
    if not issuer.strip():
        return "Give the issuer's name exactly as its assertions state it (its entity id)."
    if issuer != issuer.strip():
        return "The issuer name starts or ends with spaces; remove them."
    if len(issuer) > _MAX_ISSUER:
        return f"An issuer name has at most {_MAX_ISSUER} characters."
    return None


class SamlIssuerDialog(QDialog):
    """Choose a trust-store certificate and the issuer name its assertions carry."""

    def __init__(self, aliases: Sequence[str], chosen: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Trust a SAML issuer")
        explanation = QLabel(
            "SAML tokens (scenarios 31-34) from another identity provider are accepted when "
            "they are signed with this certificate's key and name exactly this issuer. Their "
            "subject is issued as a federated user: no local user's roles or claims.", self)
        explanation.setWordWrap(True)
        self.alias_combo = QComboBox(self)
        self.alias_combo.addItems(list(aliases))
        if chosen is not None and chosen in aliases:
            self.alias_combo.setCurrentText(chosen)
        self.issuer_edit = QLineEdit(self)
        self.issuer_edit.setMaxLength(_MAX_ISSUER)
        self.issuer_edit.setPlaceholderText("https://idp.example.org")
        self.problem = QLabel(self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #b00020;")
        self.problem.hide()
        form = QFormLayout()
        form.addRow("&Certificate:", self.alias_combo)
        form.addRow("&Issuer name:", self.issuer_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def accept(self) -> None:
        problem = ("Import the issuer's certificate into the trust store first."
                   if not self.alias_combo.currentText() else issuer_problem(self.issuer))
        if problem is not None:
            self.problem.setText(problem)
            self.problem.show()
            return
        super().accept()

    @property
    def alias(self) -> str:
        return self.alias_combo.currentText()

    @property
    def issuer(self) -> str:
        return self.issuer_edit.text()


def ask(parent: QWidget | None, aliases: Sequence[str],
        chosen: str | None = None) -> tuple[str, str] | None:
    """(certificate alias, issuer name) to trust, or None when cancelled."""
    dialog = SamlIssuerDialog(aliases, chosen, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.alias, dialog.issuer
