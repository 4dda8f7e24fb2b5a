"""The Test client's "Message security" section against a live embedded STS: scenarios 2, 5, 8
and 33 applied through the admin API, tokens requested through the page as a person would,
and the answer's verdict read where the person reads it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from PySide6.QtCore import Qt

from stsdesk.services.admin import AdminApi
from stsdesk.services.admin.connect import open_admin_api
from stsdesk.services.admin.models import ApplicationDraft, SecurityPolicyRequest, WsTrustConfig
from tests.helpers import certfactory
from tests.ui.conftest import ADMIN_PASSWORD
from tests.ui.test_test_client import choose, fill_user, open_page, screenshot, set_audience

LEFT = Qt.MouseButton.LeftButton
TAG = uuid.uuid4().hex[:6]
RP = f"https://rp.example.org/gui-secured-{TAG}"
P12_PASSWORD = "gui-client-Pa55"


class Keys:
    """The client's key pair as a person has it: a PKCS#12 file, and PEM files."""

    def __init__(self, folder: Path) -> None:
        self.issued = certfactory.issue(f"gui-signer-{TAG}")
        key = self.issued.private_key
        self.p12 = folder / "client.p12"
        self.p12.write_bytes(pkcs12.serialize_key_and_certificates(
            b"client", key, self.issued.certificate, None,  # type: ignore[arg-type]
            serialization.BestAvailableEncryption(P12_PASSWORD.encode())))
        self.cert_pem = folder / "client.crt"
        self.cert_pem.write_bytes(self.issued.certificate.public_bytes(
            serialization.Encoding.PEM))
        other = certfactory.issue(f"gui-other-{TAG}").private_key
        self.other_key_pem = folder / "other.key"
        self.other_key_pem.write_bytes(other.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Keys:
    return Keys(tmp_path_factory.mktemp("gui-secured"))


@pytest.fixture(scope="module")
def api(ui_server, keys: Keys) -> Iterator[AdminApi]:
    from stsdesk.services.admin_client import ServerEndpoint
    from stsdesk.services.tls import TrustPolicy

    admin = open_admin_api(ServerEndpoint(ui_server.url, "admin", ADMIN_PASSWORD,
                                          TrustPolicy(ca_file=str(ui_server.ca_file))))
    admin.import_certificate(f"gui-signer-{TAG}", keys.issued.certificate.public_bytes(
        serialization.Encoding.PEM).decode())
    app = admin.create_application(ApplicationDraft(name=f"gui-secured-{TAG}"))
    admin.put_ws_trust(app.id, WsTrustConfig(audience=RP, encrypt_token=False))
    # The STS as its own relying party: a holder-of-key token for it carries its proof key
    # encrypted for the STS, which scenario 31 then accepts as the protection token.
    admin.import_certificate(f"gui-sts-self-{TAG}", admin.public_certificate())
    app = admin.create_application(ApplicationDraft(name=f"gui-sts-self-{TAG}"))
    admin.put_ws_trust(app.id, WsTrustConfig(audience=sts_address(ui_server),
                                             certificate_alias=f"gui-sts-self-{TAG}",
                                             encrypt_token=False))
    yield admin
    admin.apply_security_policy(SecurityPolicyRequest("scenario1", allowed_roles=("admin",)))
    admin.close()


def sts_address(server) -> str:
    return server.url + "/services/wso2carbon-sts"


def apply(api: AdminApi, scenario: str) -> None:
    api.apply_security_policy(SecurityPolicyRequest(
        scenario, allowed_roles=("admin",), trusted_keystores=("wso2carbon.jks",),
        private_keystore="wso2carbon.jks"))


def page_for(qtbot, window, api: AdminApi, scenario: str):
    apply(api, scenario)
    page = open_page(qtbot, window)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()  # the section reads the scenario the server applies now
    set_audience(qtbot, page, RP)
    return page


def send(qtbot, page):
    with qtbot.waitSignal(page.request_finished, timeout=20_000) as blocker:
        qtbot.mouseClick(page.request_button, LEFT)
    return blocker.args[0]


def choose_p12(qtbot, page, keys: Keys, password: str = P12_PASSWORD) -> None:
    """The form's one client key pair: the PKCS#12 file and its password, typed once."""
    pair = page.form.client_keys
    page.form_scroll.ensureWidgetVisible(pair.certificate_file)
    pair.certificate_file.setText(str(keys.p12))
    pair.key_file.clear()
    pair.password.setText("")
    qtbot.keyClicks(pair.password, password)


def verdict_text(page) -> str:
    view = page.result_view.security_view
    return view.summary.text() + "\n" + "\n".join(view.items_text())


def test_scenario2_signed_request_through_the_page(qtbot, window, api, keys):
    page = page_for(qtbot, window, api, "scenario2")
    section = page.form.security
    assert section.isVisible() and "scenario 2." in section.applied_label.text()
    assert page.form.client_keys.isEnabled() and not section.saml_token.isEnabled()
    assert page.form.client_keys.usage.text() == (
        "Needed: scenario 2 signs the requests with its key.")
    choose_p12(qtbot, page, keys)
    page.form.username.clear()  # an X.509 scenario needs no user name
    result = send(qtbot, page)
    assert result.ok, (result.fault_name, result.fault_reason)
    assert f"gui-signer-{TAG}" in result.decoded.subject.name_id
    text = verdict_text(page)
    assert "as the policy asks" in text and "NOT" not in text
    assert "Signature 1: valid" in text and "Covers: Body" in text
    assert b"BinarySecurityToken" in page.result_view.rst_view.exact_bytes()
    page.result_view.tabs.setCurrentIndex(2)
    screenshot(window, "test-client-scenario2-verdict")


def test_scenario5_signed_and_encrypted_both_ways(qtbot, window, api, keys):
    page = page_for(qtbot, window, api, "scenario5")
    choose_p12(qtbot, page, keys)
    result = send(qtbot, page)
    assert result.ok, (result.fault_name, result.fault_reason)
    text = verdict_text(page)
    assert "SignatureConfirmation echoes" in text
    assert "Encrypted SOAP Body content: decrypted: RequestSecurityTokenResponse" in text
    # The messages as sent and received: encrypted both ways, byte for byte.
    assert b"EncryptedData" in page.result_view.rst_view.exact_bytes()
    assert page.result_view.rstr_view.exact_bytes() == result.exchange.response_bytes
    assert b"RequestSecurityTokenResponse" in page.result_view.clear_view.exact_bytes()
    page.result_view.tabs.setCurrentIndex(2)
    page.form_scroll.ensureWidgetVisible(page.form.security)
    screenshot(window, "test-client-scenario5")


def test_scenario5_public_key_token_with_the_one_key_pair(qtbot, window, api, keys,
                                                          monkeypatch):
    """A PublicKey token under scenario 5: the key pair is chosen once, read once (off the
    GUI thread), binds the token and signs the request."""
    import base64
    import threading

    from PySide6.QtWidgets import QLineEdit

    from stsdesk.ui.pages.test_client import page as page_module

    page = page_for(qtbot, window, api, "scenario5")
    pair = page.form.client_keys
    choose(page.form.key_type, "PublicKey")
    assert pair.isEnabled() and pair.usage.text() == (
        "Needed: the PublicKey token is bound to this certificate, and scenario 5 signs the "
        "requests with its key.")
    # One place on the page takes a key pair file: none in the Message security section.
    hints = [edit.placeholderText() for edit in page.form.findChildren(QLineEdit)]
    assert sum("PKCS#12" in hint for hint in hints) == 1
    assert not any("PKCS#12" in edit.placeholderText()
                   for edit in page.form.security.findChildren(QLineEdit))
    qtbot.mouseClick(page.request_button, LEFT)
    assert pair.certificate_error.isVisible() and pair.certificate_file.hasFocus()
    assert "PublicKey token" in pair.certificate_error.text()
    assert "scenario 5" in pair.certificate_error.text()
    assert page.controller.history == ()

    reads: list[bool] = []
    real = page_module.read_client_key_pair

    def recording(files):
        reads.append(threading.current_thread() is threading.main_thread())
        return real(files)

    monkeypatch.setattr(page_module, "read_client_key_pair", recording)
    choose_p12(qtbot, page, keys)
    result = send(qtbot, page)
    assert result.ok, (result.fault_name, result.fault_reason)
    assert reads == [False]  # once, for both uses, off the GUI thread
    options = result.options
    assert options.client_certificate is options.message_security.client
    fields = page.result_view.token_view.fields
    assert fields["Proof kind"].text() == "public key"
    assert f"gui-signer-{TAG}" in fields["Client certificate"].text()
    assert fields["Matches the token"].text().startswith("yes")
    # The same certificate signed the request (its BinarySecurityToken) and the answer's
    # verdict is what scenario 5 asks.
    der = keys.issued.certificate.public_bytes(serialization.Encoding.DER)
    assert base64.b64encode(der) in page.result_view.rst_view.exact_bytes()
    text = verdict_text(page)
    assert "as the policy asks" in text and "SignatureConfirmation echoes" in text
    page.result_view.tabs.setCurrentIndex(0)
    page.form_scroll.ensureWidgetVisible(pair)
    screenshot(window, "test-client-scenario5-public-key")


def test_scenario8_username_token_in_the_secured_header(qtbot, window, api):
    page = page_for(qtbot, window, api, "scenario8")
    assert not page.form.client_keys.isEnabled()  # the symmetric binding needs no client key
    fill_user(qtbot, page)
    result = send(qtbot, page)
    assert result.ok, (result.fault_name, result.fault_reason)
    assert result.decoded.subject.name_id == "admin"
    assert "HMAC" in verdict_text(page)
    # The password travelled inside the encrypted, signed header: never shown in clear.
    assert ADMIN_PASSWORD.encode() not in page.result_view.rst_view.exact_bytes()


def test_scenario33_saml_token_from_history(qtbot, window, api, keys):
    page = page_for(qtbot, window, api, "scenario2")
    choose_p12(qtbot, page, keys)
    first = send(qtbot, page)
    assert first.ok
    apply(api, "scenario33")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()
    # Changed outside the console: the status bar says so as soon as the page has read it,
    # in the console's own name for the scenario, not at the next poll.
    assert window.security_label.text().startswith(
        "Security: scenario 19. Sign and Encrypt - X509 Authentication - SAML 2.0 Token")
    section = page.form.security
    assert section.saml_token.isEnabled()
    choose(section.saml_token, first.summary)
    result = send(qtbot, page)
    assert result.ok, (result.fault_name, result.fault_reason)
    assert "as the policy asks" in verdict_text(page)


def test_a_wrong_pkcs12_password_is_shown_next_to_the_field(qtbot, window, api, keys):
    page = page_for(qtbot, window, api, "scenario2")
    choose_p12(qtbot, page, keys, password="not-it")
    qtbot.mouseClick(page.request_button, LEFT)
    pair = page.form.client_keys
    qtbot.waitUntil(pair.password_error.isVisible, timeout=10_000)
    assert "password is wrong" in pair.password_error.text()
    assert not pair.certificate_error.isVisible() and not pair.key_error.isVisible()
    assert pair.password.hasFocus() and "not-it" not in pair.password_error.text()
    assert not page.controller.busy and page.controller.history == ()
    screenshot(window, "test-client-wrong-p12-password")


def test_a_key_that_does_not_match_the_certificate(qtbot, window, api, keys):
    page = page_for(qtbot, window, api, "scenario2")
    pair = page.form.client_keys
    pair.certificate_file.setText(str(keys.cert_pem))
    pair.key_file.setText(str(keys.other_key_pem))
    pair.password.clear()
    qtbot.mouseClick(page.request_button, LEFT)
    qtbot.waitUntil(pair.key_error.isVisible, timeout=10_000)
    assert "does not belong" in pair.key_error.text()
    assert not pair.certificate_error.isVisible() and not page.form.security.error.isVisible()


def test_another_sts_gets_its_scenario_chosen_by_hand(qtbot, window, api, keys):
    page = page_for(qtbot, window, api, "scenario1")
    section = page.form.security
    assert not section.isVisible()  # a UsernameToken over HTTPS: nothing to choose
    page.form.endpoint.setText("https://sts.other.example.org/services/wso2carbon-sts")
    assert section.isVisible() and not page.form.client_keys.isEnabled()
    choose(section.scenario, "5.")
    assert section.suite.isEnabled() and page.form.client_keys.isEnabled()
    assert section.service.isEnabled() and not section.saml_token.isEnabled()
    choose(section.scenario, "19.")  # scenario33, as WSO2 numbers it
    assert section.saml_token.isEnabled()
    assert section.saml_token.currentText().startswith("No token yet")
    page.form.endpoint.setText(page.choices.sts_url)
    choose(section.scenario, "As the server")
    assert not section.isVisible()


def test_the_sts_certificate_from_its_metadata(qtbot, window, api, keys):
    page = page_for(qtbot, window, api, "scenario5")
    section = page.form.security
    choose(section.service, "From the STS's metadata")
    choose_p12(qtbot, page, keys)
    result = send(qtbot, page)
    assert result.ok, (result.fault_name, result.fault_reason)
    assert result.security.verdict.ok, result.security.verdict.lines()
    # The certificate the metadata named is the one the answer was signed with.
    signing = page.choices.certificates.signing[page.choices.certificates.active_signing]
    assert result.security.verdict.report.signatures[0].signer_certificate == signing


def test_a_refused_secured_request_shows_the_fault_not_a_verdict(qtbot, window, api):
    page = page_for(qtbot, window, api, "scenario8")
    fill_user(qtbot, page, password="not-the-password")
    result = send(qtbot, page)
    assert result.fault_name == "FailedAuthentication"
    text = verdict_text(page)
    assert "refused the request with a fault" in text and "as the policy asks" not in text


def test_scenario31_a_holder_of_key_token_from_history_signs_with_its_proof_key(
        qtbot, window, api, keys, ui_server):
    page = page_for(qtbot, window, api, "scenario2")
    set_audience(qtbot, page, sts_address(ui_server))
    choose(page.form.key_type, "SymmetricKey")
    choose_p12(qtbot, page, keys)
    first = send(qtbot, page)
    assert first.ok and first.proof is not None and first.proof.key, first.fault_reason
    apply(api, "scenario31")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()
    section = page.form.security
    assert section.saml_token.isEnabled()
    choose(section.saml_token, first.summary)
    assert "proof key" in section.saml_token.currentText()
    choose(page.form.key_type, "Bearer")
    set_audience(qtbot, page, RP)
    result = send(qtbot, page)
    assert result.ok, (result.fault_name, result.fault_reason)
    assert "as the policy asks" in verdict_text(page)
    # The request was signed with the token's proof key (HMAC), naming the assertion by ID.
    sent = page.result_view.rst_view.exact_bytes()
    assert b"hmac-sha1" in sent and b"#SAMLID" in sent
    assert first.decoded.assertion_id.encode() in sent


@pytest.mark.parametrize("content", [b"not a key pair at all", None])
def test_a_broken_or_missing_key_file_is_named(qtbot, window, api, tmp_path, content):
    page = page_for(qtbot, window, api, "scenario2")
    pair = page.form.client_keys
    path = tmp_path / "broken.p12"
    if content is not None:
        path.write_bytes(content)
    pair.certificate_file.setText(str(path))
    pair.key_file.clear()
    qtbot.mouseClick(page.request_button, LEFT)
    qtbot.waitUntil(pair.certificate_error.isVisible, timeout=10_000)
    expected = "cannot be read" if content is None else "is named like a PKCS#12 file"
    assert expected in pair.certificate_error.text() and "broken.p12" in (
        pair.certificate_error.text())
    assert not page.controller.busy


def test_an_administrators_own_policy_is_what_the_request_is_secured_for(
        qtbot, window, api, keys):
    from stsdesk.core.scenarios import policy_document
    from stsdesk.services.admin.models import OwnPolicyRequest

    # The administrator's own policy: WSO2's scenario 5 assertions under another name.
    api.apply_own_policy(OwnPolicyRequest(
        name=f"gui-own-{TAG}", document=policy_document("scenario5").decode("utf-8"),
        allowed_roles=("admin",), trusted_keystores=("wso2carbon.jks",),
        private_keystore="wso2carbon.jks"))
    page = open_page(qtbot, window)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()
    set_audience(qtbot, page, RP)
    section = page.form.security
    assert section.isVisible() and "own policy" in section.applied_label.text()
    assert page.form.client_keys.isEnabled()
    assert "the server's own policy signs" in page.form.client_keys.usage.text()
    choose_p12(qtbot, page, keys)
    result = send(qtbot, page)
    assert result.ok, (result.fault_name, result.fault_reason)
    text = verdict_text(page)
    assert "as the policy asks" in text and "SignatureConfirmation echoes" in text


def test_the_section_shows_its_choices_and_hints_whole(qtbot, window, api):
    from tests.ui.test_layout_fits import cut_combos, cut_placeholders

    page = page_for(qtbot, window, api, "scenario5")
    section = page.form.security
    page.form_scroll.ensureWidgetVisible(section)
    assert section.isVisible()
    assert cut_placeholders(section) == []
    assert cut_combos(section) == []
    assert window.width() == 1280


@pytest.mark.parametrize(("key_type", "scenario", "needed", "optional"), [
    ("BEARER", None, 0, 0),
    ("BEARER", "scenario1", 0, 0),  # a UsernameToken over HTTPS signs nothing
    ("BEARER", "scenario3", 0, 0),  # the symmetric binding: the STS's key, not the client's
    ("SYMMETRIC", None, 0, 1),  # UseKey, for an EncryptedKey proof
    ("BEARER", "scenario31", 0, 1),  # a PublicKey token from the history signs
    ("PUBLIC", "scenario9", 2, 0),  # the bootstrap of the security context signs
])
def test_what_the_key_pair_is_for(key_type, scenario, needed, optional):
    from stsdesk.core.wstrust import KeyType
    from stsdesk.services.message_security import MessageSecurity
    from stsdesk.ui.pages.test_client.client_key_section import key_pair_uses

    security = MessageSecurity.for_scenario(scenario) if scenario else None
    uses = key_pair_uses(KeyType[key_type], security)
    assert tuple(map(len, uses)) == (needed, optional), uses
    if needed == 2:
        assert uses[0][1] == "scenario 9 signs the requests with its key"


def test_a_key_file_without_its_certificate_is_named_before_anything_is_read(
        qtbot, fake_window, tmp_path):
    page = fake_window.page("Test client")
    fake_window.show_page("Test client")
    qtbot.waitUntil(lambda: not fake_window.runner.busy, timeout=10_000)
    choose(page.form.key_type, "SymmetricKey")
    pair = page.form.client_keys
    assert pair.isEnabled() and pair.usage.text().startswith("Optional: the STS may encrypt")
    pair.key_file.setText(str(tmp_path / "client.key"))
    qtbot.mouseClick(page.request_button, LEFT)
    assert pair.certificate_error.isVisible() and pair.certificate_file.hasFocus()
    assert "goes with the key file" in pair.certificate_error.text()
    assert page.controller.history == () and not fake_window.runner.busy
