"""The STS security admin API: scenarios, apply/disable, proof key type, trusted services."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.core import ns, scenarios
from stsdesk.core.certificates import generate_self_signed
from stsdesk.core.xmlparse import parse_xml
from stsdesk.server.admin import sts_security
from stsdesk.server.app import build_app
from stsdesk.server.bootstrap import open_existing
from stsdesk.server.model import RelyingParty
from stsdesk.server.sts.kerberos import kerberos_unavailable_reason
from tests.helpers.kerberos_absent import without_kerberos
from tests.server.admin.conftest import API, client_for
from tests.server.conftest import ADMIN_PASSWORD

STS = f"{API}/sts"
SCENARIO1 = {"scenarioId": "scenario1", "allowedRoles": ["admin"]}

ENDPOINTS = [
    ("GET", f"{STS}/scenarios", None),
    ("GET", f"{STS}/scenarios/scenario1", None),
    ("GET", f"{STS}/scenarios/scenario1/policy", None),
    ("GET", f"{STS}/security", None),
    ("PUT", f"{STS}/security", SCENARIO1),
    ("DELETE", f"{STS}/security", None),
    ("GET", f"{STS}/proof-key-type", None),
    ("PUT", f"{STS}/proof-key-type", {"proofKeyType": "EncryptedKey"}),
    ("GET", f"{STS}/trusted-services", None),
    ("GET", f"{STS}/keystores", None),
    ("GET", f"{STS}/endpoints", None),
]


def audit_actions(api) -> list[str]:
    return [entry["action"] for entry in api.get(f"{API}/audit-logs").json()["entries"]]


def security(api) -> dict:
    answer = api.get(f"{STS}/security")
    assert answer.status_code == 200
    return answer.json()


# ------------------------------------------------------------------------------- access


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=lambda v: str(v))
def test_every_endpoint_needs_an_admin(anonymous, as_user, bootstrapped, method, path, body):
    before = bootstrapped.store.config.get_security_policy()
    answer = anonymous.request(method, path, json=body)
    assert answer.status_code == 401
    assert answer.json()["code"] == "AUTH-10001"
    operator = as_user("operator", roles=("operators",))
    answer = operator.request(method, path, json=body)
    assert answer.status_code == 403
    assert "admin role" in answer.json()["description"]
    assert bootstrapped.store.config.get_security_policy() == before


# ------------------------------------------------------------------------------- scenarios


def test_scenarios_are_listed_in_wso2s_order(api):
    answer = api.get(f"{STS}/scenarios")
    assert answer.status_code == 200
    scenarios = answer.json()
    assert len(scenarios) == 20
    assert [s["number"] for s in scenarios] == list(range(1, 21))
    first = scenarios[0]
    assert first == {
        "id": "scenario1", "number": 1, "summary": "UsernameToken",
        "description": "Provides Authentication. Clients have Username Tokens",
        "group": "basic", "category": "ut", "wsuId": "UTOverTransport", "asksFor": ["roles"],
        "enforceable": True,
    }
    by_id = {s["id"]: s for s in scenarios}
    assert by_id["scenario2"]["asksFor"] == ["keystores"]
    assert by_id["scenario8"]["asksFor"] == ["roles", "keystores"]
    assert by_id["scenario5"]["group"] == "advanced"
    # Kerberos (scenario 20) where python-gssapi and MIT Kerberos are installed.
    kerberos = [20] if kerberos_unavailable_reason() is None else []
    assert [s["id"] for s in scenarios if s["enforceable"]] == [
        f"scenario{n}" for n in (*range(1, 16), *kerberos, 31, 32, 33, 34)]


@pytest.fixture
def no_kerberos():
    """python-gssapi (or MIT's libraries under it) not importable, as on a plain machine."""
    with without_kerberos():
        yield


def test_without_kerberos_scenario20_says_what_to_install(api, no_kerberos):
    before = security(api)
    by_id = {s["id"]: s for s in api.get(f"{STS}/scenarios").json()}
    assert by_id["scenario20"]["enforceable"] is False
    answer = api.put(f"{STS}/security", json={
        "scenarioId": "scenario20", "servicePrincipal": "HTTP/sts.example.org@EXAMPLE.ORG",
        "keytab": "BQI="})
    assert answer.status_code == 400
    description = answer.json()["description"]
    assert "pip install 'stsdesk[kerberos]'" in description
    assert "libkrb5-dev" in description
    assert security(api) == before


def test_a_scenario_comes_with_its_policy(api):
    answer = api.get(f"{STS}/scenarios/scenario5")
    assert answer.status_code == 200
    body = answer.json()
    assert body["summary"] == "Sign and Encrypt - X509 Authentication"
    assert body["enforceable"] is True
    policy = parse_xml(body["policy"].encode())
    assert policy.get(f"{{{ns.WSU}}}Id") == "SigEncr"


def test_policy_document_is_served_as_xml(api):
    answer = api.get(f"{STS}/scenarios/scenario1/policy")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/xml")
    policy = parse_xml(answer.content)
    assert policy.tag == f"{{{ns.WSP_2004}}}Policy"
    assert policy.get(f"{{{ns.WSU}}}Id") == "UTOverTransport"


@pytest.mark.parametrize("suffix", ["", "/policy"])
def test_unknown_scenario_is_404_naming_the_known_ones(api, suffix):
    answer = api.get(f"{STS}/scenarios/scenario99{suffix}")
    assert answer.status_code == 404
    body = answer.json()
    assert set(body) == {"code", "message", "description"}
    assert "scenario99" in body["description"] and "scenario1" in body["description"]


def test_overlong_scenario_id_is_400(api):
    assert api.get(f"{STS}/scenarios/{'s' * 65}").status_code == 400


# ------------------------------------------------------------------------------- applied policy


def test_default_security_is_scenario1_for_admins(api):
    assert security(api) == {
        "enabled": True, "scenarioId": "scenario1", "userStoreDomain": "ALL-USER-STORE-DOMAINS",
        "allowedRoles": ["admin"], "trustedKeystores": [], "privateKeystore": None,
        "algorithmSuite": "Basic256", "proofKeyType": "BinarySecret",
    }


def test_apply_stores_audits_and_persists(api, bootstrapped, server_settings):
    bootstrapped.store.roles.create("x")
    answer = api.put(f"{STS}/security", json={
        "scenarioId": "scenario1", "userStoreDomain": "primary",
        "allowedRoles": ["x", "admin", "x"], "trustedKeystores": ["wso2carbon.jks"],
        "privateKeystore": "wso2carbon.jks", "algorithmSuite": "Basic256Sha256",
    })
    assert answer.status_code == 200, answer.json()
    expected = {
        "enabled": True, "scenarioId": "scenario1", "userStoreDomain": "PRIMARY",
        "allowedRoles": ["x", "admin"], "trustedKeystores": ["wso2carbon.jks"],
        "privateKeystore": "wso2carbon.jks", "algorithmSuite": "Basic256Sha256",
        "proofKeyType": "BinarySecret",
    }
    assert answer.json() == expected
    assert security(api) == expected
    entry = api.get(f"{API}/audit-logs").json()["entries"][0]
    assert entry["action"] == "sts.security.apply" and entry["actor"] == "admin"
    assert "scenario1" in entry["detail"] and "x, admin" in entry["detail"]
    assert "wso2carbon.jks" in entry["detail"] and "Basic256Sha256" in entry["detail"]
    reopened = open_existing(server_settings)
    try:
        with client_for(build_app(reopened, server_settings), "admin", ADMIN_PASSWORD) as again:
            assert security(again) == expected
    finally:
        reopened.close()


# Each case: the body, and words the description must hold. One test walks them all, so that
# the admin's argon2 check is paid once.
BAD_APPLY = [
    ({"scenarioId": "scenario99", "allowedRoles": ["admin"]}, ["scenario99", "scenario1"]),
    # Scenario 20 without its principal: what to send where Kerberos is installed, else what to
    # install; both answers name the scenario.
    ({"scenarioId": "scenario20", "trustedKeystores": ["wso2carbon.jks"],
      "privateKeystore": "wso2carbon.jks"}, ["Scenario 20"]),
    ({"scenarioId": "scenario1", "allowedRoles": []}, ["at least one role"]),
    ({"scenarioId": "scenario1"}, ["at least one role"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["Internal/everyone"]}, ["every user"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["admin", "internal/ANONYMOUS"]},
     ["every user"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["Everyone"]}, ["every user"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["admin", "ghosts"]},
     ["do not exist", "ghosts"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["admin"], "userStoreDomain": "LDAP"},
     ["LDAP", "ALL-USER-STORE-DOMAINS"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["admin"],
      "trustedKeystores": ["other.jks"]}, ["other.jks", "wso2carbon.jks"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["admin"],
      "privateKeystore": "client-truststore.jks"}, ["wso2carbon.jks"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["admin"], "roles": ["admin"]}, ["roles"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["admin"], "algorithmSuite": "Basic128"},
     ["algorithmSuite", "Basic256", "Basic256Sha256"]),
    ({"scenarioId": "scenario1", "allowedRoles": "admin"}, ["allowedRoles"]),
    ({"scenarioId": "s" * 65, "allowedRoles": ["admin"]}, ["scenarioId"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["r"] * 101}, ["allowedRoles"]),
    ({"scenarioId": "scenario1", "allowedRoles": ["r" * 257]}, ["allowedRoles"]),
    ({"allowedRoles": ["admin"]}, ["scenarioId"]),
]


def test_apply_refuses_bad_input_and_keeps_the_policy(api):
    before = security(api)
    for body, words in BAD_APPLY:
        answer = api.put(f"{STS}/security", json=body)
        assert answer.status_code == 400, (body, answer.json())
        description = answer.json()["description"]
        for word in words:
            assert word in description, (body, description)
        assert security(api) == before, body
    assert "sts.security.apply" not in audit_actions(api)


def test_apply_refuses_a_body_that_is_not_json(api):
    answer = api.put(f"{STS}/security", content=b"scenario1",
                     headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "JSON" in answer.json()["description"]


def test_disable_then_re_enable(api, bootstrapped):
    answer = api.delete(f"{STS}/security")
    assert answer.status_code == 204
    assert answer.content == b""
    state = security(api)
    assert state["enabled"] is False and state["scenarioId"] == "scenario1"
    assert bootstrapped.store.snapshot().security.enabled is False
    assert audit_actions(api).count("sts.security.disable") == 1
    assert api.delete(f"{STS}/security").status_code == 204  # already off: nothing to record
    assert audit_actions(api).count("sts.security.disable") == 1
    answer = api.put(f"{STS}/security", json=SCENARIO1)
    assert answer.status_code == 200
    assert answer.json()["enabled"] is True
    assert bootstrapped.store.snapshot().security.enabled is True


def test_refused_scenario_does_not_re_enable_a_disabled_sts(api):
    api.delete(f"{STS}/security")
    answer = api.put(f"{STS}/security", json={"scenarioId": "scenario3"})
    assert answer.status_code == 400
    assert security(api)["enabled"] is False


# ------------------------------------------------------------------------------- proof key type


def test_proof_key_type_round_trip(api, bootstrapped):
    assert api.get(f"{STS}/proof-key-type").json() == {"proofKeyType": "BinarySecret"}
    answer = api.put(f"{STS}/proof-key-type", json={"proofKeyType": "EncryptedKey"})
    assert answer.status_code == 200
    assert answer.json() == {"proofKeyType": "EncryptedKey"}
    assert api.get(f"{STS}/proof-key-type").json() == {"proofKeyType": "EncryptedKey"}
    assert bootstrapped.store.snapshot().security.proof_key_type.value == "EncryptedKey"
    entry = api.get(f"{API}/audit-logs").json()["entries"][0]
    assert entry["action"] == "sts.proof-key-type.update"
    assert entry["detail"] == "BinarySecret -> EncryptedKey"
    # Applying a scenario keeps the proof key type.
    assert api.put(f"{STS}/security", json=SCENARIO1).json()["proofKeyType"] == "EncryptedKey"


def test_proof_key_type_refuses_bad_input(api):
    for body in ({"proofKeyType": "Plain"}, {}, {"proofKeyType": None},
                 {"proofKeyType": "EncryptedKey", "keyType": "EncryptedKey"}):
        answer = api.put(f"{STS}/proof-key-type", json=body)
        assert answer.status_code == 400, body
        assert "proofKeyType" in answer.json()["description"] or "keyType" in answer.json()[
            "description"], body
    assert api.get(f"{STS}/proof-key-type").json() == {"proofKeyType": "BinarySecret"}
    assert "sts.proof-key-type.update" not in audit_actions(api)


# ------------------------------------------------------------------------------- read-only views


def test_trusted_services_are_the_relying_parties(api, bootstrapped):
    assert api.get(f"{STS}/trusted-services").json() == []
    store = bootstrapped.store
    identity = generate_self_signed("rp.example.org")
    store.keys.add_trusted_certificate("rp-cert", identity.certificate.public_bytes(Encoding.DER))
    first = store.applications.create("first")
    store.applications.set_relying_party(
        first, RelyingParty("", "", "https://a.example.org", certificate_alias="rp-cert")
    )
    second = store.applications.create("second")
    store.applications.set_relying_party(second, RelyingParty("", "", "https://b.example.org"))
    answer = api.get(f"{STS}/trusted-services")
    assert answer.status_code == 200
    assert answer.json() == [
        {"audience": "https://a.example.org", "certificateAlias": "rp-cert",
         "applicationId": first, "applicationName": "first"},
        {"audience": "https://b.example.org", "certificateAlias": None,
         "applicationId": second, "applicationName": "second"},
    ]
    store.applications.delete(first)
    assert [s["applicationName"] for s in api.get(f"{STS}/trusted-services").json()] == ["second"]


def test_keystores_name_the_primary_keystore(api):
    assert api.get(f"{STS}/keystores").json() == [
        {"keyStoreName": "wso2carbon.jks", "privateStore": True}
    ]


def test_endpoints_use_the_address_clients_used(api):
    assert api.get(f"{STS}/endpoints").json() == {
        "sts": "https://testserver/services/wso2carbon-sts",
        "wsdl": "https://testserver/services/wso2carbon-sts?wsdl",
    }


def test_endpoints_use_the_public_host_when_configured(bootstrapped, server_settings,
                                                        fast_password_hashing):
    settings = dataclasses.replace(server_settings, public_host="sts.example.org:8443")
    with client_for(build_app(bootstrapped, settings), "admin", ADMIN_PASSWORD) as client:
        body = client.get(f"{STS}/endpoints").json()
    assert body["sts"] == "https://sts.example.org:8443/services/wso2carbon-sts"
    assert body["wsdl"] == body["sts"] + "?wsdl"


@pytest.fixture
def keystore_scenarios_enforceable(monkeypatch):
    """Every scenario enforceable, so the keystore checks are tested whatever the engine does."""
    def enforceable(scenario_id: str):
        found = scenarios.find_scenario(scenario_id)
        return None if found is None else dataclasses.replace(found, enforceable=True)

    monkeypatch.setattr(sts_security, "find_scenario", enforceable)


def test_a_keystore_scenario_takes_its_keystores_and_suite(api, keystore_scenarios_enforceable):
    before = security(api)
    for body, words in [
        ({"scenarioId": "scenario5"}, ["scenario5 needs keystores", "trustedKeystores"]),
        ({"scenarioId": "scenario5", "trustedKeystores": ["wso2carbon.jks"]},
         ["privateKeystore"]),
        ({"scenarioId": "scenario5", "privateKeystore": "wso2carbon.jks"},
         ["trustedKeystores"]),
        ({"scenarioId": "scenario8", "trustedKeystores": ["wso2carbon.jks"],
          "privateKeystore": "wso2carbon.jks"}, ["at least one role"]),
    ]:
        answer = api.put(f"{STS}/security", json=body)
        assert answer.status_code == 400, (body, answer.json())
        for word in words:
            assert word in answer.json()["description"], (body, answer.json())
    assert security(api) == before
    answer = api.put(f"{STS}/security", json={
        "scenarioId": "scenario5", "trustedKeystores": ["wso2carbon.jks", "wso2carbon.jks"],
        "privateKeystore": "wso2carbon.jks", "algorithmSuite": "Basic256Sha256"})
    assert answer.status_code == 200, answer.json()
    assert security(api) == answer.json()
    assert (answer.json()["trustedKeystores"], answer.json()["privateKeystore"],
            answer.json()["algorithmSuite"]) == (["wso2carbon.jks"], "wso2carbon.jks",
                                                 "Basic256Sha256")
    # Applying again without a suite goes back to WSO2's: PUT replaces the applied policy.
    answer = api.put(f"{STS}/security", json={
        "scenarioId": "scenario5", "trustedKeystores": ["wso2carbon.jks"],
        "privateKeystore": "wso2carbon.jks"})
    assert answer.json()["algorithmSuite"] == "Basic256"


def test_openapi_describes_the_sts_security_api(anonymous):
    paths = anonymous.get(f"{API}/openapi.json").json()["paths"]
    for method, path, _ in ENDPOINTS:
        assert method.lower() in paths[path.replace("scenario1", "{scenarioId}")]
    summary = paths[f"{STS}/trusted-services"]["get"]["summary"]
    assert "ws-trust inbound protocol" in summary
    assert "application/xml" in paths[f"{STS}/scenarios/{{scenarioId}}/policy"]["get"][
        "responses"]["200"]["content"]
    schemas = anonymous.get(f"{API}/openapi.json").json()["components"]["schemas"]
    assert schemas["AlgorithmSuite"]["enum"] == ["Basic256", "Basic256Sha256"]
    for model in ("SecurityModel", "ApplySecurityModel"):
        properties = schemas[model]["properties"]
        assert properties["algorithmSuite"]["$ref"].endswith("/AlgorithmSuite")
        assert "chain to" in properties["trustedKeystores"]["description"]
        assert "private key" in properties["privateKeystore"]["description"]
