"""A navigation entry for a part of the console that is not built yet, saying so plainly."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.pages.base import Page

__all__ = ["NotYetAvailablePage"]


class NotYetAvailablePage(Page):
    def __init__(self, connection: ServerConnection, title: str, what: str,
                 parent: QWidget | None = None) -> None:
        self.title = title
        super().__init__(connection, parent)
        label = QLabel(
            f"<p>{what}</p><p>This part of stsdesk is not available in this version yet. Until "
            "it is, use the admin API (see the README) or WSO2's own tools for it.</p>", self)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body.addWidget(label)
        self.body.addStretch(1)
