"""Scenarios 31-34: a SAML token this STS issued, used as WSO2's policies use it.

The token is obtained first as Rahas does (scenario 1, KeyType SymmetricKey, AppliesTo the STS
itself) and kept with its proof key; then the SAML scenario is applied and the WSS4J client
presents it: as the initiator token whose proof key signs (31 SAML 2.0, 32 SAML 1.1), or as a
supporting token beside an X.509 signature and encryption (33 SAML 2.0, 34 SAML 1.1).
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest
import xmlsec
from cryptography.hazmat.primitives import serialization
from lxml import etree

from tests.helpers import certfactory
from tests.interop.scenarios import applied, enforced
from tests.interop.wss4j.conftest import USERNAME, Wss4jClient
from tests.interop.wss4j.verdicts import SECURITY_FAULTS, WSSE, assert_issued, assert_refused

TOKEN_TYPES = {
    "2.0": "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0",
    "1.1": "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV1.1",
}
VERSION = {"31": "2.0", "32": "1.1", "33": "2.0", "34": "1.1"}
DS = "http://www.w3.org/2000/09/xmldsig#"


def _issue_saml(wss4j: Wss4jClient, version: str, out: Path) -> str:
    """A holder-of-key token for the STS itself, under scenario 1; returns its proof key."""
    verdict = wss4j.run("1", keyType="SymmetricKey", tokenType=TOKEN_TYPES[version],
                        appliesTo=wss4j.sts.endpoint, tokenOut=str(out))
    assert verdict["fault"] is None, verdict["fault"]
    assert out.is_file() and verdict["proofKey"], verdict
    return str(verdict["proofKey"])


def _resign_with_stranger(token: Path, version: str) -> Path:
    """The same assertion signed by a key no trust store has: an untrusted issuer."""
    stranger = certfactory.issue("untrusted-issuer.example.org")
    root = etree.fromstring(token.read_bytes())
    signature = root.find(f"{{{DS}}}Signature")
    assert signature is not None
    signature.find(f"{{{DS}}}SignatureValue").text = ""
    certificate = signature.find(f".//{{{DS}}}X509Certificate")
    if certificate is not None:
        certificate.text = base64.b64encode(stranger.der).decode()
    xmlsec.tree.add_ids(root, ["ID", "AssertionID"])
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(
        stranger.private_key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()),
        xmlsec.constants.KeyDataFormatPem,
    )
    ctx.sign(signature)
    forged = token.with_name(f"forged-{version}.xml")
    forged.write_bytes(etree.tostring(root))
    return forged


@pytest.mark.parametrize("number", enforced("31", "32", "33", "34"))
def test_a_saml_token_from_this_sts_obtains_a_new_token(
    wss4j: Wss4jClient, number: str, tmp_path: Path
) -> None:
    token = tmp_path / "token.xml"
    proof_key = _issue_saml(wss4j, VERSION[number], token)
    with applied(wss4j.sts, number):
        verdict = wss4j.run(number, samlToken=str(token), samlProofKey=proof_key)

    wss = assert_issued(verdict)
    assert wss["signedBySts"] is True, wss["signer"]
    assert wss["signatureConfirmed"] is True, wss
    if number in ("33", "34"):
        assert "Body" in wss["encryptedParts"]
    # 31/32: the new token is issued for the user the presented assertion names.
    if number in ("31", "32"):
        assert verdict["subject"] == USERNAME


@pytest.mark.parametrize("number", enforced("31", "32", "33", "34"))
def test_a_saml_token_from_an_untrusted_issuer_is_refused(
    wss4j: Wss4jClient, number: str, tmp_path: Path
) -> None:
    token = tmp_path / "token.xml"
    proof_key = _issue_saml(wss4j, VERSION[number], token)
    forged = _resign_with_stranger(token, VERSION[number])
    with applied(wss4j.sts, number):
        verdict = wss4j.run(number, samlToken=str(forged), samlProofKey=proof_key)

    assert_refused(verdict, SECURITY_FAULTS)
    assert "trusted issuer" in verdict["fault"]["reason"]


@pytest.mark.parametrize("number", enforced("31", "32"))
def test_a_saml_token_presented_without_its_proof_key_is_refused(
    wss4j: Wss4jClient, number: str, tmp_path: Path
) -> None:
    token = tmp_path / "token.xml"
    _issue_saml(wss4j, VERSION[number], token)
    guessed = base64.b64encode(secrets.token_bytes(32)).decode()
    with applied(wss4j.sts, number):
        verdict = wss4j.run(number, samlToken=str(token), samlProofKey=guessed)

    assert_refused(verdict, SECURITY_FAULTS)


@pytest.mark.parametrize(("number", "order"), [
    ("31", ["Timestamp", "Assertion", "Signature"]),
    ("32", ["Timestamp", "Assertion", "Signature"]),
    ("33", ["Timestamp", "EncryptedKey", "Assertion", "SecurityTokenReference",
            "BinarySecurityToken", "Signature"]),
    ("34", ["Timestamp", "EncryptedKey", "Assertion", "SecurityTokenReference",
            "BinarySecurityToken", "Signature"]),
])
def test_saml_requests_are_laid_out_as_rampart_does(
    wss4j: Wss4jClient, number: str, order: list[str], tmp_path: Path
) -> None:
    token = tmp_path / "token.xml"
    proof_key = _issue_saml(wss4j, VERSION[number], token)

    verdict = wss4j.run(number, samlToken=str(token), samlProofKey=proof_key, dryRun="true")

    assert verdict["requestHeaderOrder"] == order
    request = etree.fromstring(Path(verdict["dir"], "request.xml").read_bytes())
    method = request.find(
        f".//{{{WSSE}}}Security/{{{DS}}}Signature/{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod"
    )
    assert method is not None
    # 31/32 sign with the token's proof key; 33/34 with the client's X.509 key.
    expected = "hmac-sha1" if number in ("31", "32") else "rsa-sha1"
    assert method.get("Algorithm") == f"{DS}{expected}"
