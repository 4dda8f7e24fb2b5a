"""The one place expected errors become words for the user and bugs go to the log."""

from __future__ import annotations

import logging
import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from stsdesk.core.errors import StsError
from stsdesk.services.errors import ServiceError

__all__ = ["describe", "is_expected", "show_crash"]

log = logging.getLogger("stsdesk.ui")


def is_expected(error: BaseException) -> bool:
    """Environment and user errors (server down, wrong password, bad input) as opposed to bugs."""
    return isinstance(error, ServiceError | StsError | OSError | ValueError)


def describe(error: BaseException, action: str) -> str:
    """``action`` failed: why, in words a person can act on."""
    if isinstance(error, ServiceError | StsError):
        return f"{action} failed: {error.message}"
    if isinstance(error, OSError | ValueError):
        return f"{action} failed: {error}"
    log.error("unexpected error during %s:\n%s", action,
              "".join(traceback.format_exception(error)))
    return (f"{action} failed because of an unexpected error ({type(error).__name__}). "
            "Details are in the log; please report it.")


def show_crash(parent: QWidget | None, action: str, error: BaseException) -> None:
    """A dialog for a bug: what happened, with the traceback for a report."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error", describe(error, action),
                      QMessageBox.StandardButton.Ok, parent)
    box.setDetailedText("".join(traceback.format_exception(error)))
    box.open()
