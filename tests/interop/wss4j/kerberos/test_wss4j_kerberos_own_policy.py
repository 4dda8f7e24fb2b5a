"""An administrator's own Kerberos policy with WSS4J 1.6's KerberosSecurity as the client.

The policy is scenario 20 written in WS-SecurityPolicy 1.2 (``own-policies/kerberos-sp12.xml``,
with WSO2's Basic256, the suite ``KerberosClient.java`` speaks), applied through the admin API
with the service principal and keytab; WSS4J checks our answer with the ticket's session key.
"""

from __future__ import annotations

import base64

import pytest

from tests.e2e.test_kerberos_scenario import SERVICE
from tests.helpers.data import DATA
from tests.interop.wss4j.kerberos.test_wss4j_kerberos import assert_token_for_alice, run_client

pytestmark = pytest.mark.slow

OWN = (DATA / "own-policies" / "kerberos-sp12.xml").read_text(encoding="utf-8").replace(
    "Basic256Sha256", "Basic256")


def test_wss4j_kerberos_client_gets_a_token_under_an_own_policy(
        wss4j_classpath, realm, sts, tmp_path):
    answer = sts.api("PUT", "/sts/security", json={
        "policyName": "Tickets", "policy": OWN, "servicePrincipal": realm.kdc.principal(SERVICE),
        "keytab": base64.b64encode(realm.keytab.read_bytes()).decode()})
    assert answer.status_code == 200, answer.text
    try:
        verdict = run_client(wss4j_classpath, realm, sts, tmp_path)
    finally:
        assert sts.api("PUT", "/sts/security", json={
            "scenarioId": "scenario1", "allowedRoles": ["admin"]}).status_code == 200
    assert_token_for_alice(verdict)
