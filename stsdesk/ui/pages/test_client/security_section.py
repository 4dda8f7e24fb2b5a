"""The test client form's "Message security" section: the scenario to secure requests for, the
STS's certificate and, for 31-34, a SAML token from history. The client's certificate and key
are the form's one key pair choice (``client_key_section``), shared with the PublicKey token.

Reading files and metadata is blocking work: :meth:`read_choice` only collects what was
chosen; :func:`build_message_security` turns it into keys on the task runner, and its errors
come back to :meth:`show_problem`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from lxml import etree
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from stsdesk.core.algorithm_suite import AlgorithmSuite
from stsdesk.core.certificate_files import read_certificates
from stsdesk.core.errors import StsError
from stsdesk.core.scenarios import SCENARIOS, find_scenario
from stsdesk.services.admin.models import SecurityPolicy
from stsdesk.services.message_security import MessageSecurity, fetch_metadata_certificate
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.token_keys import ClientKeyPair
from stsdesk.services.token_session import TokenResult
from stsdesk.ui.pages.token_inspector import CERT_FILE_FILTER, ask_open_path, read_file
from stsdesk.ui.widgets.eliding_combo import ElidingComboBox
from stsdesk.ui.widgets.form import error_label, file_row, show_problem

__all__ = ["MessageSecuritySection", "SecurityChoice", "build_message_security", "AS_APPLIED"]

AS_APPLIED = ""  # the scenario combo's "as the server applies it"
_FROM_FILE = "\nfile"
_FROM_METADATA = "\nmetadata"


@dataclass(frozen=True)
class SecurityChoice:
    """What the person chose, before any file is read (plain values, safe to pass to a
    worker thread)."""

    scenario_id: str
    algorithm_suite: AlgorithmSuite
    # The policy signs with the client's key pair (X.509 scenarios; 31-32 with a PublicKey
    # token): the form's key pair is given to it, else not (it would only change the context).
    uses_client_key: bool = False
    service_certificate: x509.Certificate | None = None
    service_file: str = ""
    saml_token: bytes | None = None
    proof_key: bytes | None = field(default=None, repr=False)
    metadata_endpoint: str = ""  # read the STS's certificate from this STS's /mex or ?wsdl
    tls: TrustPolicy | None = None
    policy_document: bytes | None = None  # an administrator's own policy, as applied
    service_principal: str = ""  # scenario 20: the STS's Kerberos service principal


def build_message_security(choice: SecurityChoice,
                           client: ClientKeyPair | None = None) -> MessageSecurity:
    """Read the STS's certificate and make the keys (blocking: run it on the task runner).

    ``client``: the form's key pair, already read (``read_client_key_pair``)."""
    if not choice.uses_client_key:
        client = None
    service = choice.service_certificate
    if choice.service_file:
        loaded = read_certificates(read_file(choice.service_file, "STS certificate"),
                                   filename=Path(choice.service_file).name)
        service = loaded.certificates[0]
    elif choice.metadata_endpoint:
        service = fetch_metadata_certificate(choice.metadata_endpoint,
                                             choice.tls or TrustPolicy())
    if choice.policy_document is not None:
        return MessageSecurity.for_document(
            choice.policy_document, service_certificate=service, client=client,
            saml_token=choice.saml_token, proof_key=choice.proof_key,
            service_principal=choice.service_principal or None)
    return MessageSecurity.for_scenario(
        choice.scenario_id, algorithm_suite=choice.algorithm_suite,
        service_certificate=service, client=client, saml_token=choice.saml_token,
        proof_key=choice.proof_key, service_principal=choice.service_principal or None)


class MessageSecuritySection(QGroupBox):
    """Shown when the scenario secures messages (or the STS is not the connected server's).

    ``changed`` whenever what the request needs changes (the form then asks whether a user
    name is needed)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Message security", parent)
        self.applied: SecurityPolicy | None = None
        self.signing: Mapping[str, x509.Certificate] = {}
        self._history: list[TokenResult] = []
        self.foreign = False
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.applied_label = QLabel(self)
        self.applied_label.setWordWrap(True)
        form.addRow(self.applied_label)
        self.scenario = ElidingComboBox(self)
        self.scenario.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.scenario.setMinimumContentsLength(16)
        self.scenario.addItem("As the server applies it", AS_APPLIED)
        for scenario in SCENARIOS:
            if scenario.enforceable:
                self.scenario.addItem(scenario.title, scenario.id)
                self.scenario.setItemData(self.scenario.count() - 1, scenario.description,
                                         Qt.ItemDataRole.ToolTipRole)
        self.scenario.setToolTip("The scenario the STS applies; choose one yourself for an "
                                 "STS that is not the connected server")
        form.addRow("Scenario:", self.scenario)
        self.suite = QComboBox(self)
        self.suite.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.suite.setMinimumContentsLength(16)
        self.suite.addItem("Basic256 (WSO2's default)", AlgorithmSuite.BASIC256)
        self.suite.setItemData(0, "SHA-1 digests, RSA-OAEP key transport, AES-256",
                             Qt.ItemDataRole.ToolTipRole)
        self.suite.addItem("Basic256Sha256", AlgorithmSuite.BASIC256_SHA256)
        self.suite.setItemData(1, "SHA-256 digests, RSA-OAEP key transport, AES-256; "
                             "clients must be configured for it", Qt.ItemDataRole.ToolTipRole)
        form.addRow("Algorithm suite:", self.suite)
        self.service = ElidingComboBox(self)
        self.service.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.service.setMinimumContentsLength(16)
        form.addRow("STS certificate:", self.service)
        self.service_file = QLineEdit(self)
        self.service_file.setPlaceholderText("PEM or DER file")
        self.service_file.setToolTip("The STS's certificate (PEM or DER), when \"A certificate "
                                     "from a file…\" is chosen above")
        self.service_browse = QPushButton("Browse…", self)
        form.addRow("", file_row(self.service_file, self.service_browse))
        self.saml_token = ElidingComboBox(self)
        self.saml_token.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.saml_token.setMinimumContentsLength(16)
        self.saml_token.setToolTip("A SAML token the test client obtained earlier (scenarios "
                                   "31-34); holder-of-key tokens sign with their proof key")
        form.addRow("SAML token:", self.saml_token)
        self.service_principal = QLineEdit(self)
        self.service_principal.setPlaceholderText("HTTP/sts.example.org@EXAMPLE.ORG")
        self.service_principal.setToolTip(
            "Scenario 20: the STS's Kerberos service principal (the server's security settings "
            "name it); the ticket comes from your credential cache (kinit)")
        form.addRow("Service principal:", self.service_principal)
        self.error = error_label(self)
        form.addRow(self.error)
        self._fill_service()
        self.set_history(())
        self._connect_signals()
        self.on_scenario_changed()

    def tab_chain(self) -> list[QWidget]:
        return [self.scenario, self.suite, self.service, self.service_file, self.service_browse,
                self.saml_token, self.service_principal]

    def _connect_signals(self) -> None:
        self.scenario.currentIndexChanged.connect(self.on_scenario_changed)
        self.suite.currentIndexChanged.connect(self.on_scenario_changed)
        self.service.currentIndexChanged.connect(self.on_scenario_changed)
        self.service_browse.clicked.connect(
            lambda: self._browse(self.service_file, "The STS's certificate", CERT_FILE_FILTER))
        for edit in (self.service_file, self.service_principal):
            edit.textChanged.connect(lambda _text: show_problem(self.error, None))

    # -- filling ---------------------------------------------------------------------------

    def set_server(self, applied: SecurityPolicy | None, signing: Mapping[str, x509.Certificate],
                   active: str | None) -> None:
        """What the connected server applies, and its signing certificates (active first)."""
        self.applied = applied
        if applied is not None and applied.service_principal:
            self.service_principal.setText(applied.service_principal)
        self.signing = dict(sorted(signing.items(), key=lambda item: item[0] != active))
        self._fill_service(active)
        self.on_scenario_changed()

    def set_foreign(self, foreign: bool) -> None:
        """The endpoint is not the connected server's STS: the scenario must be chosen, and
        the server's signing keys are not that STS's: its metadata names its certificate."""
        if foreign and not self.foreign:
            self.service.setCurrentIndex(self.service.findData(_FROM_METADATA))
        self.foreign = foreign
        self.on_scenario_changed()

    def set_history(self, results: Sequence[TokenResult]) -> None:
        chosen = self.saml_token.currentData()
        self._history = [r for r in results if r.token is not None and r.decoded is not None
                         and r.decoded.readable]
        self.saml_token.clear()
        if not self._history:
            self.saml_token.addItem("No token yet", None)
            self.saml_token.setItemData(0, "Request a token first under another scenario; it "
                                        "is offered here", Qt.ItemDataRole.ToolTipRole)
        for index, result in enumerate(reversed(self._history)):
            proof = " (with its proof key)" if result.proof and result.proof.key else ""
            self.saml_token.addItem(f"{result.summary}{proof}", len(self._history) - 1 - index)
        found = self.saml_token.findData(chosen) if chosen is not None else -1
        self.saml_token.setCurrentIndex(max(found, 0))

    def _fill_service(self, active: str | None = None) -> None:
        self.service.blockSignals(True)
        self.service.clear()
        for alias in self.signing:
            label = f"STS signing certificate '{alias}'" + (" (active)" if alias == active else "")
            self.service.addItem(label, alias)
        self.service.addItem("From the STS's metadata (/mex, ?wsdl)", _FROM_METADATA)
        self.service.setItemData(self.service.count() - 1,
                                 "The certificate the STS names for its endpoints in its "
                                 "WS-MetadataExchange or WSDL document",
                                 Qt.ItemDataRole.ToolTipRole)
        self.service.addItem("A certificate from a file…", _FROM_FILE)
        self.service.blockSignals(False)

    # -- state -----------------------------------------------------------------------------

    def scenario_choice(self) -> tuple[str, AlgorithmSuite] | None:
        """The scenario and suite requests are secured for, or None when none is known."""
        chosen = str(self.scenario.currentData() or AS_APPLIED)
        if chosen != AS_APPLIED:
            return chosen, AlgorithmSuite(self.suite.currentData())
        if self.applied is None or not self.applied.enabled or not self.applied.scenario_id:
            return None
        return self.applied.scenario_id, self.applied.algorithm_suite

    def own_policy_document(self) -> bytes | None:
        """The administrator's own policy the server applies, when that is what is chosen."""
        applied = self.applied
        as_applied = str(self.scenario.currentData() or AS_APPLIED) == AS_APPLIED
        if as_applied and applied is not None and applied.enabled and applied.own_policy:
            return (applied.policy_document or "").encode("utf-8") or None
        return None

    def security(self) -> MessageSecurity | None:
        """The scenario's policy, without keys (what the request will need)."""
        document = self.own_policy_document()
        if document is not None:
            try:
                return MessageSecurity.for_document(document)
            except StsError:
                return None
        choice = self.scenario_choice()
        if choice is None or find_scenario(choice[0]) is None:
            return None
        return MessageSecurity.for_scenario(choice[0], algorithm_suite=choice[1])

    @property
    def active(self) -> bool:
        """Requests are secured (the scenario is not a UsernameToken over HTTPS)."""
        security = self.security()
        return security is not None and security.secures_messages

    def needs_username(self) -> bool:
        security = self.security()
        return security is None or not security.secures_messages or security.needs_username

    def on_scenario_changed(self, _index: int = 0) -> None:
        as_applied = str(self.scenario.currentData() or AS_APPLIED) == AS_APPLIED
        self.suite.setEnabled(not as_applied)
        if as_applied and self.applied is not None:
            self.suite.setCurrentIndex(max(self.suite.findData(self.applied.algorithm_suite), 0))
        security = self.security()
        if self.applied is None:
            applied_text = "The connected server's security is not known."
        elif not self.applied.enabled:
            applied_text = "The connected server has security disabled (no tokens issued)."
        elif self.applied.own_policy:
            applied_text = ("The server applies an administrator's own policy, "
                            f"{self.applied.policy_name or 'from the registry'}.")
            if self.own_policy_document() is None:
                applied_text += " Its document is not known here: choose a scenario."
        else:
            scenario = find_scenario(self.applied.scenario_id)
            name = scenario.title if scenario else "?"
            applied_text = (f"The server applies scenario {name}, "
                            f"{self.applied.algorithm_suite.value}.")
        self.applied_label.setText(applied_text)
        secures = security is not None and security.secures_messages
        self.service.setEnabled(secures)
        from_file = self.service.currentData() == _FROM_FILE
        self.service_file.setEnabled(secures and from_file)
        self.service_browse.setEnabled(secures and from_file)
        self.saml_token.setEnabled(secures and security is not None and security.needs_saml_token)
        self.service_principal.setEnabled(secures and security is not None
                                          and security.uses_kerberos)
        self.setVisible(secures or self.foreign)
        self.changed.emit()

    def _browse(self, target: QLineEdit, title: str, file_filter: str) -> None:
        path = ask_open_path(self, title, file_filter)
        if path:
            target.setText(path)

    # -- reading ---------------------------------------------------------------------------

    def read_choice(self, *, endpoint: str = "",
                    tls: TrustPolicy | None = None) -> SecurityChoice | None:
        """What was chosen, or None with the problem shown (nothing is read from disk or the
        network). ``endpoint`` and ``tls``: where the STS's metadata is, if chosen."""
        show_problem(self.error, None)
        choice = self.scenario_choice()
        security = self.security()
        if choice is None or security is None:
            self.show_problem("Choose the scenario the STS applies.")
            return None
        # The STS's certificate checks the answer's signature, and encrypts where the
        # policy asks: required only then.
        service_cert, service_file, metadata = None, "", ""
        if self.service.currentData() == _FROM_METADATA:
            metadata = endpoint
        elif self.service.currentData() == _FROM_FILE:
            service_file = self.service_file.text().strip()
            if not service_file and security.needs_service_certificate:
                self.show_problem("Choose the STS's certificate file (the requests are "
                                  "encrypted for it).")
                self.service_file.setFocus()
                return None
        else:
            service_cert = self.signing.get(str(self.service.currentData()))
        saml, proof = None, None
        if security.needs_saml_token:
            index = self.saml_token.currentData()
            if index is None:
                self.show_problem("This scenario needs a SAML token from this STS: request one "
                                  "first under another scenario, then choose it here.")
                return None
            result = self._history[int(index)]
            token = result.decoded.assertion if result.decoded is not None else None
            saml = etree.tostring(token if token is not None else result.token)
            proof = result.proof.key if result.proof is not None else None
        principal = self.service_principal.text().strip()
        if security.uses_kerberos and not principal:
            self.show_problem("This scenario signs with a Kerberos ticket: give the STS's "
                              "service principal (the server's security settings name it).")
            self.service_principal.setFocus()
            return None
        return SecurityChoice(
            choice[0], choice[1],
            uses_client_key=security.needs_client_certificate or security.needs_saml_token,
            service_certificate=service_cert, service_file=service_file, saml_token=saml,
            proof_key=proof, metadata_endpoint=metadata, tls=tls,
            policy_document=self.own_policy_document(),
            service_principal=principal if security.uses_kerberos else "")

    def show_problem(self, message: str) -> None:
        show_problem(self.error, message)
        self.setVisible(True)
