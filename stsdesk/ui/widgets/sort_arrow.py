"""Header sort arrows that point the way people read them: down for newest (largest) first."""

from __future__ import annotations

from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QHeaderView,
    QProxyStyle,
    QStyle,
    QStyleOption,
    QStyleOptionHeader,
    QWidget,
)

__all__ = ["SortArrowStyle", "use_conventional_sort_arrows"]

_FLIPPED = {
    QStyleOptionHeader.SortIndicator.SortUp: QStyleOptionHeader.SortIndicator.SortDown,
    QStyleOptionHeader.SortIndicator.SortDown: QStyleOptionHeader.SortIndicator.SortUp,
}


class SortArrowStyle(QProxyStyle):
    """QHeaderView hands the style ``SortUp`` for a descending sort, so Fusion draws an upward
    arrow over a newest-first list, which reads as "oldest first". Windows Explorer, macOS and
    GNOME point the arrow down for descending; this style swaps the two for header arrows."""

    def drawPrimitive(self, element: QStyle.PrimitiveElement,  # noqa: N802 - Qt override
                      option: QStyleOption, painter: QPainter,
                      widget: QWidget | None = None) -> None:
        if (element == QStyle.PrimitiveElement.PE_IndicatorHeaderArrow
                and isinstance(option, QStyleOptionHeader)
                and option.sortIndicator in _FLIPPED):
            flipped = QStyleOptionHeader(option)
            flipped.sortIndicator = _FLIPPED[option.sortIndicator]
            super().drawPrimitive(element, flipped, painter, widget)
            return
        super().drawPrimitive(element, option, painter, widget)


def use_conventional_sort_arrows(header: QHeaderView) -> None:
    """Draw ``header``'s sort arrow pointing down when the column sorts descending."""
    style = SortArrowStyle()
    style.setParent(header)  # lives as long as the header
    header.setStyle(style)
