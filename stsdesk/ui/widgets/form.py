"""Form helpers: inline problems under fields (one red label style, one way to show and hide
them) and a file field with its Browse button."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QWidget

__all__ = ["ERROR_STYLE", "error_label", "show_problem", "grow_to_fit", "never_widen", "file_row"]

ERROR_STYLE = "color:#c62828;"


def never_widen(label: QLabel) -> QLabel:
    """Let ``label`` (word-wrapped, showing what people typed) wrap inside any word rather than
    widen its window: a wrapped label's minimum width is its longest word, so a 400-character
    user name made the window 3,000 px wide and it could not be made narrower again."""
    label.setWordWrap(True)
    label.setMinimumWidth(1)  # an explicit minimum overrides the longest-word minimum
    return label


def error_label(parent: QWidget) -> QLabel:
    """A red, word-wrapped label under a field; hidden until there is a problem."""
    label = QLabel(parent)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    # Messages quote what the user typed: never let that be read as markup.
    label.setTextFormat(Qt.TextFormat.PlainText)
    # Top-aligned: a wrapped label may get more height than its lines need.
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    never_widen(label)
    label.hide()
    return label


def show_problem(label: QLabel, problem: str | None, *, grow: bool = False) -> None:
    """Show ``problem`` in ``label``, or hide the label when there is none (None or "").

    ``grow``: make the label's window tall enough for it (for dialogs, never for pages in the
    main window).
    """
    label.setText(problem or "")
    label.setVisible(bool(problem))
    if grow and problem:
        grow_to_fit(label.window())


def grow_to_fit(window: QWidget) -> None:
    """Make ``window`` tall enough for wrapped messages that just appeared (never shrink it:
    the user may have sized it)."""
    layout = window.layout()
    if layout is None:
        return
    layout.activate()
    needed = window.heightForWidth(window.width())
    if needed < 0:
        needed = window.sizeHint().height()
    if needed > window.height():
        window.resize(window.width(), needed)


def file_row(edit: QLineEdit, button: QPushButton) -> QHBoxLayout:
    """A file path field taking the row's spare width, with its Browse button beside it."""
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row
