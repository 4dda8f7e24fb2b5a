"""The one place expected errors become words for the user and bugs go to the log."""

from __future__ import annotations

import logging
import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from stsdesk.core.errors import StsError
from stsdesk.services.errors import ServiceError
from stsdesk.ui.widgets.banner import MessageBanner

__all__ = ["describe", "is_expected", "show_crash", "show_error"]

log = logging.getLogger("stsdesk.ui")


def is_expected(error: BaseException) -> bool:
    """Environment and user errors as opposed to bugs.

    Expected: the project's own typed errors — ServiceError (server down, refused, wrong
    password, unusable input) and core's StsError (on the desktop side every core error is a
    verdict on what it was given: a file, a token, a key, the server's answer) — and OSError
    (disk full, permission denied: the environment, in the operating system's words). Anything
    else, a bare ValueError included, is a bug: it gets the crash dialog and the log.
    """
    return isinstance(error, ServiceError | StsError | OSError)


def describe(error: BaseException, action: str) -> str:
    """``action`` failed: why, in words a person can act on (a bug is logged here)."""
    if isinstance(error, ServiceError | StsError):
        return f"{action} failed: {error.message}"
    if isinstance(error, OSError):
        return f"{action} failed: {error}"
    log.error("unexpected error during %s:\n%s", action,
              "".join(traceback.format_exception(error)))
    return _bug_text(error, action)


def _bug_text(error: BaseException, action: str) -> str:
    return (f"{action} failed because of an unexpected error ({type(error).__name__}). "
            "Details are in the log; please report it.")


def show_crash(parent: QWidget | None, action: str, error: BaseException) -> None:
    """A dialog for a bug: what happened, with the traceback for a report."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Unexpected error", _bug_text(error, action),
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("crashDialog")
    box.setDetailedText("".join(traceback.format_exception(error)))
    box.open()


def show_error(parent: QWidget, banner: MessageBanner, action: str,
               error: BaseException) -> None:
    """Show why ``action`` failed in ``banner``; a bug also opens the crash dialog."""
    banner.error(describe(error, action))
    if not is_expected(error):
        show_crash(parent, action, error)
