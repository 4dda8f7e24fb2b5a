"""Scenarios 9-15 with Apache WSS4J 1.6 as a WSO2 (Rampart) SecureConversation client.

``ScClient.java`` sends the bootstrap RST/SCT as Rahas does, secured as the scenario's bootstrap
policy says, computes the context's key from the two entropies, then protects token requests
(and Renew, Amend, Cancel) with WSS4J's WSSecSecurityContextToken, WSSecDKSign and
WSSecDKEncrypt. Every answer is checked by WSS4J's WSSecurityEngine, which gets the context's
key only when the answer's derived keys name that context.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from stsdesk.server.storage import schema
from tests.interop.scenarios import applied, enforced
from tests.interop.wss4j.conftest import USERNAME, Wss4jClient

WSC = "http://schemas.xmlsoap.org/ws/2005/02/sc"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
BAD_CONTEXT = f"{{{WSC}}}BadContextToken"
UNKNOWN_SOURCE = f"{{{WSC}}}UnknownDerivationSource"
# (body signed, body encrypted) under each scenario's SecureConversation policy.
PROTECTION = {"9": (True, False), "10": (False, True), "11": (True, True), "12": (True, False),
              "13": (True, True), "14": (False, True), "15": (True, True)}
SUBJECT = {"9": "CN=wss4j-client", "10": "CN=wss4j-client", "11": "CN=wss4j-client",
           "12": "wso2.anonymous.user", "13": "wso2.anonymous.user", "14": USERNAME,
           "15": USERNAME}


@pytest.fixture(autouse=True)
def client_certificate_in_the_trust_store(wss4j: Wss4jClient) -> None:
    """9-11's bootstrap policy never includes the client's certificate (IncludeToken Never,
    thumbprint reference): as with WSO2, the certificate itself must be in the trusted keystore
    for the STS to find it, not only its CA."""
    store = wss4j.sts.store
    if "wss4j-sc-client" not in store.keys.list_trusted_certificates():
        store.keys.add_trusted_certificate("wss4j-sc-client", wss4j.keys["trusted"].issued.der)


def run(wss4j: Wss4jClient, number: str, steps: str, **options: str) -> list[dict[str, Any]]:
    verdict = wss4j.run(number, main="ScClient", steps=steps, **options)
    return verdict["steps"]


def accepted(step: dict[str, Any]) -> dict[str, Any]:
    assert step["fault"] is None, step["fault"]
    assert step["status"] == 200
    wss = step["wss4j"]
    assert wss["accepted"] is True, f"WSS4J refused the STS's answer: {wss.get('error')}"
    return wss


def refused(step: dict[str, Any], code: str) -> str:
    assert step["status"] in (400, 500), step
    fault = step["fault"]
    assert fault is not None and code in fault["codes"], fault
    return str(fault["reason"])


def check_context_answer(step: dict[str, Any], number: str, *, sign: bool, encrypt: bool) -> None:
    """An answer under the SecureConversation policy: keys the STS derived from the context
    (WSS4J asked for the context's key by its identifier), the parts the policy protects."""
    wss = accepted(step)
    assert wss["derivedKeys"] >= (2 if encrypt else 1), wss
    assert wss["signer"] == "secret-key", wss
    assert any(call.endswith(":" + step["contextUsed"]) for call in wss["keyCallbacks"]), wss
    assert "Timestamp" in wss["signedParts"]
    assert ("Body" in wss["signedParts"]) is sign, wss
    assert ("Body" in wss["encryptedParts"]) is encrypt, wss


@pytest.mark.parametrize("number", enforced(*PROTECTION))
def test_a_rampart_client_bootstraps_a_context_and_obtains_a_token_with_it(
    wss4j: Wss4jClient, number: str
) -> None:
    with applied(wss4j.sts, number):
        bootstrap, issue = run(wss4j, number, "bootstrap,issue")

    boot = accepted(bootstrap)
    assert bootstrap["computedKey"] == "http://schemas.xmlsoap.org/ws/2005/02/trust/CK/PSHA1"
    assert bootstrap["context"].startswith("urn:uuid:")
    assert "Body" in boot["encryptedParts"] and "Body" in boot["signedParts"]
    if int(number) <= 11:
        assert boot["signer"] == "sts"  # the bootstrap's asymmetric binding
    else:
        assert boot["signer"] == "secret-key" and boot["signatureConfirmed"] is True
    assert bootstrap["responseAction"].endswith("/RSTR/SCT")

    issue["contextUsed"] = bootstrap["context"]
    sign, encrypt = PROTECTION[number]
    check_context_answer(issue, number, sign=sign, encrypt=encrypt)
    assert issue["token"] == "Assertion"
    assert SUBJECT[number] in issue["subject"]


@pytest.mark.parametrize("number", enforced("11", "14"))
def test_renew_amend_cancel_then_the_context_is_refused(wss4j: Wss4jClient, number: str) -> None:
    with applied(wss4j.sts, number):
        steps = run(wss4j, number, "bootstrap,renew,amend,issue,cancel,issue")
    bootstrap, renew, amend, issue, cancel, after = steps
    context = bootstrap["context"]
    sign, encrypt = PROTECTION[number]  # the answers are protected as the policy says
    for step in (renew, amend, cancel):
        step["contextUsed"] = context
        check_context_answer(step, number, sign=sign, encrypt=encrypt)
    assert renew["identifier"] == context and renew["lifetimeExpires"] >= bootstrap["lifetimeExpires"]
    assert renew["responseAction"].endswith("/RSTR/SCT/Renew")
    assert amend["identifier"] == context
    assert issue["fault"] is None and issue["token"] == "Assertion"
    assert cancel["cancelled"] is True and cancel["responseAction"].endswith("/RSTR/SCT/Cancel")
    assert "cancelled" in refused(after, BAD_CONTEXT)


@pytest.mark.parametrize("number", enforced("9"))
def test_a_context_named_by_its_identifier_is_accepted(wss4j: Wss4jClient, number: str) -> None:
    with applied(wss4j.sts, number):
        bootstrap, issue = run(wss4j, number, "bootstrap,issue", attack="by-identifier")
    issue["contextUsed"] = bootstrap["context"]
    check_context_answer(issue, number, sign=True, encrypt=False)


@pytest.mark.parametrize("number", enforced("12"))
def test_an_unknown_context_is_refused(wss4j: Wss4jClient, number: str) -> None:
    with applied(wss4j.sts, number):
        _, forged = run(wss4j, number, "bootstrap,issue", attack="forge-context")
    assert "not known" in refused(forged, BAD_CONTEXT)


@pytest.mark.parametrize("number", enforced("9"))
def test_a_tampered_body_is_refused(wss4j: Wss4jClient, number: str) -> None:
    with applied(wss4j.sts, number):
        _, tampered = run(wss4j, number, "bootstrap,issue", attack="tamper-body")
    refused(tampered, f"{{{WSSE}}}FailedCheck")


@pytest.mark.parametrize("number", enforced("15"))
def test_an_expired_context_is_refused(wss4j: Wss4jClient, number: str, tmp_path: Path) -> None:
    context_file = tmp_path / "context.txt"
    with applied(wss4j.sts, number):
        (bootstrap,) = run(wss4j, number, "bootstrap", contextFile=str(context_file))
        # The context's hour passes (the row's expiry moved into the past).
        with wss4j.sts.store.engine.begin() as conn:
            conn.execute(update(schema.security_contexts).where(
                schema.security_contexts.c.identifier == bootstrap["context"]).values(
                    expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        (expired,) = run(wss4j, number, "issue", contextFile=str(context_file))
    assert "expired" in refused(expired, BAD_CONTEXT)
