"""An administrator's own policy, applied through the admin API, enforced for a WSS4J client.

The policies (``tests/data/own-policies``) mean what WSO2's scenarios 5, 1 and 11 mean but are
written otherwise (WS-SecurityPolicy 1.2, WS-Policy 1.5, other prefixes and order, no
ExactlyOne, the Basic256Sha256 suite, Rampart's own configuration beside them). The client is
the WSS4J 1.6 program that speaks for Rampart (``ScClient`` for the SecureConversation one),
configured as for those scenarios; WSS4J checks the STS's answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from tests.e2e.conftest import ADMIN_PASSWORD, LiveSts
from tests.helpers.data import DATA
from tests.interop.scenarios import API, TRUSTED_KEYSTORE, apply_scenario
from tests.interop.wss4j.conftest import Wss4jClient
from tests.interop.wss4j.verdicts import SECURITY_FAULTS, assert_issued, assert_refused

SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
OWN = DATA / "own-policies"


def _put_security(sts: LiveSts, body: dict[str, Any]) -> requests.Response:
    base = sts.endpoint.rsplit("/services/", 1)[0]
    return requests.put(f"{base}{API}/sts/security", json=body, auth=("admin", ADMIN_PASSWORD),
                        verify=str(sts.ca_file), timeout=30)


@contextmanager
def own_policy_applied(sts: LiveSts, file_name: str, **extra: Any) -> Iterator[None]:
    body = {"policyName": file_name, "policy": (OWN / file_name).read_text(encoding="utf-8"),
            **extra}
    answer = _put_security(sts, body)
    assert answer.status_code == 200, answer.text
    try:
        yield
    finally:
        apply_scenario(sts, "scenario1")


KEYSTORES = {"trustedKeystores": [TRUSTED_KEYSTORE], "privateKeystore": TRUSTED_KEYSTORE}


def test_an_own_asymmetric_sha256_policy_works_end_to_end(wss4j: Wss4jClient) -> None:
    with own_policy_applied(wss4j.sts, "signed-encrypted-sha256.xml", **KEYSTORES):
        verdict = wss4j.run("5", suite="Basic256Sha256")

    wss = assert_issued(verdict)
    assert wss["signedBySts"] is True, wss["signer"]
    assert "Body" in wss["encryptedParts"], wss
    assert {"Body", "Timestamp"} <= set(wss["signedParts"])
    assert wss["signatureConfirmed"] is True
    assert wss["digestMethods"] == [SHA256], wss
    assert "CN=wss4j-client" in verdict["subject"]


def test_the_own_policy_is_enforced_a_sha1_client_is_refused(wss4j: Wss4jClient) -> None:
    with own_policy_applied(wss4j.sts, "signed-encrypted-sha256.xml", **KEYSTORES):
        verdict = wss4j.run("5")  # WSO2's Basic256: SHA-1 digests, not what the policy says

    assert_refused(verdict, SECURITY_FAULTS)


def test_an_own_policy_that_asks_for_a_signed_request_refuses_an_unsigned_one(
        wss4j: Wss4jClient) -> None:
    with own_policy_applied(wss4j.sts, "signed-encrypted-sha256.xml", **KEYSTORES):
        verdict = wss4j.run("1")  # a UsernameToken over HTTPS, nothing signed

    assert verdict["status"] >= 400 and verdict["fault"] is not None, verdict
    assert "token" not in verdict or verdict["token"] is None


def test_an_own_username_policy_over_https_works_as_scenario1(wss4j: Wss4jClient) -> None:
    with own_policy_applied(wss4j.sts, "username-over-https.xml", allowedRoles=["admin"]):
        issued = wss4j.run("1")
        wrong = wss4j.run("1", password="not-the-password")

    assert issued["status"] == 200 and issued["fault"] is None, issued
    assert issued["subject"] == "wss4j-user"
    assert wrong["status"] >= 400 and wrong["fault"] is not None


def test_an_own_session_policy_works_for_a_rampart_sc_client(wss4j: Wss4jClient) -> None:
    # Scenario 11 written in WS-SecurityPolicy 1.2 with derived keys required; WSO2's Basic256
    # here, the suite ScClient speaks (SHA-1 digests).
    document = (OWN / "secure-conversation-sp12.xml").read_text(encoding="utf-8").replace(
        "Basic256Sha256", "Basic256")
    store = wss4j.sts.store
    if "wss4j-sc-client" not in store.keys.list_trusted_certificates():
        store.keys.add_trusted_certificate("wss4j-sc-client", wss4j.keys["trusted"].issued.der)
    answer = _put_security(wss4j.sts, {"policyName": "Partner session", "policy": document,
                                       **KEYSTORES})
    assert answer.status_code == 200, answer.text
    try:
        bootstrap, issue = wss4j.run("11", main="ScClient", steps="bootstrap,issue")["steps"]
    finally:
        apply_scenario(wss4j.sts, "scenario1")

    assert bootstrap["fault"] is None and bootstrap["wss4j"]["accepted"] is True, bootstrap
    assert bootstrap["context"].startswith("urn:uuid:")
    assert issue["fault"] is None and issue["status"] == 200, issue
    wss = issue["wss4j"]
    assert wss["accepted"] is True, f"WSS4J refused the STS's answer: {wss.get('error')}"
    assert wss["derivedKeys"] >= 2 and wss["signer"] == "secret-key", wss
    assert any(call.endswith(":" + bootstrap["context"]) for call in wss["keyCallbacks"]), wss
    assert "Body" in wss["signedParts"] and "Body" in wss["encryptedParts"], wss
    assert "CN=wss4j-client" in issue["subject"]
