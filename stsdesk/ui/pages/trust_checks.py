"""The Keystores page's tabs for trust decisions beyond the certificates themselves: the
certificate revocation lists (with the revocation policy) and the trusted SAML issuers."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from stsdesk.services.admin import AdminApi, Capability
from stsdesk.services.admin.models import RevocationList, RevocationPolicy, SamlIssuer, StaleCrl
from stsdesk.ui.dialogs import confirm, files, saml_issuer
from stsdesk.ui.models.base import ROW_ROLE
from stsdesk.ui.models.trust_checks import RevocationListsTableModel, SamlIssuersTableModel
from stsdesk.ui.pages.base import Page

__all__ = ["RevocationTab", "SamlIssuersTab", "RevocationSnapshot", "crl_text"]

log = logging.getLogger("stsdesk.ui")

_CRL_FILES = "Certificate revocation lists (*.crl *.pem *.der);;All files (*)"
_MAX_CRL_BYTES = 3_000_000


@dataclass(frozen=True)
class RevocationSnapshot:
    lists: tuple[RevocationList, ...]
    policy: RevocationPolicy


def fetch_revocation(api: AdminApi) -> RevocationSnapshot:
    return RevocationSnapshot(api.list_revocation_lists(), api.get_revocation_policy())


def crl_text(data: bytes) -> str:
    """A CRL file's bytes as the admin API takes them: PEM as it is, DER base64-encoded."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return data.decode("ascii", "replace")
    return base64.b64encode(data).decode("ascii")


def _table(parent: QWidget) -> QTableView:
    table = QTableView(parent)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    return table


def _selected(table: QTableView) -> Any:
    rows = table.selectionModel().selectedRows()
    return rows[0].data(ROW_ROLE) if rows else None


class RevocationTab(QWidget):
    """Import and delete CRLs; say what happens with an out-of-date or missing CRL."""

    def __init__(self, page: Page, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self._policy: RevocationPolicy | None = None
        self.import_button = QPushButton("Import &CRL…", self)
        self.import_button.setToolTip(
            "Import a certificate authority's revocation list (PEM or DER). Client "
            "certificates it revokes are refused from then on.")
        self.delete_button = QPushButton("&Delete CRL", self)
        self.model = RevocationListsTableModel(self)
        self.table = _table(self)
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(
            RevocationListsTableModel.ISSUER, QHeaderView.ResizeMode.Stretch)
        self.stale_combo = QComboBox(self)
        self.stale_combo.addItem("Refuse its certificates", StaleCrl.REFUSE)
        self.stale_combo.addItem("Accept them with a warning", StaleCrl.ACCEPT)
        self.stale_combo.setToolTip(
            "Refusing is what WSO2 and Java's PKIX checker do. Accepting writes a warning to "
            "the server log and, once per CRL, to the audit log.")
        self.require_check = QCheckBox("Re&quire a CRL for every CA", self)
        self.require_check.setToolTip(
            "Refuse a client certificate whose certificate authority has no CRL here (a "
            "certificate trusted directly, not through a CA, needs none).")
        self.save_policy_button = QPushButton("Save revocation &policy", self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        note = QLabel("One CRL per certificate authority; a newer one replaces it.", self)
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(note, 1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.delete_button)
        policy = QHBoxLayout()
        stale_label = QLabel("&When a CRL is out of date:", self)
        stale_label.setBuddy(self.stale_combo)
        policy.addWidget(stale_label)
        policy.addWidget(self.stale_combo)
        policy.addWidget(self.require_check)
        policy.addStretch(1)
        policy.addWidget(self.save_policy_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addLayout(policy)
        layout.addWidget(self.status)
        self._connect_signals()
        self.update_buttons()

    def _connect_signals(self) -> None:
        self.import_button.clicked.connect(self.on_import_button_clicked)
        self.delete_button.clicked.connect(self.on_delete_button_clicked)
        self.save_policy_button.clicked.connect(self.on_save_policy_button_clicked)
        self.table.selectionModel().selectionChanged.connect(self.update_buttons)
        self.stale_combo.currentIndexChanged.connect(self.update_buttons)
        self.require_check.toggled.connect(self.update_buttons)

    def refresh(self) -> None:
        if not self.page.connection.supports(Capability.REVOCATION_LISTS):
            self.model.set_rows(())
            self.update_buttons()
            return

        def loaded(snapshot: RevocationSnapshot) -> None:
            self.model.set_rows(snapshot.lists)
            self._policy = snapshot.policy
            self.stale_combo.setCurrentIndex(self.stale_combo.findData(snapshot.policy.stale_crl))
            self.require_check.setChecked(snapshot.policy.require_crl)
            stale = sum(1 for row in snapshot.lists if row.stale)
            self.status.setText(
                f"{len(snapshot.lists)} CRL{'s' if len(snapshot.lists) != 1 else ''}"
                + (f"; {stale} out of date" if stale else ""))
            self.update_buttons()

        self.page.call(fetch_revocation, loaded, action="Loading the revocation lists")

    @property
    def policy(self) -> RevocationPolicy | None:
        """The server's revocation policy as last loaded or saved (None before)."""
        return self._policy

    def selected(self) -> RevocationList | None:
        row = _selected(self.table)
        return row if isinstance(row, RevocationList) else None

    def wanted_policy(self) -> RevocationPolicy:
        return RevocationPolicy(stale_crl=StaleCrl(self.stale_combo.currentData()),
                                require_crl=self.require_check.isChecked())

    def update_buttons(self, *_args: Any) -> None:
        self.page.offer(self.import_button, Capability.REVOCATION_LISTS)
        self.page.offer(self.delete_button, Capability.REVOCATION_LISTS,
                        self.selected() is not None)
        self.page.offer(self.save_policy_button, Capability.REVOCATION_LISTS,
                        self._policy is not None and self.wanted_policy() != self._policy)

    def on_import_button_clicked(self) -> None:
        path = files.choose_open_path(self, "Import a certificate revocation list", _CRL_FILES)
        if not path:
            return
        try:
            data = Path(path).read_bytes()[:_MAX_CRL_BYTES + 1]
        except OSError as exc:
            self.page.banner.error(f"The file {path} cannot be read: {exc.strerror}.")
            return
        if len(data) > _MAX_CRL_BYTES:
            self.page.banner.error("The file is too large to be a CRL this server takes.")
            return
        text = crl_text(data)

        def done(imported: RevocationList) -> None:
            self.page.banner.success(
                f"Imported the CRL of {imported.issuer} ({imported.entries} revoked "
                "certificates).")
            self.refresh()

        self.page.call(lambda api: api.import_revocation_list(text), done,
                       action="Importing the CRL")

    def on_delete_button_clicked(self) -> None:
        row = self.selected()
        if row is None or not confirm.ask(
                self, "Delete CRL", f"Delete the CRL of {row.issuer}? Certificates it revokes "
                "are accepted again until a new CRL is imported.", destructive=True,
                action="&Delete"):
            return

        def done(_result: object) -> None:
            self.page.banner.success(f"Deleted the CRL of {row.issuer}.")
            self.refresh()

        self.page.call(lambda api: api.delete_revocation_list(row.id), done,
                       action="Deleting the CRL")

    def on_save_policy_button_clicked(self) -> None:
        wanted = self.wanted_policy()

        def done(saved: RevocationPolicy) -> None:
            self._policy = saved
            self.page.banner.success("Saved the revocation policy.")
            self.update_buttons()

        self.page.call(lambda api: api.set_revocation_policy(wanted), done,
                       action="Saving the revocation policy")


class SamlIssuersTab(QWidget):
    """Trust-store certificates trusted to sign SAML tokens for scenarios 31-34."""

    def __init__(self, page: Page, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = page
        self.aliases: tuple[str, ...] = ()  # the trust store's, set by the page on refresh
        self.trust_button = QPushButton("&Add trusted issuer…", self)
        self.trust_button.setToolTip(
            "Accept SAML tokens signed with a trust-store certificate's key that name its "
            "issuer (WS-Security scenarios 31-34)")
        self.remove_button = QPushButton("Stop &trusting", self)
        self.model = SamlIssuersTableModel(self)
        self.table = _table(self)
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(
            SamlIssuersTableModel.ISSUER, QHeaderView.ResizeMode.Stretch)
        note = QLabel("Tokens issued by this STS are always accepted; other issuers only when "
                      "listed here.", self)
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(note, 1)
        buttons.addWidget(self.trust_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        self._connect_signals()
        self.update_buttons()

    def _connect_signals(self) -> None:
        self.trust_button.clicked.connect(self.on_trust_button_clicked)
        self.remove_button.clicked.connect(self.on_remove_button_clicked)
        self.table.selectionModel().selectionChanged.connect(self.update_buttons)

    def refresh(self) -> None:
        if not self.page.connection.supports(Capability.SAML_ISSUERS):
            self.model.set_rows(())
            self.update_buttons()
            return

        def loaded(issuers: tuple[SamlIssuer, ...]) -> None:
            self.model.set_rows(issuers)
            self.update_buttons()

        self.page.call(lambda api: api.list_saml_issuers(), loaded,
                       action="Loading the trusted SAML issuers")

    def selected(self) -> SamlIssuer | None:
        row = _selected(self.table)
        return row if isinstance(row, SamlIssuer) else None

    def update_buttons(self, *_args: Any) -> None:
        self.page.offer(self.trust_button, Capability.SAML_ISSUERS, bool(self.aliases))
        self.page.offer(self.remove_button, Capability.SAML_ISSUERS, self.selected() is not None)

    def on_trust_button_clicked(self) -> None:
        answer = saml_issuer.ask(self, self.aliases)
        if answer is None:
            return
        alias, issuer = answer

        def done(trusted: SamlIssuer) -> None:
            self.page.banner.success(
                f"SAML tokens of {trusted.issuer} signed with '{trusted.certificate_alias}' are "
                "accepted now.")
            self.refresh()

        self.page.call(lambda api: api.trust_saml_issuer(alias, issuer), done,
                       action="Trusting the SAML issuer")

    def on_remove_button_clicked(self) -> None:
        row = self.selected()
        if row is None or not confirm.ask(
                self, "Stop trusting", f"Stop accepting SAML tokens of {row.issuer} signed with "
                f"'{row.certificate_alias}'?", destructive=True, action="&Stop trusting"):
            return

        def done(_result: object) -> None:
            self.page.banner.success(f"SAML tokens of {row.issuer} are no longer accepted.")
            self.refresh()

        self.page.call(lambda api: api.distrust_saml_issuer(row.certificate_alias), done,
                       action="Removing the trusted SAML issuer")

