"""The embedded admin's password: filled in for the test client, findable, revealable, changeable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from stsdesk.services.admin_client import ServerEndpoint
from stsdesk.services.profiles import EMBEDDED_PROFILE
from stsdesk.ui.dialogs.embedded_admin import EmbeddedAdminDialog
from stsdesk.ui.tasks import TaskRunner
from tests.ui.conftest import ADMIN_PASSWORD

LEFT = Qt.MouseButton.LeftButton


def _test_client(qtbot, endpoint, tmp_path, name):
    from stsdesk.ui.app import build_window

    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = build_window(endpoint, name=name, settings=settings, poll_ms=60_000)
    qtbot.addWidget(window)
    window.show()
    page = window.page("Test client")
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        window.show_page("Test client")
    return window, page


def test_the_test_client_signs_in_as_the_embedded_admin(qtbot, endpoint, tmp_path):
    window, page = _test_client(qtbot, endpoint, tmp_path, EMBEDDED_PROFILE)
    assert page.form.username.text() == "admin"
    assert page.form.password.text() == ADMIN_PASSWORD  # not empty: no lockout strikes
    assert not page.form.remember.isChecked()  # nothing copied into another store
    assert "Embedded admin password" in page.form.password.toolTip()
    window.runner.wait(10_000)


def test_a_remote_servers_admin_password_is_not_filled_in(qtbot, endpoint, tmp_path):
    window, page = _test_client(qtbot, endpoint, tmp_path, "Remote server")
    assert page.form.password.text() == ""
    window.runner.wait(10_000)


@pytest.fixture
def dialog(qtbot):
    changes: list[str] = []

    def change(new_password: str) -> ServerEndpoint:
        changes.append(new_password)
        return ServerEndpoint("https://127.0.0.1:9443", "admin", new_password)

    made = EmbeddedAdminDialog(
        ServerEndpoint("https://127.0.0.1:9443", "admin", "Generated-pw-1"),
        "the encrypted file /home/u/.local/share/stsdesk/credentials.enc, entry “embedded:admin”",
        runner=TaskRunner(), change=change)
    qtbot.addWidget(made)
    made.show()
    made.changes = changes
    return made


def test_the_dialog_says_where_the_password_is_and_reveals_it(qtbot, dialog):
    assert "credentials.enc" in dialog.location_label.text()
    assert dialog.password_edit.echoMode() == QLineEdit.EchoMode.Password
    qtbot.mouseClick(dialog.reveal_button, LEFT)
    assert dialog.password_edit.echoMode() == QLineEdit.EchoMode.Normal
    assert dialog.password_edit.text() == "Generated-pw-1"
    qtbot.mouseClick(dialog.copy_button, LEFT)
    assert QApplication.clipboard().text() == "Generated-pw-1"


def test_changing_checks_the_repeat_then_reports_the_new_endpoint(qtbot, dialog):
    qtbot.keyClicks(dialog.new_edit, "New-passw0rd")
    qtbot.keyClicks(dialog.repeat_edit, "New-passw0rX")
    qtbot.mouseClick(dialog.change_button, LEFT)
    assert "differ" in dialog.new_error.text() and dialog.changes == []
    dialog.repeat_edit.clear()
    qtbot.keyClicks(dialog.repeat_edit, "New-passw0rd")
    with qtbot.waitSignal(dialog.password_changed, timeout=5000) as changed:
        qtbot.mouseClick(dialog.change_button, LEFT)
    assert dialog.changes == ["New-passw0rd"]
    assert changed.args[0].password == "New-passw0rd"
    assert dialog.password_edit.text() == "New-passw0rd"


def test_the_relying_party_key_is_read_off_the_gui_thread(qtbot, endpoint, tmp_path,
                                                          monkeypatch):
    """PEM/PKCS#12 parsing (a key derivation for an encrypted key) must not freeze the window;
    a file that is no key is said next to its field."""
    import threading

    from stsdesk.ui.pages.test_client import page as page_module

    threads: list[bool] = []
    real = page_module.read_relying_party_key

    def recording(path, password):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(path, password)

    monkeypatch.setattr(page_module, "read_relying_party_key", recording)
    window, page = _test_client(qtbot, endpoint, tmp_path, EMBEDDED_PROFILE)
    not_a_key = tmp_path / "rp.key"
    not_a_key.write_text("this is not a key\n")
    page.form.rp_key.setText(str(not_a_key))
    qtbot.mouseClick(page.request_button, LEFT)
    qtbot.waitUntil(lambda: page.form.rp_key_error.isVisible(), timeout=10_000)
    assert threads == [False]
    assert page.form.rp_key_error.text()
    window.runner.wait(10_000)
