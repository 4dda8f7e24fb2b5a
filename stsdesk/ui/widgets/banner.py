"""Messages at the top of a page: errors stay next to what they are about, successes fade."""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QEvent, QObject, QPropertyAnimation, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsOpacityEffect,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QWidget,
)

from stsdesk.ui.widgets.form import never_widen

__all__ = ["MessageBanner", "SUCCESS_SECONDS"]

_STYLES = {
    "error": "background:#fdecea; color:#611a15; border:1px solid #f5c2c0;",
    "warning": "background:#fff4e5; color:#663c00; border:1px solid #ffd8a8;",
    "info": "background:#e8f4fd; color:#0d3c61; border:1px solid #b6dcfb;",
    "success": "background:#edf7ed; color:#1e4620; border:1px solid #b7dfb9;",
}
SUCCESS_SECONDS = 4.0  # how long a success note stays before it fades
_FADE_MS = 600
_MARGIN = 8


class _SuccessNote(QLabel):
    """A success message floating over the top right of its window: it takes no room in the
    layout (nothing moves when it comes or goes) and fades out by itself."""

    faded = Signal()

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        self.setObjectName("successNote")
        self.setStyleSheet(f"#successNote {{{_STYLES['success']} border-radius:4px; "
                           "padding:6px 10px;}")
        self.setTextFormat(Qt.TextFormat.PlainText)
        never_widen(self)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._effect = QGraphicsOpacityEffect(self)
        self.setGraphicsEffect(self._effect)
        self._fade = QPropertyAnimation(self._effect, b"opacity", self)
        self._fade.setDuration(_FADE_MS)
        self._fade.setStartValue(1.0)
        self._fade.setEndValue(0.0)
        self._fade.setEasingCurve(QEasingCurve.Type.InQuad)
        self._fade.finished.connect(self._on_fade_finished)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fade.start)
        host.installEventFilter(self)
        self.hide()

    def flash(self, text: str) -> None:
        self._fade.stop()
        self._effect.setOpacity(1.0)
        self.setText(text)
        self._place()
        self.show()
        self.raise_()
        self._timer.start(int(SUCCESS_SECONDS * 1000))

    def _on_fade_finished(self) -> None:
        self.hide()
        self.faded.emit()

    def dismiss(self) -> None:
        self._timer.stop()
        self._fade.stop()
        self.hide()

    def _place(self) -> None:
        host = self.parentWidget()
        if host is None:
            return
        width = max(160, min(int(host.width() * 0.6), 560))
        self.setFixedWidth(width)
        self.setFixedHeight(max(self.heightForWidth(width), self.sizeHint().height()))
        self.move(host.width() - width - _MARGIN, _MARGIN)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self._place()
        return False


class MessageBanner(QFrame):
    """Hidden until a message is shown; the close button hides it again.

    Errors, warnings and notes stay in the page's layout until they are resolved or dismissed;
    a success shows as a note over the top of the window that fades after a few seconds, so
    the controls never jump.
    """

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
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self._label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.level = ""
        self.note = _SuccessNote(parent) if parent is not None else None
        if self.note is not None:
            self.note.faded.connect(self.on_note_faded)
        self.hide()

    @property
    def text(self) -> str:
        if self.note is not None and self.note.isVisibleTo(self.note.parentWidget()):
            return self.note.text()
        return self._label.text() if self.isVisibleTo(self.parentWidget()) else ""

    def show_message(self, level: str, text: str) -> None:
        if level == "success" and self.note is not None:
            # The action worked: whatever the banner said before is resolved.
            self.hide()
            self.level = level
            self.note.flash(text)
            return
        if self.note is not None:
            self.note.dismiss()
        self.level = level
        self.setStyleSheet(f"#messageBanner {{{_STYLES[level]} border-radius:4px;}}")
        self._label.setText(text)
        self.show()

    def on_note_faded(self) -> None:
        if self.level == "success":
            self.level = ""

    def error(self, text: str) -> None:
        self.show_message("error", text)

    def success(self, text: str) -> None:
        self.show_message("success", text)

    def info(self, text: str) -> None:
        self.show_message("info", text)

    def clear(self) -> None:
        self.level = ""
        if self.note is not None:
            self.note.dismiss()
        self.hide()
