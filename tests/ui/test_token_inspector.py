"""The Token inspector page on tokens from the live server and on tokens made here by other means."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication

from stsdesk.core.certificates import SigningIdentity, generate_self_signed
from stsdesk.core.saml import (
    PASSWORD_AUTHN_20,
    AssertionSpec,
    SamlAttribute,
    SamlVersion,
    build_assertion,
    encrypt_assertion,
    new_assertion_id,
    sign_assertion,
)
from stsdesk.core.wstrust import TokenType
from stsdesk.services.admin_client import AdminClient, ServerEndpoint
from stsdesk.services.tls import TrustPolicy, fetch_certificate, fingerprint
from stsdesk.services.token_session import TokenRequestOptions, TokenSession
from stsdesk.ui.pages import token_inspector
from stsdesk.ui.pages.token_inspector import FILE, NONE, SIGNING, TRUST_STORE
from tests.ui.conftest import ADMIN_PASSWORD
from tests.ui.conftest import screenshot as save_png

LEFT = Qt.MouseButton.LeftButton
TAG = uuid.uuid4().hex[:6]
AUDIENCE = f"https://rp.example.org/inspector-{TAG}"
EMAIL = "http://wso2.org/claims/emailaddress"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
PASSWORD = "Key-passw0rd"


def screenshot(widget, name: str) -> None:
    QApplication.processEvents()
    QApplication.processEvents()
    save_png(widget, name)


class Material:
    """Tokens and key files: one from the server, the rest made here."""

    def __init__(self, folder: Path, server_token: bytes, sts_url: str) -> None:
        self.folder = folder
        self.server_token = server_token
        self.sts_url = sts_url
        self.stranger = generate_self_signed("inspector-stranger")
        self.rp = generate_self_signed("inspector-rp")
        self.other_rp = generate_self_signed("inspector-other-rp")
        self.rp_alias = f"inspector-rp-{TAG}"
        self.other_alias = f"inspector-other-{TAG}"
        self.rp_key = self.write("rp.key", self.rp.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        self.rp_p12 = self.write("rp.p12", pkcs12.serialize_key_and_certificates(
            b"rp", self.rp.private_key, self.rp.certificate, None,
            serialization.BestAvailableEncryption(PASSWORD.encode())))
        self.stranger_cert = self.write("stranger.pem", self.stranger.certificate.public_bytes(
            serialization.Encoding.PEM))

    def write(self, name: str, data: bytes) -> Path:
        path = self.folder / name
        path.write_bytes(data)
        return path

    def made(self, signer: SigningIdentity, **changes) -> etree._Element:
        values = dict(
            version=SamlVersion.SAML20, assertion_id=new_assertion_id(), issuer="elsewhere",
            issue_instant=NOW, not_before=NOW, not_on_or_after=NOW + dt.timedelta(minutes=5),
            subject_name="mallory",
            name_id_format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
            audiences=(AUDIENCE,), authn_instant=NOW, authn_method=PASSWORD_AUTHN_20,
            attributes=(SamlAttribute(EMAIL, ("mallory@example.org",)),),
        )
        values.update(changes)
        element = build_assertion(AssertionSpec(**values))
        sign_assertion(element, signer)
        return element


@pytest.fixture(scope="module")
def material(ui_server, tmp_path_factory) -> Iterator[Material]:
    pin = fingerprint(fetch_certificate(ui_server.url))
    client = AdminClient(ServerEndpoint(ui_server.url, "admin", ADMIN_PASSWORD,
                                        TrustPolicy(pinned_sha256=pin)))
    folder = tmp_path_factory.mktemp("inspector-files")
    app = client.post("/applications", {"name": f"inspector-{TAG}"})
    client.put(f"/applications/{app['id']}/inbound-protocols/ws-trust", {"audience": AUDIENCE})
    sts_url = client.get("/sts/endpoints")["sts"]
    options = TokenRequestOptions(endpoint=sts_url, username="admin", password=ADMIN_PASSWORD,
                                  applies_to=AUDIENCE, token_type=TokenType.SAML20,
                                  tls=TrustPolicy(pinned_sha256=pin))
    with TokenSession(options) as session:
        result = session.issue()
    assert result.ok, result.fault_reason
    made = Material(folder, etree.tostring(result.token), sts_url)
    for alias, identity in ((made.rp_alias, made.rp), (made.other_alias, made.other_rp)):
        client.post("/keystores/certs", {"alias": alias, "certificate": identity.certificate
                                         .public_bytes(serialization.Encoding.PEM).decode()})
    yield made
    client.delete(f"/applications/{app['id']}")
    for alias in (made.rp_alias, made.other_alias):
        client.delete(f"/keystores/certs/{alias}")
    client.close()


def open_page(qtbot, window):
    page = window.page("Token inspector")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        window.show_page("Token inspector")
    return page


def paste(qtbot, page, text: str | bytes) -> None:
    """Paste through the clipboard, as a person copying from SAML-tracer would."""
    QApplication.clipboard().setText(text.decode() if isinstance(text, bytes) else text)
    page.input.clear()
    page.input.setFocus()
    qtbot.keyClick(page.input, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)


def inspect(qtbot, page):
    with qtbot.waitSignal(page.inspected, timeout=5000) as blocker:
        qtbot.mouseClick(page.inspect_button, LEFT)
    return blocker.args[0]


def open_file(qtbot, page, monkeypatch, path: Path):
    monkeypatch.setattr(token_inspector, "ask_open_path", lambda *args: str(path))
    with qtbot.waitSignal(page.inspected, timeout=5000) as blocker:
        qtbot.mouseClick(page.open_button, LEFT)
    return blocker.args[0]


def choose_trust(page, kind: str, alias: str = "") -> None:
    assert page.select_trust(kind, alias), f"{kind} {alias} is not offered"


def test_server_token_is_valid_in_every_encoding(qtbot, window, material, monkeypatch):
    page = open_page(qtbot, window)
    active = page.certificates.active_signing
    assert page.current_trust() == (SIGNING, active)
    fields = page.view.fields
    path = material.write("token.xml", material.server_token)
    decoded = open_file(qtbot, page, monkeypatch, path)
    assert decoded.signature.ok
    assert fields["Signature"].text() == "valid"
    assert f"the STS's own signing certificate '{active}'" in fields["Trusted as"].text()
    assert fields["Subject"].text() == "admin"
    assert fields["Audiences"].text() == AUDIENCE
    assert fields["Encrypted"].text().startswith("no")
    assert page.view.headline.text().startswith("✔ Signature valid")
    screenshot(window, "token-inspector")
    encoded = base64.b64encode(material.server_token)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    deflated = base64.b64encode(raw.compress(material.server_token) + raw.flush())
    for text, encoding in ((encoded, "base64"), (deflated, "base64+deflate")):
        paste(qtbot, page, text)
        decoded = inspect(qtbot, page)
        assert decoded.encoding.value == encoding
        assert fields["Signature"].text() == "valid"
        assert encoding in fields["Found in"].text()
    # The same token checked only against what it carries: untrusted.
    choose_trust(page, NONE)
    inspect(qtbot, page)
    assert fields["Signature"].text() == "untrusted"
    assert "untrusted" in fields["Trusted as"].text()


def test_token_signed_by_another_key(qtbot, window, material):
    page = open_page(qtbot, window)
    paste(qtbot, page, etree.tostring(material.made(material.stranger)))
    inspect(qtbot, page)
    fields = page.view.fields
    active = page.certificates.active_signing
    assert fields["Signature"].text() == "untrusted"
    assert f"not signed with '{active}'" in fields["Trusted as"].text()
    assert f"not made with '{active}'" in page.view.headline.text()
    assert "9a6700" in fields["Signature"].styleSheet()  # a warning colour, not green
    assert fields["Certificate subject"].text() == "CN=inspector-stranger"
    assert fields["Subject"].text() == "mallory"  # still read, for the person to see
    # A stranger's signature with the STS's certificate put in its KeyInfo: invalid, wrong key.
    forged = material.made(material.stranger)
    sts_der = page.certificates.signing[active].public_bytes(serialization.Encoding.DER)
    carried = forged.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    carried.text = base64.b64encode(sts_der).decode()
    paste(qtbot, page, etree.tostring(forged))
    inspect(qtbot, page)
    assert fields["Signature"].text() == "invalid"
    assert fields["Why"].text()
    assert "c62828" in fields["Signature"].styleSheet()  # red
    # Checked against the stranger's certificate picked from a file: valid, not the STS's.
    choose_trust(page, FILE)
    assert page.cert_path.isEnabled()
    page.cert_path.setText(str(material.stranger_cert))
    inspect(qtbot, page)
    assert fields["Signature"].text() == "valid"
    assert "another trusted certificate 'stranger.pem'" in fields["Trusted as"].text()


def test_tampered_token_is_invalid_with_the_digest_named(qtbot, window, material):
    page = open_page(qtbot, window)
    tampered = material.server_token.replace(b">admin<", b">root<")
    assert tampered != material.server_token
    paste(qtbot, page, tampered)
    decoded = inspect(qtbot, page)
    fields = page.view.fields
    assert fields["Signature"].text() == "invalid"
    assert "digest" in fields["Why"].text().lower()
    assert decoded.subject.name_id == "root"
    assert page.view.headline.text().startswith("✘ Signature invalid")
    screenshot(window, "token-inspector-invalid")


def test_expired_token_says_so_on_the_timeline(qtbot, window, material):
    page = open_page(qtbot, window)
    expired = material.made(material.stranger, not_before=NOW - dt.timedelta(hours=3),
                            not_on_or_after=NOW - dt.timedelta(hours=2),
                            issue_instant=NOW - dt.timedelta(hours=3),
                            authn_instant=NOW - dt.timedelta(hours=3))
    choose_trust(page, FILE)
    page.cert_path.setText(str(material.stranger_cert))
    paste(qtbot, page, etree.tostring(expired))
    inspect(qtbot, page)
    fields = page.view.fields
    assert fields["Signature"].text() == "valid"
    assert fields["Validity"].text().startswith("Expired")
    assert fields["Remaining"].text().startswith("expired")
    assert page.view.timeline.text() == "expired"


def test_encrypted_tokens_need_the_right_key(qtbot, window, material):
    page = open_page(qtbot, window)
    fields = page.view.fields
    server = etree.fromstring(material.server_token)
    for_other = material.write("for-other.xml", etree.tostring(
        encrypt_assertion(server, material.other_rp.certificate)))
    page.key_path.setText(str(material.rp_key))  # a key, but not the one it was encrypted for
    page.input.setPlainText(for_other.read_text())
    inspect(qtbot, page)
    assert fields["Encrypted"].text() == "yes"
    assert material.other_alias in fields["Encrypted for"].text()
    assert "none of the given private keys" in fields["Decryption"].text()
    assert fields["Signature"].text() == "not checked"
    # Encrypted for our relying party, opened with its PKCS#12 file and password.
    server = etree.fromstring(material.server_token)
    page.input.setPlainText(etree.tostring(
        encrypt_assertion(server, material.rp.certificate)).decode())
    page.key_path.setText(str(material.rp_p12))
    page.key_password.setText("wrong")
    qtbot.mouseClick(page.inspect_button, LEFT)
    assert page.key_error.isVisible() and "password" in page.key_error.text()
    page.key_password.setText(PASSWORD)
    decoded = inspect(qtbot, page)
    assert decoded.encryption.decrypted
    assert fields["Decryption"].text().startswith("Decrypted")
    assert material.rp_alias in fields["Encrypted for"].text()
    assert fields["Signature"].text() == "valid"
    assert fields["Subject"].text() == "admin"
    assert "saml2:Assertion" in page.view.xml.text()
    assert "EncryptedData" not in page.view.xml.text()


def test_input_that_is_not_a_token_is_refused_inline(qtbot, window, material):
    page = open_page(qtbot, window)
    qtbot.mouseClick(page.inspect_button, LEFT)
    assert page.input_error.isVisible() and "Paste a token" in page.input_error.text()
    qtbot.keyClicks(page.input, "<hello/>")
    assert not page.input_error.isVisible()  # typing clears the old complaint
    assert inspect(qtbot, page) is None
    assert "not a SAML token" in page.input_error.text()
    assert page.view.fields["Signature"].text() == "—"
    choose_trust(page, FILE)
    page.cert_path.clear()
    page.input.setPlainText(material.server_token.decode())
    qtbot.mouseClick(page.inspect_button, LEFT)
    assert page.cert_error.isVisible()


def test_trust_store_aliases_are_offered(qtbot, window, material):
    page = open_page(qtbot, window)
    assert page.select_trust(TRUST_STORE, material.rp_alias)
    assert not page.cert_path.isEnabled()
    page.input.setPlainText(material.server_token.decode())
    inspect(qtbot, page)
    assert page.view.fields["Signature"].text() == "untrusted"  # the RP did not sign it
    assert material.rp_alias in page.view.fields["Trusted as"].text()
    qtbot.mouseClick(page.clear_button, LEFT, pos=QPoint(5, 5))
    assert page.input.toPlainText() == ""
    assert page.view.fields["Subject"].text() == "—"


def _damage_wrapped_key(encrypted: etree._Element) -> bytes:
    """Flip bytes in the middle of the xenc:EncryptedKey's CipherValue (still valid base64)."""
    import base64

    from stsdesk.core import ns

    value = next(encrypted.iter(f"{{{ns.XENC}}}EncryptedKey")).find(
        f"{{{ns.XENC}}}CipherData/{{{ns.XENC}}}CipherValue")
    raw = bytearray(base64.b64decode(value.text))
    for index in range(len(raw) // 2, len(raw) // 2 + 8):
        raw[index] ^= 0xFF
    value.text = base64.b64encode(bytes(raw)).decode()
    return etree.tostring(encrypted)


def test_a_damaged_wrapped_key_is_called_damaged_and_is_an_error(qtbot, window, material):
    page = open_page(qtbot, window)
    fields = page.view.fields
    server = etree.fromstring(material.server_token)
    damaged = _damage_wrapped_key(encrypt_assertion(server, material.rp.certificate))
    page.key_path.setText(str(material.rp_key))  # the recipient's own key
    page.input.setPlainText(damaged.decode())
    decoded = inspect(qtbot, page)
    assert decoded.encryption.damaged
    reason = fields["Decryption"].text()
    assert "damaged" in reason and "another certificate" not in reason
    assert "none of the given private keys" not in reason
    headline = page.view.headline
    assert headline.text().startswith("✘ Damaged")
    assert "c62828" in headline.styleSheet()  # red: an error, not a grey "not checked"
    assert "damaged" in fields["Problems"].text()


def test_the_summary_and_the_headline_agree_on_an_invalid_signature(qtbot, window, material):
    page = open_page(qtbot, window)
    paste(qtbot, page, material.server_token.replace(b">admin<", b">root<"))
    inspect(qtbot, page)
    problems = page.view.fields["Problems"]
    assert problems.text() != "none"
    assert "signature is invalid" in problems.text()
    assert "c62828" in problems.styleSheet() and "c62828" in page.view.headline.styleSheet()


def test_the_encrypted_headline_uses_only_glyphs_the_font_has(qtbot, window, material):
    from PySide6.QtGui import QFontMetrics

    page = open_page(qtbot, window)
    server = etree.fromstring(material.server_token)
    page.input.setPlainText(etree.tostring(
        encrypt_assertion(server, material.rp.certificate)).decode())
    page.key_path.clear()
    inspect(qtbot, page)
    headline = page.view.headline
    assert headline.text().startswith("Encrypted —")
    metrics = QFontMetrics(headline.font())
    missing = [ch for ch in headline.text() if not metrics.inFontUcs4(ord(ch))]
    assert missing == []


def test_after_a_roll_over_the_inspector_checks_against_the_new_active_key(
        qtbot, window, material, admin_client, ui_server):
    page = open_page(qtbot, window)
    before = page.certificates.active_signing
    assert page.follows_active_key()  # the default
    alias = f"rolled-{TAG}"
    admin_client.post("/keystores/signing-keys", {
        "alias": alias, "generate": {"commonName": "sts.rolled.example.org"}})
    try:
        admin_client.put("/keystores/signing-keys/active", {"alias": alias})
        pin = fingerprint(fetch_certificate(ui_server.url))
        options = TokenRequestOptions(endpoint=material.sts_url, username="admin",
                                      password=ADMIN_PASSWORD, applies_to=AUDIENCE,
                                      token_type=TokenType.SAML20,
                                      tls=TrustPolicy(pinned_sha256=pin))
        with TokenSession(options) as session:
            fresh = session.issue()
        assert fresh.ok, fresh.fault_reason
        window.show_page("Audit log")
        page = open_page(qtbot, window)  # coming back to the page reloads the certificates
        assert page.follows_active_key()
        assert page.current_trust() == (SIGNING, alias)
        assert alias in page.trust_choice.currentText()
        paste(qtbot, page, etree.tostring(fresh.token))
        decoded = inspect(qtbot, page)
        assert decoded.signature.ok and decoded.signature.trusted_alias == alias
        assert page.view.headline.text() == (
            f"✔ Signature valid — signed with the STS's own signing certificate '{alias}'")
        # A token from before the roll-over: untrusted now, and the earlier key named.
        paste(qtbot, page, material.server_token)
        inspect(qtbot, page)
        assert page.view.fields["Signature"].text() == "untrusted"
        assert f"made with the STS's signing certificate '{before}'" in \
            page.view.headline.text()
        # The earlier key is still offered by name.
        assert page.select_trust(SIGNING, before)
        assert inspect(qtbot, page).signature.ok
    finally:
        admin_client.put("/keystores/signing-keys/active", {"alias": before})
        admin_client.delete(f"/keystores/signing-keys/{alias}")


def test_the_attributes_tab_says_so_when_there_are_none(qtbot, window, material):
    page = open_page(qtbot, window)
    bare = material.made(material.stranger, attributes=())
    paste(qtbot, page, etree.tostring(bare))
    inspect(qtbot, page)
    page.view.tabs.setCurrentIndex(1)
    assert page.view.no_attributes.isVisible()
    assert page.view.no_attributes.text().startswith("The token has no attributes")
    assert not page.view.attributes_table.isVisible()
    paste(qtbot, page, etree.tostring(material.made(material.stranger)))
    decoded = inspect(qtbot, page)
    assert decoded.attributes  # an e-mail attribute
    assert not page.view.no_attributes.isVisible() and page.view.attributes_table.isVisible()
