"""The role dialog: add a role (a SCIM group), or rename one and change who is in it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stsdesk.services.admin import AdminApi
from stsdesk.services.errors import ConflictError, InvalidInputError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs.user import MAX_NAME, error_label, grow_to_fit, show_problem
from stsdesk.ui.errors import show_error
from stsdesk.ui.models.users import RoleRow
from stsdesk.ui.widgets.banner import MessageBanner

__all__ = ["RoleDialog", "RoleForm", "role_name_problem"]

log = logging.getLogger("stsdesk.ui")


def role_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a role, or None if it can."""
    if not name.strip():
        return "Give the role a name."
    if len(name) > MAX_NAME:
        return f"A role name has at most {MAX_NAME} characters."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "A role name has no control characters."
    if "/" in name:
        # WSO2 reads "DOMAIN/name"; a slash would name a user store that does not exist here.
        return "A role name cannot contain '/' (WSO2 reads the part before it as a user store)."
    return None


@dataclass(frozen=True)
class RoleForm:
    name: str
    member_ids: frozenset[str] = frozenset()


class RoleDialog(QDialog):
    """Add a role (``role`` None) or edit one: its name and its members, saved in one call.

    ``users`` is every user as (id, user name). Open with ``open()``; ``role_saved`` carries the
    stored role. The server's refusals (a taken name, renaming ``admin``) show in the dialog,
    which keeps what was typed.
    """

    role_saved = Signal(object)  # RoleRow

    def __init__(
        self,
        connection: ServerConnection,
        users: Sequence[tuple[str, str]],
        role: RoleRow | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._connection = connection
        self._role = role
        self._saving = False
        self.setWindowTitle("Add New Role" if role is None else f"Role: {role.name}")
        self.banner = MessageBanner(self)
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(MAX_NAME)
        self.name_edit.setPlaceholderText("auditors")
        self.name_error = error_label(self)
        name_label = QLabel("Role &Name*:", self)
        name_label.setBuddy(self.name_edit)
        form = QFormLayout()
        form.addRow(name_label, self.name_edit)
        form.addRow("", self.name_error)

        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText("Find a user")
        self.search_edit.setClearButtonEnabled(True)
        self.members_list = QListWidget(self)
        self.members_list.setMinimumHeight(220)
        members = role.member_ids if role is not None else frozenset()
        known = set()
        for user_id, user_name in sorted(users, key=lambda u: u[1].casefold()):
            self._add_user_item(user_id, user_name, user_id in members)
            known.add(user_id)
        for user_id, user_name in role.members if role is not None else ():
            if user_id not in known:  # a member the user list did not carry: keep it
                self._add_user_item(user_id, user_name, True)
        members_box = QGroupBox("&Users in this role", self)
        members_layout = QVBoxLayout(members_box)
        members_layout.addWidget(self.search_edit)
        members_layout.addWidget(self.members_list)
        if self.members_list.count() == 0:
            members_layout.addWidget(QLabel("There are no users yet.", members_box))

        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton(
            "&Finish" if role is None else "&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self._save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        layout.addWidget(members_box, 1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        chain = [self.name_edit, self.search_edit, self.members_list, self.save_button,
                 self.cancel_button]
        for first, second in zip(chain, chain[1:], strict=False):
            self.setTabOrder(first, second)
        if role is not None:
            self.name_edit.setText(role.name)
        self._baseline = self.form()
        self._connect_signals()

    def _add_user_item(self, user_id: str, user_name: str, checked: bool) -> None:
        item = QListWidgetItem(user_name, self.members_list)
        item.setData(Qt.ItemDataRole.UserRole, user_id)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _connect_signals(self) -> None:
        self.name_edit.textChanged.connect(self.on_name_edit_text_changed)
        self.search_edit.textChanged.connect(self.on_search_edit_text_changed)
        self.save_button.clicked.connect(self.accept)
        self._save_shortcut.activated.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)

    # -- reading -----------------------------------------------------------------------------

    @property
    def role(self) -> RoleRow | None:
        return self._role

    def form(self) -> RoleForm:
        members = frozenset(
            self.members_list.item(row).data(Qt.ItemDataRole.UserRole)
            for row in range(self.members_list.count())
            if self.members_list.item(row).checkState() == Qt.CheckState.Checked
        )
        return RoleForm(name=self.name_edit.text().strip(), member_ids=members)

    def set_member_checked(self, user_name: str, checked: bool = True) -> None:
        """Check or uncheck the user named ``user_name`` (KeyError if not listed)."""
        for row in range(self.members_list.count()):
            item = self.members_list.item(row)
            if item.text() == user_name:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return
        raise KeyError(user_name)

    def has_unsaved_changes(self) -> bool:
        return self.form() != self._baseline

    # -- slots -------------------------------------------------------------------------------

    def on_name_edit_text_changed(self, text: str) -> None:
        show_problem(self.name_error, role_name_problem(text.strip()) if text else None)

    def on_search_edit_text_changed(self, text: str) -> None:
        needle = text.strip().casefold()
        for row in range(self.members_list.count()):
            item = self.members_list.item(row)
            item.setHidden(bool(needle) and needle not in item.text().casefold())

    # -- saving ------------------------------------------------------------------------------

    def accept(self) -> None:
        if self._saving:
            return
        form = self.form()
        problem = role_name_problem(form.name)
        if problem is not None:
            show_problem(self.name_error, problem)
            self.name_edit.setFocus()
            return
        original = self._role
        if original is None:
            action = "Adding the role"

            def work(api: AdminApi) -> RoleRow:
                return api.create_role(form.name, sorted(form.member_ids))
        else:
            action = f"Saving the role '{original.name}'"
            if form.name == original.name and form.member_ids == original.member_ids:
                super().accept()
                return

            def work(api: AdminApi) -> RoleRow:
                return api.update_role(original, form.name, form.member_ids)

        self._set_saving(True)
        self.banner.clear()
        self._connection.call(work, self._on_saved, lambda error: self._on_failed(action, error))

    def _on_saved(self, role: RoleRow) -> None:
        self._set_saving(False)
        self._role = role
        log.info("Role %r saved", role.name)
        self.role_saved.emit(role)
        super().accept()

    def _on_failed(self, action: str, error: Exception) -> None:
        self._set_saving(False)
        if isinstance(error, InvalidInputError | ConflictError) \
                and "name" in error.message.lower():
            # A taken or refused name (renaming admin) belongs next to the name.
            show_problem(self.name_error, error.message)
            self.name_edit.setFocus()
            return
        show_error(self, self.banner, action, error)
        grow_to_fit(self)

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.save_button.setEnabled(not saving)
        self.cancel_button.setEnabled(not saving)

    def reject(self) -> None:
        if self._saving:
            return
        super().reject()
