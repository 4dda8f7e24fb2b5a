"""The console against the WSO2 contract double, as it runs against the embedded stsdesk server.

The same pages, wizards and dialogs, driven the same way (the helpers of the stsdesk flows are
reused), connected through a WSO2 server profile; what the double then holds is what WSO2's own
contracts accepted. The flows: resident IdP, Apply Security Policy, proof key type, a service
provider with its WS-Trust configuration, a trust-store import, users and roles; and what WSO2
cannot do is greyed out with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QWizard

from stsdesk.services.admin import Capability
from stsdesk.services.admin.wso2.detect import CONNECTOR_MISSING
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.profiles import ProfileStore, ServerProfile
from stsdesk.ui.dialogs import certificate_import, confirm
from stsdesk.ui.dialogs.profiles import ServerProfilesDialog
from stsdesk.ui.dialogs.trust_certificate import TrustCertificateDialog
from tests.helpers.certfactory import issue, write_pem
from tests.ui import test_keystores as keystore_flows
from tests.ui import test_resident_idp as resident_flows
from tests.ui import test_security as security_flows
from tests.ui import test_service_providers as sp_flows
from tests.ui import test_users as user_flows
from tests.ui.conftest import SCREEN_SIZE
from tests.wso2double import Wso2Double

LEFT = Qt.MouseButton.LeftButton
WAIT = 10_000


@pytest.fixture(params=["5.10", "7.1"])
def double(request: pytest.FixtureRequest) -> Iterator[Wso2Double]:
    with Wso2Double(request.param) as running:
        yield running


def _profile(double: Wso2Double) -> ServerProfile:
    return ServerProfile("WSO2", double.url, pinned_sha256=double.sha256, kind="wso2",
                         tenant=double.tenant).validated()


def _window(qtbot, double: Wso2Double, tmp_path: Path):
    from stsdesk.ui.app import build_window

    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    main = build_window(_profile(double).endpoint(double.password), name="WSO2",
                        settings=settings, poll_ms=60_000)
    qtbot.addWidget(main)
    main.resize(*SCREEN_SIZE)
    main.show()
    qtbot.waitUntil(lambda: main.connection.state == "connected", timeout=WAIT)
    return main


@pytest.fixture
def wso2_window(qtbot, double: Wso2Double, tmp_path: Path):
    main = _window(qtbot, double, tmp_path)
    yield main
    main.runner.wait(WAIT)


# -- connecting ---------------------------------------------------------------------------


def test_the_servers_dialog_connects_to_a_wso2_server_and_keeps_its_kind_and_tenant(
        qtbot, tmp_path, monkeypatch):
    with Wso2Double("7.1", tenant="example.org") as double:
        store = ProfileStore(tmp_path / "profiles.json", CredentialStore())
        dialog = ServerProfilesDialog(store)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.keyClicks(dialog.name_edit, "Identity Server")
        qtbot.keyClicks(dialog.url_edit, double.url)
        assert not dialog.tenant_edit.isEnabled()  # a tenant is a WSO2 notion
        dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findText(
            "WSO2 Identity Server (5.10 to 7.x)"))
        assert dialog.tenant_edit.isEnabled()
        qtbot.keyClicks(dialog.tenant_edit, "example.org")
        qtbot.keyClicks(dialog.password_edit, double.password)
        monkeypatch.setattr(TrustCertificateDialog, "ask", lambda *a, **k: True)
        with qtbot.waitSignal(dialog.connection_tested, timeout=20_000) as tested:
            qtbot.mouseClick(dialog.test_button, LEFT)
        assert tested.args[0] is True, tested.args[1]
        with qtbot.waitSignal(dialog.profile_saved, timeout=WAIT):  # saved off the GUI thread
            qtbot.mouseClick(dialog.save_button, LEFT)
        [saved] = store.list()
        assert (saved.kind, saved.tenant, saved.pinned_sha256) == ("wso2", "example.org",
                                                                   double.sha256)
        # The test signed in as admin@example.org against /t/example.org paths.
        assert any(c.path == "/api/server/v1/configs" for c in double.calls)
        dialog.runner.wait(WAIT)


def test_what_wso2_lacks_is_greyed_out_with_the_reason(qtbot, wso2_window, double):
    connection = wso2_window.connection
    assert connection.supports(Capability.SECURITY_POLICY)
    assert "no API for its audit log" in (connection.missing_reason(Capability.AUDIT_LOG) or "")
    audit = wso2_window.show_page("Audit log")
    qtbot.waitUntil(lambda: not audit.table.isEnabled(), timeout=WAIT)
    assert "no API for its audit log" in audit.table.toolTip()


# -- resident identity provider -------------------------------------------------------------


def test_resident_idp_is_saved_on_wso2(qtbot, wso2_window, double):
    page = resident_flows.open_page(qtbot, wso2_window)
    assert page.identifiers() == ["localhost"]
    assert page.idle_timeout.value() == 15
    qtbot.keyClicks(page.new_identifier, "sts.example.org")
    qtbot.mouseClick(page.add_button, LEFT)
    resident_flows.replace_text(qtbot, page.idle_timeout, "30")
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        qtbot.mouseClick(page.update_button, LEFT)
    assert double.state.home_realms == ["localhost", "sts.example.org"]
    assert double.state.idle_timeout == "30"
    assert page.banner.level == "success"
    assert not page.has_unsaved_changes()


# -- security -------------------------------------------------------------------------------


def test_apply_security_policy_through_the_wizard_on_wso2(qtbot, wso2_window, double,
                                                          monkeypatch):
    double.state.groups["callers"] = {"id": "callers", "displayName": "sts-callers",
                                      "members": []}
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)
    page = security_flows._show(qtbot, wso2_window)
    assert "Disabled" in page.status_label.text()
    wizard = security_flows._open_wizard(qtbot, page)
    security_flows._click_scenario(qtbot, wizard, "scenario1")
    assert wizard.field("scenarioId") == "scenario1"
    security_flows._next(qtbot, wizard)
    security_flows._toggle_role(qtbot, wizard, "sts-callers")
    security_flows._next(qtbot, wizard)
    with qtbot.waitSignal(wizard.security_applied, timeout=WAIT):
        security_flows._finish(qtbot, wizard)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    assert double.state.scenario == "scenario1"
    assert double.state.roles == ["sts-callers"]
    [sent] = [c.body for c in double.calls
              if c.operation == "SecurityAdminService.applySecurity"]
    assert sent.findtext("{*}serviceName") == "wso2carbon-sts"
    qtbot.waitUntil(lambda: "Enabled" in page.status_label.text(), timeout=WAIT)
    assert "sts-callers" in page.roles_label.text()


def test_proof_key_type_is_applied_on_wso2(qtbot, wso2_window, double):
    page = security_flows._show(qtbot, wso2_window)
    qtbot.mouseClick(page.encrypted_radio, LEFT)
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        qtbot.mouseClick(page.proof_apply_button, LEFT)
    assert double.state.proof_key_type == "EncryptedKey"


def test_a_missing_connector_greys_out_the_sts_page_with_the_reason(qtbot, tmp_path):
    with Wso2Double("5.11-no-connector") as double:
        main = _window(qtbot, double, tmp_path)
        page = main.show_page(security_flows.TITLE)
        qtbot.waitUntil(lambda: CONNECTOR_MISSING in page.banner.text
                        or CONNECTOR_MISSING in page.apply_button.toolTip(), timeout=WAIT)
        assert not page.apply_button.isEnabled()
        main.runner.wait(WAIT)


# -- service providers ----------------------------------------------------------------------


def test_service_provider_with_ws_trust_on_wso2(qtbot, wso2_window, double):
    page = sp_flows.open_page(qtbot, wso2_window)
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.new_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.name_edit, "Payroll")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.editor is not None and page.editor.application is not None,
                    timeout=WAIT)
    editor = page.editor
    [app] = double.state.applications.values()
    assert app.name == "Payroll" and editor.application_id == app.id
    wizard = sp_flows.open_wizard(qtbot, editor)
    endpoint = wizard.endpoint_page
    qtbot.keyClicks(endpoint.audience_edit, "https://payroll.example.org/sts")
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    while wizard.currentId() != wizard.SUMMARY:
        qtbot.mouseClick(next_button, LEFT)
    with qtbot.waitSignal(wizard.configuration_chosen, timeout=WAIT):
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), LEFT)
    assert "https://payroll.example.org/sts" in editor.audience_label.text()
    assert not app.ws_trust  # it waits for the editor's Save, as in WSO2's console (Update)
    qtbot.mouseClick(editor.save_button, LEFT)
    # WSO2 keeps only the audience and alias: the editor stays open to show that note.
    qtbot.waitUntil(lambda: app.ws_trust is not None and not editor.has_unsaved_changes(),
                    timeout=WAIT)
    assert app.ws_trust == {"audience": "https://payroll.example.org/sts",
                            "certificateAlias": ""}
    assert "https://payroll.example.org/sts" in double.state.trusted_services
    editor.reject()


# -- trust store ----------------------------------------------------------------------------


def test_trust_store_import_on_wso2(qtbot, wso2_window, double, tmp_path, monkeypatch):
    issued = issue("partner.example.org")
    path = write_pem(tmp_path / "partner.pem", issued.certificate)
    page = keystore_flows.open_page(qtbot, wso2_window)
    page.tabs.setCurrentIndex(keystore_flows.TRUST_TAB)
    qtbot.mouseClick(page.import_button, LEFT)
    dialog = page.import_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: not page.connection.runner.busy, timeout=WAIT)
    monkeypatch.setattr(certificate_import, "choose_open_path", lambda *a: str(path))
    with qtbot.waitSignal(dialog.candidates_changed, timeout=WAIT):
        qtbot.mouseClick(dialog.browse_button, LEFT)
    dialog.alias_edit.selectAll()
    qtbot.keyClicks(dialog.alias_edit, "partner")
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        qtbot.mouseClick(dialog.import_button, LEFT)
    assert double.state.trust_store["partner"] == issued.der
    # The super tenant's trust store takes imports only through KeyStoreAdminService.
    assert "KeyStoreAdminService.importCertToStore" in double.operations()
    assert page.selected_certificate().alias == "partner"
    assert "imported" in page.banner.text


# -- users and roles ------------------------------------------------------------------------


def test_users_and_roles_on_wso2(qtbot, wso2_window, double):
    page = user_flows.open_page(qtbot, wso2_window)
    user_flows.focus(qtbot, page.users_table)
    qtbot.keyClick(page.users_table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = user_flows.wait_user_dialog(qtbot, page)
    qtbot.keyClicks(dialog.user_name_edit, "bjensen")
    user_flows.type_passwords(qtbot, dialog, user_flows.PASSWORD)
    qtbot.keyClicks(dialog.given_name_edit, "Barbara")
    qtbot.keyClicks(dialog.email_edit, "bjensen@example.com")
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        qtbot.mouseClick(dialog.save_button, LEFT)
    [stored] = [u for u in double.state.users.values() if u["userName"] == "bjensen"]
    assert stored["name"] == {"givenName": "Barbara"}
    assert double.state.passwords[stored["id"]] == user_flows.PASSWORD

    page.tabs.setCurrentIndex(1)
    user_flows.focus(qtbot, page.roles_table)
    qtbot.keyClick(page.roles_table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    role_dialog = user_flows.wait_role_dialog(qtbot, page)
    qtbot.keyClicks(role_dialog.name_edit, "payroll-callers")
    role_dialog.set_member_checked("bjensen")
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        qtbot.mouseClick(role_dialog.save_button, LEFT)
    [role] = [g for g in double.state.groups.values()
              if g["displayName"] == "payroll-callers"]
    assert role["members"] == [{"value": stored["id"]}]
