"""The Keystores and certificates page against a live server: both keystores listed, import,
details, export, delete (refused while in use), signing-key roll-over and its expiry flag, and
a relying party whose imported certificate encrypts the tokens issued for it."""

from __future__ import annotations

import base64
import datetime as dt
import uuid

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from lxml import etree
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from stsdesk.core import ns
from stsdesk.core.certificate_description import CertificateStatus
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.services.admin import Capability
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.trust_client import Credentials, TrustClient
from stsdesk.ui.dialogs import certificate_details, certificate_import, confirm
from stsdesk.ui.models.certificates import (
    ROW_ROLE,
    STATUS_ROLE,
    SigningKeyRow,
    SigningKeysTableModel,
    TrustedCertificateRow,
    TrustedCertificatesTableModel,
)
from stsdesk.ui.pages.keystores import SIGNING_TAB, TRUST_TAB, expiry_message
from tests.helpers.certfactory import expired, issue, make_chain, pem, write_pem
from tests.helpers.independent import decrypt_with_cryptography
from tests.ui.conftest import ADMIN_PASSWORD
from tests.ui.conftest import screenshot as save_png

LEFT = Qt.MouseButton.LeftButton
TITLE = "Keystores and certificates"
NOW = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


def screenshot(widget, name: str) -> None:
    QApplication.processEvents()
    QApplication.processEvents()
    save_png(widget, name)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def open_page(qtbot, window):
    page = window.page(TITLE)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        window.show_page(TITLE)
    return page


def reload(qtbot, page) -> None:
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()


def wait_idle(qtbot, page) -> None:
    qtbot.waitUntil(lambda: not page.connection.runner.busy, timeout=10_000)


def add_certificate(admin_client, alias: str, cert) -> None:
    admin_client.post("/keystores/certs", {"alias": alias, "certificate": pem(cert).decode()})


def trust_store(admin_client) -> dict[str, dict]:
    return {item["alias"]: item for item in admin_client.get("/keystores/certs")}


def api_row(alias: str, not_before: dt.datetime, not_after: dt.datetime) -> dict:
    return {"alias": alias, "subject": f"CN={alias}.example.org,O=Example",
            "issuer": "CN=Example CA", "not_before": not_before, "not_after": not_after,
            "sha256_fingerprint": "AA:BB", "sha1_fingerprint": "CC", "key_algorithm": "RSA",
            "key_size": 2048, "serial_number": "01", "signature_algorithm": "RSA with SHA256"}


# ------------------------------------------------------------------------------- models


def test_models_pass_the_model_tester_and_colour_the_status(qtmodeltester):
    day = dt.timedelta(days=1)
    trusted = TrustedCertificatesTableModel(now=NOW)
    trusted.set_rows([
        TrustedCertificateRow(**api_row("ok", NOW - day, NOW + 400 * day), used_by=("Payroll",)),
        TrustedCertificateRow(**api_row("soon", NOW - day, NOW + 10 * day)),
        TrustedCertificateRow(**api_row("gone", NOW - 9 * day, NOW - day)),
        TrustedCertificateRow(**api_row("later", NOW + day, NOW + 9 * day)),
    ])
    qtmodeltester.check(trusted)
    status = TrustedCertificatesTableModel.STATUS
    assert [trusted.index(r, status).data() for r in range(4)] == [
        "valid", "expires in 10 days", "expired", "not yet valid"]
    assert [trusted.index(r, 0).data(STATUS_ROLE) for r in range(4)] == [
        CertificateStatus.VALID, CertificateStatus.EXPIRES_SOON, CertificateStatus.EXPIRED,
        CertificateStatus.NOT_YET_VALID]
    assert trusted.index(2, status).data(Qt.ItemDataRole.BackgroundRole).color().name() == \
        "#fdecea"
    assert trusted.index(0, status).data(Qt.ItemDataRole.BackgroundRole) is None
    assert trusted.index(0, TrustedCertificatesTableModel.SUBJECT_CN).data() == \
        "ok.example.org"
    assert trusted.index(0, TrustedCertificatesTableModel.USED_BY).data() == "Payroll"
    assert trusted.index(1, TrustedCertificatesTableModel.USED_BY).data() == "—"
    assert trusted.index(0, TrustedCertificatesTableModel.KEY).data() == "RSA 2048"
    assert isinstance(trusted.index(3, 0).data(ROW_ROLE), TrustedCertificateRow)

    signing = SigningKeysTableModel(now=NOW)
    signing.set_rows([SigningKeyRow(**api_row("k1", NOW - day, NOW + day), active=True,
                                    created_at=NOW, pem="x")])
    qtmodeltester.check(signing)
    assert signing.index(0, SigningKeysTableModel.SIGNS_NOW).data() == "✔ active"
    assert signing.active_row().alias == "k1"


def test_expiry_message_says_what_to_do():
    soon = SigningKeyRow(**api_row("k", dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
                                   dt.datetime.now(dt.UTC) + dt.timedelta(days=5, hours=1)),
                         active=True)
    message = expiry_message(soon)
    assert "expires in 5 days" in message and "make it active" in message
    fine = SigningKeyRow(**api_row("k", dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
                                   dt.datetime.now(dt.UTC) + dt.timedelta(days=300)))
    assert expiry_message(fine) is None
    assert expiry_message(None) is None


# ------------------------------------------------------------------------------- page


def test_page_lists_both_keystores_sorts_and_filters(qtbot, window, admin_client):
    fresh, old = unique("fresh"), unique("old")
    add_certificate(admin_client, fresh, issue(fresh + ".example.org").certificate)
    add_certificate(admin_client, old, expired(old + ".example.org").certificate)
    try:
        page = open_page(qtbot, window)
        signing = page.signing_model.rows()
        assert [row.alias for row in signing if row.active] == ["wso2carbon"]
        assert page.signing_proxy.index(0, SigningKeysTableModel.SIGNS_NOW).data() == \
            "✔ active"
        assert not page.activate_button.isEnabled()
        page.signing_table.selectRow(0)
        assert not page.activate_button.isEnabled()  # it already signs
        assert not page.delete_signing_button.isEnabled()
        screenshot(window, "keystores-signing")

        qtbot.mouseClick(page.tabs.tabBar(), LEFT,
                         pos=page.tabs.tabBar().tabRect(TRUST_TAB).center())
        assert page.tabs.currentIndex() == TRUST_TAB
        aliases = {row.alias for row in page.trust_model.rows()}
        assert {fresh, old} <= aliases
        screenshot(window, "keystores-trust")

        # Sort by Valid until, ascending: the expired one comes first.
        page.trust_table.sortByColumn(TrustedCertificatesTableModel.VALID_UNTIL,
                                      Qt.SortOrder.AscendingOrder)
        first = page.trust_proxy.index(0, 0).data(ROW_ROLE)
        assert first.alias == old
        status = page.trust_proxy.index(0, TrustedCertificatesTableModel.STATUS).data()
        assert status == "expired"

        qtbot.keyClicks(page.trust_search, fresh)
        assert page.trust_proxy.rowCount() == 1
        assert "1 of" in page.trust_status.text()
        page.trust_search.clear()
        page.status_filter.setCurrentIndex(
            page.status_filter.findData(CertificateStatus.EXPIRED))
        shown = {page.trust_proxy.index(r, 0).data(ROW_ROLE).alias
                 for r in range(page.trust_proxy.rowCount())}
        assert old in shown and fresh not in shown
        page.status_filter.setCurrentIndex(0)
    finally:
        admin_client.delete(f"/keystores/certs/{fresh}")
        admin_client.delete(f"/keystores/certs/{old}")


def test_import_from_the_page_then_details_and_export(qtbot, monkeypatch, window, admin_client,
                                                       tmp_path):
    chain = make_chain("page")
    root, intermediate = unique("page-root"), unique("page-intermediate")
    add_certificate(admin_client, root, chain.root.certificate)
    add_certificate(admin_client, intermediate, chain.intermediate.certificate)
    leaf_file = write_pem(tmp_path / "leaf.pem", chain.leaf.certificate)
    leaf = unique("page-leaf")
    try:
        page = open_page(qtbot, window)
        page.tabs.setCurrentIndex(TRUST_TAB)
        qtbot.mouseClick(page.import_button, LEFT)
        dialog = page.import_dialog
        assert dialog is not None and dialog.isVisible()
        qtbot.waitUntil(lambda: not page.connection.runner.busy, timeout=10_000)
        monkeypatch.setattr(certificate_import, "choose_open_path", lambda *a: str(leaf_file))
        with qtbot.waitSignal(dialog.candidates_changed, timeout=10_000):
            qtbot.mouseClick(dialog.browse_button, LEFT)
        dialog.alias_edit.selectAll()
        qtbot.keyClicks(dialog.alias_edit, leaf)
        with qtbot.waitSignal(page.loaded, timeout=10_000):
            qtbot.mouseClick(dialog.import_button, LEFT)
        assert leaf in trust_store(admin_client)
        assert page.selected_certificate().alias == leaf
        assert "imported" in page.banner.text

        # Details: the chain is built from the trust store (root -> intermediate -> leaf).
        qtbot.mouseClick(page.details_button, LEFT)
        qtbot.waitUntil(lambda: page.details_dialog is not None, timeout=10_000)
        details = page.details_dialog
        assert details.certificate == chain.leaf.certificate
        assert details.chain == chain.certificates
        assert details.chain_tree.topLevelItem(0).text(0) == "page Root CA (CA)"
        details.close()

        # Export as DER, off the GUI thread.
        target = tmp_path / "exported.cer"
        monkeypatch.setattr(certificate_details, "choose_export",
                            lambda *a, **k: (str(target), "der"))
        qtbot.mouseClick(page.export_button, LEFT)
        qtbot.waitUntil(lambda: target.exists() and "exported" in page.banner.text,
                        timeout=10_000)
        assert target.read_bytes() == chain.leaf.certificate.public_bytes(
            serialization.Encoding.DER)
    finally:
        for alias in (leaf, intermediate, root):
            try:
                admin_client.delete(f"/keystores/certs/{alias}")
            except Exception:  # noqa: BLE001
                pass


def test_delete_of_a_certificate_in_use_is_refused_with_the_service_provider(
        qtbot, monkeypatch, window, admin_client):
    used, unused = unique("used"), unique("unused")
    add_certificate(admin_client, used, issue(used + ".example.org").certificate)
    add_certificate(admin_client, unused, issue(unused + ".example.org").certificate)
    sp_name = unique("Payroll")
    app = admin_client.post("/applications", {"name": sp_name})
    admin_client.put(f"/applications/{app['id']}/inbound-protocols/ws-trust",
                     {"audience": f"https://{sp_name}.example.org", "certificateAlias": used})
    questions: list[str] = []

    def answer(_parent, _title, text, **_kw):
        questions.append(text)
        return True

    monkeypatch.setattr(confirm, "ask", answer)
    try:
        page = open_page(qtbot, window)
        page.tabs.setCurrentIndex(TRUST_TAB)
        assert page.select_certificate(used)
        row = page.selected_certificate()
        assert row.used_by == (sp_name,)
        assert page.trust_proxy.index(
            page.trust_table.currentIndex().row(),
            TrustedCertificatesTableModel.USED_BY).data() == sp_name
        page.trust_table.setFocus()
        qtbot.keyClick(page.trust_table, Qt.Key.Key_Delete)
        wait_idle(qtbot, page)
        assert sp_name in questions[-1]
        assert page.banner.level == "error"
        assert sp_name in page.banner.text
        assert used in trust_store(admin_client)

        assert page.select_certificate(unused)
        qtbot.mouseClick(page.delete_button, LEFT)
        qtbot.waitUntil(lambda: unused not in {r.alias for r in page.trust_model.rows()},
                        timeout=10_000)
        assert unused not in trust_store(admin_client)
        assert "No service provider uses it" in questions[-1]
    finally:
        admin_client.delete(f"/applications/{app['id']}")
        admin_client.delete(f"/keystores/certs/{used}")


def test_generate_a_signing_key_make_it_active_and_flag_its_expiry(
        qtbot, monkeypatch, window, admin_client, tmp_path):
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)
    alias = unique("signing")
    page = open_page(qtbot, window)
    page.tabs.setCurrentIndex(SIGNING_TAB)
    try:
        page.signing_table.setFocus()
        qtbot.keyClick(page, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        dialog = page.signing_key_dialog
        assert dialog is not None and dialog.isVisible() and dialog.generating
        qtbot.keyClicks(dialog.alias_edit, alias)
        qtbot.keyClicks(dialog.common_name_edit, "sts.rollover.example.org")
        dialog.key_size_combo.setCurrentIndex(0)
        dialog.validity_spin.setValue(10)  # inside the 30-day warning
        with qtbot.waitSignal(page.loaded, timeout=20_000):
            qtbot.mouseClick(dialog.add_button, LEFT)
        assert not dialog.isVisible()
        keys = {k["alias"]: k for k in admin_client.get("/keystores/signing-keys")}
        assert keys[alias]["active"] is False
        assert "CN=sts.rollover.example.org" in keys[alias]["subject"]
        assert page.selected_signing_key().alias == alias
        assert page.activate_button.isEnabled()

        # Export its certificate for the relying parties.
        target = tmp_path / "signing.pem"
        monkeypatch.setattr(certificate_details, "choose_export",
                            lambda *a, **k: (str(target), "pem"))
        qtbot.mouseClick(page.export_signing_button, LEFT)
        qtbot.waitUntil(target.exists, timeout=10_000)
        wait_idle(qtbot, page)
        assert target.read_text() == keys[alias]["pem"]

        with qtbot.waitSignal(page.signing_certificate_expiring, timeout=10_000) as expiring:
            qtbot.mouseClick(page.activate_button, LEFT)
            qtbot.waitUntil(lambda: page.signing_model.active_row() is not None
                            and page.signing_model.active_row().alias == alias,
                            timeout=10_000)
        assert admin_client.get("/keystores/signing-keys/active") == {"alias": alias}
        assert "expires in" in expiring.args[0] and alias in expiring.args[0]
        assert page.expiry_banner.isVisible() and alias in page.expiry_banner.text
        assert not page.delete_signing_button.isEnabled()  # the active key
    finally:
        admin_client.put("/keystores/signing-keys/active", {"alias": "wso2carbon"})
        reload(qtbot, page)
        assert not page.expiry_banner.isVisible()
        if page.select_signing_key(alias):
            qtbot.mouseClick(page.delete_signing_button, LEFT)
            qtbot.waitUntil(lambda: alias not in {r.alias for r in page.signing_model.rows()},
                            timeout=10_000)
    assert alias not in {k["alias"] for k in admin_client.get("/keystores/signing-keys")}


def test_details_of_the_signing_certificate(qtbot, fake_window):
    page = open_page(qtbot, fake_window)
    assert page.select_signing_key("wso2carbon")
    page.signing_table.setFocus()
    qtbot.keyClick(page.signing_table, Qt.Key.Key_Return)
    details = page.details_dialog
    assert details is not None and details.isVisible()
    assert details.alias == "wso2carbon"
    assert details.general.subject_label.text() == page.selected_signing_key().subject
    details.close()


def test_a_relying_party_with_an_imported_certificate_gets_encrypted_tokens(
        qtbot, monkeypatch, window, admin_client, ui_server, tmp_path):
    rp = issue(unique("rp") + ".example.org")
    rp_file = write_pem(tmp_path / "rp.crt", rp.certificate)
    alias = unique("rp-cert")
    page = open_page(qtbot, window)
    page.tabs.setCurrentIndex(TRUST_TAB)
    qtbot.keyClick(page, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.import_dialog
    wait_idle(qtbot, page)
    monkeypatch.setattr(certificate_import, "choose_open_path", lambda *a: str(rp_file))
    with qtbot.waitSignal(dialog.candidates_changed, timeout=10_000):
        qtbot.mouseClick(dialog.browse_button, LEFT)
    dialog.alias_edit.selectAll()
    qtbot.keyClicks(dialog.alias_edit, alias)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClick(dialog.alias_edit, Qt.Key.Key_Return)
    assert alias in trust_store(admin_client)

    audience = f"https://{alias}.example.org/app"
    app = admin_client.post("/applications", {"name": unique("Encrypted RP")})
    try:
        admin_client.put(f"/applications/{app['id']}/inbound-protocols/ws-trust",
                         {"audience": audience, "certificateAlias": alias})
        rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                            key_type=KeyType.BEARER, applies_to=audience)
        with TrustClient(ui_server.url + "/services/wso2carbon-sts",
                         trust=TrustPolicy(ca_file=str(ui_server.ca_file))) as client:
            exchange = client.send(rst, trust_version=TrustVersion.WST_13,
                                   request_type=RequestType.ISSUE,
                                   soap_version=SoapVersion.SOAP12,
                                   credentials=Credentials("admin", ADMIN_PASSWORD))
        assert exchange.ok, (exchange.fault_code, exchange.fault_reason)
        token = exchange.response.token
        assert etree.QName(token).localname == "EncryptedAssertion"
        # The EncryptedKey names the imported certificate (ThumbprintSHA1), and the
        # certificate's private key opens it.
        identifiers = token.xpath(".//*[local-name()='EncryptedKey']//*[local-name()="
                                  "'KeyIdentifier']/text()")
        thumbprint = base64.b64encode(rp.certificate.fingerprint(hashes.SHA1())).decode()
        assert [value.strip() for value in identifiers] == [thumbprint]
        assertion = decrypt_with_cryptography(token, rp.private_key)
        assert audience in assertion.xpath("string(.//*[local-name()='Audience'])")
        # Used by: the page shows the service provider next to the certificate.
        reload(qtbot, page)
        assert page.select_certificate(alias)
        assert page.selected_certificate().used_by == (app["name"],)
    finally:
        admin_client.delete(f"/applications/{app['id']}")
        admin_client.delete(f"/keystores/certs/{alias}")


@pytest.mark.parametrize("tab", [TRUST_TAB, SIGNING_TAB])
def test_buttons_need_a_selection(qtbot, fake_window, tab):
    page = open_page(qtbot, fake_window)
    page.tabs.setCurrentIndex(tab)
    page.trust_table.clearSelection()
    page.signing_table.clearSelection()
    assert not page.details_button.isEnabled()
    assert not page.export_button.isEnabled()
    assert not page.delete_button.isEnabled()
    assert not page.activate_button.isEnabled()
    assert not page.export_signing_button.isEnabled()
    assert page.import_button.isEnabled() and page.generate_button.isEnabled()


def test_a_server_without_signing_keys_or_trust_store_import_greys_them_out(
        qtbot, fake_admin, fake_window):
    no_keys = "WSO2 Identity Server has no API for its signing keys."
    no_import = "This version refuses certificates through its REST API."
    fake_admin.missing.update({Capability.SIGNING_KEYS: no_keys,
                               Capability.TRUST_STORE_IMPORT: no_import})
    fake_window.connection.check()
    qtbot.waitUntil(lambda: not fake_window.connection.supports(Capability.SIGNING_KEYS),
                    timeout=10_000)
    page = open_page(qtbot, fake_window)
    assert page.signing_model.rowCount() == 0
    assert "list_signing_keys" not in fake_admin.calls[-3:]
    for button in (page.generate_button, page.import_pkcs12_button):
        assert not button.isEnabled() and button.toolTip() == no_keys
    assert not page.import_button.isEnabled() and page.import_button.toolTip() == no_import
    fake_admin.missing.clear()
    fake_window.connection.check()
    qtbot.waitUntil(lambda: page.generate_button.isEnabled(), timeout=10_000)
    assert page.generate_button.toolTip() != no_keys  # its own tooltip again
