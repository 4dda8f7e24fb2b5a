"""The wizard's "Policy from a file…" choice against a live server: verdict, apply, view."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard

from stsdesk.core.own_policy import OWN_POLICY_ID
from stsdesk.services.admin_client import AdminClient
from stsdesk.ui.dialogs import confirm
from stsdesk.ui.wizards import own_policy
from stsdesk.ui.wizards.own_policy import OwnPolicyDialog
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

OWN = DATA / "own-policies"


@pytest.fixture
def scenario1_afterwards(admin_client: AdminClient) -> Iterator[None]:
    yield
    admin_client.put("/sts/security", {"scenarioId": "scenario1", "allowedRoles": ["admin"]})


def _choose_file(qtbot, monkeypatch, wizard: ApplySecurityPolicyWizard, path: Path) -> None:
    monkeypatch.setattr(own_policy, "ask_policy_file", lambda _parent: path)
    page = wizard.own_page
    with qtbot.waitSignal(page.verdict_shown, timeout=WAIT):
        _click(qtbot, page.browse_button)


def test_an_own_policy_is_checked_before_finish_applied_and_viewed(
        qtbot, window, admin_client, monkeypatch, scenario1_afterwards):
    page = _show(qtbot, window)
    wizard = _open_wizard(qtbot, page)
    # The choice is listed beside the scenarios, as WSO2 lists its registry policy.
    item = wizard.scenario_page.items[OWN_POLICY_ID]
    assert item.text(1) == "Policy from a file…" and item.text(2) == "available"
    _click_scenario(qtbot, wizard, OWN_POLICY_ID)
    _next(qtbot, wizard)
    assert wizard.currentId() == ApplySecurityPolicyWizard.OWN
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    assert not next_button.isEnabled()  # no file yet

    # A policy the STS cannot enforce: every assertion named, and no way on.
    _choose_file(qtbot, monkeypatch, wizard, OWN / "kerberos.xml")
    own = wizard.own_page
    issues = [own.issue_list.item(i).text() for i in range(own.issue_list.count())]
    assert own.issue_list.isVisible()
    # (Its Kerberos token is enforced where the server accepts tickets; these never are.)
    assert "cannot enforce" in own.verdict_label.text()
    assert any(text.startswith("ex:AuditEveryRequest at /wsp:Policy/") and "(line 36)" in text
               for text in issues), issues
    assert any(text.startswith("sp:EndorsingSupportingTokens at") for text in issues)
    assert own.name_edit.text() == "kerberos"  # the file's name until one is typed
    assert not next_button.isEnabled()
    screenshot(wizard, "security-wizard-own-refused")

    # One it can: Next leads to what it asks for (key stores), then the summary.
    _choose_file(qtbot, monkeypatch, wizard, OWN / "signed-encrypted-sha256.xml")
    assert "can enforce every assertion" in own.verdict_label.text()
    assert "RampartConfig" in own.notes_label.text()
    own.name_edit.clear()
    assert not next_button.isEnabled()  # a name is needed
    qtbot.keyClicks(own.name_edit, "Partner sign+encrypt")
    assert next_button.isEnabled()
    screenshot(wizard, "security-wizard-own-accepted")
    _next(qtbot, wizard)
    access = wizard.access_page
    assert wizard.currentId() == ApplySecurityPolicyWizard.ACCESS
    assert access.keystores_group.isVisibleTo(wizard) and not access.roles_group.isVisibleTo(wizard)
    assert not access.suite_group.isVisibleTo(wizard)  # the policy names its own suite
    access.trusted_list.setFocus()
    access.trusted_list.setCurrentRow(0)
    qtbot.keyClick(access.trusted_list, Qt.Key.Key_Space)
    _next(qtbot, wizard)
    summary = wizard.summary_page.summary_label.text()
    assert "Partner sign+encrypt" in summary and "Basic256Sha256" in summary
    assert "signed-encrypted-sha256.xml" in summary
    asked: list[str] = []
    monkeypatch.setattr(confirm, "ask", lambda _p, _t, text, **_k: asked.append(text) or True)
    with qtbot.waitSignal(wizard.security_applied, timeout=WAIT):
        _finish(qtbot, wizard)
    qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
    assert asked and "Partner sign+encrypt" in asked[0]
    applied = admin_client.get("/sts/security")
    assert applied["scenarioId"] == OWN_POLICY_ID
    assert applied["policyName"] == "Partner sign+encrypt"
    assert applied["policy"] == (OWN / "signed-encrypted-sha256.xml").read_text(encoding="utf-8")
    qtbot.waitUntil(lambda: "Partner sign+encrypt" in page.scenario_label.text(), timeout=WAIT)

    # Again: the applied policy is preselected, and "View scenario" shows its document.
    again = _open_wizard(qtbot, page)
    assert again.scenario_page.selected_scenario.id == OWN_POLICY_ID
    _click(qtbot, again.scenario_page.view_button)
    viewer = again.scenario_dialog
    assert isinstance(viewer, OwnPolicyDialog)
    qtbot.waitUntil(viewer.isVisible, timeout=WAIT)
    assert "PartnerSignEncryptSha256" in viewer.policy_view.toPlainText()
    assert "applied to the STS" in viewer.findChild(type(own.verdict_label)).text()
    screenshot(viewer, "security-wizard-own-viewer")
    viewer.close()
    again.reject()
