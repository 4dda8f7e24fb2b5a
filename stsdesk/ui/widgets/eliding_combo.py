"""A combo box that elides a choice too long for it, instead of cutting it off mid-letter."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QStyle,
    QStyleOptionComboBox,
    QStylePainter,
    QWidget,
)

__all__ = ["ElidingComboBox"]


class ElidingComboBox(QComboBox):
    """Shows its current text shortened with "…" when the box is too narrow for it (Qt's own
    combo box clips it at the edge), with the whole text as the tooltip then.

    For choices that carry user data (certificate aliases, names) in a column whose width
    the window decides. Not editable: an editable combo box shows a line edit that scrolls.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # In the middle: choices end with what tells them apart ("… ('wso2carbon')").
        self._elide_mode = Qt.TextElideMode.ElideMiddle
        self.currentTextChanged.connect(self._update_tooltip)

    def textElideMode(self) -> Qt.TextElideMode:  # noqa: N802 - Qt naming, like QAbstractItemView
        return self._elide_mode

    def displayed_text(self) -> str:
        """The current text as drawn: whole, or elided to the room the box has."""
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        return self._elided(option)

    def _elided(self, option: QStyleOptionComboBox) -> str:
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        room = field.width() - 2  # the style draws the label one pixel in from either side
        if not option.currentIcon.isNull():
            room -= option.iconSize.width() + 4
        return self.fontMetrics().elidedText(option.currentText, self._elide_mode, room)

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        # What QComboBox::paintEvent draws, with the label's text elided.
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self._elided(option)
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().resizeEvent(event)
        self._update_tooltip()

    def _update_tooltip(self, _text: str = "") -> None:
        whole = self.currentText()
        self.setToolTip(whole if self.displayed_text() != whole else "")
