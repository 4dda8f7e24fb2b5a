"""Server profiles and TLS trust on first use, against the real (self-signed) test server."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from stsdesk.services.credentials import CredentialStore
from stsdesk.services.profiles import ProfileStore, ServerProfile
from stsdesk.services.tls import fetch_certificate, fingerprint
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.dialogs.profiles import ServerProfilesDialog, install_profiles_menu
from stsdesk.ui.dialogs.trust_certificate import TrustCertificateDialog, format_fingerprint
from tests.ui.conftest import ADMIN_PASSWORD, screenshot

LEFT = Qt.MouseButton.LeftButton
PASSWORD = "S3cret-profile-passw0rd"


@pytest.fixture
def store(tmp_path: Path) -> ProfileStore:
    return ProfileStore(tmp_path / "profiles.json", CredentialStore())


@pytest.fixture
def dialog(qtbot, store: ProfileStore) -> ServerProfilesDialog:
    widget = ServerProfilesDialog(store)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.runner.wait(10_000)


@pytest.fixture
def server_pin(ui_server) -> str:
    return fingerprint(fetch_certificate(ui_server.url))


def type_into(qtbot, edit, text: str) -> None:
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def fill(qtbot, dialog: ServerProfilesDialog, *, name: str, url: str, user: str = "admin",
         password: str = "") -> None:
    type_into(qtbot, dialog.name_edit, name)
    type_into(qtbot, dialog.url_edit, url)
    type_into(qtbot, dialog.user_edit, user)
    if password:
        type_into(qtbot, dialog.password_edit, password)


def click_profile(qtbot, dialog: ServerProfilesDialog, name: str) -> None:
    items = dialog.profile_list.findItems(name, Qt.MatchFlag.MatchExactly)
    rect = dialog.profile_list.visualItemRect(items[0])
    qtbot.mouseClick(dialog.profile_list.viewport(), LEFT, pos=rect.center())
    assert dialog.profile_list.currentItem() is items[0]


def test_a_saved_profile_keeps_its_password_in_the_keyring_only(qtbot, dialog, store,
                                                                tmp_path):
    assert dialog.profile_list.count() == 0
    fill(qtbot, dialog, name="Production STS", url="https://sts.example.org:9443/",
         password=PASSWORD)
    assert dialog.password_edit.echoMode() == dialog.password_edit.EchoMode.Password
    with qtbot.waitSignal(dialog.profile_saved, timeout=2000) as saved:
        qtbot.keyClick(dialog.url_edit, Qt.Key.Key_Return)  # Enter saves
    assert saved.args == ["Production STS"]
    text = (tmp_path / "profiles.json").read_text()
    assert PASSWORD not in text
    assert json.loads(text)["profiles"][0]["url"] == "https://sts.example.org:9443"
    assert keyring.get_password("stsdesk", "profile:Production STS") == PASSWORD
    assert [p.name for p in store.list()] == ["Production STS"]
    assert dialog.profile_list.currentItem().text() == "Production STS"
    # Whether a password is stored is asked off the GUI thread, then shown.
    qtbot.waitUntil(lambda: "Stored in the OS keyring" in dialog.password_edit.placeholderText())
    screenshot(dialog, "profiles-dialog")

    # Rename it: the password moves along, the old entry is gone.
    type_into(qtbot, dialog.name_edit, "Prod")
    with qtbot.waitSignal(dialog.profile_saved, timeout=2000):
        qtbot.mouseClick(dialog.save_button, LEFT)
    assert [p.name for p in store.list()] == ["Prod"]
    assert store.password("Prod") == PASSWORD
    assert store.password("Production STS") is None


def test_invalid_fields_are_shown_inline_and_nothing_is_saved(qtbot, dialog, store, tmp_path):
    qtbot.keyClicks(dialog.url_edit, "http://sts.example.org")
    assert dialog.url_error.isVisible() and "https://" in dialog.url_error.text()
    type_into(qtbot, dialog.url_edit, "https://sts.example.org:9443")
    assert not dialog.url_error.isVisible()
    type_into(qtbot, dialog.url_edit, "https://sts.example.org/path")
    assert "without a path" in dialog.url_error.text()
    type_into(qtbot, dialog.name_edit, "Embedded server")
    assert "reserved" in dialog.name_error.text()
    type_into(qtbot, dialog.ca_edit, str(tmp_path / "missing.pem"))
    assert "no file" in dialog.ca_error.text()
    with qtbot.assertNotEmitted(dialog.profile_saved):
        qtbot.mouseClick(dialog.save_button, LEFT)
    assert not (tmp_path / "profiles.json").exists()
    assert store.list() == []


def test_duplicate_names_and_remove(qtbot, dialog, store, monkeypatch):
    store.save(ServerProfile("one", "https://one.example.org"), password=PASSWORD)
    dialog.reload()
    qtbot.mouseClick(dialog.new_button, LEFT)
    fill(qtbot, dialog, name="one", url="https://two.example.org")
    assert "exists already" in dialog.name_error.text()
    qtbot.mouseClick(dialog.save_button, LEFT)
    assert store.list()[0].url == "https://one.example.org"

    click_profile(qtbot, dialog, "one")
    assert dialog.url_edit.text() == "https://one.example.org"
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: False)
    qtbot.mouseClick(dialog.remove_button, LEFT)
    assert [p.name for p in store.list()] == ["one"]
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)
    with qtbot.waitSignal(dialog.profile_removed, timeout=2000):
        dialog.profile_list.setFocus()
        qtbot.keyClick(dialog.profile_list, Qt.Key.Key_Delete)
    assert store.list() == []
    assert store.password("one") is None


def test_trust_on_first_use_pins_the_certificate(qtbot, dialog, store, ui_server, server_pin,
                                                 monkeypatch):
    fill(qtbot, dialog, name="Test server", url=ui_server.url, password=ADMIN_PASSWORD)
    with qtbot.waitSignal(dialog.profile_saved, timeout=2000):
        qtbot.mouseClick(dialog.save_button, LEFT)
    assert store.list()[0].pinned_sha256 is None
    asked = []

    def ask(parent, url, subject, sha256):
        asked.append((url, subject, sha256))
        return True

    monkeypatch.setattr(TrustCertificateDialog, "ask", ask)
    with qtbot.waitSignal(dialog.connection_tested, timeout=20_000) as tested:
        qtbot.mouseClick(dialog.test_button, LEFT)
    assert tested.args[0] is True, tested.args[1]
    assert asked and asked[0][0] == ui_server.url and asked[0][2] == server_pin
    assert "CN=" in asked[0][1]
    assert store.list()[0].pinned_sha256 == server_pin
    assert format_fingerprint(server_pin) == dialog.pin_label.text().replace("\n", "")
    assert dialog.banner.level == "success" and "accepted" in dialog.banner.text

    # Pinned now: a second test does not ask again.
    asked.clear()
    with qtbot.waitSignal(dialog.connection_tested, timeout=20_000) as tested:
        qtbot.mouseClick(dialog.test_button, LEFT)
    assert tested.args[0] is True and asked == []


def test_declining_trust_does_not_pin(qtbot, dialog, store, ui_server, monkeypatch):
    monkeypatch.setattr(TrustCertificateDialog, "ask", lambda *a, **k: False)
    fill(qtbot, dialog, name="Test server", url=ui_server.url, password=ADMIN_PASSWORD)
    with qtbot.waitSignal(dialog.profile_saved, timeout=2000):
        qtbot.mouseClick(dialog.save_button, LEFT)
    with qtbot.waitSignal(dialog.connection_tested, timeout=20_000) as tested:
        qtbot.mouseClick(dialog.test_button, LEFT)
    assert tested.args[0] is False
    assert "not trusted" in dialog.banner.text
    assert store.list()[0].pinned_sha256 is None


def test_a_changed_certificate_is_a_red_warning_until_the_pin_is_removed(
        qtbot, dialog, store, ui_server, server_pin, monkeypatch):
    wrong = "ab" * 32
    store.save(ServerProfile("Test server", ui_server.url, pinned_sha256=wrong),
               password=ADMIN_PASSWORD)
    dialog.reload()
    click_profile(qtbot, dialog, "Test server")
    assert dialog.url_edit.text() == ui_server.url
    warned, asked = [], []
    monkeypatch.setattr(TrustCertificateDialog, "warn_changed",
                        lambda parent, url, old, new, subject="": warned.append((old, new)))
    monkeypatch.setattr(TrustCertificateDialog, "ask",
                        lambda *a, **k: asked.append(a) or True)
    with qtbot.waitSignal(dialog.connection_tested, timeout=20_000) as tested:
        qtbot.mouseClick(dialog.test_button, LEFT)  # the stored password is used
    assert tested.args[0] is False
    assert warned == [(wrong, server_pin)]
    assert asked == []  # a changed certificate is never offered for trust
    assert dialog.banner.level == "error"
    assert "CHANGED" in dialog.banner.text
    assert format_fingerprint(wrong) in dialog.banner.text
    assert format_fingerprint(server_pin) in dialog.banner.text
    assert store.list()[0].pinned_sha256 == wrong
    qtbot.wait(50)  # let the layout settle before the picture
    screenshot(dialog, "profiles-certificate-changed")

    # Only an explicit "Remove pin", then a new first-use decision, pins the new one.
    qtbot.mouseClick(dialog.remove_pin_button, LEFT)
    assert store.list()[0].pinned_sha256 is None
    with qtbot.waitSignal(dialog.connection_tested, timeout=20_000) as tested:
        qtbot.mouseClick(dialog.test_button, LEFT)
    assert tested.args[0] is True
    assert len(asked) == 1
    assert store.list()[0].pinned_sha256 == server_pin


def test_wrong_password_and_unreachable_server_are_reported(qtbot, dialog, ui_server,
                                                            server_pin, monkeypatch):
    monkeypatch.setattr(TrustCertificateDialog, "ask", lambda *a, **k: True)
    fill(qtbot, dialog, name="Test server", url=ui_server.url, password="wrong-password")
    with qtbot.waitSignal(dialog.connection_tested, timeout=20_000) as tested:
        qtbot.mouseClick(dialog.test_button, LEFT)
    assert tested.args[0] is False
    assert "refused" in tested.args[1] and "401" in tested.args[1]
    assert dialog.password_edit.text() == "wrong-password"  # the form keeps the input

    type_into(qtbot, dialog.url_edit, "https://127.0.0.1:9")
    with qtbot.waitSignal(dialog.connection_tested, timeout=20_000) as tested:
        qtbot.mouseClick(dialog.test_button, LEFT)
    assert tested.args[0] is False
    assert "cannot be reached" in tested.args[1] or "Could not connect" in tested.args[1]


def test_testing_a_new_profile_needs_a_password(qtbot, dialog, ui_server):
    fill(qtbot, dialog, name="x", url=ui_server.url)
    with qtbot.assertNotEmitted(dialog.connection_tested, wait=200):
        qtbot.mouseClick(dialog.test_button, LEFT)
    assert dialog.password_error.isVisible()
    assert "password" in dialog.password_error.text()


def test_trust_dialog_shows_subject_and_fingerprint(qtbot, ui_server, server_pin):
    tofu = TrustCertificateDialog(None, ui_server.url, "CN=localhost", server_pin)
    qtbot.addWidget(tofu)
    tofu.show()
    shown = tofu.fingerprint_label.text().replace("\n", "")
    assert shown == format_fingerprint(server_pin)
    assert shown.count(":") == 31 and shown == shown.upper()
    assert tofu.subject_label.text() == "CN=localhost"
    assert tofu.trust_button is not None
    screenshot(tofu, "trust-certificate")
    with qtbot.waitSignal(tofu.accepted, timeout=1000):
        qtbot.mouseClick(tofu.trust_button, LEFT)

    changed = TrustCertificateDialog(None, ui_server.url, "", server_pin,
                                     previous_sha256="ab" * 32)
    qtbot.addWidget(changed)
    changed.show()
    assert changed.trust_button is None  # nothing to accept here
    assert changed.previous_label.text().replace("\n", "") == format_fingerprint("ab" * 32)
    assert changed.fingerprint_label.text().replace("\n", "") == format_fingerprint(server_pin)
    assert changed.windowTitle().endswith("CHANGED")
    screenshot(changed, "trust-certificate-changed")


def test_servers_menu_opens_the_dialog(qtbot, window, store):
    action = install_profiles_menu(window, store)
    menus = [a.text() for a in window.menuBar().actions()]
    assert "&Servers" in menus
    assert action.text() == "&Manage servers…"
    action.trigger()
    dialog = window.findChild(ServerProfilesDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.runner is window.runner
    action.trigger()  # a second time: the same dialog, not a second one
    assert len(window.findChildren(ServerProfilesDialog)) == 1
    dialog.close()


def test_the_dialog_names_the_way_to_switch_servers(qtbot, store):
    """Servers › Connect to switches a running window: the dialog must not say otherwise."""
    dialog = ServerProfilesDialog(store, current_server="Embedded server")
    qtbot.addWidget(dialog)
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "not available yet" not in texts
    assert "Servers › Connect to" in texts


def test_without_a_keyring_a_remote_profile_is_saved_in_the_encrypted_file(qtbot, tmp_path):
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # the autouse fixture puts the memory one back
    store = ProfileStore(tmp_path / "profiles.json",
                         CredentialStore(fallback_dir=tmp_path / "data"))
    dialog = ServerProfilesDialog(store)
    qtbot.addWidget(dialog)
    dialog.show()
    fill(qtbot, dialog, name="Remote", url="https://sts.example.org:9443", password=PASSWORD)
    with qtbot.waitSignal(dialog.profile_saved, timeout=5000):
        qtbot.mouseClick(dialog.save_button, LEFT)
    assert "encrypted password file" in dialog.banner.text
    assert store.password("Remote") == PASSWORD
    assert PASSWORD not in (tmp_path / "data" / "credentials.enc").read_text()
