"""The "Servers" menu of the main window (its dialog is imported when first opened)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from stsdesk.services.profiles import ProfileStore

if TYPE_CHECKING:
    from stsdesk.ui.dialogs.profiles import ServerProfilesDialog

__all__ = ["install_profiles_menu"]


def install_profiles_menu(window: QMainWindow, profile_store: ProfileStore) -> QAction:
    """Add "Servers > Manage servers…" to ``window``'s menu bar; returns the action.

    The dialog is created on first use as a child of ``window`` (find it with
    ``window.findChild(ServerProfilesDialog)``) and reuses the window's task runner.
    """
    menu = window.menuBar().addMenu("&Servers")
    action = menu.addAction("&Manage servers…")
    holder: dict[str, ServerProfilesDialog] = {}

    def open_dialog() -> None:
        dialog = holder.get("dialog")
        if dialog is None:
            from stsdesk.ui.dialogs.profiles import ServerProfilesDialog

            connection = getattr(window, "connection", None)
            dialog = ServerProfilesDialog(
                profile_store, window, runner=getattr(window, "runner", None),
                current_server=str(getattr(connection, "name", "") or ""))
            holder["dialog"] = dialog
        dialog.open()
        dialog.raise_()

    action.triggered.connect(open_dialog)
    return action
