"""WSS4J (Rampart's engine) reads the requests stsdesk's test client secures, as WSO2's server
side would: with the STS's key and the client's certificate trusted, every scenario's request
is accepted, and what it says was signed and encrypted is what the policy asks."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion, build_envelope
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.services.message_security import MessageSecurity, secure
from stsdesk.services.token_keys import ClientKeyPair
from tests.interop.wss4j.conftest import (
    KEY_PASSWORD,
    PASSWORD,
    USERNAME,
    Wss4jClient,
    java_verdict,
)


def _request_check(wss4j: Wss4jClient, request: bytes, tmp_path: Path, *ut_password: str
                   ) -> dict:
    """RequestCheck's verdict on ``request``: read with the STS's key, the trusted client's
    certificate trusted (and a UsernameToken's password, when given)."""
    path = tmp_path / "request.xml"
    path.write_bytes(request)
    trusted = tmp_path / "client.pem"
    trusted.write_bytes(wss4j.keys["trusted"].issued.certificate.public_bytes(
        serialization.Encoding.PEM))
    return java_verdict(wss4j.classpath, "RequestCheck", str(path), str(wss4j.sts_p12),
                        KEY_PASSWORD, str(trusted), *ut_password)


def _check(wss4j: Wss4jClient, request: bytes, tmp_path: Path) -> dict:
    verdict = _request_check(wss4j, request, tmp_path, PASSWORD)
    assert verdict["accepted"], verdict  # WSS4J's reason is on stderr, shown on failure
    return verdict


def _security(wss4j: Wss4jClient, scenario: str, **extra) -> MessageSecurity:
    issued = wss4j.keys["trusted"].issued
    return MessageSecurity.for_scenario(
        scenario, service_certificate=wss4j.sts.signing_certificate,
        client=ClientKeyPair(issued.certificate, issued.private_key), **extra)


def _envelope() -> bytes:
    rst = build_request(TrustVersion.WST_2005, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                        key_type=KeyType.BEARER, applies_to="https://rp.example.org/plain")
    return build_envelope(SoapVersion.SOAP12, rst)


@pytest.mark.parametrize("scenario, signed, encrypted", [
    ("scenario2", {"Body", "Timestamp"}, set()),
    ("scenario3", {"Body", "Timestamp"}, set()),
    ("scenario4", {"Timestamp"}, {"Body"}),
    ("scenario5", {"Body", "Timestamp"}, {"Body"}),
    ("scenario6", {"Body", "Timestamp"}, {"Body"}),
    ("scenario7", {"Timestamp", "UsernameToken"}, {"Body"}),
    ("scenario8", {"Body", "Timestamp", "UsernameToken"}, {"Body"}),
])
def test_wss4j_accepts_the_test_clients_request(wss4j: Wss4jClient, tmp_path: Path,
                                                scenario: str, signed: set, encrypted: set):
    security = _security(wss4j, scenario)
    request = secure(_envelope(), security, username=USERNAME, password=PASSWORD)
    verdict = _check(wss4j, request.envelope, tmp_path)
    assert signed <= set(verdict["signedParts"]), verdict
    assert encrypted <= set(verdict["encryptedParts"]), verdict
    if security.needs_client_certificate:
        assert "CN=wss4j-client" in (verdict["signer"] or ""), verdict
    if security.needs_username:
        assert verdict["username"] == USERNAME


def test_wss4j_refuses_a_request_altered_after_the_test_client_signed_it(
    wss4j: Wss4jClient, tmp_path: Path
):
    request = secure(_envelope(), _security(wss4j, "scenario2"), username=None, password=None)
    altered = request.envelope.replace(b"https://rp.example.org/plain",
                                       b"https://attacker.example.org/", 1)
    assert altered != request.envelope
    verdict = _request_check(wss4j, altered, tmp_path)
    assert verdict["accepted"] is False

