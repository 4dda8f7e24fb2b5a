"""Server profiles: add, edit, remove and test remote servers; passwords go to the OS keyring."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFontDatabase, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from stsdesk.services.admin import open_admin_api
from stsdesk.services.admin.models import ServerInfo
from stsdesk.services.errors import (
    AdminApiError,
    CertificateChangedError,
    ServiceError,
    UntrustedCertificateError,
)
from stsdesk.services.profiles import (
    EMBEDDED_PROFILE,
    SUPER_TENANT,
    ProfileError,
    ProfileStore,
    ServerKind,
    ServerProfile,
)
from stsdesk.services.tls import TrustPolicy
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.dialogs.trust_certificate import (
    TrustCertificateDialog,
    fingerprint_lines,
    format_fingerprint,
)
from stsdesk.ui.errors import describe
from stsdesk.ui.servers_menu import install_profiles_menu
from stsdesk.ui.tasks import TaskRunner
from stsdesk.ui.widgets.banner import MessageBanner
from stsdesk.ui.widgets.form import error_label, show_problem

__all__ = ["ServerProfilesDialog", "install_profiles_menu", "url_problem", "name_problem"]

log = logging.getLogger("stsdesk.ui.profiles")

_PLACEHOLDER_URL = "https://sts.example.org:9443"
_TEST_TIMEOUT = 10.0


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a server's base URL, or None."""
    if not url.strip():
        return f"Type the server's address, for example {_PLACEHOLDER_URL}."
    try:
        ServerProfile("check", url.strip()).validated()
    except ProfileError as exc:
        return exc.message
    return None


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a profile, or None (uniqueness is checked by the dialog)."""
    if not name.strip():
        return "Give the profile a name, for example Production STS."
    if name == EMBEDDED_PROFILE:
        return f"{EMBEDDED_PROFILE!r} is reserved for the built-in server; choose another name."
    try:
        ServerProfile(name, "https://localhost").validated()
    except ProfileError as exc:
        return exc.message
    return None


class ServerProfilesDialog(QDialog):
    """The remote servers stsdesk knows: name, URL, admin user, password (keyring), CA, pin."""

    profile_saved = Signal(str)
    profile_removed = Signal(str)
    connection_tested = Signal(bool, str)  # succeeded, what the dialog said

    def __init__(self, store: ProfileStore, parent: QWidget | None = None, *,
                 runner: TaskRunner | None = None, current_server: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Servers")
        self.store = store
        self.runner = runner if runner is not None else TaskRunner(self)
        self._editing: str | None = None  # the stored profile in the form; None: a new one
        self._pin: str | None = None
        self._testing = False
        self._build(current_server)
        self._connect_signals()
        self.reload()
        if self.profile_list.count():
            self.profile_list.setCurrentRow(0)
        else:
            self.on_new_button_clicked()

    # -- building --------------------------------------------------------------------------

    def _build(self, current_server: str) -> None:
        intro = QLabel(
            "Remote WS-Trust STS servers (stsdesk or WSO2 Identity Server) this console can "
            "manage. Passwords are kept in the OS keyring — or, on a machine without one, in an "
            "encrypted file in your data directory — never in the profiles file."
            + (f" This window is connected to {current_server}; Servers › Connect to switches "
               "it to another server." if current_server else ""),
            self)
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)

        self.profile_list = QListWidget(self)
        self.profile_list.setMinimumWidth(200)
        self.new_button = QPushButton("&New", self)
        self.new_button.setToolTip("Add a server profile (Ctrl+N)")
        self.remove_button = QPushButton("&Remove", self)
        self.remove_button.setToolTip("Remove the selected profile and its password (Del)")
        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.new_button)
        list_buttons.addWidget(self.remove_button)
        left = QVBoxLayout()
        left.addWidget(self.profile_list, 1)
        left.addLayout(list_buttons)

        self.form_box = QGroupBox("Server profile", self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(self.form_box)
        self.name_edit.setPlaceholderText("Production STS")
        self.name_error = error_label(self.form_box)
        self.url_edit = QLineEdit(self.form_box)
        self.url_edit.setPlaceholderText(_PLACEHOLDER_URL)
        self.url_error = error_label(self.form_box)
        self.kind_combo = QComboBox(self.form_box)
        self.kind_combo.addItem("stsdesk", ServerKind.STSDESK)
        self.kind_combo.addItem("WSO2 Identity Server (5.10 to 7.x)", ServerKind.WSO2)
        self.kind_combo.setToolTip("Which admin API the server speaks")
        self.tenant_edit = QLineEdit(self.form_box)
        self.tenant_edit.setPlaceholderText(SUPER_TENANT)
        self.tenant_edit.setToolTip(
            "The WSO2 tenant domain to administer; empty for the super tenant (carbon.super)")
        self.tenant_error = error_label(self.form_box)
        self.user_edit = QLineEdit(self.form_box)
        self.user_error = error_label(self.form_box)
        self.password_edit = QLineEdit(self.form_box)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_error = error_label(self.form_box)
        self.ca_edit = QLineEdit(self.form_box)
        self.ca_edit.setPlaceholderText("Optional: the issuing CA's certificate (PEM)")
        self.ca_button = QPushButton("&Browse…", self.form_box)
        self.ca_error = error_label(self.form_box)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(self.ca_button)
        self.pin_label = QLabel(self.form_box)
        self.pin_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.remove_pin_button = QPushButton("Remove &pin", self.form_box)
        self.remove_pin_button.setToolTip(
            "Forget the pinned certificate; the next test shows the server's certificate again")
        pin_row = QHBoxLayout()
        pin_row.addWidget(self.pin_label, 1)
        pin_row.addWidget(self.remove_pin_button)

        def field(widget: QWidget | QHBoxLayout, error: QLabel) -> QVBoxLayout:
            box = QVBoxLayout()
            box.setSpacing(2)
            if isinstance(widget, QHBoxLayout):
                box.addLayout(widget)
            else:
                box.addWidget(widget)
            box.addWidget(error)
            return box

        for text, widget, error in (
            ("Profile &name:", self.name_edit, self.name_error),
            ("Server &URL:", self.url_edit, self.url_error),
            ("Server &kind:", self.kind_combo, error_label(self.form_box)),
            ("WSO2 &tenant:", self.tenant_edit, self.tenant_error),
            ("Admin &user:", self.user_edit, self.user_error),
            ("Pass&word:", self.password_edit, self.password_error),
        ):
            label = QLabel(text, self.form_box)
            label.setBuddy(widget)
            form.addRow(label, field(widget, error))
        ca_label = QLabel("&CA file:", self.form_box)
        ca_label.setBuddy(self.ca_edit)
        form.addRow(ca_label, field(ca_row, self.ca_error))
        form.addRow("Pinned certificate:", pin_row)

        self.save_button = QPushButton("&Save", self.form_box)
        self.save_button.setToolTip("Save the profile (Ctrl+S)")
        self.test_button = QPushButton("&Test connection", self.form_box)
        self.test_button.setToolTip("Check the server answers and accepts this user and "
                                    "password (Ctrl+T)")
        actions = QHBoxLayout()
        actions.addWidget(self.save_button)
        actions.addWidget(self.test_button)
        actions.addStretch(1)
        self.banner = MessageBanner(self.form_box)
        # The banner sits below the form, not in a form row: a QFormLayout row does not grow
        # a wrapped text to its full height.
        box = QVBoxLayout(self.form_box)
        box.addLayout(form)
        box.addLayout(actions)
        box.addWidget(self.banner)
        box.addStretch(1)

        columns = QHBoxLayout()
        columns.addLayout(left)
        columns.addWidget(self.form_box, 1)
        self.close_buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        for button in self.close_buttons.buttons():
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(columns, 1)
        layout.addWidget(self.close_buttons)

        for button in (self.new_button, self.remove_button, self.ca_button,
                       self.remove_pin_button, self.test_button):
            button.setAutoDefault(False)
        self.save_button.setDefault(True)  # Enter in a field saves

        self.new_action = QAction("New profile", self)
        self.new_action.setShortcut(QKeySequence.StandardKey.New)
        self.addAction(self.new_action)
        self.save_action = QAction("Save profile", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.addAction(self.save_action)
        self.test_action = QAction("Test connection", self)
        self.test_action.setShortcut(QKeySequence("Ctrl+T"))
        self.addAction(self.test_action)
        self.delete_action = QAction("Remove profile", self.profile_list)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.profile_list.addAction(self.delete_action)

        order = [self.profile_list, self.new_button, self.remove_button, self.name_edit,
                 self.url_edit, self.kind_combo, self.tenant_edit, self.user_edit,
                 self.password_edit, self.ca_edit, self.ca_button,
                 self.remove_pin_button, self.save_button, self.test_button]
        for first, second in zip(order, order[1:], strict=False):
            self.setTabOrder(first, second)
        self.resize(960, 540)

    def _connect_signals(self) -> None:
        self.profile_list.currentItemChanged.connect(self.on_profile_list_item_changed)
        self.new_button.clicked.connect(self.on_new_button_clicked)
        self.new_action.triggered.connect(self.on_new_button_clicked)
        self.remove_button.clicked.connect(self.on_remove_button_clicked)
        self.delete_action.triggered.connect(self.on_remove_button_clicked)
        self.name_edit.textChanged.connect(self.on_form_edited)
        self.url_edit.textChanged.connect(self.on_form_edited)
        self.user_edit.textChanged.connect(self.on_form_edited)
        self.tenant_edit.textChanged.connect(self.on_form_edited)
        self.kind_combo.currentIndexChanged.connect(self.on_kind_combo_changed)
        self.password_edit.textChanged.connect(self.on_password_edit_text_changed)
        self.ca_edit.textChanged.connect(self.on_form_edited)
        self.ca_button.clicked.connect(self.on_ca_button_clicked)
        self.remove_pin_button.clicked.connect(self.on_remove_pin_button_clicked)
        self.save_button.clicked.connect(self.on_save_button_clicked)
        self.save_action.triggered.connect(self.on_save_button_clicked)
        self.test_button.clicked.connect(self.on_test_button_clicked)
        self.test_action.triggered.connect(self.on_test_button_clicked)
        self.close_buttons.rejected.connect(self.reject)

    # -- the list --------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """Read the profiles file again; a broken file is reported, not fatal."""
        try:
            profiles = self.store.list()
        except ProfileError as exc:
            self.banner.error(exc.message)
            profiles = []
        self.profile_list.blockSignals(True)
        try:
            self.profile_list.clear()
            for profile in profiles:
                item = QListWidgetItem(profile.name)
                item.setData(Qt.ItemDataRole.UserRole, profile)
                item.setToolTip(profile.url)
                self.profile_list.addItem(item)
                if profile.name == select:
                    self.profile_list.setCurrentItem(item)
        finally:
            self.profile_list.blockSignals(False)
        self.remove_button.setEnabled(self.profile_list.currentItem() is not None)

    def profiles(self) -> list[ServerProfile]:
        return [self.profile_list.item(row).data(Qt.ItemDataRole.UserRole)
                for row in range(self.profile_list.count())]

    def _stored(self, name: str | None) -> ServerProfile | None:
        return next((p for p in self.profiles() if p.name == name), None)

    def _fill(self, profile: ServerProfile | None) -> None:
        self._editing = profile.name if profile else None
        self._pin = profile.pinned_sha256 if profile else None
        self.name_edit.setText(profile.name if profile else "")
        self.url_edit.setText(profile.url if profile else "")
        self.user_edit.setText(profile.username if profile else "admin")
        kind = profile.kind if profile else ServerKind.STSDESK
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(kind)))
        tenant = profile.tenant if profile else SUPER_TENANT
        self.tenant_edit.setText("" if tenant == SUPER_TENANT else tenant)
        self.on_kind_combo_changed()
        self.password_edit.clear()
        self.ca_edit.setText((profile.ca_file or "") if profile else "")
        self.password_edit.setPlaceholderText(
            "Looking in the password store…" if profile else
            "Type it to remember it (OS keyring, or an encrypted file without one)")
        if profile is not None:
            self._look_up_password(profile.name)
        self.form_box.setTitle(f"Server profile: {profile.name}" if profile
                               else "New server profile")
        for label in (self.name_error, self.url_error, self.user_error, self.password_error,
                      self.ca_error, self.tenant_error):
            show_problem(label, None)
        self._show_pin()
        self.remove_button.setEnabled(profile is not None)

    def _look_up_password(self, name: str) -> None:
        """Whether a password is stored, asked off the GUI thread (D-Bus, may prompt)."""
        store = self.store

        def look() -> tuple[bool, bool]:
            return store.password(name) is not None, store.credentials.describe().keyring

        def found(result: tuple[bool, bool]) -> None:
            stored, in_keyring = result
            if self._editing != name or self.password_edit.text():
                return  # the person moved on or started typing
            where = "the OS keyring" if in_keyring else "the encrypted password file"
            self.password_edit.setPlaceholderText(
                f"Stored in {where}; type to replace it" if stored
                else f"Not stored; type it to keep it in {where}")

        self.runner.run(look, found, lambda error: self.banner.error(describe(
            error, "Looking up the stored password")))

    def _show_pin(self) -> None:
        if self._pin:
            self.pin_label.setFont(self._mono)
            self.pin_label.setText(fingerprint_lines(self._pin))
            self.pin_label.setToolTip("SHA-256 fingerprint of the pinned server certificate")
        else:
            self.pin_label.setFont(self.font())
            self.pin_label.setText("Not pinned")
            self.pin_label.setToolTip(
                "A certificate authority (the CA file, or the system's) must vouch for the "
                "server, or its certificate is offered for pinning on the first test.")
        self.remove_pin_button.setEnabled(self._pin is not None)

    # -- validation ------------------------------------------------------------------------

    def _problems(self) -> dict[QLineEdit, str | None]:
        name = self.name_edit.text().strip()
        naming = name_problem(name)
        if naming is None and name != self._editing and any(
                p.name == name for p in self.profiles()):
            naming = f"A profile named {name!r} exists already; choose another name."
        ca = self.ca_edit.text().strip()
        return {
            self.name_edit: naming,
            self.url_edit: url_problem(self.url_edit.text()),
            self.user_edit: None if self.user_edit.text().strip() else
            "Type the admin user's name, for example admin.",
            self.tenant_edit: self._tenant_problem(),
            self.ca_edit: None if not ca or Path(ca).is_file() else
            f"There is no file {ca}; choose the CA certificate file or leave this empty.",
        }

    def _errors(self) -> dict[QLineEdit, QLabel]:
        return {self.name_edit: self.name_error, self.url_edit: self.url_error,
                self.user_edit: self.user_error, self.ca_edit: self.ca_error,
                self.tenant_edit: self.tenant_error}

    def _tenant_problem(self) -> str | None:
        try:
            ServerProfile("check", "https://localhost",
                          tenant=self.tenant_edit.text().strip() or SUPER_TENANT).validated()
        except ProfileError as exc:
            return exc.message
        return None

    def _kind(self) -> ServerKind:
        return ServerKind(self.kind_combo.currentData() or ServerKind.STSDESK)

    def _validate(self, fields: tuple[QLineEdit, ...] | None = None) -> bool:
        """Show the problems of ``fields`` (all by default) inline; True if there are none."""
        problems = self._problems()
        chosen = fields or tuple(problems)
        for edit in chosen:
            show_problem(self._errors()[edit], problems[edit])
        first = next((edit for edit in chosen if problems[edit]), None)
        if first is not None and fields is None:
            first.setFocus()
        return first is None

    def _form_profile(self) -> ServerProfile:
        return ServerProfile(
            name=self.name_edit.text().strip(),
            url=self.url_edit.text().strip(),
            username=self.user_edit.text().strip(),
            pinned_sha256=self._pin,
            ca_file=self.ca_edit.text().strip() or None,
            kind=self._kind(),
            tenant=self.tenant_edit.text().strip() or SUPER_TENANT,
        ).validated()

    # -- slots -----------------------------------------------------------------------------

    def on_profile_list_item_changed(self, current: QListWidgetItem | None,
                                     _previous: QListWidgetItem | None) -> None:
        self.banner.clear()
        self._fill(current.data(Qt.ItemDataRole.UserRole) if current else None)

    def on_new_button_clicked(self) -> None:
        self.profile_list.blockSignals(True)
        self.profile_list.setCurrentRow(-1)
        self.profile_list.clearSelection()
        self.profile_list.blockSignals(False)
        self.banner.clear()
        self._fill(None)
        self.name_edit.setFocus()

    def on_form_edited(self, _text: str = "") -> None:
        sender = self.sender()
        # Validate as the user types, but only the field being typed in (no error flood).
        if isinstance(sender, QLineEdit) and sender in self._errors():
            self._validate((sender,))

    def on_kind_combo_changed(self, _index: int = 0) -> None:
        # A tenant is a WSO2 notion: the field is there only for a WSO2 server.
        self.tenant_edit.setEnabled(self._kind() == ServerKind.WSO2)

    def on_password_edit_text_changed(self, _text: str) -> None:
        show_problem(self.password_error, None)

    def on_ca_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "CA certificate of the server", self.ca_edit.text(),
            "Certificates (*.pem *.crt *.cer);;All files (*)")
        if path:
            self.ca_edit.setText(path)

    def on_save_button_clicked(self) -> None:
        if not self._validate() or not self.save_button.isEnabled():
            return
        password = self.password_edit.text() or None
        try:
            profile = self._form_profile()
        except ServiceError as exc:
            self.banner.error(f"Saving the profile failed: {exc.message}")
            return
        store, editing = self.store, self._editing

        def save() -> bool:  # the keyring may block (D-Bus, a prompt): off the GUI thread
            if editing is not None and editing != profile.name:
                store.rename(editing, profile)
                if password is not None:
                    store.save(profile, password)
            else:
                store.save(profile, password)
            return store.credentials.describe().keyring

        def saved(in_keyring: bool) -> None:
            self.save_button.setEnabled(True)
            self.reload(select=profile.name)
            self._fill(profile)
            where = "the OS keyring" if in_keyring else "the encrypted password file"
            self.banner.success(f"The profile {profile.name!r} was saved."
                                + (f" Its password is in {where}." if password else ""))
            log.info("server profile %r saved", profile.name)
            self.profile_saved.emit(profile.name)

        def failed(error: Exception) -> None:  # ProfileError, KeyringError: keep the form
            self.save_button.setEnabled(True)
            self.banner.error(describe(error, "Saving the profile"))

        self.save_button.setEnabled(False)
        self.runner.run(save, saved, failed)

    def on_remove_button_clicked(self) -> None:
        item = self.profile_list.currentItem()
        if item is None:
            return
        name = item.text()
        if not confirm.ask(self, "Remove server profile",
                           f"Remove the profile {name!r} and its stored password?",
                           destructive=True):
            return

        def removed(_none: object) -> None:
            self.reload()
            self.on_new_button_clicked()
            self.banner.success(f"The profile {name!r} was removed.")
            self.profile_removed.emit(name)

        self.runner.run(lambda: self.store.remove(name), removed,
                        lambda error: self.banner.error(describe(error, "Removing the profile")))

    def on_remove_pin_button_clicked(self) -> None:
        self._set_pin(None)
        self.banner.info("The pinned certificate was removed. Test the connection to see the "
                         "server's certificate and pin it again.")

    def _set_pin(self, sha256: str | None) -> None:
        """Change the pin in the form and, for a saved profile, in the profiles file at once
        (a pin is a trust decision: it must not wait for an unrelated Save)."""
        self._pin = sha256
        self._show_pin()
        stored = self._stored(self._editing)
        if stored is None:
            return
        try:
            self.store.save(replace(stored, pinned_sha256=sha256))
        except ServiceError as exc:
            self.banner.error(f"Saving the pin failed: {exc.message}")
            return
        self.reload(select=stored.name)

    def on_test_button_clicked(self) -> None:
        if self._testing:
            return
        if not self._validate((self.url_edit, self.user_edit, self.ca_edit, self.tenant_edit)):
            return
        typed = self.password_edit.text()
        editing = self._editing
        if not typed and editing is None:
            show_problem(self.password_error, "Type the admin password to test the connection.")
            self.password_edit.setFocus()
            return
        url = self.url_edit.text().strip()
        user = self.user_edit.text().strip()
        try:
            checked = ServerProfile(
                "check", url, username=user, kind=self._kind(),
                tenant=self.tenant_edit.text().strip() or SUPER_TENANT).validated()
        except ProfileError as exc:  # _validate checked it; kept for a clear message anyway
            show_problem(self.url_error, exc.message)
            return
        url = checked.url
        trust = TrustPolicy(pinned_sha256=self._pin, ca_file=self.ca_edit.text().strip() or None)
        store = self.store

        def work() -> ServerInfo:
            password = typed or (store.password(editing) if editing else None)
            if not password:
                raise ProfileError("No password is stored for this profile; type it in "
                                   "Password and test again.")
            api = open_admin_api(checked.endpoint(password, trust=trust), timeout=_TEST_TIMEOUT)
            try:
                info = api.server_info()
                api.get_resident_idp()  # signs in: a wrong password fails here
            finally:
                api.close()
            return info

        self._testing = True
        self.test_button.setEnabled(False)
        self.test_action.setEnabled(False)
        self.banner.info(f"Testing the connection to {url}…")
        self.runner.run(work, lambda _health: self.on_test_succeeded(url, user),
                        lambda error: self.on_test_failed(url, error))

    def _test_finished(self) -> None:
        self._testing = False
        self.test_button.setEnabled(True)
        self.test_action.setEnabled(True)

    def on_test_succeeded(self, url: str, user: str) -> None:
        self._test_finished()
        text = (f"Connected to {url}: the server answered and accepted the user {user!r}."
                + (" Its certificate matches the pin." if self._pin else ""))
        self.banner.success(text)
        self.connection_tested.emit(True, text)

    def on_test_failed(self, url: str, error: Exception) -> None:
        self._test_finished()
        if isinstance(error, UntrustedCertificateError):
            self.banner.info(f"The certificate of {url} is not trusted yet; check its "
                             "fingerprint before you pin it.")
            if TrustCertificateDialog.ask(self, url, error.subject, error.sha256):
                self._set_pin(error.sha256)
                self.on_test_button_clicked()  # again, now with the pin
                return
            text = (f"Not connected: the certificate of {url} was not trusted. Pin it after "
                    "checking its fingerprint, or give the CA file that issued it.")
            self.banner.error(text)
        elif isinstance(error, CertificateChangedError):
            text = (f"Not connected: the certificate of {url} has CHANGED since it was pinned; "
                    "someone may be intercepting the connection.\n"
                    f"Pinned: {format_fingerprint(error.expected_sha256)}\n"
                    f"Presented now: {format_fingerprint(error.actual_sha256)}\n"
                    "Only if the server's administrator confirms the new certificate, remove "
                    "the pin and test again.")
            self.banner.error(text)
            TrustCertificateDialog.warn_changed(self, url, error.expected_sha256,
                                                error.actual_sha256)
        elif isinstance(error, AdminApiError):
            text = (f"The server at {url} answered but refused: {error.message} "
                    f"(HTTP {error.status}). Check the admin user and password.")
            self.banner.error(text)
        else:
            text = describe(error, "Testing the connection")
            self.banner.error(text)
        self.connection_tested.emit(False, text)
