"""Yes/no questions asked of the user, in one place so tests can answer them.

Call these as ``confirm.ask(...)`` (through the module), so a test can patch ``ask``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["ask"]


def ask(parent: QWidget | None, title: str, text: str, *, destructive: bool = False,
        action: str | None = None) -> bool:
    """True if the user confirms. ``destructive`` makes "No" the default button; ``action``
    names the confirming button after what it does ("&Apply"), with "Cancel" beside it, so the
    question uses the same words as the button that led to it."""
    box = QMessageBox(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question,
                      title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                      parent)
    if action is not None:
        yes, no = (box.button(QMessageBox.StandardButton.Yes),
                   box.button(QMessageBox.StandardButton.No))
        if yes is not None and no is not None:
            yes.setText(action)
            no.setText("Cancel")
    box.setDefaultButton(QMessageBox.StandardButton.No if destructive
                         else QMessageBox.StandardButton.Yes)
    return box.exec() == QMessageBox.StandardButton.Yes
