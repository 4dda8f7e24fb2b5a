"""An inline message strip at the top of a page: errors stay next to what they are about."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

from stsdesk.ui.widgets.form import never_widen

__all__ = ["MessageBanner"]

_STYLES = {
    "error": "background:#fdecea; color:#611a15; border:1px solid #f5c2c0;",
    "warning": "background:#fff4e5; color:#663c00; border:1px solid #ffd8a8;",
    "info": "background:#e8f4fd; color:#0d3c61; border:1px solid #b6dcfb;",
    "success": "background:#edf7ed; color:#1e4620; border:1px solid #b7dfb9;",
}


class MessageBanner(QFrame):
    """Hidden until a message is shown; the close button hides it again."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBanner")
        self._label = never_widen(QLabel(self))
        # Server descriptions are shown as they are, never interpreted as rich text.
        self._label.setTextFormat(Qt.TextFormat.PlainText)
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self._label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.level = ""
        self.hide()

    @property
    def text(self) -> str:
        return self._label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def show_message(self, level: str, text: str) -> None:
        self.level = level
        self.setStyleSheet(f"#messageBanner {{{_STYLES[level]} border-radius:4px;}}")
        self._label.setText(text)
        self.show()

    def error(self, text: str) -> None:
        self.show_message("error", text)

    def success(self, text: str) -> None:
        self.show_message("success", text)

    def info(self, text: str) -> None:
        self.show_message("info", text)

    def clear(self) -> None:
        self.level = ""
        self.hide()
