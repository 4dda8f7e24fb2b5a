"""What every page has: a title, an inline message banner, the connection, a refresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from stsdesk.services.admin import AdminApi, Capability
from stsdesk.ui import errors
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.widgets.banner import MessageBanner
from stsdesk.ui.widgets.wheel_guard import install_wheel_guard

__all__ = ["Page"]


_OWN_TOOLTIP = "stsdeskOwnToolTip"


class Page(QWidget):
    """A page of the console. Subclasses build their widgets into ``self.body`` and load data
    in :meth:`refresh`; they reach the server only through :meth:`call`."""

    title = "Page"
    loaded = Signal()  # emitted after a refresh finished (tests wait for it)

    def __init__(self, connection: ServerConnection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        app = QApplication.instance()
        if isinstance(app, QApplication):  # every window of the console has pages
            install_wheel_guard(app)
        self.connection = connection
        self.banner = MessageBanner(self)
        heading = QLabel(self.title, self)
        font = QFont(heading.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        heading.setFont(font)
        self.body = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.addWidget(heading)
        layout.addWidget(self.banner)
        layout.addLayout(self.body, 1)
        layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        connection.capabilities_changed.connect(self.on_connection_capabilities_changed)

    def on_connection_capabilities_changed(self, _capabilities: object) -> None:
        # What the server offers decides what is greyed out: a page on show reloads.
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Reload what the page shows from the server (override)."""
        self.loaded.emit()

    def call(
        self,
        work: Callable[[AdminApi], Any],
        on_success: Callable[[Any], None],
        *,
        action: str,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        """Run ``work`` off the GUI thread; a failure shows in the banner (or ``on_error``)."""

        def failed(error: Exception) -> None:
            if on_error is not None:
                on_error(error)
            else:
                self.show_error(action, error)

        self.connection.call(work, on_success, failed)

    def offer(self, widget: QWidget, capability: Capability, enabled: bool = True) -> bool:
        """Enable ``widget`` when the server has ``capability`` (and ``enabled``); without it,
        grey it out with the reason as its tooltip. True when the server has it."""
        reason = self.connection.missing_reason(capability)
        own = widget.property(_OWN_TOOLTIP)
        if own is None:  # the widget's own tooltip, shown again when the capability is there
            own = widget.toolTip()
            widget.setProperty(_OWN_TOOLTIP, own)
        widget.setEnabled(enabled and reason is None)
        widget.setToolTip(reason if reason is not None else str(own))
        return reason is None

    def show_error(self, action: str, error: Exception) -> None:
        errors.show_error(self, self.banner, action, error)

    def has_unsaved_changes(self) -> bool:
        """True if leaving the page would lose what the user typed (override)."""
        return False
