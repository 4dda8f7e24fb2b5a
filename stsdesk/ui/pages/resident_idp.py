"""The Resident identity provider page: home realms, session periods and the STS issuer name."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QBrush, QColor, QHideEvent, QKeySequence
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from stsdesk.core.limits import MAX_HOME_REALM_IDENTIFIER, MAX_ISSUER, MAX_MINUTES
from stsdesk.services.admin.models import ResidentIdp
from stsdesk.services.admin.resident import ResidentIdpChange, resident_idp_changes
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.pages.base import Page
from stsdesk.ui.widgets.form import error_label, show_problem

__all__ = [
    "ResidentIdpPage",
    "identifier_problem",
    "issuer_problem",
    "MINUTES_PER_WEEK",
    "MAX_MINUTES",
]

log = logging.getLogger("stsdesk.ui.resident_idp")

MINUTES_PER_WEEK = 7 * 24 * 60
MAX_WEEKS = MAX_MINUTES // MINUTES_PER_WEEK

_INVALID_BRUSH = QBrush(QColor("#fdecea"))


def identifier_problem(value: str) -> str | None:
    """Why ``value`` cannot be a home realm identifier, or None."""
    if not value:
        return "A home realm identifier is empty; type one or remove it."
    if len(value) > MAX_HOME_REALM_IDENTIFIER:
        return f"A home realm identifier is at most {MAX_HOME_REALM_IDENTIFIER} characters long."
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return f"'{value}' contains spaces; home realm identifiers cannot contain spaces."
    return None


def issuer_problem(value: str) -> str | None:
    """Why ``value`` cannot be the STS issuer name, or None."""
    if not value.strip():
        return "Type the STS issuer name, for example localhost or https://sts.example.org."
    if value != value.strip():
        return "The STS issuer name cannot start or end with spaces; remove them."
    if len(value) > MAX_ISSUER:
        return f"The STS issuer name is at most {MAX_ISSUER} characters long."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "The STS issuer name contains control characters; remove them."
    return None


class ResidentIdpPage(Page):
    """WSO2's Resident IdP page: edit the form, then "Update" sends one PATCH of what changed."""

    title = "Resident identity provider"

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None) -> None:
        super().__init__(connection, parent)
        self._baseline: ResidentIdp | None = None
        self._remember_touched = False
        self._filling = False
        self._saving = False
        self._generation = 0
        self._build()
        self._connect_signals()
        self._fill(None)

    # -- building --------------------------------------------------------------------------

    def _build(self) -> None:
        realm = QGroupBox("Resident Realm Configuration", self)
        realm_form = QFormLayout(realm)
        realm_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.realm_list = QListWidget(realm)
        self.realm_list.setObjectName("homeRealmIdentifiers")
        self.realm_list.setToolTip("Double-click or press F2 to edit an identifier in place.")
        self.realm_list.setEditTriggers(QListWidget.EditTrigger.DoubleClicked
                                        | QListWidget.EditTrigger.EditKeyPressed)
        self.realm_list.setMaximumHeight(130)
        self.new_identifier = QLineEdit(realm)
        self.new_identifier.setPlaceholderText("New identifier, for example localhost")
        self.add_button = QPushButton("&Add", realm)
        self.remove_button = QPushButton("&Remove", realm)
        self.up_button = QPushButton("Move u&p", realm)
        self.down_button = QPushButton("Move do&wn", realm)
        self.remove_button.setToolTip("Remove the selected identifier (Del)")
        self.up_button.setToolTip("Move the selected identifier up (Ctrl+Up)")
        self.down_button.setToolTip("Move the selected identifier down (Ctrl+Down)")
        side = QVBoxLayout()
        for button in (self.remove_button, self.up_button, self.down_button):
            side.addWidget(button)
        side.addStretch(1)
        list_row = QHBoxLayout()
        list_row.addWidget(self.realm_list, 1)
        list_row.addLayout(side)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_identifier, 1)
        add_row.addWidget(self.add_button)
        self.realm_error = error_label(realm)
        realm_box = QVBoxLayout()
        realm_box.addLayout(list_row)
        realm_box.addLayout(add_row)
        realm_box.addWidget(self.realm_error)
        realm_label = QLabel("&Home Realm Identifier:", realm)
        realm_label.setBuddy(self.realm_list)
        realm_form.addRow(realm_label, realm_box)

        self.idle_timeout = QSpinBox(realm)
        # From 0 although 0 is refused: below its minimum a spin box silently puts the old
        # value back; this way the form says what is wrong (see _validate).
        self.idle_timeout.setRange(0, MAX_MINUTES)
        self.idle_timeout.setSuffix(" minutes")
        self.idle_timeout.setToolTip("How long a session may stay idle before it ends.")
        idle_label = QLabel("&Idle Session Time Out:", realm)
        idle_label.setBuddy(self.idle_timeout)
        self.idle_error = error_label(realm)
        idle_box = QVBoxLayout()
        idle_box.addWidget(_left(self.idle_timeout))
        idle_box.addWidget(self.idle_error)
        realm_form.addRow(idle_label, idle_box)

        self.remember_me = QSpinBox(realm)
        self.remember_me.setRange(0, MAX_WEEKS)
        self.remember_me.setSuffix(" weeks")
        self.remember_me.setToolTip("How long \"Remember me\" keeps a user signed in.")
        self.remember_note = QLabel(realm)
        self.remember_note.setWordWrap(True)
        self.remember_note.setStyleSheet("color:#663c00;")
        self.remember_note.hide()
        remember_box = QVBoxLayout()
        remember_box.addWidget(_left(self.remember_me))
        self.remember_error = error_label(realm)
        remember_box.addWidget(self.remember_error)
        remember_box.addWidget(self.remember_note)
        remember_label = QLabel("R&emember Me Period:", realm)
        remember_label.setBuddy(self.remember_me)
        realm_form.addRow(remember_label, remember_box)

        inbound = QGroupBox(
            "Inbound Authentication Configuration — WS-Trust Security Token Service "
            "Configuration", self)
        inbound_form = QFormLayout(inbound)
        inbound_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.issuer = QLineEdit(inbound)
        self.issuer.setPlaceholderText("for example localhost or https://sts.example.org")
        self.issuer.setToolTip("The Issuer of every SAML token this STS issues.")
        self.issuer_error = error_label(inbound)
        issuer_box = QVBoxLayout()
        issuer_box.addWidget(self.issuer)
        issuer_box.addWidget(self.issuer_error)
        issuer_label = QLabel("STS issuer na&me:", inbound)
        issuer_label.setBuddy(self.issuer)
        inbound_form.addRow(issuer_label, issuer_box)

        self.update_button = QPushButton("&Update", self)
        self.update_button.setToolTip("Save the changes (Ctrl+S)")
        self.reset_button = QPushButton("Rese&t", self)
        self.reset_button.setToolTip("Discard the changes and reload from the server")
        self.change_label = QLabel(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.update_button)
        buttons.addWidget(self.reset_button)
        buttons.addWidget(self.change_label, 1)

        column = QVBoxLayout()
        column.addWidget(realm)
        column.addWidget(inbound)
        column.addLayout(buttons)
        column.addStretch(1)
        holder = QWidget(self)
        holder.setLayout(column)
        holder.setMaximumWidth(820)
        self.body.addWidget(holder, 0, Qt.AlignmentFlag.AlignLeft)

        self.save_action = QAction("Update", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.addAction(self.save_action)
        self.delete_action = QAction("Remove identifier", self.realm_list)
        self.delete_action.setShortcut(QKeySequence.StandardKey.Delete)
        self.delete_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.realm_list.addAction(self.delete_action)
        self.up_action = QAction("Move up", self.realm_list)
        self.up_action.setShortcut(QKeySequence("Ctrl+Up"))
        self.up_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.realm_list.addAction(self.up_action)
        self.down_action = QAction("Move down", self.realm_list)
        self.down_action.setShortcut(QKeySequence("Ctrl+Down"))
        self.down_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.realm_list.addAction(self.down_action)

        self.setTabOrder(self.realm_list, self.remove_button)
        self.setTabOrder(self.remove_button, self.up_button)
        self.setTabOrder(self.up_button, self.down_button)
        self.setTabOrder(self.down_button, self.new_identifier)
        self.setTabOrder(self.new_identifier, self.add_button)
        self.setTabOrder(self.add_button, self.idle_timeout)
        self.setTabOrder(self.idle_timeout, self.remember_me)
        self.setTabOrder(self.remember_me, self.issuer)
        self.setTabOrder(self.issuer, self.update_button)
        self.setTabOrder(self.update_button, self.reset_button)

    def _connect_signals(self) -> None:
        self.add_button.clicked.connect(self.on_add_button_clicked)
        self.new_identifier.returnPressed.connect(self.on_add_button_clicked)
        self.new_identifier.textChanged.connect(self.on_new_identifier_text_changed)
        self.remove_button.clicked.connect(self.on_remove_button_clicked)
        self.delete_action.triggered.connect(self.on_remove_button_clicked)
        self.up_button.clicked.connect(self.on_up_button_clicked)
        self.up_action.triggered.connect(self.on_up_button_clicked)
        self.down_button.clicked.connect(self.on_down_button_clicked)
        self.down_action.triggered.connect(self.on_down_button_clicked)
        self.realm_list.itemChanged.connect(self.on_realm_list_item_changed)
        self.realm_list.currentRowChanged.connect(self.on_realm_list_row_changed)
        self.idle_timeout.valueChanged.connect(self.on_form_changed)
        self.remember_me.valueChanged.connect(self.on_remember_me_value_changed)
        self.issuer.textChanged.connect(self.on_form_changed)
        self.update_button.clicked.connect(self.on_update_button_clicked)
        self.save_action.triggered.connect(self.on_update_button_clicked)
        self.reset_button.clicked.connect(self.on_reset_button_clicked)

    # -- loading ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Load ``GET /configs``; unsaved changes in the form are kept (Reset discards them)."""
        self._generation += 1
        generation = self._generation
        self._update_buttons()

        # Only the newest of overlapping reloads counts (and says it finished).
        def loaded(settings: ResidentIdp) -> None:
            if generation == self._generation:
                self.on_configs_loaded(settings)
                self.loaded.emit()

        def failed(error: Exception) -> None:
            if generation == self._generation:
                self.show_error("Loading the resident identity provider", error)
                self.loaded.emit()

        self.call(lambda api: api.get_resident_idp(), loaded,
                  action="Loading the resident identity provider", on_error=failed)

    def on_configs_loaded(self, settings: ResidentIdp) -> None:
        if self.has_unsaved_changes():
            # A reload (F5, the server coming back) must not throw away what was typed.
            if settings != self._baseline:
                self.banner.info(
                    "The server's configuration changed since this page loaded it. Your unsaved "
                    "changes are kept; Reset discards them and shows the server's values.")
            return
        self._fill(settings)

    def _fill(self, settings: ResidentIdp | None) -> None:
        """Show ``settings`` (None: nothing loaded yet) and make it the baseline."""
        self._baseline = settings
        self._remember_touched = False
        self._filling = True
        try:
            self.realm_list.clear()
            for value in settings.home_realm_identifiers if settings else ():
                self.realm_list.addItem(self._new_item(value))
            self.new_identifier.clear()
            self.idle_timeout.setValue(settings.idle_session_timeout_minutes if settings else 15)
            minutes = settings.remember_me_minutes if settings else 2 * MINUTES_PER_WEEK
            weeks = min(MAX_WEEKS, max(1, round(minutes / MINUTES_PER_WEEK)))
            self.remember_me.setValue(weeks)
            whole = minutes % MINUTES_PER_WEEK == 0 and 1 <= minutes // MINUTES_PER_WEEK
            self.remember_note.setText(
                "" if whole else
                f"The server stores {minutes} minutes ({minutes / MINUTES_PER_WEEK:.2f} weeks), "
                "which is not a whole number of weeks. It is kept as it is unless you change "
                "this field.")
            self.remember_note.setVisible(not whole)
            self.issuer.setText((settings.issuer or "") if settings else "")
        finally:
            self._filling = False
        for widget in (self.realm_list, self.new_identifier, self.idle_timeout,
                       self.remember_me):
            widget.setEnabled(settings is not None)
        self.issuer.setEnabled(settings is not None and settings.issuer is not None)
        self.issuer.setToolTip(
            "The Issuer of every SAML token this STS issues." if self.issuer.isEnabled()
            else "This server does not offer the STS issuer name through its admin API.")
        self._validate()
        self._update_buttons()

    def _new_item(self, value: str) -> QListWidgetItem:
        item = QListWidgetItem(value)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        return item

    # -- the form's state ------------------------------------------------------------------

    def identifiers(self) -> list[str]:
        return [self.realm_list.item(row).text() for row in range(self.realm_list.count())]

    def form_settings(self) -> ResidentIdp | None:
        """What the form says, in minutes (None before the first load)."""
        if self._baseline is None:
            return None
        remember = self._baseline.remember_me_minutes
        if self._remember_touched:
            remember = self.remember_me.value() * MINUTES_PER_WEEK
        return ResidentIdp(
            home_realm_identifiers=tuple(self.identifiers()),
            idle_session_timeout_minutes=self.idle_timeout.value(),
            remember_me_minutes=remember,
            issuer=self.issuer.text() if self._baseline.issuer is not None else None,
        )

    def pending_changes(self) -> tuple[ResidentIdpChange, ...]:
        """The edits Update would send now."""
        current = self.form_settings()
        if current is None or self._baseline is None:
            return ()
        return resident_idp_changes(self._baseline, current)

    def has_unsaved_changes(self) -> bool:
        current = self.form_settings()
        return current is not None and current != self._baseline

    def _validate(self) -> bool:
        """Show every problem inline; True when the form can be sent."""
        values = self.identifiers()
        problems: list[str] = []
        seen: set[str] = set()
        for row, value in enumerate(values):
            problem = identifier_problem(value)
            if problem is None and value in seen:
                problem = f"'{value}' is in the list twice; each identifier can appear only once."
            seen.add(value)
            item = self.realm_list.item(row)
            filling, self._filling = self._filling, True  # colouring an item is no edit
            try:
                item.setBackground(_INVALID_BRUSH if problem else QBrush())
                item.setToolTip(problem or "")
            finally:
                self._filling = filling
            if problem:
                problems.append(problem)
        new = self.new_identifier.text()
        if new:
            problem = identifier_problem(new)
            if problem is None and new in values:
                problem = f"'{new}' is already in the list."
            if problem:
                problems.append(problem)
        self.realm_error.setText("\n".join(dict.fromkeys(problems)))
        self.realm_error.setVisible(bool(problems))
        issuer = (issuer_problem(self.issuer.text()) if self._baseline is not None
                  and self._baseline.issuer is not None else None)
        self.issuer_error.setText(issuer or "")
        self.issuer_error.setVisible(issuer is not None)
        idle = ("The idle session time-out must be at least 1 minute."
                if self.idle_timeout.value() < 1 else None)
        show_problem(self.idle_error, idle)
        remember = ("The remember-me period must be at least 1 week."
                    if self.remember_me.value() < 1 else None)
        show_problem(self.remember_error, remember)
        # A typed but not yet added identifier does not block Update; only the list does.
        list_ok = not any(identifier_problem(v) for v in values) and len(set(values)) == len(values)
        return list_ok and issuer is None and idle is None and remember is None

    def _first_problem_field(self) -> QWidget:
        """Where the focus goes when Update finds the form wrong: the first field at fault."""
        for error, field in ((self.idle_error, self.idle_timeout),
                             (self.remember_error, self.remember_me),
                             (self.issuer_error, self.issuer)):
            if error.isVisibleTo(self):
                return field
        return self.realm_list

    def _update_buttons(self) -> None:
        dirty = self.has_unsaved_changes()
        self.update_button.setEnabled(dirty and not self._saving)
        self.save_action.setEnabled(dirty and not self._saving)
        self.reset_button.setEnabled(dirty and not self._saving)
        row = self.realm_list.currentRow()
        has_row = row >= 0 and self.realm_list.isEnabled()
        self.remove_button.setEnabled(has_row)
        self.up_button.setEnabled(has_row and row > 0)
        self.down_button.setEnabled(has_row and row < self.realm_list.count() - 1)
        text = self.new_identifier.text()
        self.add_button.setEnabled(bool(text) and identifier_problem(text) is None
                                   and text not in self.identifiers())
        if self._saving:
            self.change_label.setText("Saving…")
        elif dirty:
            count = len(self.pending_changes())
            self.change_label.setText(
                f"Unsaved changes ({count} change{'s' if count != 1 else ''} to send)")
        elif self._baseline is None:
            self.change_label.setText("Loading…")
        else:
            self.change_label.setText("No unsaved changes")

    # -- slots -----------------------------------------------------------------------------

    def on_form_changed(self, *_: object) -> None:
        if self._filling:
            return
        self._validate()
        self._update_buttons()

    def on_remember_me_value_changed(self, _value: int) -> None:
        if self._filling:
            return
        self._remember_touched = True
        self.on_form_changed()

    def on_new_identifier_text_changed(self, _text: str) -> None:
        self.on_form_changed()

    def on_realm_list_item_changed(self, _item: QListWidgetItem) -> None:
        self.on_form_changed()

    def on_realm_list_row_changed(self, _row: int) -> None:
        self._update_buttons()

    def on_add_button_clicked(self) -> None:
        value = self.new_identifier.text()
        problem = identifier_problem(value)
        if problem is None and value in self.identifiers():
            problem = f"'{value}' is already in the list."
        if problem:
            self.realm_error.setText(problem)
            self.realm_error.show()
            self.new_identifier.setFocus()
            return
        self.realm_list.addItem(self._new_item(value))
        self.realm_list.setCurrentRow(self.realm_list.count() - 1)
        self.new_identifier.clear()
        self.new_identifier.setFocus()
        self.on_form_changed()

    def on_remove_button_clicked(self) -> None:
        row = self.realm_list.currentRow()
        if row < 0:
            return
        self.realm_list.takeItem(row)
        self.on_form_changed()

    def on_up_button_clicked(self) -> None:
        self._move(-1)

    def on_down_button_clicked(self) -> None:
        self._move(+1)

    def _move(self, step: int) -> None:
        row = self.realm_list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.realm_list.count():
            return
        item = self.realm_list.takeItem(row)
        self.realm_list.insertItem(target, item)
        self.realm_list.setCurrentRow(target)
        self.on_form_changed()

    def on_update_button_clicked(self) -> None:
        if self._saving or not self.has_unsaved_changes():
            return
        if not self._validate():
            # Nothing is sent while the form has errors; they are shown next to the fields.
            self._first_problem_field().setFocus()
            return
        baseline, wanted = self._baseline, self.form_settings()
        if baseline is None or wanted is None or not self.pending_changes():
            return
        self._saving = True
        self._update_buttons()
        self.banner.clear()
        self.call(lambda api: api.update_resident_idp(baseline, wanted), self.on_update_succeeded,
                  action="Updating the resident identity provider",
                  on_error=self.on_update_failed)

    def on_update_succeeded(self, saved: ResidentIdp) -> None:
        self._saving = False
        count = len(self.pending_changes())
        self._fill(saved)
        self._update_buttons()
        self.banner.success(
            f"The resident identity provider was updated ({count} change"
            f"{'s' if count != 1 else ''}).")
        log.info("resident identity provider updated with %d change(s)", count)
        self.refresh()

    def on_update_failed(self, error: Exception) -> None:
        self._saving = False
        self._update_buttons()
        # The form keeps what the user typed; the banner says what the server refused.
        self.show_error("Updating the resident identity provider", error)

    def on_reset_button_clicked(self) -> None:
        self._fill(self._baseline)
        self.banner.clear()
        self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt override
        # The main window hides a page only after the user agreed to discard its changes
        # (a spontaneous hide is the window being minimised: keep everything then).
        if not event.spontaneous() and self.has_unsaved_changes() and not self._saving:
            self._fill(self._baseline)
        super().hideEvent(event)


def _left(widget: QWidget) -> QWidget:
    """``widget`` at its natural width, aligned left in a form row."""
    holder = QWidget(widget.parentWidget())
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(widget)
    row.addStretch(1)
    return holder
