"""What the walk under Xvfb at 1280x800 found: text cut off mid-word and an empty box that
looks like a field. Every page, at the size of the walk's screen, is checked as a person
reads it: each combo box shows its choice whole (or shortened with "…"), each empty field its
whole hint, and no empty bar stands where a token's validity would be."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QStyle,
    QStyleOptionComboBox,
    QStyleOptionFrame,
    QWidget,
)

from stsdesk.ui.widgets.eliding_combo import ElidingComboBox

PAGES = ["Resident identity provider", "Security Token Service", "Service providers",
         "Users and roles", "Keystores and certificates", "Test client", "Token inspector",
         "Audit log"]

# QLineEdit keeps this many pixels free on either side of its text (qlineedit_p.h).
_LINE_EDIT_MARGIN = 2


def shown_page(qtbot, window, title: str) -> QWidget:
    page = window.page(title)
    window.show_page(title)
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=10_000)
    QApplication.processEvents()
    QApplication.processEvents()
    return page


def visible(page: QWidget, kind: type) -> list:
    return [widget for widget in page.findChildren(kind) if widget.isVisible()]


def combo_text_room(combo: QComboBox) -> int:
    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    field = combo.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                         QStyle.SubControl.SC_ComboBoxEditField, combo)
    return field.width() - 2  # the label is drawn one pixel in from either side


def placeholder_room(edit: QLineEdit) -> int:
    option = QStyleOptionFrame()
    edit.initStyleOption(option)
    contents = edit.style().subElementRect(QStyle.SubElement.SE_LineEditContents, option, edit)
    margins = edit.textMargins()
    return contents.width() - margins.left() - margins.right() - 2 * _LINE_EDIT_MARGIN


def cut_combos(page: QWidget) -> list[str]:
    cut = []
    for combo in visible(page, QComboBox):
        if combo.isEditable() or not combo.currentText():
            continue
        shown = combo.displayed_text() if isinstance(combo, ElidingComboBox) \
            else combo.currentText()
        width = combo.fontMetrics().horizontalAdvance(shown)
        if width > combo_text_room(combo):
            cut.append(f"{combo.accessibleName() or combo.objectName()}: {shown!r}")
        elif shown != combo.currentText() and "…" not in shown:
            cut.append(f"{combo.accessibleName()}: shortened without saying so: {shown!r}")
    return cut


def cut_placeholders(page: QWidget) -> list[str]:
    return [f"{edit.placeholderText()!r} ({edit.fontMetrics().horizontalAdvance(edit.placeholderText())}"
            f" px in {placeholder_room(edit)} px)"
            for edit in visible(page, QLineEdit)
            if not edit.text() and edit.placeholderText()
            and edit.fontMetrics().horizontalAdvance(edit.placeholderText())
            > placeholder_room(edit)]


@pytest.mark.parametrize("title", PAGES)
def test_every_page_shows_its_choices_and_hints_whole(qtbot, window, title):
    page = shown_page(qtbot, window, title)
    assert cut_combos(page) == []
    assert cut_placeholders(page) == []


@pytest.mark.parametrize("title", ["Test client", "Token inspector"])
def test_no_empty_validity_bar_before_there_is_a_token(qtbot, window, title):
    page = shown_page(qtbot, window, title)
    view = page.result_view.token_view if title == "Test client" else page.view
    assert view.decoded is None
    assert not view.timeline.isVisible()  # an empty white bar reads as a field to type in


def test_a_long_choice_is_elided_and_whole_in_its_tooltip(qtbot):
    combo = ElidingComboBox()
    qtbot.addWidget(combo)
    long_alias = "relying-party-signing-key-for-the-payroll-service-2026"
    combo.addItem(f"The STS's active signing certificate ('{long_alias}')")
    combo.addItem("short")
    combo.resize(220, combo.sizeHint().height())
    combo.show()
    qtbot.waitExposed(combo)
    shown = combo.displayed_text()
    # Shortened in the middle, so that the alias's end, which tells choices apart, shows.
    assert "…" in shown and shown.startswith("The STS") and shown.endswith("2026')")
    assert combo.fontMetrics().horizontalAdvance(shown) <= combo_text_room(combo)
    assert long_alias in combo.toolTip()
    combo.setCurrentIndex(1)
    assert combo.displayed_text() == "short" and combo.toolTip() == ""
    assert combo.textElideMode() == Qt.TextElideMode.ElideMiddle
