"""Scenarios 2-8 applied in the admin API, a WSS4J client as WSO2's, and WSS4J on the answers.

Each test applies the scenario as the console's wizard does (PUT /sts/security with the trusted
and private keystores), sends what Rampart sends for WSO2's policy, and checks the response with
WSS4J's WSSecurityEngine: who signed it, what was encrypted, whether the request's signature is
confirmed (WSO2's Wss11 policies require SignatureConfirmation), and the token in the RSTR.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ADMIN_PASSWORD
from tests.interop.scenarios import (
    admin_call,
    applied,
    enforced,
    unless_enforced,
    unless_suites_can_be_chosen,
)
from tests.interop.wss4j.conftest import USERNAME, Wss4jClient
from tests.interop.wss4j.verdicts import (
    CERT_FAULTS,
    CHECK_FAULTS,
    SECURITY_FAULTS,
    WSSE,
    WST,
    assert_issued,
    assert_refused,
)

SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
# What WSO2's policy asks of the STS's answer: (signed by, encrypted, SignatureConfirmation).
ASYMMETRIC = {"2": ("sts", False, False), "5": ("sts", True, True)}
SYMMETRIC = {
    "3": ("request-key", False, True),
    "4": ("request-key", True, True),
    "6": ("request-key", True, True),
    "7": ("request-key", True, True),
    "8": ("request-key", True, True),
}
# Whose name the token carries: the user for UsernameToken scenarios, the certificate for X.509.
SUBJECT = {"2": "CN=wss4j-client", "5": "CN=wss4j-client", "7": USERNAME, "8": USERNAME}


@pytest.mark.parametrize("number", enforced(*sorted({**ASYMMETRIC, **SYMMETRIC}, key=int)))
def test_a_wso2_client_obtains_a_token_and_wss4j_verifies_the_answer(
    wss4j: Wss4jClient, number: str
) -> None:
    signer, encrypted, confirmed = {**ASYMMETRIC, **SYMMETRIC}[number]
    with applied(wss4j.sts, number):
        verdict = wss4j.run(number)

    wss = assert_issued(verdict)
    assert "Signature" in wss["actions"] and "Timestamp" in wss["actions"]
    if signer == "sts":
        assert wss["signedBySts"] is True, wss["signer"]
    else:
        # Symmetric binding: the answer is keyed by the client's own EncryptedKey, named by its
        # EncryptedKeySHA1, and the HMAC verifies with the key the client made.
        assert wss["signer"] == "request-key", wss
        assert wss["keyCallbacks"], "the answer names the request's key"
    assert {"Body", "Timestamp"} <= set(wss["signedParts"]) or number in ("4", "7")
    if encrypted:
        assert "Encryption" in wss["actions"]
        assert "Body" in wss["encryptedParts"], wss
    else:
        assert wss["encryptedParts"] == []
    assert wss["signatureConfirmed"] is confirmed, wss
    assert wss["digestMethods"] == [SHA1]  # WSO2's Basic256
    if number in SUBJECT:
        assert verdict["subject"] is not None and SUBJECT[number] in verdict["subject"]


@unless_enforced("5")
@pytest.mark.parametrize("soap", ["1.1", "1.2"])
def test_sign_and_encrypt_works_on_both_soap_versions(wss4j: Wss4jClient, soap: str) -> None:
    with applied(wss4j.sts, "5"):
        verdict = wss4j.run("5", soap=soap)

    wss = assert_issued(verdict)
    assert wss["signedBySts"] and wss["signatureConfirmed"]


@unless_suites_can_be_chosen()
@pytest.mark.parametrize("number", enforced("5", "8"))
def test_basic256sha256_chosen_by_the_administrator_is_what_both_sides_use(
    wss4j: Wss4jClient, number: str
) -> None:
    with applied(wss4j.sts, number, suite="Basic256Sha256"):
        verdict = wss4j.run(number, suite="Basic256Sha256")

    wss = assert_issued(verdict)
    assert wss["digestMethods"] == [SHA256], wss
    assert wss["signatureConfirmed"] is True


@unless_suites_can_be_chosen()
@pytest.mark.parametrize("number", enforced("5", "8"))
def test_a_sha1_client_under_basic256sha256_is_refused(wss4j: Wss4jClient, number: str) -> None:
    with applied(wss4j.sts, number, suite="Basic256Sha256"):
        verdict = wss4j.run(number)  # WSO2's Basic256: SHA-1 digests

    assert_refused(verdict, SECURITY_FAULTS)


# ---------------------------------------------------------------------------- asymmetric binding


@unless_enforced("2")
@pytest.mark.parametrize("key", ["untrusted", "expired"])
def test_a_client_certificate_not_trusted_now_is_refused(wss4j: Wss4jClient, key: str) -> None:
    with applied(wss4j.sts, "2"):
        verdict = wss4j.run("2", key=key)

    assert_refused(verdict, CERT_FAULTS)


@unless_enforced("5")
def test_a_certificate_mapped_to_a_user_obtains_the_token_for_that_user(
    wss4j: Wss4jClient
) -> None:
    # The administrator maps the WSO2 client's certificate to the WSS4J user through SCIM's
    # x509Certificates; the same client then signs as that user.
    user = wss4j.sts.store.users.get(USERNAME)
    assert user is not None
    der = wss4j.keys["trusted"].issued.der
    base = wss4j.sts.endpoint.rsplit("/services/", 1)[0]
    answer = requests.patch(
        f"{base}/scim2/Users/{user.user_id}", auth=("admin", ADMIN_PASSWORD),
        verify=str(wss4j.sts.ca_file), timeout=30, json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "x509Certificates",
                            "value": [{"value": base64.b64encode(der).decode()}]}]})
    assert answer.status_code == 200, answer.text
    try:
        with applied(wss4j.sts, "5"):
            verdict = wss4j.run("5")
    finally:
        wss4j.sts.store.user_certificates.replace(user.user_id, ())

    assert_issued(verdict)
    assert verdict["subject"] == USERNAME


@unless_enforced("2")
def test_a_revoked_client_certificate_is_refused_once_its_crl_is_imported(
    wss4j: Wss4jClient, crl_server: Any
) -> None:
    # As WSO2 (WSS4J's Merlin reads the CRLs configured beside the truststore), the STS checks
    # the CRLs the administrator imported, not the distribution point the certificate names.
    with applied(wss4j.sts, "2"):
        before = wss4j.run("2", key="revoked")
        crl = admin_call(wss4j.sts, "POST", "/keystores/crls",
                         {"crl": base64.b64encode(crl_server.crl).decode()})
        try:
            revoked = wss4j.run("2", key="revoked")
            still_good = wss4j.run("2")
        finally:
            admin_call(wss4j.sts, "DELETE", f"/keystores/crls/{crl['id']}")

    assert_issued(before)  # no CRL imported: revocation is not known
    assert crl["entries"] == 1 and "WSS4J Client CA" in crl["issuer"]
    assert_refused(revoked, CHECK_FAULTS)
    assert "revoked" in revoked["fault"]["reason"], revoked
    assert_issued(still_good)
    entries = admin_call(wss4j.sts, "GET", "/audit-logs?limit=20")["entries"]
    assert any(e["action"] == "sts.certificate.revoked" and "wss4j-revoked" in e["target"]
               for e in entries), entries


@pytest.mark.parametrize(("number", "attack"), enforced(
    ("2", "unsigned-body"), ("2", "tamper-body"), ("2", "wrap-signature"),
    ("5", "tamper-encrypted"),
))
def test_asymmetric_messages_altered_on_the_way_are_refused(
    wss4j: Wss4jClient, number: str, attack: str
) -> None:
    with applied(wss4j.sts, number):
        verdict = wss4j.run(number, attack=attack)

    assert_refused(verdict, CHECK_FAULTS if attack != "tamper-encrypted" else SECURITY_FAULTS)


@pytest.mark.parametrize("number", enforced("2", "5"))
def test_an_asymmetric_request_replayed_is_refused(wss4j: Wss4jClient, number: str) -> None:
    with applied(wss4j.sts, number):
        verdict = wss4j.run(number, attack="replay")

    assert verdict["firstStatus"] == 200
    assert_refused(verdict, SECURITY_FAULTS)


# ---------------------------------------------------------------------------- symmetric binding


@pytest.mark.parametrize(("number", "attack"), enforced(
    ("3", "unsigned-body"), ("3", "tamper-body"), ("3", "wrap-signature"),
    ("6", "tamper-encrypted"), ("8", "tamper-encrypted"),
))
def test_symmetric_messages_altered_on_the_way_are_refused(
    wss4j: Wss4jClient, number: str, attack: str
) -> None:
    with applied(wss4j.sts, number):
        verdict = wss4j.run(number, attack=attack)

    assert_refused(verdict, CHECK_FAULTS if attack != "tamper-encrypted" else SECURITY_FAULTS)


@pytest.mark.parametrize("number", enforced("3", "8"))
def test_a_symmetric_request_replayed_is_refused(wss4j: Wss4jClient, number: str) -> None:
    with applied(wss4j.sts, number):
        verdict = wss4j.run(number, attack="replay")

    assert verdict["firstStatus"] == 200
    assert_refused(verdict, SECURITY_FAULTS)


@pytest.mark.parametrize("number", enforced("7", "8"))
def test_a_missing_usernametoken_is_refused(wss4j: Wss4jClient, number: str) -> None:
    with applied(wss4j.sts, number):
        verdict = wss4j.run(number, attack="omit-ut")

    assert_refused(verdict, SECURITY_FAULTS)
    assert "UsernameToken" in verdict["fault"]["reason"]


@pytest.mark.parametrize("number", enforced("7", "8"))
def test_a_wrong_password_in_the_encrypted_usernametoken_is_refused(
    wss4j: Wss4jClient, number: str
) -> None:
    with applied(wss4j.sts, number):
        verdict = wss4j.run(number, password="not-the-password")

    assert_refused(verdict, {f"{{{WSSE}}}FailedAuthentication", f"{{{WST}}}FailedAuthentication"})
    assert "not-the-password" not in verdict["fault"]["reason"]
