"""The Apply Security Policy wizard's step 2 for scenario 20: service principal and keytab."""

from __future__ import annotations

from PySide6.QtCore import Qt

from stsdesk.core.own_policy import OWN_POLICY_ID
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.wizards import kerberos_service, own_policy
from stsdesk.ui.wizards.security_policy import ApplySecurityPolicyWizard
from tests.helpers.data import DATA
from tests.ui.conftest import screenshot
from tests.ui.test_security import (
    WAIT,
    _click,
    _click_scenario,
    _finish,
    _next,
    _open_wizard,
    _show,
)

PRINCIPAL = "HTTP/sts.example.org@EXAMPLE.ORG"
# The head of an MIT keytab (version 0x502) and a little more: the wizard reads bytes, the
# server checks the keys.
KEYTAB = b"\x05\x02" + bytes(range(60))


def test_scenario20_asks_for_the_principal_and_its_keytab_and_sends_the_file(
        qtbot, fake_window, fake_admin, monkeypatch, tmp_path):
    fake_admin.enforceable = {"scenario1", "scenario20"}
    keytab = tmp_path / "sts.keytab"
    keytab.write_bytes(KEYTAB)
    not_a_keytab = tmp_path / "notes.txt"
    not_a_keytab.write_text("hello")
    monkeypatch.setattr(confirm, "ask", lambda *_a, **_k: True)
    page = _show(qtbot, fake_window)
    assert not page.kerberos_label.isVisible()  # no principal under scenario 1
    wizard = _open_wizard(qtbot, page)
    _click_scenario(qtbot, wizard, "scenario20")
    _next(qtbot, wizard)
    access = wizard.access_page
    group = access.kerberos_group
    assert group.isVisible()
    assert not access.roles_group.isVisible() and not access.keystores_group.isVisible()
    # A principal without its realm, then no keytab: each said under the fields.
    qtbot.keyClicks(group.principal_edit, "HTTP/sts.example.org")
    _next(qtbot, wizard)
    assert wizard.currentId() == ApplySecurityPolicyWizard.ACCESS
    assert "with its realm" in group.error.text()
    qtbot.keyClicks(group.principal_edit, "@EXAMPLE.ORG")
    assert not group.error.isVisible()
    _next(qtbot, wizard)
    assert f"Choose the keytab file of {PRINCIPAL}" in group.error.text()
    monkeypatch.setattr(kerberos_service, "choose_open_path", lambda *_a: str(not_a_keytab))
    qtbot.mouseClick(group.browse_button, Qt.MouseButton.LeftButton)
    _next(qtbot, wizard)
    assert "notes.txt is not a keytab file" in group.error.text()
    monkeypatch.setattr(kerberos_service, "choose_open_path", lambda *_a: str(keytab))
    qtbot.mouseClick(group.browse_button, Qt.MouseButton.LeftButton)
    assert group.keytab_edit.text() == str(keytab)
    screenshot(wizard, "security-wizard-2-kerberos")
    _next(qtbot, wizard)
    assert wizard.currentId() == ApplySecurityPolicyWizard.SUMMARY
    summary = wizard.summary_page.summary_label.text()
    assert PRINCIPAL in summary and f"sts.keytab ({len(KEYTAB)} bytes)" in summary
    assert "Allowed Roles" not in summary and "Private Key Store" not in summary
    with qtbot.waitSignal(wizard.security_applied, timeout=WAIT):
        _finish(qtbot, wizard)
    applied = fake_admin.get_security_policy()
    assert (applied.scenario_id, applied.service_principal) == ("scenario20", PRINCIPAL)
    assert fake_admin.applied_keytab == KEYTAB
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: page.overview is not None
                    and page.overview.security.scenario_id == "scenario20", timeout=WAIT)
    # The STS page names the principal the STS accepts tickets for (never the keytab).
    qtbot.waitUntil(lambda: page.kerberos_label.isVisible(), timeout=WAIT)
    assert page.kerberos_label.text().startswith(PRINCIPAL)

    # Opened again: the principal is filled in, and without a new file the held keytab stays.
    wizard = _open_wizard(qtbot, page)
    assert wizard.scenario_page.selected_scenario.id == "scenario20"
    _next(qtbot, wizard)
    assert wizard.access_page.kerberos_group.principal == PRINCIPAL
    _next(qtbot, wizard)
    assert "the keytab the STS already holds" in wizard.summary_page.summary_label.text()
    assert wizard.build_request().keytab is None
    wizard.reject()


def test_an_own_kerberos_policy_asks_for_the_principal_and_keytab_as_scenario20_does(
        qtbot, fake_window, fake_admin, monkeypatch, tmp_path):
    keytab = tmp_path / "sts.keytab"
    keytab.write_bytes(KEYTAB)
    monkeypatch.setattr(confirm, "ask", lambda *_a, **_k: True)
    monkeypatch.setattr(own_policy, "ask_policy_file",
                        lambda _parent: DATA / "own-policies" / "kerberos-sp12.xml")
    page = _show(qtbot, fake_window)
    wizard = _open_wizard(qtbot, page)
    _click_scenario(qtbot, wizard, OWN_POLICY_ID)
    _next(qtbot, wizard)
    own = wizard.own_page
    with qtbot.waitSignal(own.verdict_shown, timeout=WAIT):
        _click(qtbot, own.browse_button)
    assert "can enforce every assertion" in own.verdict_label.text()
    _next(qtbot, wizard)
    access = wizard.access_page
    assert wizard.currentId() == ApplySecurityPolicyWizard.ACCESS
    group = access.kerberos_group
    assert group.isVisible()
    assert not access.roles_group.isVisible() and not access.keystores_group.isVisible()
    _next(qtbot, wizard)  # nothing given: the principal is asked for
    assert wizard.currentId() == ApplySecurityPolicyWizard.ACCESS
    assert group.error.isVisible()
    qtbot.keyClicks(group.principal_edit, PRINCIPAL)
    monkeypatch.setattr(kerberos_service, "choose_open_path", lambda *_a: str(keytab))
    qtbot.mouseClick(group.browse_button, Qt.MouseButton.LeftButton)
    _next(qtbot, wizard)
    assert wizard.currentId() == ApplySecurityPolicyWizard.SUMMARY
    summary = wizard.summary_page.summary_label.text()
    assert "kerberos-sp12" in summary and "Basic256Sha256" in summary
    assert PRINCIPAL in summary and f"sts.keytab ({len(KEYTAB)} bytes)" in summary
    with qtbot.waitSignal(wizard.security_applied, timeout=WAIT):
        _finish(qtbot, wizard)
    applied = fake_admin.get_security_policy()
    assert (applied.scenario_id, applied.policy_name) == (OWN_POLICY_ID, "kerberos-sp12")
    assert applied.service_principal == PRINCIPAL
    assert fake_admin.applied_keytab == KEYTAB
