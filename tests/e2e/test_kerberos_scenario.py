"""Scenario 20 end to end: a real KDC on loopback, tickets from it, tokens through HTTPS.

A throwaway MIT realm (``tests.helpers.kdc``) holds the STS's service principal, a user who is
also a local user of the STS (alice), one who is not (bob), and another service. The
administrator applies scenario 20 through the admin API with the service principal and its
keytab; clients obtain tickets with ``kinit`` and python-gssapi and send requests laid out as
WSS4J's KerberosSecurity does. Answers are checked by the test's own helper (python-xmlsec with
the client's session key), never by the engine under test.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from lxml import etree
from sqlalchemy import select

from stsdesk import cli
from stsdesk.core import ns
from stsdesk.core.soap import parse_fault
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.server.storage import schema
from stsdesk.services.tls import fetch_certificate, fingerprint
from tests.helpers import live_server
from tests.helpers import wss_client as wc
from tests.helpers.kdc import Kdc, kerberos_tools_missing

gssapi = pytest.importorskip("gssapi", reason="python-gssapi (the kerberos extra) is missing")
from tests.helpers import kerberos_client as kc  # noqa: E402 - needs gssapi

pytestmark = pytest.mark.slow

ADMIN = ("admin", "Adm1n-kerberos-e2e")
RP = "https://rp.example.org/kerberos"
SERVICE = "HTTP/sts.stsdesk.test"
OTHER_SERVICE = "HTTP/other.stsdesk.test"
SAML2 = "{urn:oasis:names:tc:SAML:2.0:assertion}"
PASSWORDS = {"alice": "Al1ce-has-a-ticket", "bob": "B0b-only-in-kerberos",
             "carol": "Car0l-short-lived"}


@dataclass
class Realm:
    kdc: Kdc
    folder: Path
    keytab: Path

    def ccache(self, user: str, *, lifetime: str | None = None) -> Path:
        return self.kdc.kinit(user, PASSWORDS[user], self.folder / f"{user}-{time.time_ns()}.cc",
                              lifetime=lifetime)

    def ticket(self, user: str, service: str = SERVICE, *, lifetime: str | None = None,
               mutual: bool = False) -> kc.ApReq:
        return kc.ap_req(self.kdc.principal(service), self.ccache(user, lifetime=lifetime),
                         mutual=mutual)


@dataclass
class Sts(live_server.OwnSts):
    data_dir: Path

    def api(self, method: str, path: str, **options) -> requests.Response:
        return self.admin.request(method, self.server.url + "/api/server/v1" + path,
                                  timeout=60, verify=str(self.server.ca_file), **options)


@pytest.fixture(scope="module")
def realm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Realm]:
    # A clock skew of one second lets a ticket with a few seconds' life expire within a test.
    yield from throwaway_realm(tmp_path_factory, clockskew=1)


def throwaway_realm(tmp_path_factory: pytest.TempPathFactory, *, clockskew: int
                    ) -> Iterator[Realm]:
    """The realm of these tests, with the environment pointing at it while it runs."""
    missing = kerberos_tools_missing()
    if missing:
        pytest.skip(f"MIT Kerberos tools missing ({', '.join(missing)}): scripts/system-deps.sh")
    folder = tmp_path_factory.mktemp("kerberos")
    kdc = Kdc(folder / "realm", clockskew=clockskew)
    with pytest.MonkeyPatch.context() as patch:
        kdc.start()
        try:
            for name, value in kdc.env().items():
                patch.setenv(name, value)
            kdc.add_principal(SERVICE)
            kdc.add_principal(OTHER_SERVICE)
            for user, password in PASSWORDS.items():
                kdc.add_principal(user, password)
            keytab = kdc.export_keytab(SERVICE, folder / "sts.keytab")
            yield Realm(kdc, folder, keytab)
        finally:
            kdc.stop()


@pytest.fixture(scope="module")
def sts(realm: Realm, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sts]:
    data_dir = tmp_path_factory.mktemp("kerberos-sts")
    with live_server.running_sts(data_dir, ADMIN[1]) as server:
        store = server.bootstrap.store
        store.users.create("alice", "Al1ce-local-password", roles=[])
        live_server.add_relying_party(store, "kerberos-rp", RP)
        with live_server.admin_session(ADMIN) as admin:
            yield Sts(server, admin, data_dir)


@pytest.fixture(scope="module")
def applied(sts: Sts, realm: Realm) -> Sts:
    answer = sts.api("PUT", "/sts/security", json={
        "scenarioId": "scenario20", "servicePrincipal": realm.kdc.principal(SERVICE),
        "keytab": base64.b64encode(realm.keytab.read_bytes()).decode()})
    assert answer.status_code == 200, answer.text
    return sts


def rst() -> etree._Element:
    return build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                         key_type=KeyType.BEARER, applies_to=RP)


def subject_of(body: etree._Element) -> str:
    assertion = body.find(f".//{SAML2}Assertion")
    assert assertion is not None, etree.tostring(body)[:400]
    return "".join(assertion.find(f"{SAML2}Subject/{SAML2}NameID").itertext())


def fault(answer: requests.Response) -> tuple[str, str]:
    assert answer.status_code in (400, 500), answer.text[:300]
    return parse_fault(answer.content)


# -- the administrator's side ---------------------------------------------------------------

def test_the_catalogue_marks_scenario20_enforceable_where_kerberos_is_installed(sts):
    answer = sts.api("GET", "/sts/scenarios")
    assert answer.status_code == 200
    (scenario20,) = [s for s in answer.json() if s["id"] == "scenario20"]
    assert scenario20["enforceable"] is True
    assert scenario20["asksFor"] == ["servicePrincipal"]


def test_applying_scenario20_needs_the_principal_and_a_keytab_holding_its_key(sts, realm):
    no_principal = sts.api("PUT", "/sts/security", json={"scenarioId": "scenario20"})
    assert no_principal.status_code == 400
    assert "service principal" in no_principal.json()["description"]
    other = realm.kdc.export_keytab(OTHER_SERVICE, realm.folder / "other.keytab")
    wrong = sts.api("PUT", "/sts/security", json={
        "scenarioId": "scenario20", "servicePrincipal": realm.kdc.principal(SERVICE),
        "keytab": base64.b64encode(other.read_bytes()).decode()})
    assert wrong.status_code == 400
    assert f"no usable key for {realm.kdc.principal(SERVICE)}" in wrong.json()["description"]
    not_a_keytab = sts.api("PUT", "/sts/security", json={
        "scenarioId": "scenario20", "servicePrincipal": realm.kdc.principal(SERVICE),
        "keytab": base64.b64encode(b"not a keytab").decode()})
    assert not_a_keytab.status_code == 400
    assert "not an MIT keytab" in not_a_keytab.json()["description"]


def test_the_keytab_is_stored_sealed_and_never_returned(applied, realm):
    shown = applied.api("GET", "/sts/security").json()
    assert shown["scenarioId"] == "scenario20"
    assert shown["servicePrincipal"] == realm.kdc.principal(SERVICE)
    assert "keytab" not in json.dumps(shown).lower()
    keytab = realm.keytab.read_bytes()
    store = applied.server.bootstrap.store
    with store.engine.connect() as conn:
        stored = dict(conn.execute(select(schema.config_values.c.key,
                                          schema.config_values.c.value)).all())
    policy = json.loads(stored["security_policy"])
    sealed = base64.b64decode(policy["service_keytab"])
    assert keytab not in sealed and base64.b64encode(keytab).decode() not in stored[
        "security_policy"]
    # Re-applying with the same principal and no keytab keeps the sealed one.
    again = applied.api("PUT", "/sts/security", json={
        "scenarioId": "scenario20", "servicePrincipal": realm.kdc.principal(SERVICE)})
    assert again.status_code == 200, again.text


def test_the_wsdl_and_mex_publish_wso2s_kerberos_policy(applied):
    for url in (applied.endpoint + "?wsdl", applied.endpoint + "/mex"):
        answer = requests.get(url, timeout=30, verify=str(applied.server.ca_file))
        assert answer.status_code == 200, url
        root = etree.fromstring(answer.content)
        token = root.xpath("//*[local-name()='ProtectionToken']//*[local-name()='KerberosToken']")
        assert token, url
        assert token[0].xpath(".//*[local-name()='WssKerberosV5ApReqToken11']"), url


def test_the_audit_names_the_principal_and_never_the_keytab(applied, realm):
    entries = applied.api("GET", "/audit-logs").json()["entries"]
    applies = [e for e in entries if e["action"] == "sts.security.apply"]
    assert realm.kdc.principal(SERVICE) in applies[0]["detail"]
    keytab = base64.b64encode(realm.keytab.read_bytes()).decode()
    assert all(keytab[:40] not in json.dumps(e) for e in entries)


def test_a_keytab_for_another_scenario_is_refused_and_leaving_20_drops_it(sts, realm):
    keytab = base64.b64encode(realm.keytab.read_bytes()).decode()
    answer = sts.api("PUT", "/sts/security", json={
        "scenarioId": "scenario1", "allowedRoles": ["admin"], "keytab": keytab})
    assert answer.status_code == 400
    assert "does not use Kerberos" in answer.json()["description"]
    try:
        assert sts.api("PUT", "/sts/security", json={
            "scenarioId": "scenario20", "servicePrincipal": realm.kdc.principal(SERVICE),
            "keytab": keytab}).status_code == 200
        left = sts.api("PUT", "/sts/security", json={
            "scenarioId": "scenario1", "allowedRoles": ["admin"]})
        assert left.status_code == 200 and "servicePrincipal" not in left.json()
        policy = sts.server.bootstrap.store.config.get_security_policy()
        assert policy.service_principal is None and policy.service_keytab is None
        # Back to 20, the keytab must be given again: the STS no longer holds one.
        again = sts.api("PUT", "/sts/security", json={
            "scenarioId": "scenario20", "servicePrincipal": realm.kdc.principal(SERVICE)})
        assert again.status_code == 400
        assert "Give the keytab" in again.json()["description"]
    finally:
        assert sts.api("PUT", "/sts/security", json={
            "scenarioId": "scenario20", "servicePrincipal": realm.kdc.principal(SERVICE),
            "keytab": keytab}).status_code == 200


def test_the_admin_command_line_applies_scenario20_with_a_keytab_file(
        applied, realm, tmp_path, capsys):
    password_file = tmp_path / "admin-password"
    password_file.write_text(ADMIN[1])
    base = ["admin", "--server", applied.server.url, "--kind", "stsdesk",
            "--password-file", str(password_file),
            "--pin", fingerprint(fetch_certificate(applied.server.url)), "--json",
            "security", "apply", "scenario20",
            "--service-principal", realm.kdc.principal(SERVICE)]
    assert cli.main([*base, "--keytab", str(tmp_path / "missing.keytab")]) == 2
    assert "Cannot read the keytab" in capsys.readouterr().err
    assert cli.main([*base, "--keytab", str(realm.keytab)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["scenario_id"] == "scenario20"
    assert shown["service_principal"] == realm.kdc.principal(SERVICE)


# -- clients with tickets --------------------------------------------------------------------

@pytest.mark.parametrize("reference", ["direct", "sha1"])
def test_a_ticket_holder_gets_a_token_for_the_local_user_of_that_name(applied, realm, reference):
    ticket = realm.ticket("alice")
    sent = kc.kerberos_request(rst(), ticket, reference=reference)
    answer = applied.post(sent.envelope)
    assert answer.status_code == 200, answer.text[:600]
    checked = wc.check_response(answer.content, session_key=ticket.session_key)
    assert subject_of(checked.body) == "alice"
    # The answer is keyed with the session key and names it as the token profile says.
    assert kc.response_key_reference(answer.content) == (
        kc.GSS_AP_REQ, kc.AP_REQ_SHA1, ticket.sha1)
    assert checked.confirmations == [base64.b64encode(sent.signature_value).decode()]
    body_id = etree.fromstring(answer.content).find(f"{{{ns.SOAP12}}}Body").get(
        f"{{{ns.WSU}}}Id")
    assert body_id in checked.signed_ids


def test_a_principal_who_is_no_local_user_gets_a_token_for_the_principal(applied, realm):
    ticket = realm.ticket("bob")
    answer = applied.post(kc.kerberos_request(rst(), ticket).envelope)
    assert answer.status_code == 200, answer.text[:600]
    checked = wc.check_response(answer.content, session_key=ticket.session_key)
    assert subject_of(checked.body) == realm.kdc.principal("bob")


def test_a_disabled_local_user_gets_no_token_with_a_valid_ticket(applied, realm):
    store = applied.server.bootstrap.store
    alice = store.users.get("alice")
    store.users.update(alice.user_id, active=False)
    try:
        ticket = realm.ticket("alice")
        code, reason = fault(applied.post(kc.kerberos_request(rst(), ticket).envelope))
        assert code == f"{{{ns.WSSE}}}FailedAuthentication"
        assert "alice" not in reason  # which users exist is not told
    finally:
        store.users.update(alice.user_id, active=True)


def test_a_replayed_request_is_refused(applied, realm):
    sent = kc.kerberos_request(rst(), realm.ticket("alice"))
    assert applied.post(sent.envelope).status_code == 200
    code, reason = fault(applied.post(sent.envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "already received" in reason


def test_a_replayed_ap_req_with_a_new_signature_is_refused(applied, realm):
    ticket = realm.ticket("alice")
    assert applied.post(kc.kerberos_request(rst(), ticket).envelope).status_code == 200
    # Whoever holds the session key cannot use the same AP-REQ twice either.
    code, reason = fault(applied.post(kc.kerberos_request(rst(), ticket).envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "Kerberos AP-REQ was already received" in reason


def test_another_node_refuses_an_ap_req_this_one_accepted(applied, realm, monkeypatch):
    """A second server on the same database, with a replay cache of its own (as on another
    host): the store's record of the AP-REQ refuses it there too."""
    ticket = realm.ticket("alice")
    assert applied.post(kc.kerberos_request(rst(), ticket).envelope).status_code == 200
    other_cache = realm.folder / "rcache-node2"
    other_cache.mkdir()
    monkeypatch.setenv("KRB5RCACHEDIR", str(other_cache))
    node2 = BackgroundServer(ServerSettings(data_dir=applied.data_dir, port=0))
    node2.start()
    try:
        second = Sts(node2, applied.admin, applied.data_dir)
        # A fresh AP-REQ is accepted there: node 2 has the keytab from the shared database.
        fresh = realm.ticket("alice")
        assert second.post(kc.kerberos_request(rst(), fresh).envelope).status_code == 200
        code, reason = fault(second.post(kc.kerberos_request(rst(), ticket).envelope))
        assert code == f"{{{ns.WSSE}}}InvalidSecurity"
        assert "Kerberos AP-REQ was already received" in reason
    finally:
        node2.stop()
    assert list(other_cache.iterdir()), "node 2 used a replay cache of its own"


def test_an_expired_ticket_is_refused(applied, realm):
    ticket = realm.ticket("carol", lifetime="3s")
    time.sleep(5)  # past the ticket's end and the one-second clock skew
    code, reason = fault(applied.post(kc.kerberos_request(rst(), ticket).envelope))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "ticket has expired" in reason


def test_a_ticket_for_another_service_is_refused(applied, realm):
    ticket = realm.ticket("alice", service=OTHER_SERVICE)
    code, reason = fault(applied.post(kc.kerberos_request(rst(), ticket).envelope))
    assert code == f"{{{ns.WSSE}}}FailedAuthentication"
    assert "not for this STS's service principal" in reason


def test_a_signature_with_another_key_fails_the_check(applied, realm):
    ticket = realm.ticket("alice")
    sent = kc.kerberos_request(rst(), ticket, sign_key=bytes(32))
    code, _ = fault(applied.post(sent.envelope))
    assert code == f"{{{ns.WSSE}}}FailedCheck"


def test_an_altered_body_fails_the_check(applied, realm):
    sent = kc.kerberos_request(rst(), realm.ticket("alice"))
    altered = sent.envelope.replace(RP.encode(), b"https://rp.example.org/other")
    code, _ = fault(applied.post(altered))
    assert code == f"{{{ns.WSSE}}}FailedCheck"


def test_an_unsigned_body_is_refused(applied, realm):
    sent = kc.kerberos_request(rst(), realm.ticket("alice"), sign_body=False)
    code, reason = fault(applied.post(sent.envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "SOAP Body is not signed" in reason


def test_a_request_without_a_ticket_is_refused(applied, realm):
    sent = kc.kerberos_request(rst(), realm.ticket("alice"))
    root = etree.fromstring(sent.envelope)
    token = root.find(f".//{{{wc.WSSE}}}BinarySecurityToken")
    token.getparent().remove(token)
    code, _ = fault(applied.post(etree.tostring(root)))
    assert code in (f"{{{ns.WSSE}}}InvalidSecurity", f"{{{ns.WSSE}}}SecurityTokenUnavailable")


def test_mutual_authentication_is_refused_with_what_to_do(applied, realm):
    ticket = realm.ticket("alice", mutual=True)
    code, reason = fault(applied.post(kc.kerberos_request(rst(), ticket).envelope))
    assert code == f"{{{ns.WSSE}}}InvalidSecurity"
    assert "without it" in reason
