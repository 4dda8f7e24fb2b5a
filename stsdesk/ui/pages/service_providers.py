"""The Service providers page: the list, with add, edit (the SP editor) and delete."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.models import Application, ApplicationSummary
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.dialogs.service_provider import (
    NewServiceProviderDialog,
    ServiceProviderDialog,
)
from stsdesk.ui.models.service_providers import (
    ROW_ROLE,
    SORT_ROLE,
    ServiceProviderRow,
    ServiceProvidersTableModel,
)
from stsdesk.ui.pages.base import Page

__all__ = ["ServiceProvidersPage", "fetch_service_providers"]

log = logging.getLogger("stsdesk.ui")

_PAGE_SIZE = 1000  # the admin API's largest page


def fetch_service_providers(api: AdminApi) -> list[ServiceProviderRow]:
    """Every service provider with its WS-Trust audience (blocking: run it off the GUI thread).

    The list does not carry the WS-Trust configuration (as in WSO2), so each service
    provider's is read on its own.
    """
    items: list[ApplicationSummary] = []
    while True:
        page = api.list_applications(offset=len(items), limit=_PAGE_SIZE)
        items.extend(page.applications)
        if not page.applications or len(items) >= page.total:
            break
    rows = []
    for item in items:
        ws_trust = api.get_ws_trust(item.id)
        rows.append(replace(item, audience=None if ws_trust is None else ws_trust.audience,
                            certificate_alias=None if ws_trust is None
                            else ws_trust.certificate_alias))
    return rows


class ServiceProvidersPage(Page):
    """Service providers and their WS-Trust relying parties.

    The search box filters the loaded list as you type (client-side, on name, description and
    audience), so typing costs no round trips to the server.
    """

    title = "Service providers"

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None) -> None:
        super().__init__(connection, parent)
        self.new_dialog: NewServiceProviderDialog | None = None
        self.editor: ServiceProviderDialog | None = None
        self._generation = 0
        self._deleting = False
        self._select_after_load: str | None = None

        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText("Search by name, description or audience")
        self.search_edit.setClearButtonEnabled(True)
        search_label = QLabel("Sea&rch:", self)
        search_label.setBuddy(self.search_edit)
        self.add_button = QPushButton("&Add…", self)
        self.add_button.setToolTip("Register a service provider (Ctrl+N)")
        self.edit_button = QPushButton("&Edit…", self)
        self.edit_button.setToolTip("Open the service provider editor (Enter)")
        self.delete_button = QPushButton("&Delete", self)
        self.delete_button.setToolTip("Delete the service provider (Del)")
        toolbar = QHBoxLayout()
        toolbar.addWidget(search_label)
        toolbar.addWidget(self.search_edit, 1)
        toolbar.addSpacing(12)
        toolbar.addWidget(self.add_button)
        toolbar.addWidget(self.edit_button)
        toolbar.addWidget(self.delete_button)

        self.model = ServiceProvidersTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)  # any column
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(ServiceProvidersTableModel.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(ServiceProvidersTableModel.NAME,
                                    QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(ServiceProvidersTableModel.DESCRIPTION,
                                    QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ServiceProvidersTableModel.AUDIENCE,
                                    QHeaderView.ResizeMode.Interactive)
        header.resizeSection(ServiceProvidersTableModel.NAME, 240)
        header.resizeSection(ServiceProvidersTableModel.AUDIENCE, 380)
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)

        self.body.addLayout(toolbar)
        self.body.addWidget(self.table, 1)
        self.body.addWidget(self.status_label)
        self.setTabOrder(self.search_edit, self.add_button)
        self.setTabOrder(self.add_button, self.edit_button)
        self.setTabOrder(self.edit_button, self.delete_button)
        self.setTabOrder(self.delete_button, self.table)

        self.add_action = QAction("Add service provider", self)
        self.add_action.setShortcut(QKeySequence.StandardKey.New)
        self.addAction(self.add_action)
        self.delete_action = QAction("Delete service provider", self)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.table.addAction(self.delete_action)
        self._edit_shortcuts = [
            QShortcut(QKeySequence(key), self.table, context=Qt.ShortcutContext.WidgetShortcut)
            for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ]
        self._connect_signals()
        self._update_buttons()

    def _connect_signals(self) -> None:
        self.search_edit.textChanged.connect(self.on_search_edit_text_changed)
        self.add_button.clicked.connect(self.on_add_button_clicked)
        self.add_action.triggered.connect(self.on_add_button_clicked)
        self.edit_button.clicked.connect(self.on_edit_button_clicked)
        self.delete_button.clicked.connect(self.on_delete_button_clicked)
        self.delete_action.triggered.connect(self.on_delete_button_clicked)
        for shortcut in self._edit_shortcuts:
            shortcut.activated.connect(self.on_edit_button_clicked)
        self.table.doubleClicked.connect(self.on_table_double_clicked)
        self.table.selectionModel().selectionChanged.connect(self.on_table_selection_changed)
        self.proxy.modelReset.connect(self._update_status)
        self.proxy.rowsInserted.connect(self._update_status)
        self.proxy.rowsRemoved.connect(self._update_status)

    # -- loading -------------------------------------------------------------------------

    def refresh(self) -> None:
        # A newer refresh wins: answers to older ones are dropped when they arrive.
        self._generation += 1
        generation = self._generation

        def loaded(rows: list[ServiceProviderRow]) -> None:
            if generation != self._generation:
                return
            current = self.selected_row()
            selected = self._select_after_load or (current.id if current else None)
            self._select_after_load = None
            self.model.set_rows(rows)
            if selected is not None:
                self.select(selected)
            self._update_buttons()
            self.loaded.emit()

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self.show_error("Loading the service providers", error)
                self.loaded.emit()

        self.call(fetch_service_providers, loaded, action="Loading the service providers",
                  on_error=failed)

    # -- selection -----------------------------------------------------------------------

    def selected_row(self) -> ServiceProviderRow | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].data(ROW_ROLE)
        return row if isinstance(row, ServiceProviderRow) else None

    def select(self, application_id: str) -> bool:
        """Select the service provider with ``application_id`` if it is shown."""
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(ROW_ROLE).id == application_id:
                self.table.selectRow(row)
                self.table.scrollTo(index)
                return True
        return False

    def _update_buttons(self) -> None:
        has_row = self.selected_row() is not None
        self.edit_button.setEnabled(has_row)
        self.delete_button.setEnabled(has_row and not self._deleting)
        self.delete_action.setEnabled(has_row and not self._deleting)

    def _update_status(self) -> None:
        total = self.model.rowCount()
        shown = self.proxy.rowCount()
        if total == 0:
            self.status_label.setText(
                "No service providers yet. Add one (Ctrl+N) for each relying party this STS "
                "issues tokens for, then configure its WS-Trust Endpoint Address.")
        elif shown == total:
            self.status_label.setText(f"{total} service provider{'s' if total != 1 else ''}.")
        else:
            self.status_label.setText(
                f"{shown} of {total} service providers match “{self.search_edit.text()}”.")

    # -- slots ---------------------------------------------------------------------------

    def on_search_edit_text_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        self._update_status()
        self._update_buttons()

    def on_table_selection_changed(self, *_args: Any) -> None:
        self._update_buttons()

    def on_table_double_clicked(self, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if isinstance(row, ServiceProviderRow):
            self.open_editor(row.id)

    def on_add_button_clicked(self) -> None:
        dialog = NewServiceProviderDialog(self.connection, self)
        dialog.service_provider_created.connect(self.on_new_dialog_service_provider_created)
        self.new_dialog = dialog
        dialog.open()

    def on_new_dialog_service_provider_created(self, application: Application) -> None:
        app_id = application.id
        self.banner.success(f"The service provider '{application.name}' was "
                            "registered. Choose its claims and configure WS-Trust.")
        self._select_after_load = app_id
        self.refresh()
        if app_id:
            # As in WSO2: registering leads straight to the editor.
            self.open_editor(app_id)

    def on_edit_button_clicked(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.open_editor(row.id)

    def open_editor(self, application_id: str) -> ServiceProviderDialog:
        editor = ServiceProviderDialog(self.connection, application_id, self)
        editor.service_provider_saved.connect(self.on_editor_service_provider_saved)
        editor.ws_trust_changed.connect(self.refresh)
        editor.finished.connect(self.on_editor_finished)
        self.editor = editor
        editor.open()
        return editor

    def on_editor_service_provider_saved(self, application: Application) -> None:
        self.banner.success(f"The service provider '{application.name}' was saved.")
        self._select_after_load = application.id or None
        self.refresh()

    def on_editor_finished(self, _result: int) -> None:
        editor = self.sender()
        if isinstance(editor, ServiceProviderDialog):
            editor.deleteLater()
            if editor is self.editor:
                self.editor = None

    def has_unsaved_changes(self) -> bool:
        editor = self.editor
        return editor is not None and editor.isVisible() and editor.has_unsaved_changes()

    def on_delete_button_clicked(self) -> None:
        row = self.selected_row()
        if row is None or self._deleting:
            return
        if row.audience is not None:
            goes = (f"Its WS-Trust relying party (audience {row.audience}) goes with it: the STS "
                    "will no longer issue tokens for that audience.")
        else:
            goes = "It has no WS-Trust relying party configured."
        if not confirm.ask(
            self, "Delete service provider",
            f"Delete the service provider '{row.name}'? {goes} This cannot be undone.",
            destructive=True,
        ):
            return
        self._deleting = True
        self._update_buttons()

        def work(api: AdminApi) -> None:
            api.delete_application(row.id)

        def deleted(_result: Any) -> None:
            self._deleting = False
            self.banner.success(f"The service provider '{row.name}' was deleted.")
            self.refresh()

        def failed(error: Exception) -> None:
            self._deleting = False
            self._update_buttons()
            self.show_error(f"Deleting the service provider '{row.name}'", error)

        self.call(work, deleted, action="Deleting the service provider", on_error=failed)
