"""Long strings never widen the window: a 400-character name wraps or is refused, clearly."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from stsdesk.services.admin.models import ApplicationDraft, UserDraft
from tests.ui.conftest import SCREEN_SIZE
from tests.ui.test_users import (
    PASSWORD,
    open_page,
    type_passwords,
    wait_user_dialog,
)

LONG = "x" * 400
WIDEST = SCREEN_SIZE[0]  # the tests' window; the walk's screen was 1,400 px wide


def _fits(window) -> None:
    QApplication.processEvents()
    assert window.minimumSizeHint().width() <= WIDEST
    assert window.width() <= WIDEST


def test_long_names_in_banners_lists_and_the_audit_detail_keep_the_window_narrow(
        qtbot, fake_window, fake_admin):
    fake_admin.create_application(ApplicationDraft(f"app-{LONG}"))
    fake_admin.create_user(UserDraft(user_name=f"user-{LONG}", password=PASSWORD))
    for page in fake_window.pages:
        fake_window.show_page(page.title)
        qtbot.waitUntil(page.isVisible, timeout=5000)
        page.banner.success(f"The user {LONG} was saved.")
        page.banner.error(f"The server refused {LONG}: try again.")
        _fits(fake_window)
    audit = fake_window.page("Audit log")
    fake_window.show_page("Audit log")
    qtbot.waitUntil(lambda: audit.model.rowCount() > 0, timeout=5000)
    audit.table.selectRow(0)
    assert LONG in audit.detail_label.text()
    _fits(fake_window)


def test_a_400_character_user_name_is_refused_next_to_the_field(qtbot, window):
    page = open_page(qtbot, window)
    qtbot.mouseClick(page.add_user_button, Qt.MouseButton.LeftButton)
    dialog = wait_user_dialog(qtbot, page)
    assert dialog.user_name_edit.placeholderText() == "3 to 30 characters, no spaces"
    qtbot.keyClicks(dialog.user_name_edit, "u" * 400)
    type_passwords(qtbot, dialog, PASSWORD)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.user_name_error.isVisibleTo(dialog), timeout=10_000)
    assert "3 to 30 characters and no spaces" in dialog.user_name_error.text()
    assert dialog.user_name_edit.hasFocus()
    _fits(window)
    assert dialog.width() <= WIDEST and dialog.minimumSizeHint().width() <= WIDEST
    dialog.reject()


def test_a_success_fades_by_itself_and_never_moves_the_controls(qtbot, fake_window):
    from stsdesk.ui.widgets import banner as banner_module

    page = fake_window.page("Service providers")
    fake_window.show_page("Service providers")
    qtbot.waitUntil(page.isVisible, timeout=5000)
    QApplication.processEvents()
    controls = [w for w in page.findChildren(QWidget) if w.isVisibleTo(page)
                and w is not page.banner and w.parentWidget() is page]
    before = {id(w): w.geometry() for w in controls}
    page.banner.success("The service provider was saved.")
    QApplication.processEvents()
    assert page.banner.text == "The service provider was saved."
    assert page.banner.note.isVisible()
    assert {id(w): w.geometry() for w in controls} == before  # nothing jumped
    qtbot.waitUntil(lambda: not page.banner.note.isVisible(),
                    timeout=int(banner_module.SUCCESS_SECONDS * 1000) + 3000)
    assert page.banner.text == "" and page.banner.level == ""
    # An error stays until it is resolved or dismissed.
    page.banner.error("The server refused it.")
    qtbot.wait(int(banner_module.SUCCESS_SECONDS * 1000) + 800)
    assert page.banner.isVisible() and page.banner.text == "The server refused it."
    page.banner.success("Saved after all.")  # resolved: the error goes
    assert not page.banner.isVisible() and page.banner.text == "Saved after all."
