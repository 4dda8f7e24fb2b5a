"""The mouse wheel scrolls the form; it changes a spin box or combo box only when that has focus."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QWidget,
)

__all__ = ["WheelGuard", "install_wheel_guard"]

_GUARDED = (QAbstractSpinBox, QComboBox)


def _guarded(watched: QObject) -> QWidget | None:
    """The spin or combo box ``watched`` is (or is inside, e.g. its line edit), else None."""
    widget = watched if isinstance(watched, QWidget) else None
    while widget is not None:
        if isinstance(widget, _GUARDED):
            return widget
        if widget.isWindow():
            return None
        widget = widget.parentWidget()
    return None


class WheelGuard(QObject):
    """An application-wide event filter.

    Qt lets a wheel turn over an unfocused spin box change its value (and take focus), so a
    person scrolling a long form changed the proof key size from 256 to 704 bits without
    noticing. Here such fields take focus only by click or Tab, and a wheel turn over an
    unfocused one scrolls the enclosing scroll area instead.
    """

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(watched, _GUARDED):
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if kind != QEvent.Type.Wheel or not isinstance(event, QWheelEvent):
            return False
        field = _guarded(watched)
        if field is None or field.hasFocus():
            return False
        area = _scroll_area_around(field)
        if area is not None:
            viewport = area.viewport()
            global_pos = event.globalPosition()
            forwarded = QWheelEvent(
                viewport.mapFromGlobal(global_pos), global_pos, event.pixelDelta(),
                event.angleDelta(), event.buttons(), event.modifiers(), event.phase(),
                event.inverted())
            QApplication.sendEvent(viewport, forwarded)
        event.ignore()
        return True


def _scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea):
            return parent
        if parent.isWindow():
            return None
        parent = parent.parentWidget()
    return None


def install_wheel_guard(app: QApplication) -> WheelGuard:
    """Install the guard on ``app`` once; later calls return the installed one."""
    existing = app.findChild(WheelGuard)
    if isinstance(existing, WheelGuard):
        return existing
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    return guard
