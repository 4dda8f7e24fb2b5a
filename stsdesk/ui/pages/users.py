"""The Users and roles page: SCIM users (add, edit, unlock, delete) and roles with members."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from stsdesk.services.admin import AdminApi
from stsdesk.services.errors import ServiceError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.dialogs.role import RoleDialog
from stsdesk.ui.dialogs.user import UserDialog
from stsdesk.ui.models.users import (
    ROW_ROLE,
    SORT_ROLE,
    RoleRow,
    RolesTableModel,
    UserRow,
    UsersTableModel,
)
from stsdesk.ui.pages.base import Page

__all__ = [
    "UsersRolesPage",
    "UsersPage",
    "fetch_users",
    "fetch_roles",
    "fetch_all_user_names",
    "fetch_claim_names",
    "PAGE_SIZE",
]

log = logging.getLogger("stsdesk.ui")

PAGE_SIZE = 50  # users per page of the table
_SERVER_PAGE = 200  # the most a SCIM list answer holds on stsdesk (ServiceProviderConfig)
_FILTER_DELAY_MS = 300  # typing pauses this long before the server is asked
# userName sw "<text>" must stay under the server's 1000-character filter limit even when every
# character is escaped as \uXXXX.
_MAX_FILTER_TEXT = 150


@dataclass(frozen=True)
class UsersPage:
    """One page of users as the server listed it."""

    rows: tuple[UserRow, ...]
    total: int
    start: int  # 1-based index of the first row


def fetch_users(api: AdminApi, text: str, start: int, count: int) -> UsersPage:
    """Users whose name starts with ``text``, ``count`` from ``start`` (blocking)."""
    page = api.list_users(user_name_prefix=text, offset=start - 1, limit=count)
    return UsersPage(rows=page.users, total=page.total, start=start)


def fetch_roles(api: AdminApi) -> list[RoleRow]:
    """Every role with its members (blocking)."""
    return list(api.list_roles())


def fetch_all_user_names(api: AdminApi) -> list[tuple[str, str]]:
    """Every user as (id, user name), for choosing members (blocking)."""
    users: list[UserRow] = []
    while True:
        page = api.list_users(offset=len(users), limit=_SERVER_PAGE)
        users.extend(page.users)
        if not page.users or len(users) >= page.total:
            return [(user.id, user.user_name) for user in users]


def fetch_claim_names(api: AdminApi) -> dict[str, str]:
    """Local claim URI -> display name; empty if the server has no such list (WSO2 older)."""
    try:
        claims = api.list_local_claims()
    except ServiceError as exc:
        log.info("The local claims could not be read (%s); the built-in names are used.",
                 exc.message)
        return {}
    return {claim.uri: claim.display_name for claim in claims}


def _table(parent: QWidget, model: Any) -> tuple[QTableView, QSortFilterProxyModel]:
    proxy = QSortFilterProxyModel(parent)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    table = QTableView(parent)
    table.setModel(proxy)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSortingEnabled(True)
    table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    table.setAlternatingRowColors(True)
    table.verticalHeader().hide()
    return table, proxy


def _selected(table: QTableView) -> Any:
    rows = table.selectionModel().selectedRows()
    return rows[0].data(ROW_ROLE) if rows else None


def _select(table: QTableView, row_id: str) -> bool:
    model = table.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(ROW_ROLE).id == row_id:
            table.selectRow(row)
            table.scrollTo(index)
            return True
    return False


class UsersRolesPage(Page):
    """WSO2's "Users and Roles": a Users tab and a Roles tab.

    The user filter is a server-side SCIM filter (``userName sw "..."``), asked a moment after
    typing stops; the table pages through the result ``page_size`` users at a time.
    """

    title = "Users and roles"

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None, *,
                 page_size: int = PAGE_SIZE) -> None:
        super().__init__(connection, parent)
        self.page_size = page_size
        self.user_dialog: UserDialog | None = None
        self.role_dialog: RoleDialog | None = None
        self._generation = 0
        self._start = 1
        self._total = 0
        self._busy = False
        self._claim_names: dict[str, str] | None = None
        self._select_user: str | None = None
        self._select_role: str | None = None
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(_FILTER_DELAY_MS)

        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._build_users_tab(), "&Users")
        self.tabs.addTab(self._build_roles_tab(), "&Roles")
        self.body.addWidget(self.tabs, 1)

        # Ctrl+N adds a user or a role, whichever tab is showing.
        self.add_action = QAction("Add", self)
        self.add_action.setShortcut(QKeySequence.StandardKey.New)
        self.addAction(self.add_action)
        self.delete_user_action = self._widget_action(self.users_table, "Delete user",
                                                      QKeySequence.StandardKey.Delete)
        self.delete_role_action = self._widget_action(self.roles_table, "Delete role",
                                                      QKeySequence.StandardKey.Delete)
        self._edit_shortcuts = [
            (QShortcut(QKeySequence(key), table, context=Qt.ShortcutContext.WidgetShortcut),
             slot)
            for table, slot in ((self.users_table, self.on_edit_user_button_clicked),
                                (self.roles_table, self.on_edit_role_button_clicked))
            for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ]
        self._connect_signals()
        self._update_buttons()

    # -- building ----------------------------------------------------------------------------

    def _widget_action(self, widget: QWidget, text: str,
                       key: QKeySequence.StandardKey) -> QAction:
        action = QAction(text, widget)
        action.setShortcut(key)
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        widget.addAction(action)
        return action

    def _build_users_tab(self) -> QWidget:
        tab = QWidget(self)
        self.filter_edit = QLineEdit(tab)
        self.filter_edit.setPlaceholderText("User name starts with…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaxLength(_MAX_FILTER_TEXT)
        filter_label = QLabel("&Filter:", tab)
        filter_label.setBuddy(self.filter_edit)
        self.add_user_button = QPushButton("&Add…", tab)
        self.add_user_button.setToolTip("Add a new user (Ctrl+N)")
        self.edit_user_button = QPushButton("&Edit…", tab)
        self.edit_user_button.setToolTip("Edit the user's profile, password and roles (Enter)")
        self.unlock_button = QPushButton("Un&lock", tab)
        self.unlock_button.setToolTip("Unlock an account locked after failed sign-ins")
        self.delete_user_button = QPushButton("&Delete", tab)
        self.delete_user_button.setToolTip("Delete the user (Del)")
        toolbar = QHBoxLayout()
        toolbar.addWidget(filter_label)
        toolbar.addWidget(self.filter_edit, 1)
        toolbar.addSpacing(12)
        for button in (self.add_user_button, self.edit_user_button, self.unlock_button,
                       self.delete_user_button):
            toolbar.addWidget(button)

        self.users_model = UsersTableModel(self)
        self.users_table, self.users_proxy = _table(tab, self.users_model)
        header = self.users_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(UsersTableModel.ROLES, QHeaderView.ResizeMode.Stretch)
        for column, width in ((UsersTableModel.USER_NAME, 170),
                              (UsersTableModel.DISPLAY_NAME, 190),
                              (UsersTableModel.EMAIL, 230), (UsersTableModel.ACTIVE, 70),
                              (UsersTableModel.LOCKED, 100),
                              (UsersTableModel.PASSWORD, 130)):
            header.resizeSection(column, width)

        self.users_status = QLabel(tab)
        self.users_status.setWordWrap(True)
        self.previous_button = QPushButton("◀ &Previous", tab)
        self.next_button = QPushButton("&Next ▶", tab)
        footer = QHBoxLayout()
        footer.addWidget(self.users_status, 1)
        footer.addWidget(self.previous_button)
        footer.addWidget(self.next_button)

        layout = QVBoxLayout(tab)
        layout.addLayout(toolbar)
        layout.addWidget(self.users_table, 1)
        layout.addLayout(footer)
        chain = [self.filter_edit, self.add_user_button, self.edit_user_button,
                 self.unlock_button, self.delete_user_button, self.users_table,
                 self.previous_button, self.next_button]
        for first, second in zip(chain, chain[1:], strict=False):
            self.setTabOrder(first, second)
        return tab

    def _build_roles_tab(self) -> QWidget:
        tab = QWidget(self)
        self.add_role_button = QPushButton("&Add Role…", tab)
        self.add_role_button.setToolTip("Add a new role (Ctrl+N)")
        self.edit_role_button = QPushButton("&Edit…", tab)
        self.edit_role_button.setToolTip("Rename the role or change its users (Enter)")
        self.delete_role_button = QPushButton("&Delete", tab)
        self.delete_role_button.setToolTip("Delete the role (Del)")
        toolbar = QHBoxLayout()
        toolbar.addWidget(QLabel("A role is a SCIM group; users get tokens and admin rights "
                                 "through their roles.", tab), 1)
        for button in (self.add_role_button, self.edit_role_button, self.delete_role_button):
            toolbar.addWidget(button)

        self.roles_model = RolesTableModel(self)
        self.roles_table, self.roles_proxy = _table(tab, self.roles_model)
        header = self.roles_table.horizontalHeader()
        header.setSectionResizeMode(RolesTableModel.NAME, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(RolesTableModel.MEMBERS, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(RolesTableModel.NAME, 220)

        self.members_box = QGroupBox("Users in the role", tab)
        self.members_list = QListWidget(self.members_box)
        self.members_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.assign_button = QPushButton("Ass&ign users…", self.members_box)
        self.assign_button.setToolTip("Choose the users in this role")
        self.remove_member_button = QPushButton("Re&move from Role", self.members_box)
        self.remove_member_button.setToolTip("Take the selected users out of this role")
        self.members_hint = QLabel(self.members_box)
        self.members_hint.setWordWrap(True)
        member_buttons = QHBoxLayout()
        member_buttons.addWidget(self.assign_button)
        member_buttons.addWidget(self.remove_member_button)
        member_buttons.addStretch(1)
        box_layout = QVBoxLayout(self.members_box)
        box_layout.addWidget(self.members_list, 1)
        box_layout.addWidget(self.members_hint)
        box_layout.addLayout(member_buttons)

        splitter = QSplitter(tab)
        splitter.addWidget(self.roles_table)
        splitter.addWidget(self.members_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([620, 400])
        self.roles_status = QLabel(tab)
        layout = QVBoxLayout(tab)
        layout.addLayout(toolbar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.roles_status)
        chain = [self.add_role_button, self.edit_role_button, self.delete_role_button,
                 self.roles_table, self.members_list, self.assign_button,
                 self.remove_member_button]
        for first, second in zip(chain, chain[1:], strict=False):
            self.setTabOrder(first, second)
        return tab

    def _connect_signals(self) -> None:
        self.add_action.triggered.connect(self.on_add_action_triggered)
        self.filter_edit.textChanged.connect(self.on_filter_edit_text_changed)
        self._filter_timer.timeout.connect(self.on_filter_timer_timeout)
        self.add_user_button.clicked.connect(self.on_add_user_button_clicked)
        self.edit_user_button.clicked.connect(self.on_edit_user_button_clicked)
        self.unlock_button.clicked.connect(self.on_unlock_button_clicked)
        self.delete_user_button.clicked.connect(self.on_delete_user_button_clicked)
        self.delete_user_action.triggered.connect(self.on_delete_user_button_clicked)
        self.previous_button.clicked.connect(self.on_previous_button_clicked)
        self.next_button.clicked.connect(self.on_next_button_clicked)
        self.users_table.doubleClicked.connect(self.on_users_table_double_clicked)
        self.users_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.add_role_button.clicked.connect(self.on_add_role_button_clicked)
        self.edit_role_button.clicked.connect(self.on_edit_role_button_clicked)
        self.assign_button.clicked.connect(self.on_edit_role_button_clicked)
        self.delete_role_button.clicked.connect(self.on_delete_role_button_clicked)
        self.delete_role_action.triggered.connect(self.on_delete_role_button_clicked)
        self.remove_member_button.clicked.connect(self.on_remove_member_button_clicked)
        self.roles_table.doubleClicked.connect(self.on_roles_table_double_clicked)
        self.roles_table.selectionModel().selectionChanged.connect(
            self.on_roles_table_selection_changed)
        self.members_list.itemSelectionChanged.connect(self._update_buttons)
        for shortcut, slot in self._edit_shortcuts:
            shortcut.activated.connect(slot)

    # -- loading -----------------------------------------------------------------------------

    def refresh(self) -> None:
        # A newer refresh wins: answers to older ones are dropped when they arrive.
        self._filter_timer.stop()
        self._generation += 1
        generation = self._generation
        text, start, size = self.filter_edit.text(), self._start, self.page_size
        need_claims = self._claim_names is None

        def work(api: AdminApi) -> tuple[UsersPage, list[RoleRow], dict[str, str] | None]:
            users = fetch_users(api, text, start, size)
            if not users.rows and users.total and start > 1:
                # The page emptied (users deleted meanwhile): show the last page there is.
                last = max(1, ((users.total - 1) // size) * size + 1)
                users = fetch_users(api, text, last, size)
            claims = fetch_claim_names(api) if need_claims else None
            return users, fetch_roles(api), claims

        def loaded(result: tuple[UsersPage, list[RoleRow], dict[str, str] | None]) -> None:
            if generation != self._generation:
                return
            users, roles, claims = result
            if claims is not None:
                self._claim_names = claims
            self._show_users(users)
            self._show_roles(roles)
            self.loaded.emit()

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self.show_error("Loading the users and roles", error)
                self.loaded.emit()

        self.call(work, loaded, action="Loading the users and roles", on_error=failed)

    def _show_users(self, users: UsersPage) -> None:
        current = self.selected_user()
        keep = self._select_user or (current.id if current else None)
        self._select_user = None
        self._start, self._total = users.start, users.total
        self.users_model.set_rows(users.rows)
        if keep is not None:
            _select(self.users_table, keep)
        shown = len(users.rows)
        text = self.filter_edit.text().strip()
        if users.total == 0:
            self.users_status.setText(f"No user name starts with “{text}”." if text
                                      else "No users yet. Add one (Ctrl+N).")
        elif shown == users.total:
            match = f" whose user name starts with “{text}”" if text else ""
            self.users_status.setText(f"{users.total} user{'s' if users.total != 1 else ''}"
                                      f"{match}.")
        else:
            self.users_status.setText(
                f"Users {users.start}–{users.start + shown - 1} of {users.total}"
                + (f" starting with “{text}”." if text else "."))
        self._update_buttons()

    def _show_roles(self, roles: list[RoleRow]) -> None:
        current = self.selected_role()
        keep = self._select_role or (current.id if current else None)
        self._select_role = None
        self.roles_model.set_rows(roles)
        if keep is not None:
            _select(self.roles_table, keep)
        self.roles_status.setText(f"{len(roles)} role{'s' if len(roles) != 1 else ''}.")
        self._show_members()

    def _show_members(self) -> None:
        role = self.selected_role()
        self.members_list.clear()
        if role is None:
            self.members_box.setTitle("Users in the role")
            self.members_hint.setText("Select a role to see its users.")
        else:
            self.members_box.setTitle(f"Users in the role “{role.name}”")
            for user_id, user_name in role.members:
                item = QListWidgetItem(user_name, self.members_list)
                item.setData(Qt.ItemDataRole.UserRole, user_id)
            self.members_hint.setText("" if role.members else
                                      "No users have this role. Click Assign Users to add some.")
        self.members_hint.setVisible(bool(self.members_hint.text()))
        self._update_buttons()

    # -- selection ---------------------------------------------------------------------------

    def selected_user(self) -> UserRow | None:
        row = _selected(self.users_table)
        return row if isinstance(row, UserRow) else None

    def selected_role(self) -> RoleRow | None:
        row = _selected(self.roles_table)
        return row if isinstance(row, RoleRow) else None

    def select_user(self, user_id: str) -> bool:
        return _select(self.users_table, user_id)

    def select_role(self, role_id: str) -> bool:
        return _select(self.roles_table, role_id)

    def _update_buttons(self, *_args: Any) -> None:
        user = self.selected_user()
        role = self.selected_role()
        idle = not self._busy
        self.edit_user_button.setEnabled(user is not None)
        self.unlock_button.setEnabled(idle and user is not None and user.locked)
        self.delete_user_button.setEnabled(idle and user is not None)
        self.delete_user_action.setEnabled(idle and user is not None)
        self.previous_button.setEnabled(self._start > 1)
        self.next_button.setEnabled(self._start - 1 + self.users_model.rowCount() < self._total)
        self.edit_role_button.setEnabled(role is not None)
        self.assign_button.setEnabled(role is not None)
        self.delete_role_button.setEnabled(idle and role is not None)
        self.delete_role_action.setEnabled(idle and role is not None)
        self.remove_member_button.setEnabled(
            idle and role is not None and bool(self.members_list.selectedItems()))

    # -- page actions ------------------------------------------------------------------------

    def _run(self, work: Callable[[AdminApi], Any], success: str, action: str) -> None:
        """A change from the page itself (unlock, delete, remove members), then a reload."""
        self._busy = True
        self._update_buttons()

        def done(_result: Any) -> None:
            self._busy = False
            self.banner.success(success)
            self.refresh()

        def failed(error: Exception) -> None:
            self._busy = False
            self._update_buttons()
            self.show_error(action, error)

        self.call(work, done, action=action, on_error=failed)

    def on_add_action_triggered(self) -> None:
        if self.tabs.currentIndex() == 0:
            self.on_add_user_button_clicked()
        else:
            self.on_add_role_button_clicked()

    def on_filter_edit_text_changed(self, _text: str) -> None:
        self._start = 1
        self._filter_timer.start()

    def on_filter_timer_timeout(self) -> None:
        self.refresh()

    def on_previous_button_clicked(self) -> None:
        self._start = max(1, self._start - self.page_size)
        self.refresh()

    def on_next_button_clicked(self) -> None:
        self._start += self.page_size
        self.refresh()

    # -- users -------------------------------------------------------------------------------

    def on_add_user_button_clicked(self) -> None:
        self.open_user_dialog(None)

    def on_edit_user_button_clicked(self) -> None:
        user = self.selected_user()
        if user is not None:
            self.open_user_dialog(user)

    def on_users_table_double_clicked(self, index: QModelIndex) -> None:
        user = index.data(ROW_ROLE)
        if isinstance(user, UserRow):
            self.open_user_dialog(user)

    def open_user_dialog(self, user: UserRow | None) -> UserDialog:
        if self.user_dialog is not None and self.user_dialog.isVisible():
            # One at a time: a second Enter or Ctrl+N brings the open one forward.
            self.user_dialog.raise_()
            self.user_dialog.activateWindow()
            return self.user_dialog
        dialog = UserDialog(self.connection, self.roles_model.rows(), user, self,
                            claim_names=self._claim_names)
        dialog.user_saved.connect(self.on_user_dialog_user_saved)
        dialog.finished.connect(self.on_dialog_finished)
        self.user_dialog = dialog
        dialog.open()
        return dialog

    def on_user_dialog_user_saved(self, user: UserRow) -> None:
        self.banner.success(f"The user '{user.user_name}' was saved.")
        self._select_user = user.id
        self.refresh()

    def on_unlock_button_clicked(self) -> None:
        user = self.selected_user()
        if user is None or not user.locked or self._busy:
            return
        self._run(lambda api: api.unlock_user(user.id),
                  f"The account '{user.user_name}' was unlocked; the user can sign in again.",
                  f"Unlocking the account '{user.user_name}'")

    def on_delete_user_button_clicked(self) -> None:
        user = self.selected_user()
        if user is None or self._busy:
            return
        roles = (f" They leave the roles {', '.join(user.role_names)}." if user.roles else "")
        if not confirm.ask(
            self, "Delete user",
            f"Delete the user '{user.user_name}'? They will no longer be able to sign in or get "
            f"tokens.{roles} This cannot be undone.",
            destructive=True,
        ):
            return
        self._run(lambda api: api.delete_user(user.id),
                  f"The user '{user.user_name}' was deleted.",
                  f"Deleting the user '{user.user_name}'")

    # -- roles -------------------------------------------------------------------------------

    def on_roles_table_selection_changed(self, *_args: Any) -> None:
        self._show_members()

    def on_roles_table_double_clicked(self, index: QModelIndex) -> None:
        role = index.data(ROW_ROLE)
        if isinstance(role, RoleRow):
            self.open_role_dialog(role)

    def on_add_role_button_clicked(self) -> None:
        self.open_role_dialog(None)

    def on_edit_role_button_clicked(self) -> None:
        role = self.selected_role()
        if role is not None:
            self.open_role_dialog(role)

    def open_role_dialog(self, role: RoleRow | None) -> None:
        """Read every user name (for the member checklist), then open the role dialog."""
        if self.role_dialog is not None and self.role_dialog.isVisible():
            self.role_dialog.raise_()
            self.role_dialog.activateWindow()
            return

        def show(users: list[tuple[str, str]]) -> None:
            dialog = RoleDialog(self.connection, users, role, self)
            dialog.role_saved.connect(self.on_role_dialog_role_saved)
            dialog.finished.connect(self.on_dialog_finished)
            self.role_dialog = dialog
            dialog.open()

        self.call(fetch_all_user_names, show, action="Reading the users")

    def on_role_dialog_role_saved(self, role: RoleRow) -> None:
        self.banner.success(f"The role '{role.name}' was saved.")
        self._select_role = role.id
        self.refresh()

    def on_dialog_finished(self, _result: int) -> None:
        dialog = self.sender()
        if dialog is self.user_dialog:
            self.user_dialog = None
        elif dialog is self.role_dialog:
            self.role_dialog = None
        if isinstance(dialog, UserDialog | RoleDialog):
            dialog.deleteLater()

    def on_delete_role_button_clicked(self) -> None:
        role = self.selected_role()
        if role is None or self._busy:
            return
        members = (f" Its {len(role.members)} user(s) lose it." if role.members else "")
        if not confirm.ask(
            self, "Delete role",
            f"Delete the role '{role.name}'?{members} A security policy that allows this role "
            "stops admitting them. This cannot be undone.",
            destructive=True,
        ):
            return
        self._run(lambda api: api.delete_role(role.id),
                  f"The role '{role.name}' was deleted.", f"Deleting the role '{role.name}'")

    def on_remove_member_button_clicked(self) -> None:
        role = self.selected_role()
        items = self.members_list.selectedItems()
        if role is None or not items or self._busy:
            return
        members = [(item.data(Qt.ItemDataRole.UserRole), item.text()) for item in items]
        names = ", ".join(name for _, name in members)
        user_ids = [user_id for user_id, _ in members]
        self._run(lambda api: api.remove_role_members(role.id, user_ids),
                  f"{names} removed from the role '{role.name}'.",
                  f"Removing {names} from the role '{role.name}'")

    # -- leaving -----------------------------------------------------------------------------

    def has_unsaved_changes(self) -> bool:
        for dialog in (self.user_dialog, self.role_dialog):
            if dialog is not None and dialog.isVisible() and dialog.has_unsaved_changes():
                return True
        return False
