"""The Service providers page, its editor, the WS-Trust wizard and the certificate import,
driven as a person would against a live server."""

from __future__ import annotations

import base64
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QWizard

from stsdesk.core.certificates import generate_self_signed
from stsdesk.core.tokentypes import TokenType
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.services.admin.models import ApplicationDraft, RequestedClaim, WsTrustConfig
from stsdesk.services.admin_client import ServerEndpoint
from stsdesk.services.errors import AdminApiError
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from stsdesk.ui.dialogs import certificate_import, confirm
from stsdesk.ui.dialogs.certificate_import import SOURCE_PASTE, CertificateImportDialog
from stsdesk.ui.models.service_providers import (
    NOT_CONFIGURED,
    ROW_ROLE,
    LocalClaim,
    RequestedClaimsTableModel,
    ServiceProviderRow,
    ServiceProvidersTableModel,
)
from stsdesk.ui.wizards.ws_trust import NO_CERTIFICATE, audience_problem
from tests.helpers.certfactory import PASSWORD, CertificateFiles, write_all
from tests.ui.conftest import ADMIN_PASSWORD
from tests.ui.conftest import screenshot as save_png

LEFT = Qt.MouseButton.LeftButton
W = "http://wso2.org/claims/"
EMAIL, GIVEN_NAME, ROLE = W + "emailaddress", W + "givenname", W + "role"
SHA1_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
AES128_GCM = "http://www.w3.org/2009/xmlenc11#aes128-gcm"


def screenshot(widget, name: str) -> None:
    # Let pending layout requests run first, so that the picture shows the settled layout.
    QApplication.processEvents()
    QApplication.processEvents()
    save_png(widget, name)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def open_page(qtbot, window):
    page = window.page("Service providers")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        window.show_page("Service providers")
    return page


def reload(qtbot, page):
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()


def create_sp(admin_client, name: str, description: str = "", audience: str | None = None,
              **ws_trust) -> str:
    app = admin_client.post("/applications", {"name": name, "description": description})
    if audience is not None:
        admin_client.put(f"/applications/{app['id']}/inbound-protocols/ws-trust",
                         {"audience": audience, **ws_trust})
    return app["id"]


def select(qtbot, page, app_id: str) -> None:
    assert page.select(app_id)
    qtbot.waitUntil(lambda: page.selected_row() is not None
                    and page.selected_row().id == app_id, timeout=2000)


def open_editor(qtbot, page, app_id: str):
    select(qtbot, page, app_id)
    qtbot.mouseClick(page.edit_button, LEFT)
    editor = page.editor
    assert editor is not None
    qtbot.waitUntil(lambda: editor.application is not None, timeout=10_000)
    return editor


def open_wizard(qtbot, editor):
    qtbot.mouseClick(editor.configure_button, LEFT)
    wizard = editor.wizard
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.choices is not None, timeout=10_000)
    return wizard


def open_import_dialog(qtbot, editor, wizard) -> CertificateImportDialog:
    """Press Import certificate… in the wizard; the dialog it opens on the editor, once up."""
    qtbot.mouseClick(wizard.endpoint_page.import_button, LEFT)
    dialog = editor.import_dialog
    assert isinstance(dialog, CertificateImportDialog) and dialog.isVisible()
    qtbot.waitExposed(dialog)
    return dialog


def visible_modal_windows() -> list:
    """The top-level windows on screen that block others (what a person must get past)."""
    return [widget for widget in QApplication.topLevelWidgets()
            if widget.isVisible() and widget.isModal()]


def finish(qtbot, wizard) -> None:
    """Next to the summary, then Finish: the configuration goes to the editor."""
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    while wizard.currentId() != wizard.SUMMARY:
        qtbot.mouseClick(next_button, LEFT)
    with qtbot.waitSignal(wizard.configuration_chosen, timeout=10_000):
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), LEFT)
    assert not wizard.isVisible()


def ws_trust_status(admin_client, app_id: str) -> int | dict:
    """The server's WS-Trust configuration of ``app_id``, or 404 when it has none."""
    try:
        return admin_client.get(f"/applications/{app_id}/inbound-protocols/ws-trust")
    except AdminApiError as error:
        return error.status


def browse(qtbot, monkeypatch, dialog: CertificateImportDialog, path: Path) -> None:
    """Pick ``path`` in the file dialog (patched) and wait until it was read."""
    monkeypatch.setattr(certificate_import, "choose_open_path", lambda *a, **k: str(path))
    with qtbot.waitSignal(dialog.candidates_changed, timeout=10_000):
        qtbot.mouseClick(dialog.browse_button, LEFT)


def pem_of(common_name: str) -> str:
    return generate_self_signed(common_name).certificate_pem().decode("ascii")


def tick(qtbot, editor, uri: str, column: int) -> None:
    """Move to the claim's check box and press Space, as a keyboard user would."""
    model = editor.claims_model
    index = editor.claims_proxy.mapFromSource(model.index(model.row_of(uri), column))
    editor.claims_view.setFocus()
    editor.claims_view.setCurrentIndex(index)
    qtbot.keyClick(editor.claims_view, Qt.Key.Key_Space)


# ------------------------------------------------------------------------------- models


def test_models_pass_the_model_tester(qtmodeltester):
    model = ServiceProvidersTableModel()
    model.set_rows([
        ServiceProviderRow("1", "Payroll", "Pays people", "https://payroll.example.org", "rp"),
        ServiceProviderRow("2", "Wiki", "", None),
    ])
    qtmodeltester.check(model)
    index = model.index(1, ServiceProvidersTableModel.AUDIENCE)
    assert model.data(index) == NOT_CONFIGURED
    assert model.data(index, ROW_ROLE).name == "Wiki"

    claims = RequestedClaimsTableModel()
    claims.set_claims([LocalClaim(EMAIL, "Email"), LocalClaim(ROLE, "Role")], [(ROLE, True)])
    qtmodeltester.check(claims)
    mandatory = claims.index(0, RequestedClaimsTableModel.MANDATORY)
    # A claim that is not requested cannot be made mandatory.
    assert not claims.setData(mandatory, Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole)
    assert claims.requested() == [(ROLE, True)]
    # Un-requesting a claim drops its mandatory flag with it.
    requested = claims.index(1, RequestedClaimsTableModel.REQUESTED)
    assert claims.setData(requested, Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert claims.requested() == []


def test_audience_rule_matches_the_server():
    for good in ("https://rp.example.org/service", "http://rp:8080/x", "urn:example:rp", "*"):
        assert audience_problem(good) is None, good
    for bad in ("", "rp.example.org", "https://", "ftp://rp.example.org", "urn:", "https://a b",
                "**", "http://[::1"):
        assert audience_problem(bad) is not None, bad


# ------------------------------------------------------------------------------- the page


def test_list_search_and_screenshot(qtbot, window, admin_client):
    tag = uuid.uuid4().hex[:6]
    payroll = create_sp(admin_client, f"Payroll-{tag}", "Pays the staff every month",
                        f"https://payroll-{tag}.example.org/sts")
    create_sp(admin_client, f"Wiki-{tag}", "Team knowledge base")
    create_sp(admin_client, f"Travel-{tag}", "Books trips", f"urn:example:travel:{tag}")
    page = open_page(qtbot, window)
    names = {page.model.row_at(r).name: page.model.row_at(r) for r in range(page.model.rowCount())}
    assert names[f"Payroll-{tag}"].audience == f"https://payroll-{tag}.example.org/sts"
    assert names[f"Wiki-{tag}"].audience is None
    wiki_row = next(r for r in range(page.proxy.rowCount())
                    if page.proxy.index(r, 0).data() == f"Wiki-{tag}")
    assert page.proxy.index(wiki_row, ServiceProvidersTableModel.AUDIENCE).data() == NOT_CONFIGURED
    assert not page.edit_button.isEnabled() or page.selected_row() is not None
    select(qtbot, page, payroll)
    screenshot(window, "service-providers")

    qtbot.keyClicks(page.search_edit, f"payroll-{tag}")
    assert page.proxy.rowCount() == 1
    assert page.proxy.index(0, 0).data() == f"Payroll-{tag}"
    assert "1 of" in page.status_label.text()
    page.search_edit.clear()
    qtbot.keyClicks(page.search_edit, f"urn:example:travel:{tag}")  # matches the audience
    assert [page.proxy.index(r, 0).data() for r in range(page.proxy.rowCount())] == \
        [f"Travel-{tag}"]
    page.search_edit.clear()
    qtbot.keyClicks(page.search_edit, "no-such-service-provider-anywhere")
    assert page.proxy.rowCount() == 0
    assert not page.edit_button.isEnabled() and not page.delete_button.isEnabled()
    page.search_edit.clear()
    assert page.proxy.rowCount() == page.model.rowCount() >= 3

    # Enter on the table opens the editor of the selected service provider.
    select(qtbot, page, payroll)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert page.editor is not None and page.editor.application_id == payroll
    editor = page.editor
    qtbot.waitUntil(lambda: editor.application is not None, timeout=10_000)
    assert editor.ws_trust.audience == f"https://payroll-{tag}.example.org/sts"
    assert not page.has_unsaved_changes()
    qtbot.keyClicks(editor.description_edit, " (changed)")
    assert page.has_unsaved_changes()  # the main window asks before quitting
    editor.done(0)


def test_add_registers_and_opens_the_editor_and_a_taken_name_is_said_inline(
        qtbot, window, admin_client):
    page = open_page(qtbot, window)
    taken = unique("Taken")
    create_sp(admin_client, taken)
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.new_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.register_button.isEnabled()  # a name is required
    qtbot.keyClicks(dialog.name_edit, "   ")
    assert dialog.name_error.isVisible() and not dialog.register_button.isEnabled()
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, taken)
    qtbot.keyClicks(dialog.description_edit, "kept on failure")
    qtbot.mouseClick(dialog.register_button, LEFT)
    qtbot.waitUntil(lambda: dialog.name_error.isVisible(), timeout=10_000)
    assert "already exists" in dialog.name_error.text()
    assert dialog.isVisible() and dialog.name_edit.text() == taken
    assert dialog.description_edit.toPlainText() == "kept on failure"
    assert page.editor is None

    name = unique("Expenses")
    dialog.name_edit.clear()
    qtbot.keyClicks(dialog.name_edit, name)
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)  # Enter submits
    qtbot.waitUntil(lambda: page.editor is not None and page.editor.application is not None,
                    timeout=10_000)
    assert not dialog.isVisible()
    editor = page.editor
    assert editor.name_edit.text() == name
    matches = admin_client.get("/applications", filter=f"name eq {name}")["applications"]
    assert len(matches) == 1 and matches[0]["description"] == "kept on failure"
    assert editor.application_id == matches[0]["id"]
    editor.reject()


def test_delete_asks_naming_the_service_provider_and_deletes(
        qtbot, window, admin_client, monkeypatch):
    name = unique("Doomed")
    audience = f"https://{name.lower()}.example.org/"
    app_id = create_sp(admin_client, name, audience=audience)
    page = open_page(qtbot, window)
    select(qtbot, page, app_id)
    questions: list[str] = []

    def say_no(parent, title, text, **kwargs):
        questions.append(text)
        assert kwargs.get("destructive") is True
        return False

    monkeypatch.setattr(confirm, "ask", say_no)
    qtbot.mouseClick(page.delete_button, LEFT)
    assert name in questions[0] and "WS-Trust relying party" in questions[0]
    assert audience in questions[0]
    assert admin_client.get(f"/applications/{app_id}")["name"] == name  # still there

    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)
    page.table.setFocus()
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    with pytest.raises(AdminApiError) as gone:
        admin_client.get(f"/applications/{app_id}")
    assert gone.value.status == 404
    assert app_id not in {page.model.row_at(r).id for r in range(page.model.rowCount())}
    assert "deleted" in page.banner.text
    # Its relying party went with it: the audience is free again.
    other = create_sp(admin_client, unique("Heir"), audience=audience)
    assert admin_client.get(f"/applications/{other}/inbound-protocols/ws-trust")["audience"] \
        == audience


# ------------------------------------------------------------------------------- the editor


def test_editor_picks_claims_with_mandatory_flag_and_subject(qtbot, window, admin_client):
    name = unique("Claims")
    app_id = create_sp(admin_client, name, "Needs claims")
    page = open_page(qtbot, window)
    editor = open_editor(qtbot, page, app_id)
    assert editor.isVisible() and not editor.has_unsaved_changes()
    assert "Not configured" in editor.audience_label.text()
    assert not editor.remove_button.isEnabled()

    tick(qtbot, editor, EMAIL, RequestedClaimsTableModel.REQUESTED)
    tick(qtbot, editor, EMAIL, RequestedClaimsTableModel.MANDATORY)
    tick(qtbot, editor, GIVEN_NAME, RequestedClaimsTableModel.REQUESTED)
    # A claim that is not requested cannot be ticked mandatory: its box is disabled.
    model = editor.claims_model
    role_mandatory = model.index(model.row_of(ROLE), RequestedClaimsTableModel.MANDATORY)
    assert not model.flags(role_mandatory) & Qt.ItemFlag.ItemIsEnabled
    assert sorted(editor.claims_model.requested()) == [(EMAIL, True), (GIVEN_NAME, False)]
    editor.subject_combo.setCurrentIndex(editor.subject_combo.findData(EMAIL))
    editor.description_edit.clear()
    qtbot.keyClicks(editor.description_edit, "Needs email and first name")
    assert editor.has_unsaved_changes()
    screenshot(editor, "service-provider-editor")

    with qtbot.waitSignal(editor.finished, timeout=10_000):
        qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    app = admin_client.get(f"/applications/{app_id}")
    assert app["description"] == "Needs email and first name"
    claims = {c["claim"]["uri"]: c["mandatory"] for c in app["claimConfiguration"]["requestedClaims"]}
    assert claims == {EMAIL: True, GIVEN_NAME: False}
    assert app["claimConfiguration"]["subject"]["claim"]["uri"] == EMAIL

    # Reopened, the editor shows what was saved; clearing the subject goes back to the username.
    reload(qtbot, page)
    editor = open_editor(qtbot, page, app_id)
    assert sorted(editor.claims_model.requested()) == [(EMAIL, True), (GIVEN_NAME, False)]
    assert editor.subject_claim == EMAIL
    editor.subject_combo.setCurrentIndex(0)
    with qtbot.waitSignal(editor.finished, timeout=10_000):
        qtbot.mouseClick(editor.save_button, LEFT)
    assert admin_client.get(f"/applications/{app_id}")["claimConfiguration"]["subject"] \
        .get("claim") is None


def test_editor_keeps_input_when_the_server_refuses(qtbot, window, admin_client, monkeypatch):
    taken = unique("Owner")
    create_sp(admin_client, taken)
    name = unique("Renamed")
    app_id = create_sp(admin_client, name)
    page = open_page(qtbot, window)
    editor = open_editor(qtbot, page, app_id)
    editor.name_edit.clear()
    assert editor.name_error.isVisible() and not editor.save_button.isEnabled()  # required
    qtbot.keyClicks(editor.name_edit, taken)
    qtbot.keyClicks(editor.description_edit, "typed before the refusal")
    qtbot.mouseClick(editor.save_button, LEFT)
    qtbot.waitUntil(lambda: editor.name_error.isVisible(), timeout=10_000)
    assert "already exists" in editor.name_error.text()
    assert editor.isVisible() and editor.name_edit.text() == taken
    assert editor.description_edit.toPlainText() == "typed before the refusal"
    assert admin_client.get(f"/applications/{app_id}")["name"] == name
    # Closing with unsaved changes asks first.
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask", lambda p, t, text, **k: asked.append(text) or False)
    qtbot.mouseClick(editor.cancel_button, LEFT)
    assert asked and editor.isVisible()
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)
    qtbot.mouseClick(editor.cancel_button, LEFT)
    assert not editor.isVisible()


# ------------------------------------------------------------------------------- the wizard


def test_wizard_configures_ws_trust_with_an_imported_certificate(
        qtbot, window, admin_client, monkeypatch):
    name = unique("Portal")
    app_id = create_sp(admin_client, name, "Customer portal")
    alias = unique("portal-rp")
    audience = f"https://{name.lower()}.example.org/sts"
    page = open_page(qtbot, window)
    editor = open_editor(qtbot, page, app_id)
    wizard = open_wizard(qtbot, editor)
    endpoint = wizard.endpoint_page
    assert wizard.currentId() == wizard.ENDPOINT
    assert endpoint.alias_combo.currentText() == NO_CERTIFICATE
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()  # the Endpoint Address is required
    qtbot.keyClicks(endpoint.audience_edit, audience)
    assert next_button.isEnabled() and not endpoint.audience_error.isVisible()

    dialog = open_import_dialog(qtbot, editor, wizard)
    assert not dialog.import_button.isEnabled()
    dialog.source_tabs.setCurrentIndex(SOURCE_PASTE)
    dialog.pem_edit.setPlainText(pem_of(f"{name.lower()}.example.org"))  # pasted
    assert dialog.selected().description.common_name == f"{name.lower()}.example.org"
    dialog.alias_edit.selectAll()
    qtbot.keyClicks(dialog.alias_edit, "bad alias!")
    assert dialog.alias_error.isVisible() and not dialog.import_button.isEnabled()
    dialog.alias_edit.selectAll()
    qtbot.keyClicks(dialog.alias_edit, alias)
    assert dialog.import_button.isEnabled()
    screenshot(dialog, "import-certificate")
    qtbot.mouseClick(dialog.import_button, LEFT)
    qtbot.waitUntil(lambda: endpoint.certificate_alias == alias, timeout=10_000)
    assert not dialog.isVisible() and wizard.isVisible()  # back, with the certificate chosen
    assert alias in [c["alias"] for c in admin_client.get("/keystores/certs")]
    screenshot(wizard, "ws-trust-wizard-1")

    qtbot.mouseClick(next_button, LEFT)
    token = wizard.token_page
    assert wizard.currentId() == wizard.TOKEN
    token.token_type_combo.setCurrentIndex(token.token_type_combo.findData("SAML11"))
    token.key_type_combo.setCurrentIndex(token.key_type_combo.findData("SymmetricKey"))
    token.lifetime_spin.selectAll()
    qtbot.keyClicks(token.lifetime_spin, "600")
    assert token.lifetime == 600
    screenshot(wizard, "ws-trust-wizard-2")

    qtbot.mouseClick(next_button, LEFT)
    security = wizard.security_page
    assert wizard.currentId() == wizard.SECURITY
    assert security.encrypt_check.isEnabled() and security.encrypt_check.isChecked()
    security.signature_combo.setCurrentIndex(security.signature_combo.findData(SHA1_SIGNATURE))
    assert "(legacy)" in security.signature_combo.currentText()
    assert security.legacy_warning.isVisible()
    screenshot(wizard, "ws-trust-wizard-3")
    security.signature_combo.setCurrentIndex(security.signature_combo.findData(RSA_SHA512))
    security.digest_combo.setCurrentIndex(security.digest_combo.findData(SHA512))
    security.encryption_combo.setCurrentIndex(security.encryption_combo.findData(AES128_GCM))
    assert not security.legacy_warning.isVisible()

    qtbot.mouseClick(next_button, LEFT)
    assert wizard.currentId() == wizard.SUMMARY
    summary = wizard.summary_page.summary.text()
    assert audience in summary and alias in summary and "SAML 1.1" in summary
    assert "Nothing is sent to the server until you Save" in summary
    screenshot(wizard, "ws-trust-wizard-4")
    with qtbot.waitSignal(wizard.configuration_chosen, timeout=10_000):
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), LEFT)
    assert not wizard.isVisible()
    # In the editor, marked as not saved yet; the server has nothing until Save.
    assert audience in editor.audience_label.text() and alias in editor.alias_label.text()
    assert editor.ws_trust_pending.isVisible() and editor.has_unsaved_changes()
    assert ws_trust_status(admin_client, app_id) == 404
    with qtbot.waitSignal(editor.finished, timeout=10_000):
        qtbot.mouseClick(editor.save_button, LEFT)

    saved = admin_client.get(f"/applications/{app_id}/inbound-protocols/ws-trust")
    assert saved["audience"] == audience and saved["certificateAlias"] == alias
    assert saved["tokenType"] == "SAML11" and saved["keyType"] == "SymmetricKey"
    assert saved["tokenLifetimeSeconds"] == 600 and saved["encryptToken"] is True
    assert saved["encryptionAlgorithm"] == AES128_GCM
    assert saved["signatureAlgorithm"] == RSA_SHA512 and saved["digestAlgorithm"] == SHA512
    qtbot.waitUntil(lambda: any(page.model.row_at(r).audience == audience
                                for r in range(page.model.rowCount())), timeout=10_000)

    # Reconfiguring keeps the audience (it cannot change on update) and shows the saved choices.
    editor = open_editor(qtbot, page, app_id)
    assert audience in editor.audience_label.text() and alias in editor.alias_label.text()
    assert editor.remove_button.isEnabled() and not editor.ws_trust_pending.isVisible()
    wizard = open_wizard(qtbot, editor)
    assert wizard.endpoint_page.audience_edit.isReadOnly()
    assert wizard.endpoint_page.audience == audience
    assert wizard.endpoint_page.certificate_alias == alias
    assert wizard.token_page.lifetime == 600
    wizard.reject()

    # Remove takes the configuration out of the editor; Save deletes the relying party.
    qtbot.mouseClick(editor.remove_button, LEFT)
    assert editor.ws_trust is None and "Not configured" in editor.audience_label.text()
    assert editor.ws_trust_pending.isVisible() and audience in editor.banner.text
    assert ws_trust_status(admin_client, app_id) != 404  # not yet
    with qtbot.waitSignal(editor.finished, timeout=10_000):
        qtbot.mouseClick(editor.save_button, LEFT)
    assert ws_trust_status(admin_client, app_id) == 404


def test_wizard_invalid_address_is_said_inline_and_nothing_is_sent(qtbot, window, admin_client):
    app_id = create_sp(admin_client, unique("Strict"))
    page = open_page(qtbot, window)
    editor = open_editor(qtbot, page, app_id)
    wizard = open_wizard(qtbot, editor)
    endpoint = wizard.endpoint_page
    qtbot.keyClicks(endpoint.audience_edit, "rp.example.org/no-scheme")
    assert endpoint.audience_error.isVisible()
    assert "absolute" in endpoint.audience_error.text()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    wizard.next()  # even forced, the page refuses
    assert wizard.currentId() == wizard.ENDPOINT
    with pytest.raises(AdminApiError) as none:
        admin_client.get(f"/applications/{app_id}/inbound-protocols/ws-trust")
    assert none.value.status == 404
    endpoint.audience_edit.clear()
    qtbot.keyClicks(endpoint.audience_edit, "urn:example:strict")
    assert not endpoint.audience_error.isVisible()
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()

    # SymmetricKey without a certificate is refused on the token page, before anything is sent.
    wizard.next()
    token = wizard.token_page
    token.key_type_combo.setCurrentIndex(token.key_type_combo.findData("SymmetricKey"))
    wizard.next()
    assert wizard.currentId() == wizard.TOKEN and token.key_type_error.isVisible()
    assert "Certificate Alias" in token.key_type_error.text()
    wizard.reject()
    editor.reject()


def test_save_shows_the_servers_words_when_the_audience_is_taken(
        qtbot, window, admin_client, monkeypatch):
    audience = f"https://{unique('shared')}.example.org/"
    owner = unique("Owner")
    create_sp(admin_client, owner, audience=audience)
    app_id = create_sp(admin_client, unique("Latecomer"))
    page = open_page(qtbot, window)
    editor = open_editor(qtbot, page, app_id)
    qtbot.keyClicks(editor.description_edit, "saved even though the audience is taken")
    wizard = open_wizard(qtbot, editor)
    qtbot.keyClicks(wizard.endpoint_page.audience_edit, audience)
    finish(qtbot, wizard)
    qtbot.mouseClick(editor.save_button, LEFT)
    qtbot.waitUntil(lambda: editor.banner.text != "", timeout=10_000)
    text = editor.banner.text
    assert "already belongs to the service provider" in text and owner in text
    # The editor stays, with the refused configuration in it to correct, still unsaved.
    assert editor.isVisible() and audience in editor.audience_label.text()
    assert editor.ws_trust_pending.isVisible() and editor.save_button.isEnabled()
    assert ws_trust_status(admin_client, app_id) == 404
    # The rest was saved; only the WS-Trust change is left, and Cancel asks before dropping it.
    assert admin_client.get(f"/applications/{app_id}")["description"] == \
        "saved even though the audience is taken"
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask", lambda p, t, text, **k: asked.append(text) or True)
    qtbot.mouseClick(editor.cancel_button, LEFT)
    assert asked and "WS-Trust" in asked[0] and not editor.isVisible()


# ---------------------------------------------- one window at a time, one save model


def test_importing_from_the_editor_stands_one_window_on_it(
        qtbot, window, admin_client, monkeypatch):
    app_id = create_sp(admin_client, unique("Stacked"))
    page = open_page(qtbot, window)
    editor = open_editor(qtbot, page, app_id)
    assert visible_modal_windows() == [editor]
    wizard = open_wizard(qtbot, editor)
    qtbot.keyClicks(wizard.endpoint_page.audience_edit, f"https://{unique('rp')}.example.org/")
    assert set(visible_modal_windows()) == {editor, wizard}

    dialog = open_import_dialog(qtbot, editor, wizard)
    # The import dialog stands on the editor, alone: the wizard stepped aside, keeping its input.
    assert dialog.parentWidget() is editor
    assert set(visible_modal_windows()) == {editor, dialog}
    dialog.source_tabs.setCurrentIndex(SOURCE_PASTE)
    dialog.pem_edit.setPlainText(pem_of("stacked.example.org"))
    alias = unique("stacked-rp")
    import_as(qtbot, dialog, alias)
    # The alias comes back to the editor's wizard, which is on show again.
    qtbot.waitUntil(wizard.isVisible, timeout=2000)
    assert set(visible_modal_windows()) == {editor, wizard}
    assert wizard.endpoint_page.certificate_alias == alias
    assert wizard.endpoint_page.audience.startswith("https://rp-")

    # Cancelling an import brings the wizard back unchanged, too.
    dialog = open_import_dialog(qtbot, editor, wizard)
    assert set(visible_modal_windows()) == {editor, dialog}
    dialog.reject()
    qtbot.waitUntil(wizard.isVisible, timeout=2000)
    assert wizard.endpoint_page.certificate_alias == alias
    wizard.reject()
    editor.reject()
    admin_client.delete(f"/keystores/certs/{alias}")


def test_cancel_discards_a_ws_trust_change_and_save_saves_it_with_the_claims(
        qtbot, window, admin_client, monkeypatch):
    app_id = create_sp(admin_client, unique("OneModel"))
    audience = f"https://{unique('one-model')}.example.org/"
    page = open_page(qtbot, window)

    # A WS-Trust configuration chosen in the wizard, then Cancel: asked, and nothing is sent.
    editor = open_editor(qtbot, page, app_id)
    wizard = open_wizard(qtbot, editor)
    qtbot.keyClicks(wizard.endpoint_page.audience_edit, audience)
    finish(qtbot, wizard)
    assert editor.has_unsaved_changes() and editor.ws_trust_pending.isVisible()
    assert ws_trust_status(admin_client, app_id) == 404
    asked: list[tuple[str, str]] = []
    monkeypatch.setattr(confirm, "ask",
                        lambda p, title, text, **k: asked.append((title, text)) or True)
    with qtbot.waitSignal(editor.finished, timeout=2000):
        qtbot.mouseClick(editor.cancel_button, LEFT)
    assert asked and asked[0][0] == "Discard unsaved changes?"
    assert ws_trust_status(admin_client, app_id) == 404  # the server is unchanged

    # The same, with a claim ticked, then Save: both are saved, by one press.
    editor = open_editor(qtbot, page, app_id)
    assert "Not configured" in editor.audience_label.text()
    tick(qtbot, editor, EMAIL, RequestedClaimsTableModel.REQUESTED)
    wizard = open_wizard(qtbot, editor)
    qtbot.keyClicks(wizard.endpoint_page.audience_edit, audience)
    finish(qtbot, wizard)
    assert ws_trust_status(admin_client, app_id) == 404
    with qtbot.waitSignal(editor.finished, timeout=10_000):
        qtbot.mouseClick(editor.save_button, LEFT)
    assert ws_trust_status(admin_client, app_id)["audience"] == audience
    claims = admin_client.get(f"/applications/{app_id}")["claimConfiguration"]["requestedClaims"]
    assert [c["claim"]["uri"] for c in claims] == [EMAIL]

    # Nothing changed: Cancel closes without asking.
    asked.clear()
    editor = open_editor(qtbot, page, app_id)
    with qtbot.waitSignal(editor.finished, timeout=2000):
        qtbot.mouseClick(editor.cancel_button, LEFT)
    assert asked == []


# ------------------------------------------------------- the wizard's certificate import


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return write_all(tmp_path_factory.mktemp("wizard-certificates"))


def wizard_for_new_sp(qtbot, window, admin_client):
    app_id = create_sp(admin_client, unique("Importer"))
    page = open_page(qtbot, window)
    editor = open_editor(qtbot, page, app_id)
    wizard = open_wizard(qtbot, editor)
    qtbot.keyClicks(wizard.endpoint_page.audience_edit, f"https://{unique('rp')}.example.org/")
    return editor, wizard


def import_as(qtbot, dialog: CertificateImportDialog, alias: str) -> None:
    dialog.alias_edit.selectAll()
    qtbot.keyClicks(dialog.alias_edit, alias)
    assert dialog.import_button.isEnabled(), dialog.alias_error.text() or dialog.banner.text
    with qtbot.waitSignal(dialog.certificate_imported, timeout=10_000):
        qtbot.mouseClick(dialog.import_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2000)


def test_wizard_import_warns_about_an_expired_certificate_then_chooses_it(
        qtbot, window, admin_client, monkeypatch, files):
    editor, wizard = wizard_for_new_sp(qtbot, window, admin_client)
    dialog = open_import_dialog(qtbot, editor, wizard)
    browse(qtbot, monkeypatch, dialog, files.expired)
    assert dialog.preview.warnings_frame.isVisible()
    assert any("expired on" in warning for warning in dialog.preview.warnings), \
        dialog.preview.warnings
    assert dialog.preview.status_label.text().startswith("Expired")
    screenshot(dialog, "ws-trust-wizard-import-expired")
    # Warned, the person may still import it (a test relying party, say); the wizard takes it.
    alias = unique("expired-rp")
    import_as(qtbot, dialog, alias)
    assert wizard.endpoint_page.certificate_alias == alias
    assert alias in wizard.endpoint_page.banner.text
    assert alias in [c["alias"] for c in admin_client.get("/keystores/certs")]
    admin_client.delete(f"/keystores/certs/{alias}")
    wizard.reject()
    editor.reject()


def test_wizard_import_reads_a_pkcs12_file_with_its_password(
        qtbot, window, admin_client, monkeypatch, files):
    editor, wizard = wizard_for_new_sp(qtbot, window, admin_client)
    dialog = open_import_dialog(qtbot, editor, wizard)
    browse(qtbot, monkeypatch, dialog, files.p12)
    assert dialog.password_edit.isVisible() and dialog.candidates == []
    assert "password" in dialog.password_error.text()
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    with qtbot.waitSignal(dialog.candidates_changed, timeout=10_000):
        qtbot.mouseClick(dialog.open_button, LEFT)
    assert [c.description.common_name for c in dialog.candidates] == [
        "localhost", "test Intermediate CA", "test Root CA"]
    chosen = dialog.selected()
    assert chosen.has_private_key and not chosen.description.is_ca  # the relying party's own
    screenshot(dialog, "ws-trust-wizard-import-p12")
    alias = unique("p12-rp")
    import_as(qtbot, dialog, alias)
    assert wizard.endpoint_page.certificate_alias == alias
    stored = {c["alias"]: c for c in admin_client.get("/keystores/certs")}
    assert stored[alias]["sha256Fingerprint"] == chosen.description.sha256_fingerprint
    admin_client.delete(f"/keystores/certs/{alias}")
    wizard.reject()
    editor.reject()


def _damaged_pem(folder: Path) -> Path:
    """A PEM certificate whose inner structure is wrong (tbsCertificate tagged as a SET)."""
    der = bytearray(base64.b64decode(pem_of("damaged.example.org").split("-----")[2]))
    der[4] = 0x31
    path = folder / "damaged.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(bytes(der)).decode()
                    + "-----END CERTIFICATE-----\n")
    return path


@pytest.mark.parametrize("name", ["damaged_pem", "truncated_p12", "garbage_p12", "truncated_der"])
def test_wizard_import_of_a_broken_file_says_so_in_words(
        qtbot, window, admin_client, monkeypatch, files, tmp_path, name):
    path = _damaged_pem(tmp_path) if name == "damaged_pem" else getattr(files, name)
    before = {c["alias"] for c in admin_client.get("/keystores/certs")}
    editor, wizard = wizard_for_new_sp(qtbot, window, admin_client)
    dialog = open_import_dialog(qtbot, editor, wizard)
    browse(qtbot, monkeypatch, dialog, path)
    text = dialog.banner.text
    assert dialog.banner.level == "error" and path.name in text
    assert any(word in text for word in ("damaged", "truncated", "is not one")), text
    # Words for a person, not the parser's: no ASN.1 dump, no Rust debug structures.
    for parser_text in ("asn1", "ParseError", "UnexpectedTag", "{", "Tag"):
        assert parser_text not in text, text
    assert dialog.candidates == [] and not dialog.import_button.isEnabled()
    if name == "damaged_pem":
        screenshot(dialog, "ws-trust-wizard-import-broken")
    dialog.reject()
    assert wizard.endpoint_page.certificate_alias is None
    assert {c["alias"] for c in admin_client.get("/keystores/certs")} == before
    wizard.reject()
    editor.reject()


# ------------------------------------------------------------------------------- server down


@pytest.fixture
def private_server(tmp_path_factory):
    settings = ServerSettings(data_dir=tmp_path_factory.mktemp("sp-private"), port=0,
                              admin_password=ADMIN_PASSWORD)
    server = BackgroundServer(settings)
    server.start()
    yield server
    server.stop()


def test_server_down_mid_save_keeps_the_input_and_says_what_happened(
        qtbot, private_server, endpoint, tmp_path):
    from stsdesk.services.admin_client import AdminClient
    from stsdesk.ui.app import build_window

    pin = fingerprint(fetch_certificate(private_server.url))
    private = replace(endpoint, base_url=private_server.url,
                      trust=TrustPolicy(pinned_sha256=pin))
    assert isinstance(private, ServerEndpoint)
    client = AdminClient(private)
    app_id = create_sp(client, "Fragile")
    client.close()
    settings = QSettings(str(tmp_path / "private.ini"), QSettings.Format.IniFormat)
    main = build_window(private, name="Private", settings=settings, poll_ms=60_000)
    qtbot.addWidget(main)
    main.resize(1280, 800)
    main.show()
    try:
        qtbot.waitUntil(lambda: main.connection.state == "connected", timeout=10_000)
        page = open_page(qtbot, main)
        editor = open_editor(qtbot, page, app_id)
        qtbot.keyClicks(editor.description_edit, "typed while the server dies")
        tick(qtbot, editor, EMAIL, RequestedClaimsTableModel.REQUESTED)
        private_server.stop()
        qtbot.mouseClick(editor.save_button, LEFT)
        qtbot.waitUntil(lambda: editor.banner.text != "", timeout=20_000)
        assert "Saving the service provider failed" in editor.banner.text
        assert "cannot be reached" in editor.banner.text
        assert editor.isVisible()
        assert editor.description_edit.toPlainText() == "typed while the server dies"
        assert editor.claims_model.requested() == [(EMAIL, False)]
        assert editor.save_button.isEnabled()  # try again once it is back
        editor.done(0)
    finally:
        main.runner.wait(10_000)
        main.close()


# -- what is shown, on the fake admin API ----------------------------------------------------


def test_the_list_and_the_editor_show_what_the_server_has(qtbot, fake_window, fake_admin):
    email = RequestedClaim(W + "emailaddress", mandatory=True)
    payroll = fake_admin.create_application(
        ApplicationDraft("Payroll", "Pays the staff", (email,), W + "emailaddress"))
    fake_admin.create_application(ApplicationDraft("Wiki"))
    pem = pem_of("payroll.example.org")
    fake_admin.import_certificate("payroll", pem)
    fake_admin.put_ws_trust(payroll.id, WsTrustConfig(
        "https://payroll.example.org/sts", "payroll", token_type=TokenType.SAML11,
        key_type="Bearer", encrypt_token=True, token_lifetime_seconds=600))
    page = open_page(qtbot, fake_window)
    rows = {row.name: row for row in page.model.rows()}
    assert rows["Payroll"].audience == "https://payroll.example.org/sts"
    assert rows["Payroll"].certificate_alias == "payroll"
    assert rows["Wiki"].audience is None
    wiki = page.model.index(page.model.rows().index(rows["Wiki"]), page.model.AUDIENCE)
    assert wiki.data() == "not configured"

    editor = open_editor(qtbot, page, payroll.id)
    assert editor.name_edit.text() == "Payroll"
    assert editor.claims_model.requested() == [(W + "emailaddress", True)]
    assert editor.subject_combo.currentData() == W + "emailaddress"
    assert editor.audience_label.text() == "https://payroll.example.org/sts"
    assert "SAML 1.1" in editor.token_label.text() and "600 s" in editor.token_label.text()
    assert editor.remove_button.isEnabled()
    editor.done(0)
