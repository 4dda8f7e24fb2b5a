"""An administrator's own Kerberos policy end to end: a real KDC on loopback, the policy
applied through the admin API with the service principal and keytab (as scenario 20 asks), and
a ticket holder's token request answered under it.

The policy is scenario 20 written differently: WS-SecurityPolicy 1.2, Basic256Sha256, the GSS
AP-REQ token type, the Body signed. Requests are laid out as WSS4J's
KerberosSecurity does (``tests.helpers.kerberos_client``); answers are checked by the tests'
own helper with the client's session key, never by the engine under test.
"""

from __future__ import annotations

import base64
import json

import pytest
import requests

from stsdesk import cli
from stsdesk.services.tls import fetch_certificate, fingerprint
from tests.e2e.test_kerberos_scenario import ADMIN, SERVICE, rst, subject_of
from tests.e2e.test_kerberos_scenario import realm as kerberos_realm
from tests.e2e.test_kerberos_scenario import sts as kerberos_sts
from tests.helpers import wss_client as wc
from tests.helpers.data import DATA

gssapi = pytest.importorskip("gssapi", reason="python-gssapi (the kerberos extra) is missing")
from tests.helpers import kerberos_client as kc  # noqa: E402 - needs gssapi

pytestmark = pytest.mark.slow

realm, sts = kerberos_realm, kerberos_sts  # a throwaway realm and an STS with alice

OWN = (DATA / "own-policies" / "kerberos-sp12.xml").read_text(encoding="utf-8")


def test_an_own_kerberos_policy_needs_the_keytab_then_answers_a_ticket_holder(sts, realm):
    check = sts.api("POST", "/sts/security/policy-check", json={"policy": OWN}).json()
    assert check["enforceable"] is True, check
    assert check["asksFor"] == ["servicePrincipal"]
    refused = sts.api("PUT", "/sts/security", json={"policyName": "Tickets", "policy": OWN})
    assert refused.status_code == 400
    assert "service principal" in refused.json()["description"]
    applied = sts.api("PUT", "/sts/security", json={
        "policyName": "Tickets", "policy": OWN,
        "servicePrincipal": realm.kdc.principal(SERVICE),
        "keytab": base64.b64encode(realm.keytab.read_bytes()).decode()})
    assert applied.status_code == 200, applied.text
    assert applied.json()["scenarioId"] == "policyFromRegistry"
    assert applied.json()["servicePrincipal"] == realm.kdc.principal(SERVICE)
    assert "keytab" not in applied.text.lower()
    # Published, so a client sees it asks for a ticket (the WSDL under the policy's own wsu:Id;
    # MEX names its policies after its bindings, as ADFS does).
    for url in (sts.endpoint + "?wsdl", sts.endpoint + "/mex"):
        published = requests.get(url, timeout=30, verify=str(sts.server.ca_file))
        assert published.status_code == 200
        assert b"WssGssKerberosV5ApReqToken11" in published.content, url
        assert (b'wsu:Id="TicketsSha256"' in published.content) is url.endswith("?wsdl")

    ticket = realm.ticket("alice")
    sent = kc.kerberos_request(rst(), ticket, digest=wc.SHA256)
    answer = sts.post(sent.envelope)
    assert answer.status_code == 200, answer.text[:600]
    checked = wc.check_response(answer.content, session_key=ticket.session_key)
    assert subject_of(checked.body) == "alice"
    assert checked.confirmations == [base64.b64encode(sent.signature_value).decode()]
    # The same ticket again is a replay.
    again = sts.post(kc.kerberos_request(rst(), ticket, digest=wc.SHA256).envelope)
    assert again.status_code in (400, 500) and "already received" in again.text

    # Leaving the policy for one without Kerberos drops the keytab, as leaving scenario 20 does.
    left = sts.api("PUT", "/sts/security", json={"scenarioId": "scenario1",
                                                 "allowedRoles": ["admin"]})
    assert left.status_code == 200
    policy = sts.server.bootstrap.store.config.get_security_policy()
    assert policy.service_principal is None and policy.service_keytab is None


def test_the_admin_command_line_applies_an_own_kerberos_policy_with_a_keytab_file(
        sts, realm, tmp_path, capsys):
    # The typed admin API (the stsdesk backend) under the command line sends both.
    policy_file = tmp_path / "tickets-policy.xml"
    policy_file.write_text(OWN, encoding="utf-8")
    password_file = tmp_path / "admin-password"
    password_file.write_text(ADMIN[1])
    base = ["admin", "--server", sts.server.url, "--kind", "stsdesk",
            "--password-file", str(password_file),
            "--pin", fingerprint(fetch_certificate(sts.server.url)), "--json",
            "security", "apply-policy", str(policy_file), "--name", "Tickets"]
    assert cli.main(base) != 0
    assert "service principal" in capsys.readouterr().err
    assert cli.main([*base, "--service-principal", realm.kdc.principal(SERVICE),
                     "--keytab", str(realm.keytab)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["scenario_id"] == "policyFromRegistry" and shown["policy_name"] == "Tickets"
    assert shown["service_principal"] == realm.kdc.principal(SERVICE)
    ticket = realm.ticket("alice")
    answer = sts.post(kc.kerberos_request(rst(), ticket, digest=wc.SHA256).envelope)
    assert answer.status_code == 200, answer.text[:600]
