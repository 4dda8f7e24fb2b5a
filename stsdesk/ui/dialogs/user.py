"""The user dialog: add a user or edit one (profile claims, password, active, roles) over SCIM."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.limits import MIN_PASSWORD_LENGTH
from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.models import UserDraft
from stsdesk.services.errors import ConflictError, InvalidInputError, ServiceError
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.errors import show_error
from stsdesk.ui.models.users import RoleRow, UserRow
from stsdesk.ui.widgets import form as form_widgets
from stsdesk.ui.widgets.banner import MessageBanner
from stsdesk.ui.widgets.form import ERROR_STYLE, error_label, grow_to_fit
from stsdesk.ui.widgets.mapped_certificates import MappedCertificatesBox

__all__ = [
    "UserDialog",
    "UserForm",
    "PartialSaveError",
    "user_draft",
    "user_name_problem",
    "password_problems",
    "email_problem",
    "error_label",
    "show_problem",
    "grow_to_fit",
    "MIN_PASSWORD_LENGTH",
    "MAX_NAME",
    "ERROR_STYLE",
    "NO_PASSWORD_NOTICE",
]

log = logging.getLogger("stsdesk.ui")

NO_PASSWORD_NOTICE = ("No password set: this user was created without one and cannot sign in "
                      "until you set one below.")
NO_PASSWORD_STYLE = "color: #8a6d00;"
MAX_NAME = 255
# What the form tells about user names: the server's default rule (WSO2's UsernameJavaRegEx,
# ^[\S]{3,30}$); the server checks its own, possibly changed, rule.
USER_NAME_RULE = "3 to 30 characters, no spaces"
MAX_EMAIL = 254
FULL_NAME = "http://wso2.org/claims/fullname"
_CLAIM_OF_FIELD = {
    "given_name": ("http://wso2.org/claims/givenname", "First Name"),
    "family_name": ("http://wso2.org/claims/lastname", "Last Name"),
    "display_name": (FULL_NAME, "Full Name"),
    "email": ("http://wso2.org/claims/emailaddress", "Email"),
}
# Deliberately loose (the server decides): one @, no spaces, a dot in the domain.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


# ------------------------------------------------------------------------------------ rules


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def user_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a user name, or None if it can."""
    if not name.strip():
        return "Give the user a user name: the name they sign in with."
    if len(name) > MAX_NAME:
        return f"A user name has at most {MAX_NAME} characters."
    if any(ch.isspace() for ch in name) or _has_control(name):
        return "A user name has no spaces or control characters."
    if ":" in name:
        # HTTP Basic splits "user:password" at the first colon: such a user could never sign in.
        return "A user name cannot contain ':' (sign-in with HTTP Basic would split it there)."
    return None


def password_problems(password: str, confirm: str, *, required: bool) -> tuple[str | None,
                                                                                 str | None]:
    """(problem with the password, problem with the confirmation); empty on edit = unchanged."""
    if not password and not confirm:
        return ("Give the user a password." if required else None), None
    first = None
    if len(password) < MIN_PASSWORD_LENGTH:
        first = f"The password is too short; use at least {MIN_PASSWORD_LENGTH} characters."
    second = None if password == confirm else "The passwords do not match; type it again."
    return first, second


def email_problem(email: str) -> str | None:
    """Why ``email`` is not an e-mail address (empty is fine: no address)."""
    email = email.strip()
    if not email:
        return None
    if len(email) > MAX_EMAIL or not _EMAIL.match(email) or _has_control(email):
        return "This is not an e-mail address; give one such as bjensen@example.com."
    return None


def _text_problem(text: str, what: str) -> str | None:
    if len(text) > MAX_NAME:
        return f"{what} has at most {MAX_NAME} characters."
    if _has_control(text):
        return f"{what} has no control characters."
    return None


# ------------------------------------------------------------------------------------ requests


@dataclass(frozen=True)
class UserForm:
    """What the dialog holds; ``password`` empty means unchanged (edit) and is never shown."""

    user_name: str
    password: str = field(default="", repr=False)
    given_name: str = ""
    family_name: str = ""
    display_name: str = ""
    email: str = ""
    active: bool = True
    role_ids: frozenset[str] = frozenset()
    certificates: tuple[bytes, ...] = field(default=(), repr=False)  # mapped, DER


def user_draft(form: UserForm) -> UserDraft:
    """What saving ``form`` sends (without its roles, which are memberships of the roles)."""
    return UserDraft(user_name=form.user_name, password=form.password or None,
                     given_name=form.given_name, family_name=form.family_name,
                     display_name=form.display_name, email=form.email, active=form.active,
                     certificates=form.certificates)


class PartialSaveError(ServiceError):
    """The user was saved but a role change failed; ``user`` is the stored user."""

    def __init__(self, message: str, *, user: UserRow) -> None:
        super().__init__(message)
        self.user = user


def _save_user(api: AdminApi, original: UserRow | None, form: UserForm,
               role_names: Mapping[str, str]) -> UserRow:
    """One call for the user, then one per role whose membership changes (blocking)."""
    draft = user_draft(form)
    user = api.create_user(draft) if original is None else api.update_user(original, draft)
    held = set(original.role_ids if original is not None else ())
    changes = [(role_id, True) for role_id in sorted(form.role_ids - held)]
    changes += [(role_id, False) for role_id in sorted(held - form.role_ids)]
    for role_id, add in changes:
        try:
            if add:
                api.add_role_members(role_id, [user.id])
            else:
                api.remove_role_members(role_id, [user.id])
        except ServiceError as exc:
            role = role_names.get(role_id, role_id)
            verb = "adding them to" if add else "removing them from"
            try:
                user = api.get_user(user.id)
            except ServiceError:
                pass  # the row we have is close enough; the banner says what to do
            raise PartialSaveError(
                f"The user '{user.user_name}' was saved, but {verb} the role '{role}' failed: "
                f"{exc.message} Click Save to try the roles again.",
                user=user,
            ) from exc
    if changes:
        user = api.get_user(user.id)
    return user


# ------------------------------------------------------------------------------------ widgets


def show_problem(label: QLabel, problem: str | None) -> None:
    """:func:`stsdesk.ui.widgets.form.show_problem`, growing the dialog to fit the message."""
    form_widgets.show_problem(label, problem, grow=True)


class UserDialog(QDialog):
    """Add a user (``user`` None) or edit one; like WSO2's "Add New User" and "User Profile".

    Open with ``open()``. Save sends one SCIM call for the user (POST, or PATCH of what
    changed), then one ``PATCH /Groups`` per role joined or left, and emits ``user_saved``
    with the stored user. On failure the dialog stays open with the server's words and keeps
    what was typed.
    """

    user_saved = Signal(object)  # UserRow

    def __init__(
        self,
        connection: ServerConnection,
        roles: Sequence[RoleRow],
        user: UserRow | None = None,
        parent: QWidget | None = None,
        *,
        claim_names: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self._connection = connection
        self._user = user
        self._saving = False
        self._attempted = False
        self._role_names = {role.id: role.name for role in roles}
        self.setWindowTitle("Add New User" if user is None else f"User Profile: {user.user_name}")
        self.banner = MessageBanner(self)

        self.user_name_edit = QLineEdit(self)
        self.user_name_edit.setMaxLength(MAX_NAME)
        self.user_name_edit.setPlaceholderText(USER_NAME_RULE)
        self.user_name_edit.setToolTip(
            f"User names: {USER_NAME_RULE} (WSO2's default rule). A server set up with another "
            "rule says which when it refuses a name.")
        self.user_name_error = error_label(self)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_error = error_label(self)
        self.confirm_edit = QLineEdit(self)
        self.confirm_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm_error = error_label(self)
        self.given_name_edit = QLineEdit(self)
        self.family_name_edit = QLineEdit(self)
        self.display_name_edit = QLineEdit(self)
        self.profile_error = error_label(self)
        self.email_edit = QLineEdit(self)
        self.email_edit.setMaxLength(MAX_EMAIL)
        self.email_edit.setPlaceholderText("bjensen@example.com")
        self.email_error = error_label(self)
        self.active_check = QCheckBox("&Active (the user can sign in and get tokens)", self)
        self.roles_list = QListWidget(self)
        self.roles_list.setMinimumHeight(110)
        for role in sorted(roles, key=lambda r: r.name.casefold()):
            item = QListWidgetItem(role.name, self.roles_list)
            item.setData(Qt.ItemDataRole.UserRole, role.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)

        # A user created without a password (by a provisioning service, say) cannot sign in
        # until the administrator sets one here.
        self.no_password_label = QLabel(NO_PASSWORD_NOTICE, self)
        self.no_password_label.setWordWrap(True)
        self.no_password_label.setStyleSheet(NO_PASSWORD_STYLE)
        if user is None:
            self.password_edit.setPlaceholderText(f"at least {MIN_PASSWORD_LENGTH} characters")
            password_text, confirm_text = "&Password*:", "Con&firm Password*:"
        elif not user.password_set:
            self.password_edit.setPlaceholderText("no password set: type one")
            password_text, confirm_text = "Set &Password:", "Con&firm Password:"
        else:
            self.password_edit.setPlaceholderText("leave empty to keep the current password")
            password_text, confirm_text = "New &Password:", "Con&firm Password:"
        self.no_password_label.setVisible(user is not None and not user.password_set)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self._add_row(form, "&User Name*:", self.user_name_edit, self.user_name_error)
        form.addRow("", self.no_password_label)
        self._add_row(form, password_text, self.password_edit, self.password_error)
        self._add_row(form, confirm_text, self.confirm_edit, self.confirm_error)
        names = claim_names or {}
        for attr, mnemonic in (("given_name", "Fi&rst Name"), ("family_name", "&Last Name"),
                               ("display_name", "&Display Name")):
            uri, default = _CLAIM_OF_FIELD[attr]
            label = self._add_row(form, mnemonic + ":", getattr(self, attr + "_edit"), None)
            label.setToolTip(f"Local claim {names.get(uri, default)} ({uri})")
        form.addRow("", self.profile_error)
        email_uri, email_name = _CLAIM_OF_FIELD["email"]
        email_label = self._add_row(form, "&Email:", self.email_edit, self.email_error)
        email_label.setToolTip(f"Local claim {names.get(email_uri, email_name)} ({email_uri})")
        form.addRow("", self.active_check)
        account = QGroupBox("User profile", self)
        account.setLayout(form)

        roles_box = QGroupBox("R&oles", self)
        roles_layout = QVBoxLayout(roles_box)
        hint = QLabel("Check the roles this user has. A role decides, for example, who may "
                      "get tokens under the applied security policy.", roles_box)
        hint.setWordWrap(True)
        roles_layout.addWidget(hint)
        roles_layout.addWidget(self.roles_list)
        if not roles:
            self.roles_list.hide()
            hint.setText("There are no roles yet; add them on the Roles tab.")
        self.certificates_box = MappedCertificatesBox(self)
        side = QVBoxLayout()
        side.addWidget(roles_box, 1)
        side.addWidget(self.certificates_box)

        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Save the user (Ctrl+S)")
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self._save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self)

        columns = QHBoxLayout()
        columns.addWidget(account, 3)
        columns.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(columns, 1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(760)

        chain = [self.user_name_edit, self.password_edit, self.confirm_edit,
                 self.given_name_edit, self.family_name_edit, self.display_name_edit,
                 self.email_edit, self.active_check, self.roles_list,
                 self.certificates_box.list, self.certificates_box.add_button,
                 self.certificates_box.remove_button, self.save_button, self.cancel_button]
        for first, second in zip(chain, chain[1:], strict=False):
            self.setTabOrder(first, second)

        self._fill(user)
        self._baseline = self.form()
        self._connect_signals()

    # -- building ----------------------------------------------------------------------------

    def _add_row(self, form: QFormLayout, text: str, field_widget: QWidget,
                 error: QLabel | None) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(field_widget)
        form.addRow(label, field_widget)
        if error is not None:
            form.addRow("", error)
        return label

    def _fill(self, user: UserRow | None) -> None:
        self.active_check.setChecked(True if user is None else user.active)
        if user is None:
            return
        self.user_name_edit.setText(user.user_name)
        self.given_name_edit.setText(user.given_name)
        self.family_name_edit.setText(user.family_name)
        self.display_name_edit.setText(user.display_name)
        self.email_edit.setText(user.email)
        self._check_roles(user.role_ids)
        self.certificates_box.set_certificates(user.certificates)

    def _check_roles(self, role_ids: Iterable[str]) -> None:
        wanted = set(role_ids)
        for row in range(self.roles_list.count()):
            item = self.roles_list.item(row)
            on = item.data(Qt.ItemDataRole.UserRole) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def _connect_signals(self) -> None:
        self.user_name_edit.textChanged.connect(self.on_user_name_edit_text_changed)
        self.password_edit.textChanged.connect(self.on_password_edit_text_changed)
        self.confirm_edit.textChanged.connect(self.on_password_edit_text_changed)
        self.email_edit.textChanged.connect(self.on_email_edit_text_changed)
        for edit in (self.given_name_edit, self.family_name_edit, self.display_name_edit):
            edit.textChanged.connect(self.on_profile_edit_text_changed)
        self.certificates_box.problem.connect(self.on_certificates_box_problem)
        self.save_button.clicked.connect(self.accept)
        self._save_shortcut.activated.connect(self.accept)
        self.cancel_button.clicked.connect(self.reject)

    # -- reading -----------------------------------------------------------------------------

    @property
    def user(self) -> UserRow | None:
        """The user being edited (after a partial save of a new user: the one created)."""
        return self._user

    def checked_role_ids(self) -> frozenset[str]:
        return frozenset(
            self.roles_list.item(row).data(Qt.ItemDataRole.UserRole)
            for row in range(self.roles_list.count())
            if self.roles_list.item(row).checkState() == Qt.CheckState.Checked
        )

    def set_role_checked(self, role_name: str, checked: bool = True) -> None:
        """Check or uncheck the role named ``role_name`` (KeyError if there is none)."""
        for row in range(self.roles_list.count()):
            item = self.roles_list.item(row)
            if item.text() == role_name:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
                return
        raise KeyError(role_name)

    def form(self) -> UserForm:
        return UserForm(
            user_name=self.user_name_edit.text().strip(),
            password=self.password_edit.text(),
            given_name=self.given_name_edit.text().strip(),
            family_name=self.family_name_edit.text().strip(),
            display_name=self.display_name_edit.text().strip(),
            email=self.email_edit.text().strip(),
            active=self.active_check.isChecked(),
            role_ids=self.checked_role_ids(),
            certificates=self.certificates_box.certificates(),
        )

    def has_unsaved_changes(self) -> bool:
        return self.form() != self._baseline or bool(self.confirm_edit.text())

    # -- validation --------------------------------------------------------------------------

    def _user_name_problem(self, name: str) -> str | None:
        if self._user is not None and name == self._user.user_name:
            return None  # unchanged: whatever the server holds is fine
        return user_name_problem(name)

    def on_user_name_edit_text_changed(self, text: str) -> None:
        show_problem(self.user_name_error,
                     self._user_name_problem(text.strip()) if text or self._attempted else None)

    def on_password_edit_text_changed(self, _text: str = "") -> None:
        password, confirm = self.password_edit.text(), self.confirm_edit.text()
        first, second = password_problems(password, confirm, required=self._user is None)
        # While typing: complain about length once something is typed, and about a mismatch
        # once the confirmation is as long as the password (not at every keystroke).
        if not self._attempted:
            if not password:
                first = None
            if len(confirm) < len(password) and password.startswith(confirm):
                second = None
        show_problem(self.password_error, first)
        show_problem(self.confirm_error, second)

    def on_certificates_box_problem(self, text: str) -> None:
        self.banner.error(text)
        grow_to_fit(self)

    def on_email_edit_text_changed(self, text: str) -> None:
        show_problem(self.email_error, email_problem(text))

    def on_profile_edit_text_changed(self, _text: str = "") -> None:
        show_problem(self.profile_error, self._profile_problem())

    def _profile_problem(self) -> str | None:
        for edit, what in ((self.given_name_edit, "First Name"),
                           (self.family_name_edit, "Last Name"),
                           (self.display_name_edit, "Display Name")):
            problem = _text_problem(edit.text().strip(), what)
            if problem is not None:
                return problem
        return None

    def validate(self) -> bool:
        """Show every problem inline; True if the form can be sent."""
        self._attempted = True
        form = self.form()
        name = self._user_name_problem(form.user_name)
        first, second = password_problems(form.password, self.confirm_edit.text(),
                                          required=self._user is None)
        email = email_problem(form.email)
        profile = self._profile_problem()
        show_problem(self.user_name_error, name)
        show_problem(self.password_error, first)
        show_problem(self.confirm_error, second)
        show_problem(self.email_error, email)
        show_problem(self.profile_error, profile)
        for problem, widget in ((name, self.user_name_edit), (first, self.password_edit),
                                (second, self.confirm_edit), (profile, self.given_name_edit),
                                (email, self.email_edit)):
            if problem is not None:
                widget.setFocus()
                return False
        return True

    # -- saving ------------------------------------------------------------------------------

    def accept(self) -> None:
        if self._saving or not self.validate():
            return
        form = self.form()
        original = self._user
        role_names = dict(self._role_names)
        self._set_saving(True)
        self.banner.clear()
        action = "Adding the user" if original is None else "Saving the user"

        def work(api: AdminApi) -> UserRow:
            return _save_user(api, original, form, role_names)

        self._connection.call(work, self._on_saved, lambda error: self._on_failed(action, error))

    def _on_saved(self, user: UserRow) -> None:
        self._set_saving(False)
        self._user = user
        log.info("User %r saved", user.user_name)
        self.user_saved.emit(user)
        super().accept()

    def _on_failed(self, action: str, error: Exception) -> None:
        self._set_saving(False)
        if isinstance(error, PartialSaveError):
            # The user exists now: a second Save edits it and retries only the roles.
            self._adopt(error.user)
            self.banner.error(error.message)
            grow_to_fit(self)
            return
        if isinstance(error, ConflictError) or (
                isinstance(error, InvalidInputError) and "user name" in error.message.lower()):
            # A taken or refused user name belongs next to the user name.
            show_problem(self.user_name_error, error.message)
            self.user_name_edit.setFocus()
            self.user_name_edit.selectAll()
            return
        show_error(self, self.banner, action, error)
        grow_to_fit(self)

    def _adopt(self, user: UserRow) -> None:
        created = self._user is None
        self._user = user
        self.setWindowTitle(f"User Profile: {user.user_name}")
        self.no_password_label.setVisible(not user.password_set)
        if created:
            # The password is stored; empty fields now mean "unchanged".
            self.password_edit.clear()
            self.confirm_edit.clear()
            self.password_edit.setPlaceholderText("leave empty to keep the current password")

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        self.save_button.setEnabled(not saving)
        self.cancel_button.setEnabled(not saving)
        self.save_button.setText("Saving…" if saving else "&Save")

    def reject(self) -> None:
        if self._saving:
            return  # the answer is on its way; closing now would hide its outcome
        super().reject()
