"""The certificate import, details and signing-key dialogs, driven as a person would against
a live server: every file format, pasted PEM, a TLS endpoint on loopback, and what goes wrong."""

from __future__ import annotations

import socket
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from stsdesk.core.certificate_description import describe_certificate
from stsdesk.services.admin import open_admin_api
from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from stsdesk.ui.connection import ServerConnection
from stsdesk.ui.dialogs import certificate_details, certificate_import, signing_key
from stsdesk.ui.dialogs.certificate_details import CertificateDetailsDialog
from stsdesk.ui.dialogs.certificate_import import (
    SOURCE_ENDPOINT,
    SOURCE_PASTE,
    CertificateImportDialog,
)
from stsdesk.ui.dialogs.signing_key import SigningKeyDialog
from stsdesk.ui.tasks import TaskRunner
from tests.helpers.certfactory import (
    PASSWORD,
    CertificateFiles,
    issue,
    make_chain,
    pem,
    write_all,
)
from tests.ui.conftest import ADMIN_PASSWORD
from tests.ui.conftest import screenshot as save_png

LEFT = Qt.MouseButton.LeftButton


def screenshot(widget, name: str) -> None:
    QApplication.processEvents()
    QApplication.processEvents()
    save_png(widget, name)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def connection(qapp, ui_server) -> Iterator[ServerConnection]:
    """A connection to the shared live server, without a main window (dialogs need no more)."""
    pin = fingerprint(fetch_certificate(ui_server.url))
    endpoint = ServerEndpoint(ui_server.url, "admin", ADMIN_PASSWORD,
                              TrustPolicy(pinned_sha256=pin))
    runner = TaskRunner()
    live = ServerConnection(open_admin_api(endpoint), name="dialogs", runner=runner)
    yield live
    runner.wait(10_000)
    live.api.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return write_all(tmp_path_factory.mktemp("certificates"))


@pytest.fixture
def cleanup(admin_client: AdminClient) -> Iterator[list[str]]:
    """Aliases to delete from the trust store after the test (the server is shared)."""
    aliases: list[str] = []
    yield aliases
    for alias in aliases:
        try:
            admin_client.delete(f"/keystores/certs/{alias}")
        except Exception:  # noqa: BLE001 - already gone is fine
            pass


def trust_store(admin_client: AdminClient) -> dict[str, dict]:
    return {item["alias"]: item for item in admin_client.get("/keystores/certs")}


def open_dialog(qtbot, connection, **kwargs) -> CertificateImportDialog:
    with qtbot.waitSignal(connection.runner.busy_changed, timeout=10_000,
                          check_params_cb=lambda busy: not busy):
        dialog = CertificateImportDialog(connection, **kwargs)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog


def browse(qtbot, monkeypatch, dialog: CertificateImportDialog, path: Path) -> None:
    """Pick ``path`` in the file dialog (patched) and wait until it was read."""
    monkeypatch.setattr(certificate_import, "choose_open_path", lambda *a, **k: str(path))
    with qtbot.waitSignal(dialog.candidates_changed, timeout=10_000):
        qtbot.mouseClick(dialog.browse_button, LEFT)


def type_password(qtbot, dialog: CertificateImportDialog, password: str) -> None:
    dialog.password_edit.clear()
    qtbot.keyClicks(dialog.password_edit, password)
    with qtbot.waitSignal(dialog.candidates_changed, timeout=10_000):
        qtbot.mouseClick(dialog.open_button, LEFT)


def do_import(qtbot, dialog: CertificateImportDialog) -> str:
    assert dialog.import_button.isEnabled(), dialog.alias_error.text() or dialog.banner.text
    with qtbot.waitSignal(dialog.certificate_imported, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.import_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)
    return blocker.args[0]


def set_alias(qtbot, dialog: CertificateImportDialog, alias: str) -> None:
    dialog.alias_edit.selectAll()
    qtbot.keyClicks(dialog.alias_edit, alias)
    assert dialog.alias == alias


@contextmanager
def tls_server(cert_file: Path, key_file: Path) -> Iterator[int]:
    """A loopback TLS server presenting the chain in ``cert_file`` until the block ends."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        tls.recv(1)
                except (ssl.SSLError, OSError):
                    pass

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


# ------------------------------------------------------------------------------- files


@pytest.mark.parametrize(("name", "count", "chosen_cn", "password"), [
    ("pem_single", 1, "rp.example.org", None),
    ("der", 1, "rp.example.org", None),
    ("cer_pem", 1, "rp.example.org", None),
    ("crt_der", 1, "rp.example.org", None),
    ("p7b_pem", 3, "localhost", None),
    ("p7b_der", 3, "localhost", None),
    ("jks", 3, "localhost", PASSWORD),
])
def test_import_from_each_file_format(qtbot, monkeypatch, connection, admin_client, files, cleanup,
                                      name, count, chosen_cn, password):
    dialog = open_dialog(qtbot, connection)
    browse(qtbot, monkeypatch, dialog, getattr(files, name))
    if password is not None:
        assert dialog.password_edit.isVisible()
        assert "password" in dialog.password_error.text()
        assert dialog.candidates == []
        type_password(qtbot, dialog, password)
    assert len(dialog.candidates) == count
    chosen = dialog.selected()
    assert chosen is not None and chosen.description.common_name == chosen_cn
    assert dialog.alias == chosen.description.common_name.replace(" ", "-").lower()
    if name == "p7b_pem":
        screenshot(dialog, "certificate-import-file")
    alias = unique(name.replace("_", "-"))
    set_alias(qtbot, dialog, alias)
    cleanup.append(alias)
    if name == "pem_single":
        # Enter in the file field reads the file again; it does not press Import.
        with qtbot.waitSignal(dialog.candidates_changed, timeout=10_000):
            qtbot.keyClick(dialog.file_edit, Qt.Key.Key_Return)
        assert dialog.isVisible() and alias not in trust_store(admin_client)
        set_alias(qtbot, dialog, alias)
    assert do_import(qtbot, dialog) == alias
    stored = trust_store(admin_client)
    assert stored[alias]["sha256Fingerprint"] == chosen.description.sha256_fingerprint


def test_pkcs12_asks_for_the_password_again_when_it_is_wrong(
        qtbot, monkeypatch, connection, admin_client, files, cleanup):
    dialog = open_dialog(qtbot, connection)
    browse(qtbot, monkeypatch, dialog, files.p12)
    assert dialog.password_edit.isVisible()
    assert "protected by a password" in dialog.password_error.text()

    type_password(qtbot, dialog, "not-the-password")
    assert "password is wrong" in dialog.password_error.text()
    assert dialog.password_error.isVisible()
    assert dialog.candidates == []
    assert not dialog.import_button.isEnabled()

    type_password(qtbot, dialog, PASSWORD)
    assert not dialog.password_error.isVisible()
    found = [c.description.common_name for c in dialog.candidates]
    assert found == ["localhost", "test Intermediate CA", "test Root CA"]
    assert dialog.selected().has_private_key
    alias = unique("p12-leaf")
    set_alias(qtbot, dialog, alias)
    cleanup.append(alias)
    do_import(qtbot, dialog)
    assert trust_store(admin_client)[alias]["sha256Fingerprint"] == \
        describe_certificate(files.chain.leaf.certificate).sha256_fingerprint


def test_several_certificates_in_one_file_let_the_user_choose(
        qtbot, monkeypatch, connection, admin_client, files, cleanup):
    dialog = open_dialog(qtbot, connection)
    browse(qtbot, monkeypatch, dialog, files.pem_multi)
    assert dialog.found_list.count() == 3
    dialog.found_list.setCurrentRow(2)  # the root CA
    root = dialog.selected()
    assert root.description.common_name == "test Root CA"
    assert dialog.alias == "test-root-ca"
    assert any("CA certificate" in w for w in dialog.preview.warnings)
    alias = unique("root")
    set_alias(qtbot, dialog, alias)
    cleanup.append(alias)
    do_import(qtbot, dialog)
    assert trust_store(admin_client)[alias]["subject"] == root.description.subject


@pytest.mark.parametrize("name", ["truncated_der", "truncated_pem", "truncated_p12",
                                  "truncated_jks", "garbage", "garbage_p12", "empty",
                                  "key_only"])
def test_broken_files_say_what_is_wrong_and_import_nothing(
        qtbot, monkeypatch, connection, admin_client, files, name):
    before = set(trust_store(admin_client))
    dialog = open_dialog(qtbot, connection)
    browse(qtbot, monkeypatch, dialog, getattr(files, name))
    text = dialog.banner.text
    assert dialog.banner.level == "error"
    assert any(word in text for word in ("truncated", "cut off", "not in a certificate format",
                                         "not one", "empty", "holds no certificate")), text
    assert dialog.candidates == []
    assert not dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, LEFT)  # disabled: nothing happens
    assert dialog.isVisible()
    assert dialog.file_edit.text() == str(getattr(files, name))
    assert set(trust_store(admin_client)) == before


def test_a_missing_file_is_reported_in_the_dialog(qtbot, connection, tmp_path):
    dialog = open_dialog(qtbot, connection)
    qtbot.keyClicks(dialog.file_edit, str(tmp_path / "nowhere.pem"))
    with qtbot.waitSignal(dialog.candidates_changed, timeout=10_000):
        qtbot.keyClick(dialog.file_edit, Qt.Key.Key_Return)
    assert "could not be read" in dialog.banner.text
    assert dialog.isVisible()


# ------------------------------------------------------------------------------- paste


def test_pasted_pem_is_read_as_you_paste_and_imported(qtbot, connection, admin_client, cleanup):
    rp = issue(unique("pasted") + ".example.org")
    dialog = open_dialog(qtbot, connection)
    dialog.source_tabs.setCurrentIndex(SOURCE_PASTE)
    dialog.pem_edit.setFocus()
    qtbot.keyClicks(dialog.pem_edit, "-----BEGIN CERTIFICATE-----MIIB")
    assert dialog.pem_error.isVisible()
    assert "cut off" in dialog.pem_error.text()
    assert not dialog.import_button.isEnabled()

    dialog.pem_edit.selectAll()
    QGuiApplication.clipboard().setText(pem(rp.certificate).decode("ascii"))
    qtbot.keyClick(dialog.pem_edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.pem_error.isVisible()
    assert len(dialog.candidates) == 1
    assert dialog.preview.subject_label.text() == rp.certificate.subject.rfc4514_string()
    alias = dialog.alias
    assert alias == rp.certificate.subject.rfc4514_string()[3:]
    cleanup.append(alias)
    do_import(qtbot, dialog)
    assert alias in trust_store(admin_client)


def test_alias_is_validated_as_you_type_and_nothing_is_sent(qtbot, connection, admin_client):
    rp = issue(unique("alias-check") + ".example.org")
    dialog = open_dialog(qtbot, connection)
    dialog.source_tabs.setCurrentIndex(SOURCE_PASTE)
    dialog.pem_edit.setPlainText(pem(rp.certificate).decode("ascii"))
    set_alias(qtbot, dialog, "bad alias!")
    assert dialog.alias_error.isVisible()
    assert "not allowed" in dialog.alias_error.text()
    assert not dialog.import_button.isEnabled()
    dialog.alias_edit.clear()
    assert "Give an alias" in dialog.alias_error.text()
    set_alias(qtbot, dialog, "public")
    assert "reserved" in dialog.alias_error.text()
    qtbot.keyClick(dialog.alias_edit, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "public" not in trust_store(admin_client)


def test_an_alias_already_used_is_refused_inline(qtbot, connection, admin_client, cleanup):
    existing = unique("taken")
    admin_client.post("/keystores/certs", {"alias": existing,
                                           "certificate": pem(issue(existing).certificate)
                                           .decode("ascii")})
    cleanup.append(existing)
    dialog = open_dialog(qtbot, connection)
    dialog.source_tabs.setCurrentIndex(SOURCE_PASTE)
    dialog.pem_edit.setPlainText(pem(issue(unique("other")).certificate).decode("ascii"))
    set_alias(qtbot, dialog, existing.upper())
    assert "already used" in dialog.alias_error.text()
    assert not dialog.import_button.isEnabled()


def test_a_server_refusal_shows_its_words_and_keeps_the_input(qtbot, connection, admin_client):
    # An Ed25519 certificate: this client reads it, the server refuses it (cannot encrypt).
    name = unique("ed25519") + ".example.org"
    cert = issue(name, key=ed25519.Ed25519PrivateKey.generate()).certificate
    dialog = open_dialog(qtbot, connection)
    dialog.source_tabs.setCurrentIndex(SOURCE_PASTE)
    dialog.pem_edit.setPlainText(pem(cert).decode("ascii"))
    assert any("cannot be used to encrypt" in w for w in dialog.preview.warnings)
    alias = unique("refused")
    set_alias(qtbot, dialog, alias)
    with qtbot.waitSignal(connection.runner.busy_changed, timeout=10_000,
                          check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(dialog.import_button, LEFT)
    assert dialog.isVisible()
    assert dialog.banner.level == "error"
    assert "only RSA certificates" in dialog.banner.text
    assert dialog.alias == alias
    assert dialog.pem_edit.toPlainText() == pem(cert).decode("ascii")
    assert alias not in trust_store(admin_client)


def test_server_down_during_import_keeps_the_dialog_open(qtbot, connection):
    runner = TaskRunner()
    down = ServerConnection(open_admin_api(ServerEndpoint("https://127.0.0.1:9", "admin", "x")),
                            name="down", runner=runner)
    with qtbot.waitSignal(runner.busy_changed, timeout=20_000,
                          check_params_cb=lambda busy: not busy):
        dialog = CertificateImportDialog(down)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.source_tabs.setCurrentIndex(SOURCE_PASTE)
    dialog.pem_edit.setPlainText(pem(issue("down.example.org").certificate).decode("ascii"))
    with qtbot.waitSignal(runner.busy_changed, timeout=20_000,
                          check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(dialog.import_button, LEFT)
    assert dialog.isVisible()
    assert "cannot be reached" in dialog.banner.text
    assert dialog.alias == "down.example.org"
    down.api.close()


# ------------------------------------------------------------------------------- endpoint


@pytest.fixture(scope="module")
def chain_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    chain = make_chain("endpoint")
    directory = tmp_path_factory.mktemp("endpoint")
    cert_file = directory / "leaf-and-intermediate.pem"
    cert_file.write_bytes(pem(chain.leaf.certificate, chain.intermediate.certificate))
    key_file = directory / "leaf.key"
    key_file.write_bytes(chain.leaf.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert_file, key_file


def test_import_from_a_tls_endpoint(qtbot, connection, admin_client, chain_files, cleanup):
    chain = make_chain("endpoint")
    dialog = open_dialog(qtbot, connection)
    dialog.source_tabs.setCurrentIndex(SOURCE_ENDPOINT)
    qtbot.keyClicks(dialog.endpoint_edit, "http://127.0.0.1:1")
    assert "does not use https" in dialog.endpoint_error.text()
    assert not dialog.connect_button.isEnabled()
    with tls_server(*chain_files) as port:
        dialog.endpoint_edit.clear()
        qtbot.keyClicks(dialog.endpoint_edit, f"https://127.0.0.1:{port}")
        assert not dialog.endpoint_error.isVisible()
        with qtbot.waitSignal(dialog.candidates_changed, timeout=15_000):
            qtbot.mouseClick(dialog.connect_button, LEFT)
    assert [c.certificate for c in dialog.candidates] == [chain.leaf.certificate,
                                                          chain.intermediate.certificate]
    assert "presented 2 certificates" in dialog.banner.text
    dialog.found_list.setCurrentRow(1)
    assert any("CA certificate" in w for w in dialog.preview.warnings)
    dialog.found_list.setCurrentRow(0)
    assert dialog.preview.warnings == ()
    assert "DNS:localhost" in dialog.preview.alt_names_label.text()
    assert "TLS Web Server Authentication" in dialog.preview.extended_key_usage_label.text()
    screenshot(dialog, "certificate-import-endpoint")
    alias = unique("endpoint-leaf")
    set_alias(qtbot, dialog, alias)
    cleanup.append(alias)
    do_import(qtbot, dialog)
    assert trust_store(admin_client)[alias]["sha256Fingerprint"] == \
        describe_certificate(chain.leaf.certificate).sha256_fingerprint


def test_an_unreachable_endpoint_is_reported_in_the_dialog(qtbot, connection):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    dialog = open_dialog(qtbot, connection)
    dialog.source_tabs.setCurrentIndex(SOURCE_ENDPOINT)
    qtbot.keyClicks(dialog.endpoint_edit, f"127.0.0.1:{port}")
    with qtbot.waitSignal(dialog.candidates_changed, timeout=15_000):
        qtbot.keyClick(dialog.endpoint_edit, Qt.Key.Key_Return)
    assert dialog.banner.level == "error"
    assert "refused the connection" in dialog.banner.text
    assert dialog.candidates == []
    assert dialog.endpoint_edit.text() == f"127.0.0.1:{port}"
    assert dialog.isVisible()


# ------------------------------------------------------------------------------- warnings


@pytest.mark.parametrize(("name", "phrase"), [
    ("expired", "expired on"),
    ("not_yet_valid", "not valid before"),
    ("weak_rsa", "only 1024 bits"),
    ("sha1", "weak algorithm"),
    ("ca", "CA certificate"),
])
def test_preview_warns_before_import(qtbot, monkeypatch, connection, files, name, phrase):
    dialog = open_dialog(qtbot, connection)
    browse(qtbot, monkeypatch, dialog, getattr(files, name))
    assert dialog.preview.warnings_frame.isVisible()
    assert any(phrase in warning for warning in dialog.preview.warnings), dialog.preview.warnings
    if name == "expired":
        assert dialog.preview.status_label.text().startswith("Expired")
        screenshot(dialog, "certificate-import-warnings")


def test_preview_warns_when_the_certificate_is_already_present(
        qtbot, monkeypatch, connection, admin_client, files, cleanup):
    present = unique("present")
    cert = issue(present + ".example.org").certificate
    admin_client.post("/keystores/certs", {"alias": present,
                                           "certificate": pem(cert).decode("ascii")})
    cleanup.append(present)
    dialog = open_dialog(qtbot, connection)
    dialog.source_tabs.setCurrentIndex(SOURCE_PASTE)
    dialog.pem_edit.setPlainText(pem(cert).decode("ascii"))
    assert any(f"already present under the alias '{present}'" in w
               for w in dialog.preview.warnings), dialog.preview.warnings


def test_preview_shows_every_field(qtbot, monkeypatch, connection, files):
    dialog = open_dialog(qtbot, connection)
    browse(qtbot, monkeypatch, dialog, files.pem_single)
    described = describe_certificate(files.rp.certificate)
    view = dialog.preview
    assert view.subject_label.text() == described.subject
    assert described.serial_number in view.serial_label.text()
    assert described.serial_decimal in view.serial_label.text()
    assert "days remaining" in view.status_label.text()
    assert view.sha1_label.text() == described.sha1_fingerprint
    assert view.sha256_label.text().replace("\n", "") == described.sha256_fingerprint
    assert view.key_label.text() == "RSA, 2048 bits"
    assert view.key_usage_label.text() == "Digital Signature, Key Encipherment"
    assert view.extended_key_usage_label.text() == "not restricted"
    assert view.alt_names_label.text() == "DNS:rp.example.org"
    assert view.basic_constraints_label.text() == "CA: no (an end-entity certificate)"


# ------------------------------------------------------------------------------- details


def test_details_dialog_shows_chain_extensions_pem_and_exports(qtbot, monkeypatch, tmp_path):
    chain = make_chain()
    leaf = chain.leaf.certificate
    dialog = CertificateDetailsDialog(leaf, chain=chain.certificates, alias="rp-leaf")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    described = describe_certificate(leaf)
    assert dialog.general.sha256_label.text().replace("\n", "") == \
        described.sha256_fingerprint

    # Chain: root at the top, the leaf (bold, current) at the bottom.
    root_item = dialog.chain_tree.topLevelItem(0)
    assert root_item.text(0) == "test Root CA (CA)"
    assert root_item.child(0).text(0) == "test Intermediate CA (CA)"
    assert root_item.child(0).child(0).text(0) == "localhost"
    assert dialog.chain_tree.currentItem() is root_item.child(0).child(0)

    names = [dialog.extensions_table.item(r, 0).text()
             for r in range(dialog.extensions_table.rowCount())]
    assert names == [row.name for row in described.extensions]
    assert "Subject Alternative Name" in names
    assert dialog.pem_text.toPlainText() == pem(leaf).decode("ascii")

    qtbot.mouseClick(dialog.general.copy_sha256_button, LEFT)
    assert QGuiApplication.clipboard().text() == described.sha256_fingerprint
    qtbot.mouseClick(dialog.general.copy_sha1_button, LEFT)
    assert QGuiApplication.clipboard().text() == described.sha1_fingerprint
    dialog.tabs.setCurrentIndex(3)
    qtbot.mouseClick(dialog.copy_pem_button, LEFT)
    assert QGuiApplication.clipboard().text() == pem(leaf).decode("ascii")

    for fmt, button, expected in (
        ("pem", dialog.export_pem_button, pem(leaf)),
        ("der", dialog.export_der_button, leaf.public_bytes(serialization.Encoding.DER)),
    ):
        target = tmp_path / f"exported.{fmt}"
        monkeypatch.setattr(certificate_details, "choose_save_path",
                            lambda *a, target=target, **k: str(target))
        with qtbot.waitSignal(dialog.exported, timeout=2000):
            qtbot.mouseClick(button, LEFT)
        assert target.read_bytes() == expected
    assert "saved as DER" in dialog.banner.text

    # A folder that does not exist: said in the dialog, nothing raised.
    monkeypatch.setattr(certificate_details, "choose_save_path",
                        lambda *a, **k: str(tmp_path / "missing" / "x.pem"))
    qtbot.mouseClick(dialog.export_pem_button, LEFT)
    assert dialog.banner.level == "error" and "could not be written" in dialog.banner.text

    dialog.banner.clear()
    for index, name in enumerate(("general", "chain", "extensions", "pem")):
        dialog.tabs.setCurrentIndex(index)
        screenshot(dialog, "certificate-details" if index == 0 else f"certificate-details-{name}")

    # Double-click an issuer: its own details open.
    dialog.tabs.setCurrentIndex(1)
    dialog.chain_tree.itemDoubleClicked.emit(root_item.child(0), 0)
    assert dialog.child_dialog is not None
    assert dialog.child_dialog.certificate == chain.intermediate.certificate
    assert len(dialog.child_dialog.chain) == 2


def test_details_of_a_lone_certificate_say_its_issuer_is_missing(qtbot):
    leaf = make_chain().leaf.certificate
    dialog = CertificateDetailsDialog(leaf)
    qtbot.addWidget(dialog)
    assert dialog.chain_tree.topLevelItemCount() == 1
    top = dialog.chain_tree.topLevelItem(0)
    assert top.text(0).startswith("Issuer not available: ")
    assert "CN=test Intermediate CA" in top.text(0)
    assert top.child(0).text(0) == "localhost"


# ------------------------------------------------------------------------------- signing key


def test_signing_key_dialog_validates_and_reports_a_wrong_password(
        qtbot, monkeypatch, connection, admin_client, files):
    dialog = SigningKeyDialog(connection, ["wso2carbon"])
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    screenshot(dialog, "signing-key-dialog")
    assert not dialog.add_button.isEnabled()
    qtbot.keyClicks(dialog.alias_edit, "WSO2CARBON")
    assert "already used" in dialog.alias_error.text()
    dialog.alias_edit.clear()
    qtbot.keyClicks(dialog.alias_edit, "active")
    assert "reserved" in dialog.alias_error.text()
    dialog.alias_edit.clear()
    alias = unique("p12-signing")
    qtbot.keyClicks(dialog.alias_edit, alias)
    assert not dialog.alias_error.isVisible()
    assert not dialog.add_button.isEnabled()  # no common name yet

    qtbot.mouseClick(dialog.import_radio, LEFT)
    assert not dialog.generate_box.isEnabled() and dialog.import_box.isEnabled()
    monkeypatch.setattr(signing_key, "choose_pkcs12_path", lambda *a: str(files.p12))
    qtbot.mouseClick(dialog.browse_button, LEFT)
    assert dialog.file_edit.text() == str(files.p12)
    qtbot.keyClicks(dialog.password_edit, "wrong-password")
    with qtbot.waitSignal(connection.runner.busy_changed, timeout=10_000,
                          check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(dialog.add_button, LEFT)
    assert dialog.isVisible()
    assert "check the password" in dialog.banner.text
    assert dialog.alias == alias
    assert alias not in {k["alias"] for k in admin_client.get("/keystores/signing-keys")}

    dialog.password_edit.clear()
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    with qtbot.waitSignal(dialog.signing_key_added, timeout=10_000):
        qtbot.mouseClick(dialog.add_button, LEFT)
    try:
        keys = {k["alias"]: k for k in admin_client.get("/keystores/signing-keys")}
        assert keys[alias]["sha256Fingerprint"] == \
            describe_certificate(files.chain.leaf.certificate).sha256_fingerprint
        assert keys[alias]["active"] is False
    finally:
        admin_client.delete(f"/keystores/signing-keys/{alias}")
