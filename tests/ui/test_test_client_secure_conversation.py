"""The Test client under WS-SecureConversation (9, 12, 14) and Kerberos (20) against a live
embedded STS: the scenario applied through the admin API, a token requested through the page as
a person would, the context (or ticket) and the verdict read where the person reads them, and
the context cancelled with the token. Scenario 20 uses a throwaway KDC on loopback."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization

from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.connect import open_admin_api
from stsdesk.services.admin.models import ApplicationDraft, WsTrustConfig
from stsdesk.services.admin_client import ServerEndpoint
from stsdesk.services.tls import TrustPolicy
from tests.ui.conftest import ADMIN_PASSWORD
from tests.ui.test_test_client import fill_user, open_page, screenshot, set_audience
from tests.ui.test_test_client_security import (  # noqa: F401 - the keys fixture
    LEFT,
    apply,
    choose_p12,
    keys,
    send,
    verdict_text,
)

TAG = uuid.uuid4().hex[:6]
RP = f"https://rp.example.org/gui-sc-{TAG}"


@pytest.fixture(scope="module")
def sc_api(ui_server, keys) -> Iterator[AdminApi]:  # noqa: F811 - keys is the fixture
    admin = open_admin_api(ServerEndpoint(ui_server.url, "admin", ADMIN_PASSWORD,
                                          TrustPolicy(ca_file=str(ui_server.ca_file))))
    admin.import_certificate(f"gui-sc-signer-{TAG}", keys.issued.certificate.public_bytes(
        serialization.Encoding.PEM).decode())
    app = admin.create_application(ApplicationDraft(name=f"gui-sc-{TAG}"))
    admin.put_ws_trust(app.id, WsTrustConfig(audience=RP, encrypt_token=False))
    yield admin
    from stsdesk.services.admin.models import SecurityPolicyRequest

    admin.apply_security_policy(SecurityPolicyRequest("scenario1", allowed_roles=("admin",)))
    admin.close()


@pytest.mark.parametrize("scenario", ["scenario9", "scenario12", "scenario14"])
def test_a_token_under_a_security_context_through_the_page(qtbot, window, sc_api, keys,  # noqa: F811
                                                           scenario):
    apply(sc_api, scenario)
    page = open_page(qtbot, window)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()  # the section reads the scenario the server applies now
    set_audience(qtbot, page, RP)
    section = page.form.security
    number = scenario.removeprefix("scenario")
    assert section.isVisible() and f"scenario {number}." in section.applied_label.text()
    # What the section asks for is what the bootstrap policy needs.
    assert page.form.client_keys.isEnabled() is (scenario == "scenario9")
    if scenario == "scenario9":
        choose_p12(qtbot, page, keys)
        page.form.username.clear()
    elif scenario == "scenario14":
        fill_user(qtbot, page)
    else:
        page.form.username.clear()
    result = send(qtbot, page)
    assert result.ok, (result.fault_name, result.fault_reason, result.error)
    text = verdict_text(page)
    assert "as the policy asks" in text and "NOT" not in text, text
    assert f"Security context {page.controller.session.context.identifier}" in text
    assert "bootstrap answer: ✔" in text
    assert "security context" in text.split("\n", 1)[1]  # the answer's keys came from it
    sent = page.result_view.rst_view.exact_bytes()
    assert b"SecurityContextToken" in sent and b"DerivedKeyToken" in sent
    assert ADMIN_PASSWORD.encode() not in sent and b"EncryptedKey" not in sent
    page.result_view.tabs.setCurrentIndex(2)
    screenshot(window, f"test-client-{scenario}-context")

    # Cancel the token: the context goes with it, and the page says so.
    with qtbot.waitSignal(page.request_finished, timeout=20_000) as blocker:
        qtbot.mouseClick(page.cancel_token_button, LEFT)
    cancelled = blocker.args[0]
    assert cancelled.ok and cancelled.cancelled, cancelled.fault_reason
    assert "Security context cancelled at the STS" in verdict_text(page)
    assert page.controller.session.context is None


# -- scenario 20: the ticket from the credential cache ----------------------------------------

@pytest.fixture(scope="module")
def realm(tmp_path_factory):
    pytest.importorskip("gssapi", reason="python-gssapi (the kerberos extra) is missing")
    from tests.e2e.test_kerberos_scenario import throwaway_realm

    yield from throwaway_realm(tmp_path_factory, clockskew=300)


def test_a_token_signed_with_a_kerberos_ticket_through_the_page(qtbot, window, sc_api, realm,
                                                                monkeypatch):
    from stsdesk.services.admin.models import SecurityPolicyRequest
    from tests.e2e.test_kerberos_scenario import SERVICE

    principal = realm.kdc.principal(SERVICE)
    sc_api.apply_security_policy(SecurityPolicyRequest(
        "scenario20", service_principal=principal, keytab=realm.keytab.read_bytes()))
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{realm.ccache('bob')}")
    page = open_page(qtbot, window)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()
    set_audience(qtbot, page, RP)
    section = page.form.security
    # The principal comes from the server's security settings; no key pair is asked for.
    assert section.service_principal.isEnabled() and not page.form.client_keys.isEnabled()
    assert section.service_principal.text() == principal
    page.form.username.clear()
    result = send(qtbot, page)
    assert result.ok, (result.fault_name, result.fault_reason, result.error)
    assert result.decoded.subject.name_id == realm.kdc.principal("bob")
    text = verdict_text(page)
    assert "as the policy asks" in text and "NOT" not in text, text
    assert "Kerberos ticket's session key" in text
    assert b"GSS_Kerberosv5_AP_REQ" in page.result_view.rst_view.exact_bytes()
    page.result_view.tabs.setCurrentIndex(2)
    screenshot(window, "test-client-scenario20-kerberos")

    # Without the principal the section says what is missing, next to the field.
    section.service_principal.clear()
    qtbot.mouseClick(page.request_button, LEFT)
    qtbot.waitUntil(lambda: section.error.isVisible(), timeout=10_000)
    assert "service principal" in section.error.text()
