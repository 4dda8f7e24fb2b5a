"""Issue 12 in the console: the Keystores page's CRL and trusted-SAML-issuer tabs, and client
certificates mapped to a user in the user dialog (against a live server, end to end)."""

from __future__ import annotations

import base64
import datetime as dt
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from PySide6.QtCore import Qt

from stsdesk.services.admin import Capability
from stsdesk.services.admin.models import RevocationPolicy, StaleCrl
from stsdesk.ui.dialogs import confirm, files, saml_issuer
from stsdesk.ui.dialogs.saml_issuer import SamlIssuerDialog
from stsdesk.ui.models.trust_checks import RevocationListsTableModel, SamlIssuersTableModel
from stsdesk.ui.pages.keystores import REVOCATION_TAB, SAML_ISSUERS_TAB
from tests.helpers import certfactory
from tests.ui.test_keystores import open_page
from tests.ui.test_users import focus, select_user, wait_user_dialog
from tests.ui.test_users import open_page as open_users_page

LEFT = Qt.MouseButton.LeftButton


def _crl_file(tmp_path, ca: certfactory.Issued, *revoked: x509.Certificate, stale=False):
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.certificate.subject)
               .last_update(now - dt.timedelta(days=3))
               .next_update(now + dt.timedelta(days=-1 if stale else 7)))
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(cert.serial_number)
            .revocation_date(now - dt.timedelta(days=1)).build())
    path = tmp_path / "ca.crl"
    path.write_bytes(builder.sign(ca.private_key, hashes.SHA256())  # type: ignore[arg-type]
                     .public_bytes(Encoding.DER))
    return path


def _click_row(qtbot, table, row: int) -> None:
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), LEFT, pos=rect.center())


def test_an_administrator_imports_a_crl_sees_it_listed_and_sets_the_policy(
        qtbot, monkeypatch, fake_admin, fake_window, tmp_path, qtmodeltester):
    ca = certfactory.issue("Console Client CA", ca=True)
    fake_admin.import_certificate("console-ca", ca.certificate.public_bytes(Encoding.PEM).decode())
    page = open_page(qtbot, fake_window)
    page.tabs.setCurrentIndex(REVOCATION_TAB)
    tab = page.revocation_tab
    qtbot.waitUntil(lambda: tab.policy is not None, timeout=10_000)
    crl = _crl_file(tmp_path, ca, certfactory.issue("gone", issuer=ca).certificate, stale=True)
    monkeypatch.setattr(files, "choose_open_path", lambda *_a: str(crl))

    qtbot.mouseClick(tab.import_button, LEFT)

    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=10_000)
    qtmodeltester.check(tab.model)
    cell = tab.model.index(0, RevocationListsTableModel.ISSUER).data()
    assert cell == "CN=Console Client CA"
    assert tab.model.index(0, RevocationListsTableModel.ENTRIES).data() == 1
    assert "Out of date" in tab.model.index(0, RevocationListsTableModel.STATUS).data()
    assert "Imported the CRL" in page.banner.text

    assert not tab.save_policy_button.isEnabled()  # nothing changed yet
    tab.stale_combo.setCurrentIndex(tab.stale_combo.findData(StaleCrl.ACCEPT))
    qtbot.mouseClick(tab.require_check, LEFT)
    assert tab.save_policy_button.isEnabled()
    qtbot.mouseClick(tab.save_policy_button, LEFT)
    qtbot.waitUntil(lambda: fake_admin.revocation == RevocationPolicy(StaleCrl.ACCEPT, True),
                    timeout=10_000)

    monkeypatch.setattr(confirm, "ask", lambda *_a, **_k: True)
    _click_row(qtbot, tab.table, 0)
    qtbot.mouseClick(tab.delete_button, LEFT)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0, timeout=10_000)
    assert fake_admin.crls == {}


def test_a_crl_no_trusted_ca_signed_is_refused_with_the_servers_words(
        qtbot, monkeypatch, fake_window, tmp_path):
    page = open_page(qtbot, fake_window)
    page.tabs.setCurrentIndex(REVOCATION_TAB)
    stranger = certfactory.issue("Unknown CA", ca=True)
    monkeypatch.setattr(files, "choose_open_path",
                        lambda *_a: str(_crl_file(tmp_path, stranger)))
    qtbot.mouseClick(page.revocation_tab.import_button, LEFT)
    qtbot.waitUntil(lambda: "not signed by a certificate in the trust store"
                    in page.banner.text, timeout=10_000)
    assert page.revocation_tab.model.rowCount() == 0


def test_trusting_a_certificate_as_saml_issuer_and_stopping(
        qtbot, monkeypatch, fake_admin, fake_window):
    partner = certfactory.issue("Console Partner IdP")
    fake_admin.import_certificate("partner", partner.certificate.public_bytes(Encoding.PEM)
                                  .decode())
    page = open_page(qtbot, fake_window)
    page.tabs.setCurrentIndex(SAML_ISSUERS_TAB)
    tab = page.saml_issuers_tab
    assert tab.aliases == ("partner",) and tab.trust_button.isEnabled()
    asked = []

    def answer(_parent, aliases, *_a):
        asked.append(tuple(aliases))
        return "partner", "https://partner.example.org"

    monkeypatch.setattr(saml_issuer, "ask", answer)
    qtbot.mouseClick(tab.trust_button, LEFT)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=10_000)
    assert asked == [("partner",)]
    assert tab.model.index(0, SamlIssuersTableModel.ISSUER).data() == "https://partner.example.org"
    assert "Console Partner IdP" in tab.model.index(0, SamlIssuersTableModel.SUBJECT).data()

    monkeypatch.setattr(confirm, "ask", lambda *_a, **_k: True)
    _click_row(qtbot, tab.table, 0)
    qtbot.mouseClick(tab.remove_button, LEFT)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0, timeout=10_000)
    assert fake_admin.saml_issuers == {}


def test_the_issuer_dialog_wants_an_issuer_name(qtbot):
    dialog = SamlIssuerDialog(["partner", "other"], "other")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.alias == "other"
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert dialog.isVisible() and "entity id" in dialog.problem.text()
    qtbot.keyClicks(dialog.issuer_edit, "https://idp.example.org")
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert not dialog.isVisible() and dialog.issuer == "https://idp.example.org"


def test_a_wso2_server_greys_the_tabs_out_with_the_reason(qtbot, fake_admin, fake_window):
    reason = "WSO2 Identity Server reads CRLs from its truststore configuration."
    fake_admin.missing.update({Capability.REVOCATION_LISTS: reason,
                               Capability.SAML_ISSUERS: "no API"})
    fake_window.connection.check()
    qtbot.waitUntil(lambda: not fake_window.connection.supports(Capability.REVOCATION_LISTS),
                    timeout=10_000)
    page = open_page(qtbot, fake_window)
    assert not page.revocation_tab.import_button.isEnabled()
    assert page.revocation_tab.import_button.toolTip() == reason
    assert not page.saml_issuers_tab.trust_button.isEnabled()
    assert "list_revocation_lists" not in fake_admin.calls


def test_a_client_certificate_mapped_in_the_user_dialog_reaches_the_server(
        qtbot, monkeypatch, window, admin_client, tmp_path):
    name = f"mapped{uuid.uuid4().hex[:6]}"
    created = admin_client.scim("POST", "/Users", {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
        "password": "Mapped-Pa55word"})
    laptop = certfactory.issue(f"{name}-laptop")
    pem_file = tmp_path / "laptop.pem"
    pem_file.write_bytes(laptop.certificate.public_bytes(Encoding.PEM))
    page = open_users_page(qtbot, window)
    select_user(qtbot, page, name)
    focus(qtbot, page.users_table)
    qtbot.keyClick(page.users_table, Qt.Key.Key_Return)
    dialog = wait_user_dialog(qtbot, page)
    assert dialog.certificates_box.list.count() == 0
    monkeypatch.setattr(files, "choose_open_path", lambda *_a: str(pem_file))

    qtbot.mouseClick(dialog.certificates_box.add_button, LEFT)
    assert f"CN={name}-laptop" in dialog.certificates_box.list.item(0).text()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(dialog.save_button, LEFT)

    stored = admin_client.scim("GET", f"/Users/{created['id']}")
    der = laptop.certificate.public_bytes(Encoding.DER)
    assert stored["x509Certificates"] == [{"value": base64.b64encode(der).decode()}]
    assert page.selected_user().certificates == (der,)
