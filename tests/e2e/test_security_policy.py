"""The applied security policy over real HTTPS: the admin API changes what the STS enforces."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from stsdesk.core import ns
from stsdesk.core.soap import SoapVersion
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.core.xmlparse import parse_xml
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.trust_client import Credentials, TrustClient, TrustExchange
from tests.helpers import live_server
from tests.helpers.kerberos_absent import without_kerberos

ADMIN = ("admin", "Adm1n-policy-e2e")
ALICE = Credentials("alice", "Al1ce-has-role-x")  # has role x
BOB = Credentials("bob", "B0b-lacks-role-x")  # has role y only
RP = "https://rp.example.org/policy"
API = "/api/server/v1/sts"
WSDL_NS = {"wsdl": ns.WSDL, "wsp": ns.WSP_2004, "wsa10": ns.WSA_2005, "wsu": ns.WSU}


@dataclass
class Sts(live_server.OwnSts):
    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.admin.request(method, self.server.url + API + path, timeout=30,
                                  verify=str(self.server.ca_file), **kwargs)

    def issue(self, who: Credentials) -> TrustExchange:
        rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                            key_type=KeyType.BEARER, applies_to=RP)
        trust = TrustPolicy(ca_file=str(self.server.ca_file))
        with TrustClient(self.endpoint, trust=trust) as client:
            return client.send(rst, trust_version=TrustVersion.WST_13,
                               request_type=RequestType.ISSUE, soap_version=SoapVersion.SOAP12,
                               credentials=who)

    def apply(self, **body) -> requests.Response:
        return self.api("PUT", "/security", json=body)


@pytest.fixture(scope="module")
def sts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sts]:
    with live_server.running_sts(tmp_path_factory.mktemp("policy-sts"), ADMIN[1]) as server:
        store = server.bootstrap.store
        for role in ("x", "y"):
            store.roles.create(role)
        store.users.create(ALICE.username, ALICE.password, roles=["x"])
        store.users.create(BOB.username, BOB.password, roles=["y"])
        live_server.add_relying_party(store, "policy-rp", RP)
        with live_server.admin_session(ADMIN) as admin:
            yield Sts(server, admin)


def wsdl(sts: Sts):
    answer = sts.admin.get(sts.endpoint + "?wsdl", timeout=30, verify=str(sts.server.ca_file))
    assert answer.status_code == 200
    return parse_xml(answer.content)


def test_only_users_with_an_allowed_role_get_tokens(sts):
    answer = sts.apply(scenarioId="scenario1", allowedRoles=["x"])
    assert answer.status_code == 200, answer.text
    assert answer.json()["allowedRoles"] == ["x"]
    granted = sts.issue(ALICE)
    assert granted.ok, (granted.fault_code, granted.fault_reason)
    assert granted.response.applies_to == RP
    refused = sts.issue(BOB)
    assert not refused.ok
    assert refused.fault_code.endswith("FailedAuthentication")
    # Told only that they are not authorised: which roles would do is for the server log.
    assert "not authorised" in refused.fault_reason and "x" not in refused.fault_reason.split()
    admin = sts.issue(Credentials(*ADMIN))  # the admin role is no longer allowed
    assert not admin.ok and "not authorised" in admin.fault_reason
    answer = sts.apply(scenarioId="scenario1", allowedRoles=["x", "y"])
    assert answer.status_code == 200
    assert sts.issue(BOB).ok


def test_disabled_security_refuses_every_token_until_re_enabled(sts):
    assert sts.apply(scenarioId="scenario1", allowedRoles=["x"]).status_code == 200
    assert sts.api("DELETE", "/security").status_code == 204
    refused = sts.issue(ALICE)
    assert not refused.ok
    assert "Security is not configured" in refused.fault_reason
    assert wsdl(sts).xpath("//wsp:Policy | //wsp:PolicyReference", namespaces=WSDL_NS) == []
    assert sts.api("GET", "/security").json()["enabled"] is False
    assert sts.apply(scenarioId="scenario1", allowedRoles=["x"]).status_code == 200
    again = sts.issue(ALICE)
    assert again.ok, (again.fault_code, again.fault_reason)


def test_a_scenario_the_sts_cannot_enforce_is_refused_and_the_previous_one_stays(sts):
    assert sts.apply(scenarioId="scenario1", allowedRoles=["x"]).status_code == 200
    with without_kerberos():  # then scenario 20 is the one this STS cannot enforce
        answer = sts.apply(scenarioId="scenario20", trustedKeystores=["wso2carbon.jks"],
                           privateKeystore="wso2carbon.jks")
    assert answer.status_code == 400
    assert "Scenario 20 cannot be applied here" in answer.json()["description"]
    assert "pip install 'stsdesk[kerberos]'" in answer.json()["description"]
    state = sts.api("GET", "/security").json()
    assert state["enabled"] is True and state["scenarioId"] == "scenario1"
    assert state["allowedRoles"] == ["x"]
    assert sts.issue(ALICE).ok
    assert not sts.issue(BOB).ok


def test_wsdl_carries_the_applied_policy_and_the_public_address(sts):
    assert sts.apply(scenarioId="scenario1", allowedRoles=["x"]).status_code == 200
    root = wsdl(sts)
    (policy,) = root.xpath("/wsdl:definitions/wsp:Policy", namespaces=WSDL_NS)
    policy_id = policy.get(f"{{{ns.WSU}}}Id")
    assert policy_id == "UTOverTransport"
    references = root.xpath("//wsdl:binding/wsp:PolicyReference/@URI", namespaces=WSDL_NS)
    assert references == [f"#{policy_id}"] * 2
    addresses = root.xpath("//wsdl:port/wsa10:EndpointReference/wsa10:Address/text()",
                           namespaces=WSDL_NS)
    assert addresses == [sts.endpoint] * 2
    assert sts.endpoint.startswith("https://")
    endpoints = sts.api("GET", "/endpoints").json()
    assert endpoints == {"sts": sts.endpoint, "wsdl": sts.endpoint + "?wsdl"}
