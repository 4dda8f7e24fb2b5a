"""The console's file choosers: where to open from and where to save to, "" when cancelled."""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QWidget

__all__ = ["choose_open_path", "choose_save_path", "choose_save_target"]


def choose_open_path(parent: QWidget | None, title: str, file_filter: str) -> str:
    """Ask for a file to open; "" when cancelled."""
    path, _chosen = QFileDialog.getOpenFileName(parent, title, "", file_filter)
    return path


def choose_save_target(parent: QWidget | None, title: str, suggested: str,
                       file_filter: str) -> tuple[str, str]:
    """Ask where to save: (path, the filter the person picked); path "" when cancelled."""
    path, chosen = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    return path, chosen


def choose_save_path(parent: QWidget | None, title: str, suggested: str,
                     file_filter: str) -> str:
    """Ask where to save; "" when cancelled."""
    return choose_save_target(parent, title, suggested, file_filter)[0]
