"""The wizard's "Policy from a file…" choice: an administrator's own WS-SecurityPolicy.

WSO2's console lists "Security Policy is in Registry" beside its scenarios; here the policy
comes from a file. The page reads the file, asks the server for its verdict (which assertions
the STS cannot enforce, and where they stand) and lets the administrator go on only when there
are none; the viewer shows the chosen or the applied document.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from stsdesk.core.own_policy import MAX_POLICY_BYTES, OWN_POLICY_ID
from stsdesk.services.admin import Capability
from stsdesk.services.admin.models import (
    OwnPolicyRequest,
    PolicyVerdict,
    Scenario,
    SecurityPolicy,
    SecurityPolicyRequest,
)
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.errors import describe

__all__ = ["OWN_GROUP", "OWN_GROUP_HEADING", "OwnPolicyPage", "OwnPolicyDialog",
           "own_policy_choice", "own_policy_viewer", "ask_policy_file", "is_own"]

OWN_GROUP = "own"
OWN_GROUP_HEADING = "Security Policy from a File"
_SUMMARY = "Policy from a file…"
_DESCRIPTION = ("Apply a WS-SecurityPolicy of your own, from a file. The STS checks every "
                "assertion in it first and applies it only if it can enforce all of them.")


def is_own(scenario: Scenario | None) -> bool:
    return scenario is not None and scenario.id == OWN_POLICY_ID


def own_policy_choice(scenarios: tuple[Scenario, ...], missing_reason: str | None) -> Scenario:
    """The tree's entry for an own policy, numbered after the catalogue's scenarios."""
    number = max((s.number for s in scenarios), default=0) + 1
    description = _DESCRIPTION if missing_reason is None else f"{_DESCRIPTION} {missing_reason}"
    return Scenario(id=OWN_POLICY_ID, number=number, summary=_SUMMARY, description=description,
                    group=OWN_GROUP, enforceable=missing_reason is None)


def ask_policy_file(parent: QWidget | None) -> Path | None:
    """The file the administrator picks, or None (the one place tests patch)."""
    name, _ = QFileDialog.getOpenFileName(
        parent, "Choose a WS-SecurityPolicy file", "",
        "Policy documents (*.xml *.policy);;All files (*)")
    return Path(name) if name else None


class OwnPolicyDialog(QDialog):
    """An own policy's name and document, read-only (the "View scenario" of this choice)."""

    def __init__(self, name: str, document: str, *, applied: bool,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Security policy: {name}")
        heading = QLabel(f"<b>{_html(name)}</b> — "
                         + ("the policy applied to the STS" if applied
                            else "the policy chosen in the wizard (not applied yet)"), self)
        heading.setWordWrap(True)
        self.policy_view = QPlainTextEdit(self)
        self.policy_view.setReadOnly(True)
        self.policy_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.policy_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.policy_view.setPlainText(document)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(QLabel("Policy document (WS-SecurityPolicy):", self))
        layout.addWidget(self.policy_view, 1)
        layout.addWidget(buttons)
        self.resize(780, 560)


class OwnPolicyPage(QWizardPage):
    """Step 1b: the policy file, its name, and the STS's verdict on it before anything else."""

    verdict_shown = Signal()

    def __init__(self, connection: ServerConnection, current: SecurityPolicy | None, *,
                 access_id: int, summary_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._next_ids = (access_id, summary_id)
        self.setTitle("A security policy of your own")
        self.setSubTitle("Choose a WS-SecurityPolicy file. The STS says whether it can enforce "
                         "every assertion in it before you apply it.")
        self.connection = connection
        self.document: str | None = None
        self.verdict: PolicyVerdict | None = None
        self.file_edit = QLineEdit(self)
        self.file_edit.setReadOnly(True)
        self.file_edit.setPlaceholderText("No file chosen")
        self.browse_button = QPushButton("Choose &file…", self)
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(128)
        self.name_edit.setPlaceholderText("A name administrators will recognise")
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.browse_button)
        form = QFormLayout()
        file_label = QLabel("Policy file:", self)
        file_label.setBuddy(self.browse_button)
        name_label = QLabel("Policy na&me:", self)
        name_label.setBuddy(self.name_edit)
        form.addRow(file_label, file_row)
        form.addRow(name_label, self.name_edit)
        self.verdict_label = QLabel(self)
        self.verdict_label.setWordWrap(True)
        self.issue_list = QListWidget(self)
        self.issue_list.setWordWrap(True)
        self.issue_list.hide()
        self.notes_label = QLabel(self)
        self.notes_label.setWordWrap(True)
        self.notes_label.setStyleSheet("color:#57606a;")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.verdict_label)
        layout.addWidget(self.issue_list, 1)
        layout.addWidget(self.notes_label)
        layout.addStretch(0)
        if current is not None and current.own_policy and current.policy_document:
            # The applied policy again: its verdict is asked for when the page is shown.
            self.document = current.policy_document
            self.name_edit.setText(current.policy_name or "")
            self.file_edit.setText("(the applied policy)")
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.browse_button.clicked.connect(self.on_browse_button_clicked)
        self.name_edit.textChanged.connect(self.completeChanged)

    def initializePage(self) -> None:  # noqa: N802 - Qt override
        if self.document is not None and self.verdict is None:
            self._check()

    def on_browse_button_clicked(self) -> None:
        path = ask_policy_file(self)
        if path is not None:
            self.load(path)

    def load(self, path: Path) -> None:
        """Read ``path`` and ask the server for its verdict."""
        self.verdict = None
        self.document = None
        self.completeChanged.emit()
        self.file_edit.setText(str(path))
        try:
            raw = path.read_bytes()
            if len(raw) > MAX_POLICY_BYTES:
                raise ValueError(f"it is larger than {MAX_POLICY_BYTES // 1024} KiB, far more "
                                 "than a policy")
            text = raw.decode("utf-8")
        except (OSError, ValueError) as exc:  # unreadable, too large, or not UTF-8 text
            self._show_problem(f"The file cannot be used: {exc}. Choose a WS-SecurityPolicy "
                               "document (UTF-8 XML).")
            return
        self.document = text
        if not self.name_edit.text().strip():
            self.name_edit.setText(path.stem)
        self._check()

    def _check(self) -> None:
        missing = self.connection.missing_reason(Capability.OWN_POLICY_CHECK)
        if missing is not None:
            self._show_problem(missing)
            return
        document = self.document or ""
        self.verdict_label.setText("Asking the STS whether it can enforce this policy…")
        self.issue_list.hide()
        self.connection.call(lambda api: api.check_own_policy(document),
                             self.on_verdict_loaded, self.on_verdict_failed)

    def on_verdict_loaded(self, verdict: PolicyVerdict) -> None:
        self.verdict = verdict
        self.issue_list.clear()
        if verdict.enforceable:
            suite = f" (algorithm suite {verdict.algorithm_suite})" if verdict.algorithm_suite \
                else ""
            self.verdict_label.setText(
                "<span style='color:#1a7f37'><b>The STS can enforce every assertion in this "
                f"policy</b></span>{_html(suite)}. Next asks for what it needs: "
                + (" and ".join(verdict.asks_for) or "nothing more") + ".")
            self.issue_list.hide()
        else:
            count = len(verdict.unenforceable)
            self.verdict_label.setText(
                f"<span style='color:#b3261e'><b>The STS cannot enforce {count} assertion"
                f"{'s' if count != 1 else ''} of this policy</b></span>, so it cannot be "
                "applied. Change the policy (or choose a scenario):")
            for issue in verdict.unenforceable:
                self.issue_list.addItem(issue.describe())
            self.issue_list.show()
        self.notes_label.setText("<br>".join(_html(note) for note in verdict.notes))
        self.completeChanged.emit()
        self.verdict_shown.emit()

    def on_verdict_failed(self, error: Exception) -> None:
        self._show_problem(describe(error, "Checking the policy"))

    def _show_problem(self, text: str) -> None:
        self.verdict = None
        self.verdict_label.setText(f"<span style='color:#b3261e'>{_html(text)}</span>")
        self.issue_list.hide()
        self.completeChanged.emit()
        self.verdict_shown.emit()

    @property
    def name(self) -> str:
        return " ".join(self.name_edit.text().split())

    def isComplete(self) -> bool:  # noqa: N802 - Qt override
        return self.verdict is not None and self.verdict.enforceable and bool(self.name)

    def nextId(self) -> int:  # noqa: N802 - Qt override
        access, summary = self._next_ids
        return access if self.verdict is not None and self.verdict.asks_for else summary

    def as_scenario(self, choice: Scenario) -> Scenario:
        """The choice as the access and summary steps read a scenario: what it asks for."""
        return Scenario(id=OWN_POLICY_ID, number=choice.number, summary=self.name or _SUMMARY,
                        description=choice.description, group=OWN_GROUP,
                        asks_for=self.verdict.asks_for if self.verdict else (),
                        enforceable=True)

    def build_request(self, chosen: SecurityPolicyRequest) -> OwnPolicyRequest:
        """The own-policy request from what the access step chose (``chosen``)."""
        return OwnPolicyRequest(
            name=self.name, document=self.document or "",
            user_store_domain=chosen.user_store_domain, allowed_roles=chosen.allowed_roles,
            trusted_keystores=chosen.trusted_keystores,
            private_keystore=chosen.private_keystore,
            # A Kerberos protection token: the access step asked for these as for scenario 20.
            service_principal=chosen.service_principal, keytab=chosen.keytab)

    def summary_rows(self, request: OwnPolicyRequest) -> list[tuple[str, str]]:
        rows = [("Security Policy", f"{request.name} (a policy of your own)"),
                ("Policy File", self.file_edit.text())]
        if self.verdict is not None and self.verdict.algorithm_suite:
            rows.append(("Algorithm Suite", f"{self.verdict.algorithm_suite} (the policy's)"))
        if self.verdict is not None and self.verdict.asks_for_roles:
            rows.append(("User Store Domain", request.user_store_domain))
            rows.append(("Allowed Roles", ", ".join(request.allowed_roles) or "—"))
        if self.verdict is not None and self.verdict.asks_for_keystores:
            rows.append(("Trusted Key Stores", ", ".join(request.trusted_keystores) or "—"))
            rows.append(("Private Key Store", request.private_keystore or "—"))
        return rows


def own_policy_viewer(page: OwnPolicyPage, current: SecurityPolicy | None,
                      parent: QWidget | None) -> OwnPolicyDialog | None:
    """The viewer for the own-policy choice: the document chosen in the wizard, else the one
    applied to the STS; None when there is neither."""
    applied = current if current is not None and current.own_policy else None
    if page.document is None and applied is None:
        return None
    chosen = page.document is not None and (
        applied is None or page.document != applied.policy_document)
    if chosen or applied is None:
        return OwnPolicyDialog(page.name or page.file_edit.text(), page.document or "",
                               applied=False, parent=parent)
    return OwnPolicyDialog(applied.policy_name or "", applied.policy_document or "",
                           applied=True, parent=parent)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
