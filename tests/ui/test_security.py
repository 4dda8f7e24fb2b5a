"""The Security Token Service page and the Apply Security Policy wizard against a live server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QFontDatabase, QFontInfo, QGuiApplication
from PySide6.QtWidgets import QLabel, QWizard

from stsdesk.core.algorithm_suite import AlgorithmSuite
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.services.admin import Capability
from stsdesk.services.admin.models import TrustedService
from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.errors import InvalidInputError
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.models.scenarios import TrustedServicesTableModel, offered_roles
from stsdesk.ui.pages.security import SecurityTokenServicePage
from stsdesk.ui.wizards.security_policy import ApplySecurityPolicyWizard
from tests.helpers.kerberos_absent import without_kerberos
from tests.ui.conftest import ADMIN_PASSWORD, screenshot

TITLE = "Security Token Service"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
WAIT = 10_000


# ---------------------------------------------------------------------------------- helpers


def _apply_body(security: dict[str, Any]) -> dict[str, Any]:
    return {key: security[key] for key in ("scenarioId", "userStoreDomain", "allowedRoles",
                                           "trustedKeystores", "privateKeystore")}


def _restore(client: AdminClient, initial: dict[str, Any]) -> None:
    client.put("/sts/security", _apply_body(initial))
    if not initial["enabled"]:
        client.delete("/sts/security")
    client.put("/sts/proof-key-type", {"proofKeyType": initial["proofKeyType"]})


@pytest.fixture(scope="module")
def initial_security(ui_server: BackgroundServer) -> dict[str, Any]:
    pin = fingerprint(fetch_certificate(ui_server.url))
    client = AdminClient(ServerEndpoint(ui_server.url, "admin", ADMIN_PASSWORD,
                                        TrustPolicy(pinned_sha256=pin)))
    try:
        return client.get("/sts/security")
    finally:
        client.close()


@pytest.fixture(autouse=True)
def _restore_security(request: pytest.FixtureRequest) -> Iterator[None]:
    """The ui_server is shared by this module: put the policy back after every test that
    used it (tests on the fake admin API need no server at all)."""
    if "window" not in request.fixturenames:
        yield
        return
    admin_client = request.getfixturevalue("admin_client")
    initial = request.getfixturevalue("initial_security")
    yield
    _restore(admin_client, initial)


class Roles:
    """Roles created for a test and removed after it (the policy is restored first)."""

    def __init__(self, client: AdminClient, initial: dict[str, Any]) -> None:
        self._client = client
        self._initial = initial
        self.ids: dict[str, str] = {}

    def create(self, prefix: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        created = self._client.scim("POST", "/Groups",
                                    {"schemas": [GROUP_SCHEMA], "displayName": name})
        self.ids[name] = created["id"]
        return name

    def delete(self, name: str) -> None:
        self._client.scim("DELETE", f"/Groups/{self.ids.pop(name)}")

    def cleanup(self) -> None:
        _restore(self._client, self._initial)
        for name in list(self.ids):
            self.delete(name)


@pytest.fixture
def roles(admin_client: AdminClient, initial_security: dict[str, Any]) -> Iterator[Roles]:
    made = Roles(admin_client, initial_security)
    yield made
    made.cleanup()


def _show(qtbot, window) -> SecurityTokenServicePage:
    page = window.page(TITLE)
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        window.show_page(TITLE)
    assert page.overview is not None, page.banner.text
    return page


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _open_wizard(qtbot, page: SecurityTokenServicePage) -> ApplySecurityPolicyWizard:
    _click(qtbot, page.apply_button)
    wizard = page.wizard
    assert wizard is not None
    qtbot.waitUntil(lambda: wizard.isVisible() and wizard.roles_ready, timeout=WAIT)
    return wizard


def _next(qtbot, wizard: ApplySecurityPolicyWizard) -> None:
    _click(qtbot, wizard.button(QWizard.WizardButton.NextButton))


def _finish(qtbot, wizard: ApplySecurityPolicyWizard) -> None:
    _click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))


def _role_item(wizard: ApplySecurityPolicyWizard, name: str):
    found = wizard.access_page.role_list.findItems(name, Qt.MatchFlag.MatchExactly)
    assert len(found) == 1, f"{name} not offered"
    return found[0]


def _toggle_role(qtbot, wizard: ApplySecurityPolicyWizard, name: str) -> None:
    """Select the role and press Space, as a keyboard user would."""
    roles_list = wizard.access_page.role_list
    roles_list.setFocus()
    roles_list.setCurrentItem(_role_item(wizard, name))
    qtbot.keyClick(roles_list, Qt.Key.Key_Space)


def _click_scenario(qtbot, wizard: ApplySecurityPolicyWizard, scenario_id: str) -> None:
    tree = wizard.scenario_page.tree
    item = wizard.scenario_page.items[scenario_id]
    tree.scrollToItem(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualItemRect(item).center())


# ---------------------------------------------------------------------------------- the page


def test_page_shows_the_applied_policy_and_trusted_services(qtbot, window, admin_client):
    name = f"Payroll-{uuid.uuid4().hex[:6]}"
    audience = f"https://payroll-{uuid.uuid4().hex[:6]}.example.com/service"
    app = admin_client.post("/applications", {
        "name": name, "description": "Payroll relying party",
        "inboundProtocolConfiguration": {"wsTrust": {"audience": audience}},
    })
    try:
        page = _show(qtbot, window)
        security = admin_client.get("/sts/security")
        assert security["enabled"] is True
        assert "Enabled" in page.status_label.text()
        assert "UsernameToken" in page.scenario_label.text()
        assert security["scenarioId"] in page.scenario_label.text()
        for role in security["allowedRoles"]:
            assert role in page.roles_label.text()
        assert security["userStoreDomain"] == page.domain_label.text()
        assert "wso2carbon.jks" in page.keystores_label.text()
        rows = [page.trusted_model.row_at(r) for r in range(page.trusted_model.rowCount())]
        assert any(r.audience == audience and r.application_name == name for r in rows)
        assert page.trusted_stack.currentWidget() is page.trusted_view
        endpoints = admin_client.get("/sts/endpoints")
        assert page.sts_edit.text() == endpoints["sts"]
        assert page.wsdl_edit.text() == endpoints["wsdl"]
        assert page.sts_edit.isReadOnly() and page.wsdl_edit.isReadOnly()
        assert page.disable_button.isEnabled()
        assert not page.proof_apply_button.isEnabled()  # nothing changed yet
        screenshot(window, "security-page")
    finally:
        admin_client.delete(f"/applications/{app['id']}")


def test_copy_buttons_put_the_urls_on_the_clipboard(qtbot, fake_window, fake_admin):
    page = _show(qtbot, fake_window)
    endpoints = fake_admin.get_endpoints()
    clipboard = QGuiApplication.clipboard()
    _click(qtbot, page.copy_sts_button)
    assert clipboard.text() == endpoints.sts_url
    assert endpoints.sts_url.endswith("/services/wso2carbon-sts")
    assert "Copied" in page.copy_sts_button.text()
    _click(qtbot, page.copy_wsdl_button)
    assert clipboard.text() == endpoints.wsdl_url
    assert clipboard.text().endswith("?wsdl")


def test_proof_key_type_is_applied(qtbot, window, admin_client):
    page = _show(qtbot, window)
    before = admin_client.get("/sts/proof-key-type")["proofKeyType"]
    target = page.binary_radio if before == "EncryptedKey" else page.encrypted_radio
    _click(qtbot, target)
    assert page.has_unsaved_changes()
    assert page.proof_apply_button.isEnabled()
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        _click(qtbot, page.proof_apply_button)
    after = admin_client.get("/sts/proof-key-type")["proofKeyType"]
    assert after == target.text() != before
    assert page.banner.level == "success" and after in page.banner.text
    assert not page.has_unsaved_changes()


def test_disable_asks_first_then_disables_and_the_wizard_reapplies(
        qtbot, window, admin_client, monkeypatch):
    page = _show(qtbot, window)
    asked: list[dict[str, Any]] = []
    reply = [False]

    def ask(parent: Any, title: str, text: str, *, destructive: bool = False,
            action: str | None = None) -> bool:
        asked.append({"title": title, "text": text, "destructive": destructive})
        return reply[0]

    monkeypatch.setattr(confirm, "ask", ask)
    _click(qtbot, page.disable_button)  # the user says No
    assert len(asked) == 1 and asked[0]["destructive"] is True
    assert "refuse every token request" in asked[0]["text"]
    assert admin_client.get("/sts/security")["enabled"] is True

    reply[0] = True
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        _click(qtbot, page.disable_button)
    assert admin_client.get("/sts/security")["enabled"] is False
    assert "Disabled" in page.status_label.text()
    assert "refuses every token request" in page.banner.text
    assert not page.disable_button.isEnabled()
    qtbot.waitUntil(lambda: "disabled" in window.security_label.text().lower(), timeout=WAIT)

    # Re-apply through the wizard: the previous roles come back checked.
    wizard = _open_wizard(qtbot, page)
    _next(qtbot, wizard)
    assert set(wizard.access_page.checked_roles) >= {"admin"}
    _next(qtbot, wizard)
    with qtbot.waitSignal(wizard.security_applied, timeout=WAIT):
        _finish(qtbot, wizard)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    security = admin_client.get("/sts/security")
    assert security["enabled"] is True and security["scenarioId"] == "scenario1"
    qtbot.waitUntil(lambda: "Enabled" in page.status_label.text(), timeout=WAIT)


# ---------------------------------------------------------------------------------- the wizard


def test_apply_scenario1_with_a_new_role(qtbot, window, admin_client, roles, monkeypatch):
    role = roles.create("sts-callers")
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask", lambda _p, _t, text, **_k: asked.append(text) or True)
    page = _show(qtbot, window)
    wizard = _open_wizard(qtbot, page)
    # Step 1: the applied scenario is preselected; the groups are WSO2's.
    tree = wizard.scenario_page.tree
    headings = [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]
    assert headings == ["Basic Scenarios", "Advanced Scenarios", "Security Policy from a File"]
    assert wizard.field("scenarioId") == "scenario1"
    assert wizard.scenario_page.yes_radio.isChecked()
    screenshot(wizard, "security-wizard-1")
    _next(qtbot, wizard)
    # Step 2: the new role is offered; everyone/anonymous are not.
    assert wizard.currentId() == ApplySecurityPolicyWizard.ACCESS
    offered = [wizard.access_page.role_list.item(i).text()
               for i in range(wizard.access_page.role_list.count())]
    assert role in offered
    assert not any(r.lower().endswith(("everyone", "anonymous")) for r in offered)
    _toggle_role(qtbot, wizard, role)
    assert role in wizard.access_page.checked_roles
    wizard.access_page.domain_combo.setCurrentText("PRIMARY")
    screenshot(wizard, "security-wizard-2")
    _next(qtbot, wizard)
    # Step 3: the summary says what will be applied.
    assert wizard.currentId() == ApplySecurityPolicyWizard.SUMMARY
    summary = wizard.summary_page.summary_label.text()
    assert role in summary and "UsernameToken" in summary and "PRIMARY" in summary
    screenshot(wizard, "security-wizard-3")
    with qtbot.waitSignal(wizard.security_applied, timeout=WAIT):
        _finish(qtbot, wizard)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    assert len(asked) == 1 and role in asked[0]
    security = admin_client.get("/sts/security")
    assert security["enabled"] is True
    assert security["scenarioId"] == "scenario1"
    assert role in security["allowedRoles"]
    assert security["userStoreDomain"] == "PRIMARY"
    qtbot.waitUntil(lambda: role in page.roles_label.text(), timeout=WAIT)
    assert page.banner.level == "success" and role in page.banner.text


def test_role_filter_filters(qtbot, fake_window, fake_admin):
    alpha, beta = "filter-alpha", "filter-beta"
    for name in (alpha, beta):
        fake_admin.create_role(name)
    page = _show(qtbot, fake_window)
    wizard = _open_wizard(qtbot, page)
    _next(qtbot, wizard)
    access = wizard.access_page
    assert {alpha, beta} <= set(access.visible_roles)
    qtbot.keyClicks(access.filter_edit, "ALPHA")  # case does not matter
    assert access.visible_roles == [alpha]
    _toggle_role(qtbot, wizard, alpha)
    access.filter_edit.clear()
    qtbot.keyClicks(access.filter_edit, "no-such-role-here")
    assert access.visible_roles == []
    assert "no role matches" in access.role_status.text()
    access.filter_edit.clear()
    assert {alpha, beta} <= set(access.visible_roles)
    assert alpha in access.checked_roles and beta not in access.checked_roles  # kept
    wizard.reject()


def test_no_role_chosen_shows_an_inline_error_and_sends_nothing(
        qtbot, window, admin_client, monkeypatch):
    page = _show(qtbot, window)
    sent: list[Any] = []
    monkeypatch.setattr(window.connection.api, "apply_security_policy",
                        lambda *a, **k: sent.append(a))
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: sent.append("asked") or True)
    wizard = _open_wizard(qtbot, page)
    _next(qtbot, wizard)
    for name in list(wizard.access_page.checked_roles):
        _toggle_role(qtbot, wizard, name)
    assert wizard.access_page.checked_roles == []
    _next(qtbot, wizard)
    assert wizard.currentId() == ApplySecurityPolicyWizard.ACCESS
    error = wizard.access_page.role_error
    assert error.isVisible() and "at least one role" in error.text()
    window.runner.wait(WAIT)
    assert sent == []
    assert admin_client.get("/sts/security")["allowedRoles"]  # unchanged on the server
    _toggle_role(qtbot, wizard, "admin")  # fixing it clears the error
    assert not error.isVisible()
    wizard.reject()


def test_a_scenario_the_sts_cannot_enforce_cannot_be_chosen(qtbot, window, admin_client):
    # On a machine without Kerberos, scenario 20 is the one scenario this STS cannot enforce.
    with without_kerberos():
        page = _show(qtbot, window)
        wizard = _open_wizard(qtbot, page)
    for secure_conversation in range(9, 16):
        assert wizard.scenario_page.items[f"scenario{secure_conversation}"].text(2) == (
            "available")
    item = wizard.scenario_page.items["scenario20"]
    assert item.text(2) == "not available on this STS"
    _click_scenario(qtbot, wizard, "scenario20")
    assert wizard.scenario_page.selected_scenario.id == "scenario20"
    assert wizard.field("scenarioId") == ""
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    reason = wizard.scenario_page.reason_label
    assert reason.isVisible() and "not available on this STS" in reason.text()
    assert "UsernameToken" in reason.text()  # says what to choose instead

    # "View scenario" still shows its description and policy, read-only and monospaced.
    with qtbot.waitSignal(wizard.scenario_viewed, timeout=WAIT) as viewed:
        _click(qtbot, wizard.scenario_page.view_button)
    dialog = viewed.args[0]
    qtbot.waitUntil(lambda: bool(dialog.policy_view.toPlainText()), timeout=WAIT)
    detail = admin_client.get("/sts/scenarios/scenario20")
    assert dialog.policy_view.toPlainText() == detail["policy"]
    assert "Policy" in dialog.policy_view.toPlainText()
    assert dialog.policy_view.isReadOnly()
    # Qt's own fixed-pitch font, whatever family the machine's fontconfig maps it to.
    fixed = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    assert QFontInfo(dialog.policy_view.font()).family() == QFontInfo(fixed).family()
    assert detail["description"] in dialog.description_label.text()
    screenshot(dialog, "security-view-scenario")
    dialog.close()

    _click_scenario(qtbot, wizard, "scenario1")
    assert wizard.field("scenarioId") == "scenario1"
    assert wizard.button(QWizard.WizardButton.NextButton).isEnabled()
    assert not reason.isVisible()
    wizard.reject()


def test_a_keystore_scenario_asks_for_keystores_and_the_algorithm_suite(
        qtbot, fake_window, fake_admin, monkeypatch):
    fake_admin.enforceable = {"scenario1", "scenario5"}
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask", lambda _p, _t, text, **_k: asked.append(text) or True)
    page = _show(qtbot, fake_window)
    assert page.suite_label.text().startswith("Basic256 (WSO2 default)")
    wizard = _open_wizard(qtbot, page)
    _click_scenario(qtbot, wizard, "scenario5")
    assert wizard.field("scenarioId") == "scenario5"
    _next(qtbot, wizard)
    # Step 2 as WSO2's for the keystore category: no roles, the key stores, and the suite.
    access = wizard.access_page
    assert wizard.currentId() == ApplySecurityPolicyWizard.ACCESS
    assert not access.roles_group.isVisible()
    assert access.keystores_group.isVisible() and access.suite_group.isVisible()
    assert access.private_combo.currentText() == "wso2carbon.jks"
    basic, sha256 = (access.suite_radios[s] for s in AlgorithmSuite)
    assert basic.isChecked() and "WSO2 default" in basic.text()
    texts = [label.text() for label in access.suite_group.findChildren(QLabel)]
    assert any("every Rampart or WSS4J client" in t for t in texts)
    assert any("Clients must be configured for it" in t for t in texts)
    # Nothing trusted yet: Next says what is missing and stays.
    _next(qtbot, wizard)
    assert wizard.currentId() == ApplySecurityPolicyWizard.ACCESS
    assert "trusted key store" in access.keystore_error.text()
    trusted = access.trusted_list
    trusted.setFocus()
    trusted.setCurrentRow(0)
    qtbot.keyClick(trusted, Qt.Key.Key_Space)
    assert access.checked_keystores == ["wso2carbon.jks"]
    # On its indicator: a radio button is as wide as the page, but only its box and text click.
    qtbot.mouseClick(sha256, Qt.MouseButton.LeftButton, pos=QPoint(8, sha256.height() // 2))
    assert access.algorithm_suite is AlgorithmSuite.BASIC256_SHA256
    screenshot(wizard, "security-wizard-2-keystores")
    _next(qtbot, wizard)
    summary = wizard.summary_page.summary_label.text()
    assert "wso2carbon.jks" in summary and "Basic256Sha256" in summary
    assert "Allowed Roles" not in summary
    screenshot(wizard, "security-wizard-3-keystores")
    with qtbot.waitSignal(wizard.security_applied, timeout=WAIT):
        _finish(qtbot, wizard)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    assert len(asked) == 1
    applied = fake_admin.get_security_policy()
    assert (applied.scenario_id, applied.trusted_keystores, applied.private_keystore,
            applied.algorithm_suite) == ("scenario5", ("wso2carbon.jks",), "wso2carbon.jks",
                                         AlgorithmSuite.BASIC256_SHA256)
    qtbot.waitUntil(lambda: page.suite_label.text() == "Basic256Sha256", timeout=WAIT)
    assert "trusted: wso2carbon.jks" in page.keystores_label.text()

    # Opened again, the wizard starts from the applied suite.
    wizard = _open_wizard(qtbot, page)
    assert wizard.scenario_page.selected_scenario.id == "scenario5"
    _next(qtbot, wizard)
    assert wizard.access_page.algorithm_suite is AlgorithmSuite.BASIC256_SHA256
    wizard.reject()


@pytest.mark.parametrize(("scenario_id", "asks_roles"), [("scenario11", False),
                                                       ("scenario14", True)])
def test_a_secure_conversation_scenario_asks_what_wsos_wizard_asks(
        qtbot, fake_window, fake_admin, scenario_id, asks_roles):
    # WSO2's categories: "keystore" for 9-13 (X.509 or anonymous bootstrap), "ut-keystore"
    # for 14 and 15 (a UsernameToken in the bootstrap): roles as well as the key stores.
    page = _show(qtbot, fake_window)
    wizard = _open_wizard(qtbot, page)
    assert wizard.scenario_page.items[scenario_id].text(2) == "available"
    _click_scenario(qtbot, wizard, scenario_id)
    assert wizard.field("scenarioId") == scenario_id
    _next(qtbot, wizard)
    access = wizard.access_page
    assert wizard.currentId() == ApplySecurityPolicyWizard.ACCESS
    assert access.roles_group.isVisible() is asks_roles
    assert access.keystores_group.isVisible() and access.suite_group.isVisible()
    wizard.reject()


def test_a_server_without_a_choice_of_suite_shows_why_and_keeps_its_own(
        qtbot, fake_window, fake_admin):
    reason = "WSO2 Identity Server applies each scenario with the suite its policy names."
    fake_admin.missing[Capability.ALGORITHM_SUITE] = reason
    fake_admin.enforceable = {"scenario1", "scenario5"}
    fake_window.connection.check()
    qtbot.waitUntil(lambda: not fake_window.connection.supports(Capability.ALGORITHM_SUITE),
                    timeout=WAIT)
    page = _show(qtbot, fake_window)
    wizard = _open_wizard(qtbot, page)
    _click_scenario(qtbot, wizard, "scenario5")
    _next(qtbot, wizard)
    access = wizard.access_page
    assert access.suite_group.isVisible()
    assert not any(radio.isEnabled() for radio in access.suite_radios.values())
    assert access.suite_missing.isVisible() and access.suite_missing.text() == reason
    assert access.algorithm_suite is AlgorithmSuite.BASIC256
    wizard.reject()


def test_a_transport_scenario_keeps_wsos_suite_and_does_not_ask(qtbot, fake_window, fake_admin):
    fake_admin.create_role("ops")
    page = _show(qtbot, fake_window)
    wizard = _open_wizard(qtbot, page)
    _next(qtbot, wizard)
    assert wizard.access_page.roles_group.isVisible()
    assert not wizard.access_page.suite_group.isVisible()
    assert not wizard.access_page.keystores_group.isVisible()
    assert wizard.build_request().algorithm_suite is AlgorithmSuite.BASIC256
    assert "TLS protects" in page.suite_label.text()
    wizard.reject()


def test_choosing_no_disables_security_after_the_same_confirmation(
        qtbot, window, admin_client, monkeypatch):
    asked: list[dict[str, Any]] = []

    def ask(parent: Any, title: str, text: str, *, destructive: bool = False,
            action: str | None = None) -> bool:
        asked.append({"title": title, "text": text, "destructive": destructive})
        return True

    monkeypatch.setattr(confirm, "ask", ask)
    page = _show(qtbot, window)
    wizard = _open_wizard(qtbot, page)
    _click(qtbot, wizard.scenario_page.no_radio)
    assert not wizard.scenario_page.tree.isEnabled()
    _next(qtbot, wizard)
    assert wizard.currentId() == ApplySecurityPolicyWizard.SUMMARY  # no roles asked
    assert "disabled" in wizard.summary_page.summary_label.text()
    assert "Disable" in wizard.button(QWizard.WizardButton.FinishButton).text()
    with qtbot.waitSignal(wizard.security_disabled, timeout=WAIT):
        _finish(qtbot, wizard)
    assert asked and asked[0]["destructive"] is True
    assert "refuse every token request" in asked[0]["text"]
    assert admin_client.get("/sts/security")["enabled"] is False
    qtbot.waitUntil(lambda: "Disabled" in page.status_label.text(), timeout=WAIT)


def test_a_server_refusal_keeps_the_wizard_open_with_its_words(
        qtbot, window, admin_client, roles, monkeypatch):
    role = roles.create("soon-gone")
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)
    page = _show(qtbot, window)
    wizard = _open_wizard(qtbot, page)
    _next(qtbot, wizard)
    _toggle_role(qtbot, wizard, role)
    _next(qtbot, wizard)
    roles.delete(role)  # someone removes the role meanwhile: the server refuses it
    before = admin_client.get("/sts/security")
    _finish(qtbot, wizard)
    banner = wizard.summary_page.banner
    qtbot.waitUntil(lambda: banner.level == "error", timeout=WAIT)
    assert "do not exist" in banner.text and role in banner.text
    assert wizard.isVisible() and wizard.currentId() == ApplySecurityPolicyWizard.SUMMARY
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    assert admin_client.get("/sts/security") == before
    wizard.reject()
    assert not wizard.isVisible()


# ---------------------------------------------------------------------------------- server down


@pytest.fixture
def private_server(tmp_path: Path) -> Iterator[BackgroundServer]:
    settings = ServerSettings(data_dir=tmp_path / "private", port=0,
                              admin_password=ADMIN_PASSWORD)
    server = BackgroundServer(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_server_down_mid_save_keeps_the_wizard_open(qtbot, private_server, tmp_path,
                                                    monkeypatch):
    from stsdesk.ui.app import build_window

    pin = fingerprint(fetch_certificate(private_server.url))
    endpoint = ServerEndpoint(private_server.url, "admin", ADMIN_PASSWORD,
                              TrustPolicy(pinned_sha256=pin))
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    main = build_window(endpoint, name="Private", settings=settings, poll_ms=60_000)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.connection.state == "connected", timeout=WAIT)
    monkeypatch.setattr(confirm, "ask", lambda *a, **k: True)
    page = _show(qtbot, main)
    wizard = _open_wizard(qtbot, page)
    _next(qtbot, wizard)
    _next(qtbot, wizard)
    private_server.stop()
    _finish(qtbot, wizard)
    banner = wizard.summary_page.banner
    qtbot.waitUntil(lambda: banner.level == "error", timeout=WAIT)
    assert "cannot be reached" in banner.text
    assert wizard.isVisible()
    assert wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    wizard.reject()
    main.runner.wait(WAIT)


def test_an_unreachable_server_shows_in_the_page_banner(qtbot, endpoint, tmp_path):
    from stsdesk.ui.app import build_window

    gone = replace(endpoint, base_url="https://127.0.0.1:9")
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    main = build_window(gone, name="Gone", settings=settings, poll_ms=60_000)
    qtbot.addWidget(main)
    page = main.page(TITLE)
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        main.show_page(TITLE)
    assert page.banner.level == "error" and "cannot be reached" in page.banner.text
    assert not page.apply_button.isEnabled() and not page.disable_button.isEnabled()
    main.runner.wait(WAIT)


# ---------------------------------------------------------------------------------- pieces


def test_trusted_services_model(qtmodeltester):
    model = TrustedServicesTableModel()
    model.set_rows([
        TrustedService("https://b.example.com", "b-cert", "id-b", "B"),
        TrustedService("https://a.example.com", None, "id-a", "A"),
    ])
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.columnCount() == 3
    index = model.index(1, TrustedServicesTableModel.CERTIFICATE_ALIAS)
    assert "not encrypted" in model.data(index)
    assert model.data(index, TrustedServicesTableModel.ROW_ROLE).application_id == "id-a"
    assert model.data(model.index(0, 0), TrustedServicesTableModel.SORT_ROLE) == \
        "https://b.example.com"


def test_offered_roles_drop_everyone_and_the_domain_prefix():
    assert offered_roles(["PRIMARY/admin", "Internal/everyone", "ops", "everyone", "admin",
                          "Anonymous", " "]) == ["admin", "ops"]


def test_without_roles_the_wizard_offers_the_policys_roles(qtbot, fake_window, fake_admin):
    fake_admin.missing[Capability.ROLES] = "There is no /scim2 on this server."
    page = _show(qtbot, fake_window)
    wizard = _open_wizard(qtbot, page)
    _next(qtbot, wizard)
    access = wizard.access_page
    assert access.visible_roles == list(fake_admin.get_security_policy().allowed_roles)
    assert access.checked_roles == access.visible_roles
    assert "could not be read" in access.role_status.text()
    assert "There is no /scim2" in access.role_status.text()
    wizard.reject()


def test_token_and_sign_in_settings_are_saved_from_the_page(qtbot, window, admin_client):
    from PySide6.QtCore import Qt

    page = window.show_page("Security Token Service")
    group = page.settings_group
    qtbot.waitUntil(lambda: group.default_lifetime.value() == 300, timeout=10_000)
    before_tokens = admin_client.get("/sts/token-settings")
    before_lockout = admin_client.get("/sts/lockout-policy")
    assert not group.apply_button.isEnabled()  # nothing to save yet
    try:
        group.default_lifetime.setValue(600)
        group.max_attempts.setValue(7)
        assert page.has_unsaved_changes()
        qtbot.mouseClick(group.apply_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: admin_client.get("/sts/lockout-policy")["maxFailedAttempts"] == 7,
                        timeout=10_000)
        assert admin_client.get("/sts/token-settings")["defaultLifetimeSeconds"] == 600
        qtbot.waitUntil(lambda: not page.has_unsaved_changes(), timeout=10_000)
        # A default above the maximum is caught in the form, in its words, before sending.
        group.max_lifetime.setValue(400)
        assert group.problem_label.isVisible()
        assert group.problem_label.text() == (
            "The default token lifetime (600 s) is longer than the maximum (400 s): lower the "
            "default or raise the maximum.")
        assert "defaultLifetimeSeconds" not in group.problem_label.text()
        assert not group.apply_button.isEnabled()
        assert group.max_lifetime.value() == 400  # what was typed stays
        assert admin_client.get("/sts/token-settings")["maxLifetimeSeconds"] != 400
        group.max_lifetime.setValue(900)
        assert not group.problem_label.isVisible()  # gone once its cause is
    finally:
        admin_client.put("/sts/token-settings", before_tokens)
        admin_client.put("/sts/lockout-policy", before_lockout)
        group.show_values(window.connection.api.get_sts_settings())


def test_a_server_without_sts_settings_greys_the_group_out_with_the_reason(
        qtbot, fake_window, fake_admin):
    reason = "WSO2 Identity Server sets token lifetimes per service provider only."
    fake_admin.missing[Capability.STS_SETTINGS] = reason
    fake_window.connection.check()
    qtbot.waitUntil(lambda: not fake_window.connection.supports(Capability.STS_SETTINGS),
                    timeout=WAIT)
    page = _show(qtbot, fake_window)
    group = page.settings_group
    assert not group.isEnabled() and group.toolTip() == reason
    assert "get_sts_settings" not in fake_admin.calls
    assert page.apply_button.isEnabled()  # the rest of the page works
    assert "scenario1" in page.scenario_label.text()


def test_password_digest_checkbox_states_the_trade_off_and_saves(qtbot, window, admin_client):
    from PySide6.QtCore import QPoint

    page = window.show_page("Security Token Service")
    group = page.settings_group
    box = group.allow_digest
    qtbot.waitUntil(box.isEnabled, timeout=WAIT)
    assert not box.isChecked()  # off by default
    assert "PasswordDigest needs each password stored reversibly" in group.digest_trade_off.text()
    assert group.digest_trade_off.isVisible()
    assert group.digest_status.text() == "No password is stored reversibly."
    assert not group.apply_button.isEnabled()
    indicator = QPoint(8, box.height() // 2)
    try:
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=indicator)
        assert box.isChecked() and page.has_unsaved_changes()
        qtbot.mouseClick(group.apply_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: admin_client.get("/sts/password-digest")["allowPasswordDigest"],
                        timeout=WAIT)
        qtbot.waitUntil(lambda: "can use PasswordDigest now" in group.digest_status.text(),
                        timeout=WAIT)
        assert not page.has_unsaved_changes()
        screenshot(window, "security-password-digest")
        # The console's own next sign-in stored the admin's copy; turning it off deletes it.
        assert admin_client.get("/sts/password-digest")["storedPasswordCount"] >= 1
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=indicator)
        qtbot.mouseClick(group.apply_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: group.digest_status.text() == "No password is stored reversibly.",
                        timeout=WAIT)
        # The GET below is itself a sign-in; with the setting off it stores nothing.
        assert admin_client.get("/sts/password-digest") == {
            "allowPasswordDigest": False, "storedPasswordCount": 0}
        entries = admin_client.get("/audit-logs", action="sts.password-digest")["entries"]
        assert [e["detail"].split(":")[0] for e in entries[:2]] == ["not allowed", "allowed"]
    finally:
        admin_client.put("/sts/password-digest", {"allowPasswordDigest": False})


def test_a_server_without_the_password_digest_setting_leaves_the_box_disabled(
        qtbot, fake_window, fake_admin):
    fake_admin.settings = replace(fake_admin.settings, password_digest=None)
    page = fake_window.show_page("Security Token Service")
    group = page.settings_group
    qtbot.waitUntil(lambda: "does not offer" in group.digest_status.text(), timeout=WAIT)
    assert group.default_lifetime.value() == fake_admin.settings.tokens.default_lifetime_seconds
    assert not group.allow_digest.isEnabled() and not group.allow_digest.isChecked()
    assert group.values().password_digest is None  # nothing about it is sent
    assert page.banner.level != "error"  # the other settings loaded as usual


def test_typing_zero_is_said_not_undone_and_a_refusal_goes_once_fixed(
        qtbot, fake_window, fake_admin, monkeypatch):
    page = _show(qtbot, fake_window)
    group = page.settings_group
    qtbot.waitUntil(lambda: group.max_attempts.value() == 5, timeout=WAIT)
    box = group.max_attempts
    qtbot.mouseClick(box.lineEdit(), Qt.MouseButton.LeftButton)
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "0")
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Tab)  # leaving the field keeps the 0
    assert box.value() == 0
    assert group.problem_label.text() == "Locking an account must be at least 1 failed sign-in."
    qtbot.mouseClick(group.apply_button, Qt.MouseButton.LeftButton)  # disabled: nothing sent
    assert "update_sts_settings" not in fake_admin.calls
    group.on_apply_button_clicked()  # e.g. by keyboard: the focus goes to the field at fault
    assert box.hasFocus()
    # A refusal the form cannot foresee shows in the banner, and goes when the values change.
    box.setValue(6)

    def refuse(_settings):
        raise InvalidInputError(400, "INVALID", "Invalid input.", "The store is read-only.")

    monkeypatch.setattr(fake_admin, "update_sts_settings", refuse)
    qtbot.mouseClick(group.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.banner.level == "error", timeout=WAIT)
    assert "read-only" in page.banner.text
    box.setValue(7)
    assert page.banner.text == ""


def test_after_a_roll_over_the_page_names_the_key_tokens_are_signed_with(
        qtbot, fake_window, fake_admin):
    from stsdesk.services.admin.models import NewSigningKey

    page = _show(qtbot, fake_window)
    assert "tokens are signed with the key 'wso2carbon'" in page.keystores_label.text()
    fake_admin.add_signing_key(NewSigningKey("rolled-2026", common_name="sts.example.org"))
    fake_admin.activate_signing_key("rolled-2026")
    fake_window.show_page("Audit log")
    page = _show(qtbot, fake_window)  # coming back reloads it
    assert "tokens are signed with the key 'rolled-2026'" in page.keystores_label.text()
    assert "'wso2carbon'" not in page.keystores_label.text()


def test_the_wizard_speaks_of_the_button_it_shows(qtbot, fake_window, monkeypatch):
    asked: list[dict] = []

    def answer(*args, **kwargs) -> bool:
        asked.append(kwargs)
        return False  # the person thinks again

    monkeypatch.setattr(confirm, "ask", answer)
    page = _show(qtbot, fake_window)
    wizard = _open_wizard(qtbot, page)
    while wizard.currentId() != ApplySecurityPolicyWizard.SUMMARY:
        _next(qtbot, wizard)
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert finish.text() == "&Apply"
    summary = wizard.summary_page
    texts = summary.summary_label.text() + " " + summary.subTitle()
    assert "Finish" not in texts and "Apply" in texts
    _finish(qtbot, wizard)
    assert asked and asked[0].get("action") == "&Apply"  # the question's button says Apply
    assert wizard.isVisible()
    wizard.reject()
