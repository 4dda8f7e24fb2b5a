"""An administrator's own WS-SecurityPolicy over the admin API: checked, applied, kept, published."""

from __future__ import annotations

import pytest
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.own_policy import OWN_POLICY_ID
from stsdesk.core.xmlparse import parse_xml
from stsdesk.server.app import build_app
from stsdesk.server.bootstrap import open_existing
from stsdesk.server.sts.mex import mex_bindings
from stsdesk.server.sts.wsdl import render_wsdl
from tests.helpers.data import DATA
from tests.helpers.kerberos_absent import without_kerberos
from tests.server.admin.conftest import API, client_for
from tests.server.conftest import ADMIN_PASSWORD

STS = f"{API}/sts"
OWN = DATA / "own-policies"
SIGN_ENCRYPT = (OWN / "signed-encrypted-sha256.xml").read_text(encoding="utf-8")
KERBEROS = (OWN / "kerberos.xml").read_text(encoding="utf-8")
KEYSTORES = {"trustedKeystores": ["wso2carbon.jks"], "privateKeystore": "wso2carbon.jks"}
ADDRESS = "https://sts.example.org/services/wso2carbon-sts"


def apply_own(api, document: str = SIGN_ENCRYPT, name: str = "Partner sign+encrypt", **extra):
    return api.put(f"{STS}/security", json={"policyName": name, "policy": document,
                                            **KEYSTORES, **extra})


def test_an_enforceable_policy_is_applied_returned_audited_and_kept_across_restarts(
        api, bootstrapped, server_settings):
    answer = apply_own(api)
    assert answer.status_code == 200, answer.text
    applied = answer.json()
    assert applied["scenarioId"] == OWN_POLICY_ID
    assert applied["policyName"] == "Partner sign+encrypt"
    assert applied["policy"] == SIGN_ENCRYPT  # as the administrator wrote it
    assert applied["trustedKeystores"] == ["wso2carbon.jks"]
    assert api.get(f"{STS}/security").json() == applied
    entry = api.get(f"{API}/audit-logs").json()["entries"][0]
    assert entry["action"] == "sts.security.apply"
    assert "Partner sign+encrypt" in entry["detail"] and "Basic256Sha256" in entry["detail"]

    reopened = open_existing(server_settings)  # another node, or the same after a restart
    try:
        with client_for(build_app(reopened, server_settings), "admin", ADMIN_PASSWORD) as again:
            assert again.get(f"{STS}/security").json() == applied
    finally:
        reopened.close()

    # Back to a scenario: the own document is no longer what the STS says it applies.
    back = api.put(f"{STS}/security", json={"scenarioId": "scenario1", "allowedRoles": ["admin"]})
    assert back.status_code == 200
    assert "policy" not in back.json() and "policyName" not in back.json()


@pytest.fixture
def no_kerberos():
    """python-gssapi (or MIT's libraries under it) not importable, as on a plain machine."""
    with without_kerberos():
        yield


def test_a_policy_the_engine_cannot_enforce_is_refused_naming_each_assertion(
        api, bootstrapped, no_kerberos):
    before = bootstrapped.store.config.get_security_policy()
    answer = apply_own(api, KERBEROS, "Kerberos")
    assert answer.status_code == 400
    description = answer.json()["description"]
    assert "cannot enforce 3 of its assertions" in description
    assert ("sp:KerberosToken at /wsp:Policy/wsp:ExactlyOne/wsp:All/sp:SymmetricBinding/"
            "wsp:Policy/sp:ProtectionToken/wsp:Policy/sp:KerberosToken (line 13)") in description
    assert "sp:EndorsingSupportingTokens at" in description
    assert "ex:AuditEveryRequest at" in description
    assert "pip install 'stsdesk[kerberos]'" in description  # what to install for the ticket
    assert "unchanged" in description
    assert bootstrapped.store.config.get_security_policy() == before


def test_the_check_gives_the_verdict_without_applying(api, bootstrapped, no_kerberos):
    before = bootstrapped.store.config.get_security_policy()
    refused = api.post(f"{STS}/security/policy-check", json={"policy": KERBEROS})
    assert refused.status_code == 200
    verdict = refused.json()
    assert verdict["enforceable"] is False
    kerberos = next(i for i in verdict["unenforceable"] if i["name"] == "sp:KerberosToken")
    assert kerberos["assertion"] == f"{{{ns.SP_2005}}}KerberosToken"
    assert kerberos["line"] == 13

    accepted = api.post(f"{STS}/security/policy-check", json={"policy": SIGN_ENCRYPT}).json()
    assert accepted["enforceable"] is True and accepted["unenforceable"] == []
    assert accepted["algorithmSuite"] == "Basic256Sha256"
    assert accepted["asksFor"] == ["keystores"]
    assert accepted["policyId"] == "PartnerSignEncryptSha256"
    assert any("RampartConfig" in note for note in accepted["notes"])
    assert bootstrapped.store.config.get_security_policy() == before


def test_bad_requests_say_what_to_do(api):
    cases = [
        ({"policyName": "x", "policy": "<not-xml", **KEYSTORES}, "cannot be read"),
        ({"policyName": "x", "policy": '<!DOCTYPE p [<!ENTITY e "e">]><p>&e;</p>', **KEYSTORES},
         "DTD"),
        ({"policyName": "x", "policy": "<definitions/>", **KEYSTORES}, "wsp:Policy"),
        ({"policyName": "  ", "policy": SIGN_ENCRYPT, **KEYSTORES}, "name"),
        ({"scenarioId": "scenario2", "policyName": "x", "policy": SIGN_ENCRYPT, **KEYSTORES},
         "not both"),
        ({"policyName": "x", "policy": SIGN_ENCRYPT}, "needs keystores"),
        ({"allowedRoles": ["admin"]}, "scenarioId"),
    ]
    for body, words in cases:
        answer = api.put(f"{STS}/security", json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert words in answer.json()["description"], (body, answer.json())


def test_a_username_policy_needs_roles_like_scenario1(api):
    transport = (DATA / "own-policies" / "username-over-https.xml").read_text(encoding="utf-8")
    refused = api.put(f"{STS}/security", json={"policyName": "UT", "policy": transport})
    assert refused.status_code == 400
    assert "give at least one role" in refused.json()["description"]
    applied = api.put(f"{STS}/security", json={"policyName": "UT", "policy": transport,
                                               "allowedRoles": ["admin"]})
    assert applied.status_code == 200, applied.text


def test_the_wsdl_and_mex_publish_the_applied_own_policy(api, bootstrapped):
    assert apply_own(api).status_code == 200
    security = bootstrapped.store.config.get_security_policy()
    wsdl = parse_xml(render_wsdl(ADDRESS, security))
    nsmap = {"wsdl": ns.WSDL, "wsp": ns.WSP_2004, "wsu": ns.WSU, "sp": ns.SP_12}
    (policy,) = wsdl.xpath("/wsdl:definitions/wsp:Policy", namespaces=nsmap)
    assert policy.get(f"{{{ns.WSU}}}Id") == "PartnerSignEncryptSha256"
    assert policy.xpath(".//sp:AlgorithmSuite/wsp:Policy/sp:Basic256Sha256", namespaces=nsmap)
    references = wsdl.xpath("//wsdl:binding/wsp:PolicyReference/@URI", namespaces=nsmap)
    assert references == ["#PartnerSignEncryptSha256"] * 2

    bindings = mex_bindings(security, issuer_address=ADDRESS)
    assert [b.name for b in bindings] == [
        "CertificateWSTrustBinding_IWSTrust13Async",
        "CertificateWSTrustBinding_IWSTrustFeb2005Async",
    ]
    assert all(b.message_security for b in bindings)
    stated = etree.tostring(bindings[0].policy)
    assert b"Basic256Sha256" in stated
    # Rampart's own configuration (keystore settings, perhaps passwords) is never published.
    assert b"RampartConfig" not in stated and b"RampartConfig" not in etree.tostring(wsdl)


def test_the_check_needs_an_admin(anonymous, as_user):
    body = {"policy": SIGN_ENCRYPT}
    assert anonymous.post(f"{STS}/security/policy-check", json=body).status_code == 401
    operator = as_user("operator", roles=("operators",))
    assert operator.post(f"{STS}/security/policy-check", json=body).status_code == 403


def kerberos_only() -> str:
    """The Kerberos document without what the engine never enforces: scenario 20 written anew."""
    start = KERBEROS.index("<sp:EndorsingSupportingTokens>")
    end = KERBEROS.index("</sp:EndorsingSupportingTokens>") + len(
        "</sp:EndorsingSupportingTokens>")
    return (KERBEROS[:start] + KERBEROS[end:]).replace(
        '<ex:AuditEveryRequest xmlns:ex="urn:example:own-assertions"/>', "")


def test_where_kerberos_is_installed_a_ticket_policy_asks_for_the_principal_and_keytab(
        api, bootstrapped):
    pytest.importorskip("gssapi", reason="python-gssapi (the kerberos extra) is missing")
    named = api.post(f"{STS}/security/policy-check", json={"policy": KERBEROS}).json()
    assert {i["name"] for i in named["unenforceable"]} == {
        "sp:EndorsingSupportingTokens", "ex:AuditEveryRequest"}
    verdict = api.post(f"{STS}/security/policy-check", json={"policy": kerberos_only()}).json()
    assert verdict["enforceable"] is True and verdict["asksFor"] == ["servicePrincipal"]
    before = bootstrapped.store.config.get_security_policy()
    for extra, words in (({}, "The security policy 'Tickets' needs the STS's Kerberos "
                              "service principal"),
                         ({"servicePrincipal": "HTTP/sts.example.org@EXAMPLE.ORG"},
                          "Give the keytab of HTTP/sts.example.org@EXAMPLE.ORG"),
                         ({"servicePrincipal": "HTTP/sts.example.org@EXAMPLE.ORG",
                           "keytab": "bm90IGEga2V5dGFi"}, "not an MIT keytab")):
        answer = api.put(f"{STS}/security", json={"policyName": "Tickets",
                                                   "policy": kerberos_only(), **extra})
        assert answer.status_code == 400, answer.text
        assert words in answer.json()["description"]
    assert bootstrapped.store.config.get_security_policy() == before


def test_a_policy_without_kerberos_refuses_a_principal_and_keytab(api):
    answer = apply_own(api, servicePrincipal="HTTP/sts.example.org@EXAMPLE.ORG")
    assert answer.status_code == 400
    assert "does not use Kerberos" in answer.json()["description"]


def test_the_wsdl_and_mex_publish_an_own_session_policy_with_its_bootstrap(api, bootstrapped):
    document = (OWN / "secure-conversation-sp12.xml").read_text(encoding="utf-8")
    assert apply_own(api, document, "Partner session").status_code == 200
    security = bootstrapped.store.config.get_security_policy()
    wsdl = parse_xml(render_wsdl(ADDRESS, security))
    nsmap = {"wsdl": ns.WSDL, "wsp": ns.WSP_W3C, "sp": ns.SP_12}
    (policy,) = wsdl.xpath("/wsdl:definitions/wsp:Policy", namespaces=nsmap)
    assert policy.xpath(".//sp:SecureConversationToken/wsp:Policy/sp:BootstrapPolicy/wsp:Policy"
                        "/sp:AsymmetricBinding", namespaces=nsmap)
    assert wsdl.xpath("//wsdl:binding/*[local-name()='PolicyReference']/@URI",
                      namespaces=nsmap) == ["#PartnerSessionSha256"] * 2
    bindings = mex_bindings(security, issuer_address=ADDRESS)
    assert all(b.message_security for b in bindings)
    assert b"BootstrapPolicy" in etree.tostring(bindings[0].policy)
