"""The Test client page driven as a person against a live embedded STS: every option, V/R/C."""

from __future__ import annotations

import itertools
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QRadioButton

from stsdesk.core.certificates import generate_self_signed
from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from stsdesk.services.token_session import TokenRequestOptions
from stsdesk.services.trust_client import MASK
from stsdesk.ui.pages import test_client as test_client_module
from stsdesk.ui.pages.test_client import TestClientController, endpoint_problem, keyring_key
from stsdesk.ui.tasks import TaskRunner
from tests.ui.conftest import ADMIN_PASSWORD
from tests.ui.conftest import screenshot as save_png

LEFT = Qt.MouseButton.LeftButton
TAG = uuid.uuid4().hex[:6]
RP_PLAIN = f"https://rp.example.org/gui-plain-{TAG}"
RP_HOK = f"https://rp.example.org/gui-hok-{TAG}"
USERNAME_CLAIM = "http://wso2.org/claims/username"
ROLE_CLAIM = "http://wso2.org/claims/role"


def screenshot(widget, name: str) -> None:
    QApplication.processEvents()
    QApplication.processEvents()
    save_png(widget, name)


class Parties:
    """The relying parties, certificates and key files the tests request tokens for."""

    def __init__(self, folder: Path) -> None:
        self.rp = generate_self_signed("gui-rp.example.org")
        self.client = generate_self_signed("gui-trusted-client")
        self.folder = folder
        self.client_cert = self._write("client.crt", self.client.certificate.public_bytes(
            serialization.Encoding.PEM))
        self.client_key = self._write("client.key", _pem_key(self.client.private_key))
        self.rp_key = self._write("rp.key", _pem_key(self.rp.private_key))
        self.app_ids: list[str] = []
        self.aliases = (f"gui-rp-{TAG}", f"gui-client-{TAG}")

    def _write(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path

    def create(self, client: AdminClient) -> None:
        for alias, identity in zip(self.aliases, (self.rp, self.client), strict=True):
            client.post("/keystores/certs", {"alias": alias, "certificate": identity.certificate
                                             .public_bytes(serialization.Encoding.PEM).decode()})
        for name, ws_trust in (
            (f"gui-plain-{TAG}", {"audience": RP_PLAIN}),
            (f"gui-hok-{TAG}", {"audience": RP_HOK, "certificateAlias": self.aliases[0],
                                "encryptToken": False}),
        ):
            app = client.post("/applications", {"name": name})
            self.app_ids.append(app["id"])
            client.put(f"/applications/{app['id']}/inbound-protocols/ws-trust", ws_trust)

    def remove(self, client: AdminClient) -> None:
        for app_id in self.app_ids:
            client.delete(f"/applications/{app_id}")
        for alias in self.aliases:
            client.delete(f"/keystores/certs/{alias}")


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def parties(ui_server, tmp_path_factory) -> Iterator[Parties]:
    pin = fingerprint(fetch_certificate(ui_server.url))
    client = AdminClient(ServerEndpoint(ui_server.url, "admin", ADMIN_PASSWORD,
                                        TrustPolicy(pinned_sha256=pin)))
    made = Parties(tmp_path_factory.mktemp("gui-token-files"))
    made.create(client)
    yield made
    made.remove(client)
    client.close()


def open_page(qtbot, window):
    page = window.page("Test client")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        window.show_page("Test client")
    return page


def click(qtbot, page, widget) -> None:
    """Scroll the form to ``widget`` as a person would, then click it."""
    page.form_scroll.ensureWidgetVisible(widget)
    if isinstance(widget, QCheckBox | QRadioButton):
        # On the box itself: a wide check box only reacts on its box and its text.
        qtbot.mouseClick(widget, LEFT, pos=QPoint(8, widget.height() // 2))
    else:
        qtbot.mouseClick(widget, LEFT)


def choose(combo, text: str) -> None:
    index = combo.findText(text, Qt.MatchFlag.MatchStartsWith)
    assert index >= 0, f"{text!r} is not offered"
    combo.setCurrentIndex(index)


def type_into(qtbot, line_edit, text: str) -> None:
    line_edit.selectAll()
    qtbot.keyClick(line_edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(line_edit, text)
    line_edit.editingFinished.emit()


def set_audience(qtbot, page, audience: str) -> None:
    page.form.applies_to.lineEdit().selectAll()
    qtbot.keyClicks(page.form.applies_to.lineEdit(), audience)
    assert page.form.applies_to.currentText() == audience


def fill_user(qtbot, page, password: str = ADMIN_PASSWORD) -> None:
    type_into(qtbot, page.form.username, "admin")
    type_into(qtbot, page.form.password, password)


def request(qtbot, page, button=None):
    with qtbot.waitSignal(page.request_finished, timeout=15_000) as blocker:
        qtbot.mouseClick(button or page.request_button, LEFT)
    return blocker.args[0]


def test_helpers_judge_endpoints_and_name_keyring_entries():
    assert endpoint_problem("https://sts.example.org/services/wso2carbon-sts") is None
    assert "http(s) URL" in endpoint_problem("ftp://sts.example.org/")
    assert "not a number" in endpoint_problem("https://sts.example.org:99999x/")
    assert endpoint_problem("") is not None
    assert keyring_key(" https://a/sts ", "bob ") == "test-client:https://a/sts|bob"


def test_form_is_filled_from_the_connected_server(qtbot, window, parties, ui_server):
    page = open_page(qtbot, window)
    assert page.form.endpoint.text() == ui_server.url + "/services/wso2carbon-sts"
    assert page.form.endpoint.cursorPosition() == 0  # the host in view, not the path's end
    assert page.form.tls_pinned.isChecked()
    assert page.form.pin.text().replace(":", "").lower() == fingerprint(
        fetch_certificate(ui_server.url))
    audiences = [page.form.applies_to.itemText(i) for i in range(page.form.applies_to.count())]
    assert RP_PLAIN in audiences and RP_HOK in audiences
    assert page.form.claim_item(USERNAME_CLAIM) is not None
    assert page.form.username.text() == "admin"
    assert not page.form.insecure_warning.isVisible()
    assert not page.validate_button.isEnabled()  # no token in hand yet
    screenshot(window, "test-client")


def test_bearer_tokens_in_every_version_show_valid_signature(qtbot, window, parties):
    page = open_page(qtbot, window)
    fill_user(qtbot, page)
    set_audience(qtbot, page, RP_PLAIN)
    combos = list(itertools.product(("SOAP 1.1", "SOAP 1.2"), ("WS-Trust 2005", "WS-Trust 1.3"),
                                    ("SAML 1.1", "SAML 2.0")))
    for soap, trust, token in combos:
        choose(page.form.soap_version, soap)
        choose(page.form.trust_version, trust)
        choose(page.form.token_type, token)
        result = request(qtbot, page)
        fields = page.result_view.token_view.fields
        assert result.ok, (soap, trust, token, page.result_view.outcome.text())
        assert fields["Signature"].text() == "valid", fields["Why"].text()
        assert "STS's own signing certificate 'wso2carbon'" in fields["Trusted as"].text()
        assert fields["Subject"].text() == "admin"
        assert fields["Audiences"].text() == RP_PLAIN
        assert token in fields["Token type"].text()
        assert fields["Proof kind"].text() == "bearer"
        assert page.result_view.outcome.text().startswith("Issued")
        assert ADMIN_PASSWORD not in page.result_view.rst_view.text() and MASK in page.result_view.rst_view.text()
        namespace = "2005/02/trust" if "2005" in trust else "200512"
        assert namespace in page.result_view.rst_view.text()
        assert "RequestedSecurityToken" in page.result_view.rstr_view.text()
        assert page.result_view.http_status.text() == "200"
    assert page.result_view.history.rowCount() == len(combos)
    assert page.validate_button.isEnabled()
    assert page.result_view.token_view.fields["Remaining"].text().endswith(" s")
    assert page.result_view.token_view.fields["Validity"].text().startswith("Valid")
    screenshot(window, "test-client-result")
    page.result_view.tabs.setCurrentIndex(1)
    page.result_view.rst_view.search.setText("UsernameToken")
    assert page.result_view.rst_view.count("UsernameToken") >= 1
    screenshot(window, "test-client-messages")


def test_saved_request_has_the_password_masked(qtbot, window, parties, tmp_path, monkeypatch):
    page = open_page(qtbot, window)
    fill_user(qtbot, page)
    set_audience(qtbot, page, RP_PLAIN)
    request(qtbot, page)
    target = tmp_path / "rst.xml"
    monkeypatch.setattr("stsdesk.ui.widgets.xml_view.ask_save_path",
                        lambda *args: str(target))
    with qtbot.waitSignal(page.result_view.rst_view.saved, timeout=2000):
        qtbot.mouseClick(page.result_view.rst_view.save_button, LEFT)
    text = target.read_text("utf-8")
    assert "RequestSecurityToken" in text
    assert ADMIN_PASSWORD not in text and MASK in text


def test_holder_of_key_tokens_show_the_proof_key(qtbot, window, parties):
    page = open_page(qtbot, window)
    fill_user(qtbot, page)
    set_audience(qtbot, page, RP_HOK)
    type_into(qtbot, page.form.rp_key, str(parties.rp_key))
    choose(page.form.key_type, "SymmetricKey")
    assert page.form.entropy.isEnabled()
    fields = page.result_view.token_view.fields
    for entropy, source in ((False, "server"), (True, "computed")):
        page.form.entropy.setChecked(False)
        if entropy:
            click(qtbot, page, page.form.entropy)
            assert page.form.entropy.isChecked()
        result = request(qtbot, page)
        assert result.ok, page.result_view.outcome.text()
        assert fields["Signature"].text() == "valid"
        assert fields["Proof kind"].text() == "symmetric"
        assert fields["Proof key source"].text() == source
        assert fields["Client key size"].text() == "256 bits"
        assert fields["Matches the token"].text().startswith("yes")
        assert parties.aliases[0] in fields["Relying party sees"].text()

    choose(page.form.key_type, "PublicKey")
    assert not page.form.entropy.isEnabled()
    keys = page.form.client_keys
    # Without message security the one key pair serves the token alone, and says so.
    assert keys.isEnabled() and not page.form.security.isVisible()
    assert keys.usage.text() == "Needed: the PublicKey token is bound to this certificate."
    type_into(qtbot, keys.certificate_file, str(parties.client_cert))
    type_into(qtbot, keys.key_file, str(parties.client_key))
    choose(page.form.token_type, "SAML 1.1")
    result = request(qtbot, page)
    assert result.ok, page.result_view.outcome.text()
    assert fields["Proof kind"].text() == "public key"
    assert "gui-trusted-client" in fields["Client certificate"].text()
    assert fields["Proof key source"].text() == "client certificate"
    assert fields["Matches the token"].text().startswith("yes")
    assert result.options.message_security is None
    page.form_scroll.ensureWidgetVisible(keys)
    screenshot(window, "test-client-public-key")


def test_validate_renew_cancel_on_the_token_in_hand(qtbot, qtmodeltester, window, parties):
    page = open_page(qtbot, window)
    fill_user(qtbot, page)
    set_audience(qtbot, page, RP_PLAIN)
    issued = request(qtbot, page)
    first_id = page.result_view.token_view.fields["Assertion ID"].text()
    validated = request(qtbot, page, page.validate_button)
    assert validated.valid is True
    assert page.result_view.outcome.text().startswith("Validate: the token is valid")
    renewed = request(qtbot, page, page.renew_button)
    assert renewed.ok
    assert page.result_view.token_view.fields["Assertion ID"].text() not in ("", first_id)
    assert page.result_view.token_view.fields["Signature"].text() == "valid"
    cancelled = request(qtbot, page, page.cancel_token_button)
    assert cancelled.cancelled and "cancelled the token" in page.result_view.outcome.text()
    after = request(qtbot, page, page.validate_button)
    assert after.valid is False and "NOT valid" in page.result_view.outcome.text()
    assert page.result_view.history.rowCount() == 5
    # Reopen the first request from the history: its token is in hand again (and was replaced).
    index = page.result_view.history.index(page.result_view.history.row_of(issued), 0)
    page.result_view.tabs.setCurrentWidget(page.result_view.history_view)
    qtbot.mouseClick(page.result_view.history_view.viewport(), LEFT,
                     pos=page.result_view.history_view.visualRect(index).center())
    assert page.controller.session.current is issued
    assert page.result_view.token_view.fields["Assertion ID"].text() == first_id
    assert "Reopened" in page.banner.text
    again = request(qtbot, page, page.validate_button)
    assert again.valid is False
    qtmodeltester.check(page.result_view.history)
    qtmodeltester.check(page.result_view.token_view.attributes)


def test_wrong_password_shows_failed_authentication_and_keeps_the_form(qtbot, window, parties):
    page = open_page(qtbot, window)
    fill_user(qtbot, page, password="not-the-password")
    set_audience(qtbot, page, RP_PLAIN)
    result = request(qtbot, page)
    assert result.fault_name == "FailedAuthentication"
    assert "FailedAuthentication" in page.result_view.outcome.text()
    assert "c62828" in page.result_view.outcome.styleSheet()  # red
    assert page.result_view.token_view.fields["Signature"].text() == "—"
    assert "No token" in page.result_view.token_view.headline.text()
    assert "not-the-password" not in page.result_view.rst_view.text()
    assert page.form.password.text() == "not-the-password"  # the form keeps what was typed
    assert "FailedAuthentication" in page.result_view.http_fault.text()
    assert not page.validate_button.isEnabled()


def test_claims_picked_and_typed_reach_the_token(qtbot, window, parties):
    page = open_page(qtbot, window)
    fill_user(qtbot, page)
    set_audience(qtbot, page, RP_PLAIN)
    item = page.form.claim_item(USERNAME_CLAIM)
    page.form.claims.setCurrentItem(item)
    qtbot.keyClick(page.form.claims, Qt.Key.Key_Space)
    assert item.checkState() == Qt.CheckState.Checked
    type_into(qtbot, page.form.other_claim, ROLE_CLAIM)
    click(qtbot, page, page.form.add_claim_button)
    assert page.form.requested_claims() == [USERNAME_CLAIM, ROLE_CLAIM] or set(
        page.form.requested_claims()) == {USERNAME_CLAIM, ROLE_CLAIM}
    click(qtbot, page, page.form.dialect_in_trust)  # as WSO2's own client writes it
    choose(page.form.trust_version, "WS-Trust 2005")
    choose(page.form.soap_version, "SOAP 1.1")
    request(qtbot, page)
    assert ":Dialect=\"http://wso2.org/claims\"" in page.result_view.rst_view.text()
    names = {page.result_view.token_view.attributes.index(r, 0).data() for r in
             range(page.result_view.token_view.attributes.rowCount())}
    values = " ".join(page.result_view.token_view.attributes.index(r, 2).data() for r in
                      range(page.result_view.token_view.attributes.rowCount()))
    assert any(name.endswith("username") for name in names), names
    assert "admin" in values
    # A typed claim with a space is refused inline, nothing is added.
    type_into(qtbot, page.form.other_claim, "not a uri")
    click(qtbot, page, page.form.add_claim_button)
    assert page.form.claim_error.isVisible() and page.form.claim_item("not a uri") is None


def test_invalid_input_is_shown_inline_and_nothing_is_sent(qtbot, window, parties):
    page = open_page(qtbot, window)
    type_into(qtbot, page.form.endpoint, "sts.example.org/no-scheme")
    assert page.form.endpoint_error.isVisible()
    assert "http(s) URL" in page.form.endpoint_error.text()
    page.form.username.clear()
    qtbot.mouseClick(page.request_button, LEFT)
    assert page.form.username_error.isVisible()
    assert page.result_view.history.rowCount() == 0 and page.controller.session is None
    type_into(qtbot, page.form.endpoint, page.choices.sts_url)
    fill_user(qtbot, page)
    choose(page.form.key_type, "PublicKey")
    keys = page.form.client_keys
    qtbot.mouseClick(page.request_button, LEFT)
    assert keys.certificate_error.isVisible()
    assert "Choose the client's certificate file" in keys.certificate_error.text()
    assert "PublicKey token" in keys.certificate_error.text()
    assert keys.certificate_file.hasFocus()
    type_into(qtbot, keys.certificate_file, str(parties.client_cert))
    assert not keys.certificate_error.isVisible()  # typing clears the problem
    type_into(qtbot, keys.key_file, str(parties.rp_key))  # the wrong key
    qtbot.mouseClick(page.request_button, LEFT)
    qtbot.waitUntil(keys.key_error.isVisible, timeout=10_000)  # read off the GUI thread
    assert "does not belong" in keys.key_error.text()
    assert not keys.certificate_error.isVisible() and not keys.password_error.isVisible()
    assert keys.key_file.hasFocus()
    assert "key pair cannot be used" in page.banner.text
    choose(page.form.key_type, "Bearer")
    assert not keys.isEnabled() and not keys.key_error.isVisible()
    click(qtbot, page, page.form.tls_ca)
    type_into(qtbot, page.form.ca_file, str(parties.folder / "missing.pem"))
    qtbot.mouseClick(page.request_button, LEFT)
    assert page.form.tls_error.isVisible()
    assert page.controller.session is None


def test_unreachable_sts_and_the_insecure_warning(qtbot, window, parties):
    page = open_page(qtbot, window)
    type_into(qtbot, page.form.endpoint, "https://127.0.0.1:9/services/wso2carbon-sts")
    fill_user(qtbot, page)
    click(qtbot, page, page.form.tls_insecure)
    assert page.form.insecure_warning.isVisible()
    result = request(qtbot, page)
    assert result.error
    assert "could not be reached" in page.result_view.outcome.text()
    assert page.result_view.http_status.text() == "no answer"
    assert any("TLS certificate checks are OFF" in w for w in result.warnings)
    assert page.result_view.warnings.isVisible()
    assert page.form.password.text() == ADMIN_PASSWORD


def test_remembered_password_comes_back_from_the_keyring(qtbot, window, parties):
    page = open_page(qtbot, window)
    fill_user(qtbot, page)
    set_audience(qtbot, page, RP_PLAIN)
    click(qtbot, page, page.form.remember)
    request(qtbot, page)
    key = keyring_key(page.form.endpoint.text(), "admin")
    store = CredentialStore()
    qtbot.waitUntil(lambda: store.get(key) == ADMIN_PASSWORD, timeout=3000)
    page.form.password.clear()
    page.form.remember.setChecked(False)
    type_into(qtbot, page.form.username, "admin")
    qtbot.waitUntil(lambda: page.form.password.text() == ADMIN_PASSWORD, timeout=3000)
    assert page.form.remember.isChecked()
    # Unticking forgets it at the next request.
    click(qtbot, page, page.form.remember)
    request(qtbot, page)
    qtbot.waitUntil(lambda: store.get(key) is None, timeout=3000)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts and never answers: a hanging STS."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/services/wso2carbon-sts"
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_hanging_request_can_be_cancelled(qtbot, window, parties, silent_server, ui_server):
    import time

    page = open_page(qtbot, window)
    type_into(qtbot, page.form.endpoint, silent_server)
    fill_user(qtbot, page)
    click(qtbot, page, page.form.tls_insecure)
    page.form.timeout.setValue(30)  # the default: Cancel must not wait for it
    qtbot.mouseClick(page.request_button, LEFT)
    assert page.controller.busy and page.stop_button.isEnabled()
    assert not page.request_button.isEnabled()
    qtbot.wait(300)  # the request is on its way and the server keeps silent
    clicked = time.monotonic()
    with qtbot.waitSignal(page.request_failed, timeout=1000) as blocker:
        qtbot.mouseClick(page.stop_button, LEFT)
    assert time.monotonic() - clicked < 1.0  # freed at once, not at the 30 s time-out
    assert "cancelled" in blocker.args[0]
    # ... and its connection is cut, so the worker thread ends too rather than waiting on it.
    qtbot.waitUntil(lambda: not page.controller.runner.busy, timeout=1000)
    assert "cancelled" in page.result_view.outcome.text()
    assert page.request_button.isEnabled() and not page.stop_button.isEnabled()
    # A new request works straight away, and the abandoned one never enters the history.
    history = len(page.controller.history)
    type_into(qtbot, page.form.endpoint, ui_server.url + "/services/wso2carbon-sts")
    click(qtbot, page, page.form.tls_pinned)
    set_audience(qtbot, page, RP_PLAIN)
    result = request(qtbot, page)
    assert result.ok, page.result_view.outcome.text()
    assert len(page.controller.history) == history + 1


def test_the_navigation_entry_opens_the_test_client_filled_in(qtbot, window, parties, ui_server):
    navigation = window.navigation
    entries = navigation.findItems("Test client", Qt.MatchFlag.MatchExactly)
    assert len(entries) == 1
    page = window.page("Test client")
    assert isinstance(page, test_client_module.TestClientPage)
    assert window.stack.currentWidget() is not page
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        qtbot.mouseClick(navigation.viewport(), LEFT,
                         pos=navigation.visualItemRect(entries[0]).center())
    assert window.stack.currentWidget() is page and page.isVisible()
    assert page.form.endpoint.text() == ui_server.url + "/services/wso2carbon-sts"


def test_the_controller_drives_the_session_without_widgets(qtbot, ui_server, parties):
    runner = TaskRunner()
    controller = TestClientController(runner, CredentialStore())
    events: list[tuple[str, object]] = []
    controller.busy_changed.connect(lambda busy: events.append(("busy", busy)))
    controller.request_started.connect(lambda action: events.append(("started", action)))
    pin = fingerprint(fetch_certificate(ui_server.url))
    options = TokenRequestOptions(
        endpoint=ui_server.url + "/services/wso2carbon-sts", username="admin",
        password=ADMIN_PASSWORD, applies_to=RP_PLAIN, tls=TrustPolicy(pinned_sha256=pin))
    with qtbot.waitSignal(controller.request_finished, timeout=15_000) as issued:
        controller.issue(options, certificates={}, private_keys=(), remember=False)
    assert issued.args[0].ok and controller.token_in_hand
    assert events == [("busy", True), ("started", "Requesting a token"), ("busy", False)]
    with qtbot.waitSignal(controller.request_finished, timeout=15_000) as validated:
        controller.validate()
    assert validated.args[0].valid is True
    assert [r.action.value for r in controller.history] == ["Issue", "Validate"]
    assert not controller.stop()  # nothing in flight to cancel
    runner.wait(5000)


def _inspect_with_cli(data: bytes, sts_pem: Path) -> dict:
    """What ``stsdesk token inspect`` (a separate process, as a person would run it) says."""
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "stsdesk", "token", "inspect", "-", "--trust-cert", str(sts_pem),
         "--json"], input=data, capture_output=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_copied_and_saved_tokens_keep_their_signature(qtbot, window, parties, admin_client,
                                                      tmp_path, monkeypatch):
    """Copy and Save give the bytes received; the indented view is only for reading."""
    page = open_page(qtbot, window)
    fill_user(qtbot, page)
    set_audience(qtbot, page, RP_PLAIN)
    choose(page.form.token_type, "SAML 2.0")
    result = request(qtbot, page)
    assert result.ok
    sts_pem = tmp_path / "sts.pem"
    sts_pem.write_text(admin_client.request(
        "GET", "/api/server/v1/keystores/certs/public", raw=True))
    views = page.result_view
    token_xml = views.token_view.xml
    views.tabs.setCurrentIndex(0)
    assert token_xml.display_note.text().startswith("indented for reading")
    qtbot.mouseClick(token_xml.copy_button, LEFT)
    copied = QApplication.clipboard().text()
    assert copied != token_xml.text()  # the view is indented, the copy is not
    assert _inspect_with_cli(copied.encode(), sts_pem)["signature"]["status"] == "valid"
    # The RSTR: Copy and Save give exactly what the STS sent, and it still verifies.
    views.tabs.setCurrentIndex(1)
    assert views.rstr_view.display_note.isVisible()
    qtbot.mouseClick(views.rstr_view.copy_button, LEFT)
    assert QApplication.clipboard().text().encode() == result.exchange.response_bytes
    target = tmp_path / "rstr.xml"
    monkeypatch.setattr("stsdesk.ui.widgets.xml_view.ask_save_path", lambda *args: str(target))
    with qtbot.waitSignal(views.rstr_view.saved, timeout=2000):
        qtbot.mouseClick(views.rstr_view.save_button, LEFT)
    assert target.read_bytes() == result.exchange.response_bytes
    assert _inspect_with_cli(target.read_bytes(), sts_pem)["signature"]["status"] == "valid"


def _assert_text_fits(label) -> None:
    """No glyph of the label's text is cut at its right edge (read off the painted label)."""
    image = label.grab().toImage()
    background = image.pixelColor(image.width() - 1, 0).lightness()
    edge = [image.pixelColor(x, y).lightness() for x in range(image.width() - 3, image.width())
            for y in range(image.height())]
    assert min(edge) > background - 60, f"text runs past the right edge: {label.text()!r}"


def test_an_encrypted_token_shows_the_responses_lifetime_and_whole_fingerprints(
        qtbot, window, parties, admin_client):
    audience = f"https://rp.example.org/gui-encrypted-{TAG}"
    app = admin_client.post("/applications", {"name": f"gui-encrypted-{TAG}"})
    admin_client.put(f"/applications/{app['id']}/inbound-protocols/ws-trust", {
        "audience": audience, "certificateAlias": parties.aliases[0], "encryptToken": True})
    try:
        page = open_page(qtbot, window)
        fill_user(qtbot, page)
        set_audience(qtbot, page, audience)
        result = request(qtbot, page)
        assert result.ok, page.result_view.outcome.text()
        view = page.result_view.token_view
        fields = view.fields
        assert fields["Encrypted"].text() == "yes"
        assert view.headline.text().startswith("Encrypted —")
        validity = fields["Validity"].text()
        assert validity.startswith("From the response's wst:Lifetime: Valid"), validity
        assert "no validity period" not in validity
        assert fields["Not on or after"].text().endswith("(the response's wst:Lifetime)")
        assert fields["Remaining"].text().endswith(" s")
        # The recipient's thumbprint is shown whole: wrapped inside the view, not cut off.
        page.result_view.tabs.setCurrentIndex(0)
        view.tabs.setCurrentIndex(3)  # Encryption
        QApplication.processEvents()
        label = fields["Encrypted for"]
        assert parties.aliases[0] in label.text()
        scroll = label.parentWidget()
        while scroll is not None and not hasattr(scroll, "viewport"):
            scroll = scroll.parentWidget()
        right_edge = label.mapTo(scroll, label.rect().topRight()).x()
        assert right_edge <= scroll.viewport().width()
        assert label.height() >= label.heightForWidth(label.width())
        for name in ("Encrypted for", "Decryption"):
            _assert_text_fits(fields[name])
        screenshot(window, "test-client-encrypted")
    finally:
        admin_client.delete(f"/applications/{app['id']}")


def test_the_claims_list_shows_its_rows_without_a_horizontal_scroll_bar(qtbot, window, parties):
    page = open_page(qtbot, window)
    claims = page.form.claims
    page.form_scroll.ensureWidgetVisible(claims)
    QApplication.processEvents()
    assert claims.count() >= 6
    assert not claims.horizontalScrollBar().isVisible()
    first = claims.visualItemRect(claims.item(0))
    assert first.right() <= claims.viewport().width()  # the row fits; its text is shortened
    item = page.form.claim_item(USERNAME_CLAIM)
    assert item.toolTip() == USERNAME_CLAIM  # the whole URI stays readable


def test_decrypt_opens_an_issued_encrypted_token_with_a_key_chosen_afterwards(
        qtbot, window, parties, admin_client, monkeypatch):
    from stsdesk.ui.pages.test_client import page as page_module

    audience = f"https://rp.example.org/gui-decrypt-{TAG}"
    app = admin_client.post("/applications", {"name": f"gui-decrypt-{TAG}"})
    admin_client.put(f"/applications/{app['id']}/inbound-protocols/ws-trust", {
        "audience": audience, "certificateAlias": parties.aliases[0], "encryptToken": True})
    try:
        page = open_page(qtbot, window)
        page.form.rp_key.clear()
        fill_user(qtbot, page)
        set_audience(qtbot, page, audience)
        result = request(qtbot, page)
        assert result.ok and not result.decoded.readable
        button = page.result_view.decrypt_button
        assert button.isVisible()
        history = len(page.controller.history)
        monkeypatch.setattr(page_module, "ask_open_path", lambda *a: str(parties.rp_key))
        view = page.result_view.token_view
        qtbot.mouseClick(button, LEFT)
        qtbot.waitUntil(lambda: view.fields["Subject"].text() == "admin", timeout=10_000)
        assert view.fields["Decryption"].text().startswith("Decrypted")
        assert view.fields["Signature"].text() == "valid"
        assert not button.isVisible()
        assert page.form.rp_key.text() == str(parties.rp_key)
        assert len(page.controller.history) == history  # nothing was sent again
    finally:
        admin_client.delete(f"/applications/{app['id']}")


def test_no_result_tab_widens_the_window_past_the_screen(qtbot, window, parties):
    """The walk at 1280x800 saw the window grow to 1314 px once a result's tabs were opened
    (and the navigation squeezed): every tab of a result fits the screen's width, and shows
    its fields' hints whole."""
    from tests.ui.test_layout_fits import cut_placeholders

    page = open_page(qtbot, window)
    fill_user(qtbot, page)
    set_audience(qtbot, page, RP_PLAIN)
    assert request(qtbot, page).ok
    width = window.width()
    assert width == 1280
    view = page.result_view
    tab_widgets = [view.tabs, *view.token_view.findChildren(type(view.tabs))]
    grown = []
    for tabs in tab_widgets:
        for index in range(tabs.count()):
            view.tabs.setCurrentWidget(view.token_view if tabs is not view.tabs
                                       else tabs.widget(index))
            tabs.setCurrentIndex(index)
            QApplication.processEvents()
            QApplication.processEvents()
            if window.width() > width or window.minimumSizeHint().width() > width:
                grown.append((tabs.tabText(index), window.width(),
                              window.minimumSizeHint().width()))
            grown.extend((tabs.tabText(index), cut) for cut in cut_placeholders(view))
    assert grown == []
