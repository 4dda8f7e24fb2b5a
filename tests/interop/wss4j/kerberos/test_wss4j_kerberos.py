"""Scenario 20 with WSS4J 1.6's KerberosSecurity as the client (``KerberosClient.java``).

The realm and the STS with scenario 20 applied are the e2e Kerberos tests' fixtures (a real MIT
KDC on loopback, see this folder's conftest); Java logs in to that KDC with its own Kerberos implementation, WSS4J builds
the AP-REQ token and the HMAC signature with the session key, and WSS4J's engine checks our
answer with the same key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stsdesk.core import ns
from tests.e2e.test_kerberos_scenario import OTHER_SERVICE, PASSWORDS, RP, SERVICE, Realm, Sts
from tests.interop.wss4j.conftest import java_verdict, write_properties

pytestmark = pytest.mark.slow


def run_client(classpath: str, realm: Realm, sts: Sts, workdir: Path, **options: str
               ) -> dict[str, Any]:
    user = options.pop("user", "alice")
    props = {
        "url": sts.endpoint,
        "tlsCa": str(sts.server.ca_file),
        "krb5Conf": str(realm.kdc.krb5_conf),
        "clientPrincipal": realm.kdc.principal(user),
        "clientPassword": PASSWORDS[user],
        "servicePrincipal": realm.kdc.principal(options.pop("service", SERVICE)),
        "appliesTo": RP,
        "dumpDir": str(workdir),
        **options,
    }
    props_file = write_properties(workdir / "client.properties", props)
    return java_verdict(classpath, "KerberosClient", str(props_file))


def assert_token_for_alice(verdict: dict[str, Any]) -> None:
    """The STS issued alice's token and WSS4J accepted the answer as Rampart would: signed
    with the ticket's session key over Body and Timestamp, the request's signature confirmed."""
    assert verdict["status"] == 200, json.dumps(verdict)[:2000]
    assert verdict["fault"] is None
    wss = verdict["wss4j"]
    assert wss["accepted"] is True, wss
    assert wss["signedWithSessionKey"] is True
    assert "Body" in wss["signedParts"] and "Timestamp" in wss["signedParts"]
    assert wss["signatureConfirmed"] is True
    assert verdict["subject"] == "alice"


@pytest.mark.parametrize("reference", ["direct", "sha1"])
def test_wss4j_kerberos_client_gets_a_token_and_verifies_the_answer(
        wss4j_classpath, realm, applied, tmp_path, reference):
    assert_token_for_alice(
        run_client(wss4j_classpath, realm, applied, tmp_path, reference=reference))


def test_wss4j_kerberos_client_with_a_ticket_for_another_service_is_refused(
        wss4j_classpath, realm, applied, tmp_path):
    verdict = run_client(wss4j_classpath, realm, applied, tmp_path, service=OTHER_SERVICE)
    assert verdict["status"] in (400, 500)
    assert f"{{{ns.WSSE}}}FailedAuthentication" in verdict["fault"]["codes"], verdict["fault"]
    assert "not for this STS's service principal" in verdict["fault"]["reason"]
