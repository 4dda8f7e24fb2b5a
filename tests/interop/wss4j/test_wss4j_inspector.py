"""The token inspector's security-header reader on someone else's messages: what Apache WSS4J
(the library under WSO2's Rampart) sends, and what our STS answers it, read back with and
without the keys, in core, on the command line and on the Token inspector page."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from stsdesk import cli
from stsdesk.core.wssec.header_report import Check, HeaderKeys, read_security_header
from tests.interop.scenarios import applied, unless_enforced
from tests.interop.wss4j.conftest import KEY_PASSWORD, Wss4jClient


def _key_pair(p12: Path):
    key, cert, _ = pkcs12.load_key_and_certificates(p12.read_bytes(), KEY_PASSWORD.encode())
    return key, cert


@pytest.fixture(scope="module")
def scenario5(wss4j: Wss4jClient) -> Path:
    with applied(wss4j.sts, "5"):
        verdict = wss4j.run("5")
    assert verdict["fault"] is None, verdict
    return Path(verdict["dir"])


@unless_enforced("5")
def test_a_wss4j_request_is_read_with_the_sts_key(wss4j: Wss4jClient, scenario5: Path) -> None:
    sts_key, sts_cert = _key_pair(wss4j.sts_p12)
    report = read_security_header((scenario5 / "request.xml").read_bytes(),
                                  HeaderKeys((sts_key,), (sts_cert,)))

    assert report.timestamp_created is not None
    bst = [t for t in report.tokens if t.kind == "BinarySecurityToken"]
    assert bst and "CN=wss4j-client" in bst[0].description
    encrypted_key = next(t for t in report.tokens if t.kind == "EncryptedKey")
    assert sts_cert.subject.rfc4514_string() in encrypted_key.description
    body = next(p for p in report.encrypted_parts if p.location.startswith("SOAP Body"))
    assert body.status is Check.DECRYPTED and "RequestSecurityToken" in body.content
    assert body.algorithm.endswith("aes256-cbc")
    signature = report.signatures[0]
    assert signature.status is Check.VALID, signature.reason
    assert "CN=wss4j-client" in signature.key and signature.covers_body
    assert signature.covers_timestamp
    assert {"Body", "Timestamp"} <= {p.element for p in signature.covered}
    assert signature.method.endswith("rsa-sha1")  # WSO2's Basic256, as Rampart signs


@unless_enforced("5")
def test_without_the_key_nothing_is_claimed(scenario5: Path) -> None:
    report = read_security_header((scenario5 / "request.xml").read_bytes())

    body = next(p for p in report.encrypted_parts if p.location.startswith("SOAP Body"))
    assert body.status is Check.NOT_DECRYPTED
    assert "not given" in body.key or "not given" in body.reason
    # The signature covers a Body still encrypted: not checked, and never called valid.
    assert report.signatures[0].status is Check.NOT_CHECKED
    assert "still encrypted" in report.signatures[0].reason


@unless_enforced("5")
def test_our_answer_to_wss4j_is_read_with_the_client_key(wss4j: Wss4jClient,
                                                         scenario5: Path) -> None:
    client_key, client_cert = _key_pair(wss4j.keys["trusted"].p12)
    _, sts_cert = _key_pair(wss4j.sts_p12)
    report = read_security_header((scenario5 / "response.xml").read_bytes(),
                                  HeaderKeys((client_key,), (sts_cert, client_cert)))

    assert report.confirmations and report.confirmations[0]
    signature = report.signatures[0]
    assert signature.status is Check.VALID, signature.reason
    assert signature.signer_certificate == sts_cert
    assert signature.covers_body and signature.covers_confirmations
    body = next(p for p in report.encrypted_parts if p.location.startswith("SOAP Body"))
    assert body.status is Check.DECRYPTED
    assert "RequestSecurityTokenResponse" in body.content


@unless_enforced("5")
def test_a_tampered_wss4j_request_reads_as_invalid(wss4j: Wss4jClient, scenario5: Path) -> None:
    sts_key, sts_cert = _key_pair(wss4j.sts_p12)
    data = (scenario5 / "request.xml").read_bytes()
    # One character of the Timestamp's Created changed after signing.
    tampered = data.replace(b"Z</wsu:Created>", b"Z </wsu:Created>", 1)
    assert tampered != data
    report = read_security_header(tampered, HeaderKeys((sts_key,), (sts_cert,)))
    assert report.signatures[0].status is Check.INVALID


@unless_enforced("5")
def test_token_inspect_on_the_command_line(wss4j: Wss4jClient, scenario5: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    password = tmp_path / "password"
    password.write_text(KEY_PASSWORD)
    code = cli.main(["token", "inspect", str(scenario5 / "response.xml"),
                     "--key", str(wss4j.keys["trusted"].p12),
                     "--key-password-file", str(password),
                     "--trust-cert", str(wss4j.sts_cert)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Signature 1:  valid" in out
    assert "covers      Body" in out
    assert "Encrypted:    SOAP Body content, decrypted: RequestSecurityTokenResponse" in out
    assert "Confirmation:" in out


@pytest.fixture
def inspector_window(qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The console on the fake admin API (no server needed to read a file), offscreen, with
    an in-memory keyring, as the GUI tests run it."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import keyring
    from PySide6.QtCore import QSettings

    from stsdesk.ui.app import build_window_for
    from stsdesk.ui.dialogs import confirm
    from tests.helpers import memory_keyring
    from tests.helpers.fake_admin import FakeAdminApi

    previous = keyring.get_keyring()
    memory_keyring.install()
    monkeypatch.setattr(confirm, "ask", lambda *args, **kwargs: True)
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = build_window_for(FakeAdminApi(), name="Fake server", settings=settings,
                              poll_ms=60_000)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    qtbot.waitUntil(lambda: window.connection.state == "connected", timeout=10_000)
    yield window
    window.runner.wait(10_000)
    keyring.set_keyring(previous)


@unless_enforced("5")
def test_the_token_inspector_page_shows_a_wss4j_request(
    qtbot, inspector_window, wss4j: Wss4jClient, scenario5: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtCore import Qt

    from stsdesk.ui.pages import token_inspector
    from tests.ui.conftest import screenshot

    window = inspector_window
    page = window.page("Token inspector")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        window.show_page("Token inspector")
    page.key_path.setText(str(wss4j.sts_p12))
    page.key_password.setText(KEY_PASSWORD)
    monkeypatch.setattr(token_inspector, "ask_open_path",
                        lambda *args: str(scenario5 / "request.xml"))
    with qtbot.waitSignal(page.inspected, timeout=10_000):
        qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)

    assert page.header_view.isVisible()
    rows = page.header_view.items_text()
    assert any(r.startswith("Signature 1: valid") for r in rows), rows
    assert any(r.startswith("Signed by: CN=wss4j-client") for r in rows), rows
    assert any(r.startswith("Encrypted SOAP Body content: decrypted: RequestSecurityToken")
               for r in rows), rows
    assert page.input_error.isHidden()  # a request carries no token, and that is no error
    screenshot(window, "token-inspector-wss4j-request")
