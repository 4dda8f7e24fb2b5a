"""Yes/no questions asked of the user, in one place so tests can answer them.

Call these as ``confirm.ask(...)`` (through the module), so a test can patch ``ask``.
"""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

__all__ = ["ask"]


def ask(parent: QWidget | None, title: str, text: str, *, destructive: bool = False) -> bool:
    """True if the user confirms. ``destructive`` makes "No" the default button."""
    box = QMessageBox(QMessageBox.Icon.Warning if destructive else QMessageBox.Icon.Question,
                      title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                      parent)
    box.setDefaultButton(QMessageBox.StandardButton.No if destructive
                         else QMessageBox.StandardButton.Yes)
    return box.exec() == QMessageBox.StandardButton.Yes
