"""The Keystores and certificates page: the STS signing keystore and the trust store."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.certificate_description import CertificateStatus
from stsdesk.core.certificates import load_certificate
from stsdesk.services.admin import AdminApi, Capability
from stsdesk.ui.connection import CONNECTED, ServerConnection
from stsdesk.ui.dialogs import certificate_details, confirm
from stsdesk.ui.dialogs.certificate_details import CertificateDetailsDialog, certificate_bytes
from stsdesk.ui.dialogs.certificate_import import CertificateImportDialog
from stsdesk.ui.dialogs.signing_key import SigningKeyDialog
from stsdesk.ui.models.certificates import (
    ROW_ROLE,
    CertificateFilterProxyModel,
    SigningKeyRow,
    SigningKeysTableModel,
    TrustedCertificateRow,
    TrustedCertificatesTableModel,
    common_name,
    status_text,
)
from stsdesk.ui.pages.base import Page
from stsdesk.ui.pages.trust_checks import RevocationTab, SamlIssuersTab
from stsdesk.ui.widgets.banner import MessageBanner

__all__ = ["KeystoresPage", "KeystoreSnapshot", "fetch_keystores", "fetch_certificate_chain",
           "expiry_message"]

log = logging.getLogger("stsdesk.ui")

_MAX_CHAIN = 10  # issuers followed inside the trust store; longer chains do not occur
SIGNING_TAB, TRUST_TAB, REVOCATION_TAB, SAML_ISSUERS_TAB = range(4)


@dataclass(frozen=True)
class KeystoreSnapshot:
    signing_keys: tuple[SigningKeyRow, ...]
    certificates: tuple[TrustedCertificateRow, ...]


def fetch_keystores(api: AdminApi) -> KeystoreSnapshot:
    """Both keystores' lists (blocking: run it off the GUI thread); a server without a
    signing-keys API (WSO2) has an empty signing tab."""
    keys = (api.list_signing_keys() if api.capabilities().supports(Capability.SIGNING_KEYS)
            else ())
    return KeystoreSnapshot(keys, api.list_certificates())


def _download(api: AdminApi, alias: str) -> x509.Certificate:
    return load_certificate(api.export_certificate(alias).encode("ascii", "replace"))


def fetch_certificate_chain(api: AdminApi, alias: str,
                            rows: tuple[TrustedCertificateRow, ...]) -> tuple[x509.Certificate, ...]:
    """The certificate under ``alias`` and its issuers found in the trust store, leaf first."""
    by_subject = {row.subject: row for row in rows}
    chain = [_download(api, alias)]
    seen = {alias}
    while len(chain) < _MAX_CHAIN:
        current = chain[-1]
        issuer = by_subject.get(current.issuer.rfc4514_string())
        if current.issuer == current.subject or issuer is None or issuer.alias in seen:
            break
        seen.add(issuer.alias)
        chain.append(_download(api, issuer.alias))
    return tuple(chain)


def expiry_message(row: SigningKeyRow | None) -> str | None:
    """What to tell about the active signing certificate, or None when all is well."""
    if row is None:
        return None
    status = row.status()
    if status is CertificateStatus.EXPIRES_SOON:
        days = row.days_remaining()
        return (f"The STS signing certificate '{row.alias}' expires in {days} day"
                f"{'s' if days != 1 else ''} ({row.not_after:%Y-%m-%d}). Generate a new key pair, "
                "give its certificate to the relying parties, then make it active.")
    if status is CertificateStatus.EXPIRED:
        return (f"The STS signing certificate '{row.alias}' expired on "
                f"{row.not_after:%Y-%m-%d}: relying parties reject the tokens it signs. Generate "
                "a new key pair and make it active now.")
    if status is CertificateStatus.NOT_YET_VALID:
        return (f"The STS signing certificate '{row.alias}' is not valid before "
                f"{row.not_before:%Y-%m-%d}: relying parties reject the tokens it signs.")
    return None


def _table(parent: QWidget, proxy: CertificateFilterProxyModel) -> QTableView:
    table = QTableView(parent)
    table.setModel(proxy)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSortingEnabled(True)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    return table


def _buddy_label(text: str, parent: QWidget, buddy: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setBuddy(buddy)
    return label


def _search(parent: QWidget, placeholder: str) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(True)
    return edit


class KeystoresPage(Page):
    """The signing keystore (which key signs, roll-over) and the trust store (relying parties'
    certificates), with import, details, export and delete.

    ``signing_certificate_expiring(message)`` is emitted when the active signing certificate
    expires within 30 days, has expired or is not yet valid: once when the connection is first
    up, and on every refresh.
    """

    title = "Keystores and certificates"
    signing_certificate_expiring = Signal(str)

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None) -> None:
        super().__init__(connection, parent)
        self.import_dialog: CertificateImportDialog | None = None
        self.signing_key_dialog: SigningKeyDialog | None = None
        self.details_dialog: CertificateDetailsDialog | None = None
        self._generation = 0
        self._working = False
        self._expiry_checked = False
        self._select_after_load: tuple[int, str] | None = None
        self.expiry_banner = MessageBanner(self)

        # -- signing keystore
        signing_page = QWidget(self)
        self.signing_search = _search(signing_page, "Filter by alias, subject or fingerprint")
        self.generate_button = QPushButton("&Generate key pair…", signing_page)
        self.generate_button.setToolTip("Generate a new RSA signing key pair (Ctrl+N)")
        self.import_pkcs12_button = QPushButton("Import PKCS#&12…", signing_page)
        self.import_pkcs12_button.setToolTip("Add a signing key pair from a .p12 / .pfx file")
        self.activate_button = QPushButton("&Make active", signing_page)
        self.activate_button.setToolTip(
            "Sign the tokens issued from now on with this key (roll-over)")
        self.export_signing_button = QPushButton("E&xport certificate…", signing_page)
        self.signing_details_button = QPushButton("De&tails…", signing_page)
        self.delete_signing_button = QPushButton("&Delete", signing_page)
        self.delete_signing_button.setToolTip("Delete a signing key that no longer signs (Del)")
        self.signing_model = SigningKeysTableModel(self)
        self.signing_proxy = CertificateFilterProxyModel(self)
        self.signing_proxy.setSourceModel(self.signing_model)
        self.signing_table = _table(signing_page, self.signing_proxy)
        self.signing_table.sortByColumn(SigningKeysTableModel.SIGNS_NOW,
                                        Qt.SortOrder.AscendingOrder)
        header = self.signing_table.horizontalHeader()
        for column, width in ((SigningKeysTableModel.SIGNS_NOW, 85),
                              (SigningKeysTableModel.ALIAS, 140),
                              (SigningKeysTableModel.VALID_FROM, 90),
                              (SigningKeysTableModel.VALID_UNTIL, 90),
                              (SigningKeysTableModel.STATUS, 125),
                              (SigningKeysTableModel.KEY, 75),
                              (SigningKeysTableModel.SHA256, 220)):
            header.resizeSection(column, width)
        # The subject takes what is left; the full fingerprint is in the tooltip and details.
        header.setSectionResizeMode(SigningKeysTableModel.SUBJECT, QHeaderView.ResizeMode.Stretch)
        self.signing_status = QLabel(signing_page)
        self.signing_status.setWordWrap(True)
        signing_buttons = QHBoxLayout()
        signing_buttons.addWidget(_buddy_label("&Filter:", signing_page, self.signing_search))
        signing_buttons.addWidget(self.signing_search, 1)
        signing_buttons.addSpacing(12)
        for button in (self.generate_button, self.import_pkcs12_button, self.activate_button,
                       self.export_signing_button, self.signing_details_button,
                       self.delete_signing_button):
            signing_buttons.addWidget(button)
        signing_layout = QVBoxLayout(signing_page)
        signing_layout.addLayout(signing_buttons)
        signing_layout.addWidget(self.signing_table, 1)
        signing_layout.addWidget(self.signing_status)

        # -- trust store
        trust_page = QWidget(self)
        self.trust_search = _search(trust_page, "Filter by alias, CN, fingerprint or service "
                                                "provider")
        self.status_filter = QComboBox(trust_page)
        self.status_filter.addItem("Any status", None)
        for status in CertificateStatus:
            self.status_filter.addItem(status_text(status).capitalize(), status)
        self.import_button = QPushButton("&Import…", trust_page)
        self.import_button.setToolTip(
            "Import a relying party's certificate from a file, PEM text or a TLS server (Ctrl+N)")
        self.details_button = QPushButton("De&tails…", trust_page)
        self.details_button.setToolTip("Show everything about the certificate (Enter)")
        self.export_button = QPushButton("E&xport…", trust_page)
        self.delete_button = QPushButton("&Delete", trust_page)
        self.delete_button.setToolTip("Delete the certificate from the trust store (Del)")
        self.trust_model = TrustedCertificatesTableModel(self)
        self.trust_proxy = CertificateFilterProxyModel(self)
        self.trust_proxy.setSourceModel(self.trust_model)
        self.trust_table = _table(trust_page, self.trust_proxy)
        self.trust_table.sortByColumn(TrustedCertificatesTableModel.ALIAS,
                                      Qt.SortOrder.AscendingOrder)
        header = self.trust_table.horizontalHeader()
        for column, width in ((TrustedCertificatesTableModel.ALIAS, 140),
                              (TrustedCertificatesTableModel.ISSUER_CN, 140),
                              (TrustedCertificatesTableModel.VALID_UNTIL, 85),
                              (TrustedCertificatesTableModel.STATUS, 120),
                              (TrustedCertificatesTableModel.SHA256, 160),
                              (TrustedCertificatesTableModel.KEY, 70),
                              (TrustedCertificatesTableModel.USED_BY, 140)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(TrustedCertificatesTableModel.SUBJECT_CN,
                                    QHeaderView.ResizeMode.Stretch)
        self.trust_status = QLabel(trust_page)
        self.trust_status.setWordWrap(True)
        trust_buttons = QHBoxLayout()
        trust_buttons.addWidget(_buddy_label("Fi&lter:", trust_page, self.trust_search))
        trust_buttons.addWidget(self.trust_search, 1)
        trust_buttons.addWidget(self.status_filter)
        trust_buttons.addSpacing(12)
        for button in (self.import_button, self.details_button, self.export_button,
                       self.delete_button):
            trust_buttons.addWidget(button)
        trust_layout = QVBoxLayout(trust_page)
        trust_layout.addLayout(trust_buttons)
        trust_layout.addWidget(self.trust_table, 1)
        trust_layout.addWidget(self.trust_status)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(signing_page, "Sig&ning keystore")
        self.tabs.addTab(trust_page, "T&rust store (relying parties)")
        self.revocation_tab = RevocationTab(self, self)
        self.tabs.addTab(self.revocation_tab, "Re&vocation (CRLs)")
        self.saml_issuers_tab = SamlIssuersTab(self, self)
        self.tabs.addTab(self.saml_issuers_tab, "Trusted SAML iss&uers")
        self.body.addWidget(self.expiry_banner)
        self.body.addWidget(self.tabs, 1)

        self.setTabOrder(self.signing_search, self.generate_button)
        self.setTabOrder(self.generate_button, self.import_pkcs12_button)
        self.setTabOrder(self.import_pkcs12_button, self.activate_button)
        self.setTabOrder(self.activate_button, self.export_signing_button)
        self.setTabOrder(self.export_signing_button, self.signing_details_button)
        self.setTabOrder(self.signing_details_button, self.delete_signing_button)
        self.setTabOrder(self.delete_signing_button, self.signing_table)
        self.setTabOrder(self.trust_search, self.status_filter)
        self.setTabOrder(self.status_filter, self.import_button)
        self.setTabOrder(self.import_button, self.details_button)
        self.setTabOrder(self.details_button, self.export_button)
        self.setTabOrder(self.export_button, self.delete_button)
        self.setTabOrder(self.delete_button, self.trust_table)

        self.new_action = QAction("Import or generate", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.addAction(self.new_action)
        self.find_action = QAction("Filter", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.addAction(self.find_action)
        self.delete_trust_action = QAction("Delete certificate", self)
        self.delete_trust_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_trust_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.trust_table.addAction(self.delete_trust_action)
        self.delete_signing_action = QAction("Delete signing key", self)
        self.delete_signing_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_signing_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.signing_table.addAction(self.delete_signing_action)
        self._details_shortcuts = [
            (QShortcut(QKeySequence(key), table, context=Qt.ShortcutContext.WidgetShortcut),
             table)
            for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            for table in (self.trust_table, self.signing_table)
        ]
        self._connect_signals()
        self._update_buttons()

    def _connect_signals(self) -> None:
        self.connection.state_changed.connect(self.on_connection_state_changed)
        self.signing_search.textChanged.connect(self.on_signing_search_text_changed)
        self.trust_search.textChanged.connect(self.on_trust_search_text_changed)
        self.status_filter.currentIndexChanged.connect(self.on_status_filter_changed)
        self.generate_button.clicked.connect(self.on_generate_button_clicked)
        self.import_pkcs12_button.clicked.connect(self.on_import_pkcs12_button_clicked)
        self.activate_button.clicked.connect(self.on_activate_button_clicked)
        self.export_signing_button.clicked.connect(self.on_export_signing_button_clicked)
        self.signing_details_button.clicked.connect(self.on_signing_details_button_clicked)
        self.delete_signing_button.clicked.connect(self.on_delete_signing_button_clicked)
        self.delete_signing_action.triggered.connect(self.on_delete_signing_button_clicked)
        self.import_button.clicked.connect(self.on_import_button_clicked)
        self.details_button.clicked.connect(self.on_details_button_clicked)
        self.export_button.clicked.connect(self.on_export_button_clicked)
        self.delete_button.clicked.connect(self.on_delete_button_clicked)
        self.delete_trust_action.triggered.connect(self.on_delete_button_clicked)
        self.new_action.triggered.connect(self.on_new_action_triggered)
        self.find_action.triggered.connect(self.on_find_action_triggered)
        for shortcut, table in self._details_shortcuts:
            if table is self.trust_table:
                shortcut.activated.connect(self.on_details_button_clicked)
            else:
                shortcut.activated.connect(self.on_signing_details_button_clicked)
        self.trust_table.doubleClicked.connect(self.on_trust_table_double_clicked)
        self.signing_table.doubleClicked.connect(self.on_signing_table_double_clicked)
        self.trust_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.signing_table.selectionModel().selectionChanged.connect(self._update_buttons)
        for proxy in (self.trust_proxy, self.signing_proxy):
            proxy.modelReset.connect(self._update_status)
            proxy.layoutChanged.connect(self._update_status)

    # -- loading -------------------------------------------------------------------------

    def refresh(self) -> None:
        # A newer refresh wins: answers to older ones are dropped when they arrive.
        self._generation += 1
        generation = self._generation

        def loaded(snapshot: KeystoreSnapshot) -> None:
            if generation != self._generation:
                return
            keep_trust = self.selected_certificate()
            keep_signing = self.selected_signing_key()
            self.signing_model.set_rows(snapshot.signing_keys)
            self.trust_model.set_rows(snapshot.certificates)
            target = self._select_after_load
            self._select_after_load = None
            if keep_signing is not None:
                self.select_signing_key(keep_signing.alias)
            if keep_trust is not None:
                self.select_certificate(keep_trust.alias)
            if target is not None:
                tab, alias = target
                if tab == TRUST_TAB:
                    self.select_certificate(alias)
                else:
                    self.select_signing_key(alias)
            self._show_expiry(self.signing_model.active_row())
            self._update_buttons()
            self._update_status()
            self.saml_issuers_tab.aliases = tuple(row.alias for row in snapshot.certificates)
            self.saml_issuers_tab.update_buttons()
            self.loaded.emit()

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self.show_error("Loading the keystores", error)
                self.loaded.emit()

        self.call(fetch_keystores, loaded, action="Loading the keystores", on_error=failed)
        self.revocation_tab.refresh()
        self.saml_issuers_tab.refresh()

    def check_signing_expiry(self) -> None:
        """Look at the active signing certificate (in the background) and flag its expiry."""

        def loaded(snapshot: KeystoreSnapshot) -> None:
            self._show_expiry(next((r for r in snapshot.signing_keys if r.active), None))

        def failed(error: Exception) -> None:
            log.info("The signing certificate's expiry could not be checked: %s", error)

        self.call(fetch_keystores, loaded,
                  action="Checking the signing certificate", on_error=failed)

    def _show_expiry(self, active: SigningKeyRow | None) -> None:
        self._expiry_checked = True
        message = expiry_message(active)
        if message is None:
            self.expiry_banner.clear()
            return
        if active is not None and active.status() is CertificateStatus.EXPIRES_SOON:
            self.expiry_banner.show_message("warning", message)
        else:
            self.expiry_banner.error(message)
        self.signing_certificate_expiring.emit(message)

    # -- selection -----------------------------------------------------------------------

    def selected_certificate(self) -> TrustedCertificateRow | None:
        return _selected(self.trust_table, TrustedCertificateRow)

    def selected_signing_key(self) -> SigningKeyRow | None:
        return _selected(self.signing_table, SigningKeyRow)

    def select_certificate(self, alias: str) -> bool:
        return _select(self.trust_table, self.trust_proxy, alias)

    def select_signing_key(self, alias: str) -> bool:
        return _select(self.signing_table, self.signing_proxy, alias)

    def _update_buttons(self, *_args: Any) -> None:
        cert = self.selected_certificate()
        key = self.selected_signing_key()
        idle = not self._working
        self.details_button.setEnabled(cert is not None)
        self.export_button.setEnabled(cert is not None and idle)
        self.delete_button.setEnabled(cert is not None and idle)
        self.delete_trust_action.setEnabled(cert is not None and idle)
        self.signing_details_button.setEnabled(key is not None)
        self.export_signing_button.setEnabled(key is not None and idle)
        self.activate_button.setEnabled(key is not None and not key.active and idle)
        self.delete_signing_button.setEnabled(key is not None and not key.active and idle)
        self.delete_signing_action.setEnabled(key is not None and not key.active and idle)
        self.offer(self.generate_button, Capability.SIGNING_KEYS)
        self.offer(self.import_pkcs12_button, Capability.SIGNING_KEYS)
        self.offer(self.import_button, Capability.TRUST_STORE_IMPORT)

    def _update_status(self, *_args: Any) -> None:
        total, shown = self.trust_model.rowCount(), self.trust_proxy.rowCount()
        if total == 0:
            self.trust_status.setText(
                "The trust store is empty. Import a relying party's certificate (Ctrl+N) to "
                "encrypt the tokens issued for it.")
        elif shown == total:
            in_use = sum(1 for row in self.trust_model.rows() if row.used_by)
            self.trust_status.setText(
                f"{total} certificate{'s' if total != 1 else ''}, {in_use} used by service "
                "providers.")
        else:
            self.trust_status.setText(f"{shown} of {total} certificates match the filter.")
        active = self.signing_model.active_row()
        keys = self.signing_model.rowCount()
        self.signing_status.setText(
            f"{keys} signing key{'s' if keys != 1 else ''}. Tokens are signed with "
            f"'{active.alias}'." if active is not None else
            f"{keys} signing key{'s' if keys != 1 else ''}.")

    # -- slots: filters and shortcuts ----------------------------------------------------

    def on_connection_state_changed(self, state: str, _detail: str) -> None:
        if state == CONNECTED and not self._expiry_checked:
            self._expiry_checked = True
            self.check_signing_expiry()

    def on_signing_search_text_changed(self, text: str) -> None:
        self.signing_proxy.setFilterFixedString(text.strip())
        self._update_status()
        self._update_buttons()

    def on_trust_search_text_changed(self, text: str) -> None:
        self.trust_proxy.setFilterFixedString(text.strip())
        self._update_status()
        self._update_buttons()

    def on_status_filter_changed(self, _index: int) -> None:
        self.trust_proxy.set_status_filter(self.status_filter.currentData())
        self._update_status()
        self._update_buttons()

    def on_new_action_triggered(self) -> None:
        if self.tabs.currentIndex() == TRUST_TAB:
            self.on_import_button_clicked()
        else:
            self.on_generate_button_clicked()

    def on_find_action_triggered(self) -> None:
        edit = self.trust_search if self.tabs.currentIndex() == TRUST_TAB else self.signing_search
        edit.setFocus()
        edit.selectAll()

    # -- slots: trust store --------------------------------------------------------------

    def on_import_button_clicked(self) -> None:
        dialog = CertificateImportDialog(self.connection, self)
        dialog.certificate_imported.connect(self.on_import_dialog_certificate_imported)
        self.import_dialog = dialog
        dialog.open()

    def on_import_dialog_certificate_imported(self, alias: str) -> None:
        self.banner.success(f"The certificate '{alias}' was imported into the trust store. "
                            "Choose it as the Certificate Alias of a service provider's "
                            "WS-Trust configuration to encrypt its tokens.")
        self.tabs.setCurrentIndex(TRUST_TAB)
        self._select_after_load = (TRUST_TAB, alias)
        self.refresh()

    def on_trust_table_double_clicked(self, _index: QModelIndex) -> None:
        self.on_details_button_clicked()

    def on_details_button_clicked(self) -> None:
        row = self.selected_certificate()
        if row is None:
            return
        rows = tuple(self.trust_model.rows())

        def opened(chain: tuple[x509.Certificate, ...]) -> None:
            self._open_details(chain[0], chain, row.alias)

        self.call(lambda api: fetch_certificate_chain(api, row.alias, rows), opened,
                  action=f"Reading the certificate '{row.alias}'")

    def on_export_button_clicked(self) -> None:
        row = self.selected_certificate()
        if row is None:
            return
        choice = certificate_details.choose_export(
            self, f"Export the certificate '{row.alias}'", row.alias)
        if choice is None:
            return
        path, fmt = choice

        def work(api: AdminApi) -> str:
            Path(path).write_bytes(certificate_bytes(_download(api, row.alias), fmt))
            return path

        self._run_work(work, f"The certificate '{row.alias}' was exported as {fmt.upper()} to "
                             f"{path}.", f"Exporting the certificate '{row.alias}'",
                       refresh=False)

    def on_delete_button_clicked(self) -> None:
        row = self.selected_certificate()
        if row is None or self._working:
            return
        if row.used_by:
            use = (f" It is used by the service provider{'s' if len(row.used_by) > 1 else ''} "
                   f"{', '.join(repr(n) for n in row.used_by)}, so the server will refuse until "
                   "they stop using it.")
        else:
            use = " No service provider uses it."
        if not confirm.ask(
            self, "Delete certificate",
            f"Delete the certificate '{row.alias}' ({common_name(row.subject)}) from the trust store?"
            f"{use} This cannot be undone.", destructive=True,
        ):
            return

        def work(api: AdminApi) -> None:
            api.delete_certificate(row.alias)

        self._run_work(work, f"The certificate '{row.alias}' was deleted from the trust store.",
                       f"Deleting the certificate '{row.alias}'")

    # -- slots: signing keystore ---------------------------------------------------------

    def _open_signing_key_dialog(self, *, import_pkcs12: bool) -> None:
        existing = [row.alias for row in self.signing_model.rows()]
        dialog = SigningKeyDialog(self.connection, existing, self, import_pkcs12=import_pkcs12)
        dialog.signing_key_added.connect(self.on_signing_key_dialog_signing_key_added)
        self.signing_key_dialog = dialog
        dialog.open()

    def on_generate_button_clicked(self) -> None:
        self._open_signing_key_dialog(import_pkcs12=False)

    def on_import_pkcs12_button_clicked(self) -> None:
        self._open_signing_key_dialog(import_pkcs12=True)

    def on_signing_key_dialog_signing_key_added(self, alias: str) -> None:
        self.banner.success(
            f"The signing key '{alias}' was added. It does not sign yet: give its certificate "
            "(Export certificate…) to the relying parties, then Make active.")
        self.tabs.setCurrentIndex(SIGNING_TAB)
        self._select_after_load = (SIGNING_TAB, alias)
        self.refresh()

    def on_activate_button_clicked(self) -> None:
        row = self.selected_signing_key()
        if row is None or row.active or self._working:
            return
        current = self.signing_model.active_row()
        previous = f" instead of '{current.alias}'" if current is not None else ""
        if not confirm.ask(
            self, "Make active",
            f"Sign the tokens issued from now on with '{row.alias}'{previous}? Relying parties "
            "must already trust its certificate, or they will reject the new tokens. Tokens "
            "signed before remain valid.", destructive=False,
        ):
            return

        def work(api: AdminApi) -> Any:
            return api.activate_signing_key(row.alias)

        self._run_work(work, f"'{row.alias}' now signs the tokens this STS issues.",
                       f"Making '{row.alias}' the signing key")

    def on_signing_table_double_clicked(self, _index: QModelIndex) -> None:
        self.on_signing_details_button_clicked()

    def on_signing_details_button_clicked(self) -> None:
        row = self.selected_signing_key()
        if row is None:
            return
        try:
            cert = load_certificate(row.pem.encode("ascii", "replace"))
        except ValueError as exc:
            self.show_error(f"Reading the signing certificate '{row.alias}'", exc)
            return
        self._open_details(cert, (cert,), row.alias)

    def on_export_signing_button_clicked(self) -> None:
        row = self.selected_signing_key()
        if row is None:
            return
        choice = certificate_details.choose_export(
            self, f"Export the certificate of signing key '{row.alias}'", row.alias)
        if choice is None:
            return
        path, fmt = choice
        pem = row.pem

        def work(_api: AdminApi) -> str:
            cert = load_certificate(pem.encode("ascii", "replace"))
            Path(path).write_bytes(certificate_bytes(cert, fmt))
            return path

        self._run_work(work, f"The certificate of signing key '{row.alias}' was exported as "
                             f"{fmt.upper()} to {path}. Give it to the relying parties.",
                       f"Exporting the certificate of '{row.alias}'", refresh=False)

    def on_delete_signing_button_clicked(self) -> None:
        row = self.selected_signing_key()
        if row is None or row.active or self._working:
            return
        if not confirm.ask(
            self, "Delete signing key",
            f"Delete the signing key '{row.alias}' and its private key? Tokens it signed can no "
            "longer be validated by this STS. This cannot be undone.", destructive=True,
        ):
            return

        def work(api: AdminApi) -> None:
            api.delete_signing_key(row.alias)

        self._run_work(work, f"The signing key '{row.alias}' was deleted.",
                       f"Deleting the signing key '{row.alias}'")

    # -- helpers -------------------------------------------------------------------------

    def _open_details(self, cert: x509.Certificate, chain: tuple[x509.Certificate, ...],
                      alias: str) -> None:
        dialog = CertificateDetailsDialog(cert, chain=chain, alias=alias, parent=self)
        self.details_dialog = dialog
        dialog.open()

    def _run_work(self, work: Any, success: str, action: str, *, refresh: bool = True) -> None:
        """One change at a time: buttons that would start another are off until it ends."""
        self._working = True
        self._update_buttons()

        def done(_result: Any) -> None:
            self._working = False
            self.banner.success(success)
            self._update_buttons()
            if refresh:
                self.refresh()

        def failed(error: Exception) -> None:
            self._working = False
            self._update_buttons()
            self.show_error(action, error)

        self.call(work, done, action=action, on_error=failed)


def _selected(table: QTableView, kind: type) -> Any:
    rows = table.selectionModel().selectedRows()
    if not rows:
        return None
    row = rows[0].data(ROW_ROLE)
    return row if isinstance(row, kind) else None


def _select(table: QTableView, proxy: CertificateFilterProxyModel, alias: str) -> bool:
    for row in range(proxy.rowCount()):
        index = proxy.index(row, 0)
        if index.data(ROW_ROLE).alias == alias:
            table.selectRow(row)
            table.scrollTo(index)
            return True
    return False
