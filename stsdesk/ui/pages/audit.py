"""The Audit log page: who changed what on the server, newest first, filtered and paged."""

from __future__ import annotations

import logging

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QWidget,
)

from stsdesk.services.admin import AdminApi, Capability
from stsdesk.services.admin.models import AuditPage
from stsdesk.services.errors import ServiceError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.models.audit import AuditEntry, AuditLogFilterProxyModel, AuditLogTableModel
from stsdesk.ui.pages.base import Page
from stsdesk.ui.widgets.form import never_widen
from stsdesk.ui.widgets.sort_arrow import use_conventional_sort_arrows

__all__ = ["AuditLogPage", "PAGE_SIZE"]

log = logging.getLogger("stsdesk.ui.audit")

PAGE_SIZE = 100  # entries per request; the server allows up to 1000
_ALL_ACTIONS = "All actions"


def _application_names(api: AdminApi) -> dict[str, str]:
    """Every service provider's name by id, so entries about one show its name; {} when the
    server will not list them (the entries then show the id, as before)."""
    names: dict[str, str] = {}
    try:
        while True:
            page = api.list_applications(offset=len(names), limit=100)
            names.update((app.id, app.name) for app in page.applications)
            if not page.applications or len(names) >= page.total:
                return names
    except ServiceError as exc:
        log.info("Audit log shows service providers by id: %s", exc)
        return names


class AuditLogPage(Page):
    """A table over ``GET /audit-logs``; "Load more" fetches the next page of older entries."""

    title = "Audit log"

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None, *,
                 page_size: int = PAGE_SIZE) -> None:
        super().__init__(connection, parent)
        self.page_size = page_size
        self._received = 0  # entries the server has handed out so far (the next offset)
        self._more = False
        self._loading = False
        self._generation = 0
        self._build()
        self._connect_signals()
        self._update_controls()

    def _build(self) -> None:
        self.model = AuditLogTableModel(self)
        self.proxy = AuditLogFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)

        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("Filter: text in any column (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        filter_label = QLabel("&Filter:", self)
        filter_label.setBuddy(self.filter_edit)
        self.action_combo = QComboBox(self)
        self.action_combo.setMinimumContentsLength(24)
        self.action_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.action_combo.addItem(_ALL_ACTIONS, "")
        action_label = QLabel("A&ction:", self)
        action_label.setBuddy(self.action_combo)
        self.refresh_button = QPushButton("&Refresh", self)
        self.refresh_button.setToolTip("Load the newest entries again (F5)")
        controls = QHBoxLayout()
        controls.addWidget(filter_label)
        controls.addWidget(self.filter_edit, 2)
        controls.addSpacing(12)
        controls.addWidget(action_label)
        controls.addWidget(self.action_combo, 1)
        controls.addSpacing(12)
        controls.addWidget(self.refresh_button)
        self.body.addLayout(controls)

        self.table = QTableView(self)
        self.table.setObjectName("auditTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(AuditLogTableModel.TIME, Qt.SortOrder.DescendingOrder)
        use_conventional_sort_arrows(self.table.horizontalHeader())  # newest first: arrow down
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(AuditLogTableModel.TIME,
                                    QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(AuditLogTableModel.USER,
                                    QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(AuditLogTableModel.ACTION,
                                    QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(AuditLogTableModel.TARGET, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(AuditLogTableModel.TARGET, 240)
        header.setStretchLastSection(True)
        self.body.addWidget(self.table, 1)

        self.detail_label = never_widen(QLabel(self))
        self.detail_label.setTextFormat(Qt.TextFormat.PlainText)  # entries hold typed text
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setStyleSheet("color:#444;")
        self.detail_label.setText("Select an entry to read its full detail.")
        self.body.addWidget(self.detail_label)

        self.count_label = QLabel(self)
        self.load_more_button = QPushButton("&Load more", self)
        self.load_more_button.setToolTip("Fetch the next page of older entries")
        footer = QHBoxLayout()
        footer.addWidget(self.count_label, 1)
        footer.addWidget(self.load_more_button)
        self.body.addLayout(footer)

        self.find_action = QAction("Filter", self)
        self.find_action.setShortcut(QKeySequence.StandardKey.Find)
        self.addAction(self.find_action)

        self.setTabOrder(self.filter_edit, self.action_combo)
        self.setTabOrder(self.action_combo, self.refresh_button)
        self.setTabOrder(self.refresh_button, self.table)
        self.setTabOrder(self.table, self.load_more_button)

    def _connect_signals(self) -> None:
        self.filter_edit.textChanged.connect(self.on_filter_edit_text_changed)
        self.action_combo.currentIndexChanged.connect(self.on_action_combo_index_changed)
        self.refresh_button.clicked.connect(self.on_refresh_button_clicked)
        self.load_more_button.clicked.connect(self.on_load_more_button_clicked)
        self.find_action.triggered.connect(self.on_find_action_triggered)
        self.table.selectionModel().selectionChanged.connect(self.on_table_selection_changed)
        self.proxy.rowsInserted.connect(self.on_proxy_rows_changed)
        self.proxy.rowsRemoved.connect(self.on_proxy_rows_changed)
        self.proxy.modelReset.connect(self.on_proxy_rows_changed)
        self.proxy.layoutChanged.connect(self.on_proxy_rows_changed)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Load the newest page again (what was loaded before is replaced)."""
        reason = self.connection.missing_reason(Capability.AUDIT_LOG)
        self.table.setEnabled(reason is None)
        self.table.setToolTip(reason or "")
        if reason is not None:
            # Greyed out with the reason, rather than failing on every visit.
            self.model.set_entries([])
            self._more = False
            self.banner.info(f"This server has no audit log: {reason}")
            self._update_controls()
            self.loaded.emit()
            return
        self._fetch(offset=0)

    def _fetch(self, *, offset: int) -> None:
        self._generation += 1
        generation = self._generation
        limit = self.page_size
        self._loading = True
        self._update_controls()

        def work(api: AdminApi) -> tuple[AuditPage, dict[str, str] | None]:
            page = api.list_audit_entries(offset=offset, limit=limit)
            names = _application_names(api) if offset == 0 else None
            return page, names

        # Only the newest of overlapping requests counts (and says it finished).
        def loaded(answer: tuple[AuditPage, dict[str, str] | None]) -> None:
            page, names = answer
            if generation == self._generation:
                self._loading = False
                if names is not None:
                    self.model.set_application_names(names)
                self.on_audit_logs_loaded(page, offset=offset, limit=limit)
                self.loaded.emit()

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self._loading = False
                self._update_controls()
                self.show_error("Loading the audit log", error)
                self.loaded.emit()

        self.call(work, loaded, action="Loading the audit log", on_error=failed)

    def on_audit_logs_loaded(self, page: AuditPage, *, offset: int, limit: int) -> None:
        entries = list(page.entries)
        if offset == 0:
            self.model.set_entries(entries)
            self._received = len(entries)
        else:
            self.model.append_entries(entries)
            self._received = offset + len(entries)
        self._more = len(entries) >= limit
        self._refill_actions()
        self._update_controls()

    def _refill_actions(self) -> None:
        chosen = self.action_combo.currentData() or ""
        actions = self.model.actions()
        if chosen and chosen not in actions:
            actions = sorted([*actions, chosen])
        self.action_combo.blockSignals(True)
        try:
            self.action_combo.clear()
            self.action_combo.addItem(_ALL_ACTIONS, "")
            for action in actions:
                self.action_combo.addItem(action, action)
            self.action_combo.setCurrentIndex(max(0, self.action_combo.findData(chosen)))
        finally:
            self.action_combo.blockSignals(False)

    def _update_controls(self) -> None:
        self.refresh_button.setEnabled(not self._loading)
        self.load_more_button.setEnabled(self._more and not self._loading)
        shown, loaded = self.proxy.rowCount(), self.model.rowCount()
        if self._loading and not loaded:
            text = "Loading…"
        elif shown == loaded:
            text = f"{loaded} entr{'y' if loaded == 1 else 'ies'} loaded"
        else:
            text = f"{shown} of {loaded} loaded entries match the filter"
        if loaded and not self._more and not self._loading:
            text += " — that is the whole log"
        self.count_label.setText(text)

    # -- slots -----------------------------------------------------------------------------

    def on_filter_edit_text_changed(self, text: str) -> None:
        self.proxy.set_text(text)

    def on_action_combo_index_changed(self, _index: int) -> None:
        self.proxy.set_action(self.action_combo.currentData() or "")

    def on_refresh_button_clicked(self) -> None:
        self.refresh()

    def on_load_more_button_clicked(self) -> None:
        if self._more and not self._loading:
            self._fetch(offset=self._received)

    def on_find_action_triggered(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def on_proxy_rows_changed(self, *_: object) -> None:
        self._update_controls()

    def on_table_selection_changed(self, selected: QItemSelection,
                                   _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        entry = indexes[0].data(AuditLogTableModel.ENTRY_ROLE) if indexes else None
        if not isinstance(entry, AuditEntry):
            self.detail_label.setText("Select an entry to read its full detail.")
            return
        self.detail_label.setText(
            f"{entry.local_time} · {entry.actor} · {entry.action} · "
            f"{self.model.target_text(entry)}\n{entry.detail or '(no detail)'}")

    def selected_entry(self) -> AuditEntry | None:
        indexes = self.table.selectionModel().selectedRows()
        entry = indexes[0].data(AuditLogTableModel.ENTRY_ROLE) if indexes else None
        return entry if isinstance(entry, AuditEntry) else None
