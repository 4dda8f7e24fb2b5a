"""SCIM changes reach the STS at once: over real HTTPS, the next token request sees them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from argon2 import PasswordHasher
from lxml import etree

from stsdesk.core import ns
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request
from stsdesk.server import passwords
from stsdesk.server.model import RelyingParty, RequestedClaim
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.services.tls import TrustPolicy
from stsdesk.services.trust_client import Credentials, TrustClient

ADMIN_PASSWORD = "Adm1n-scim-secret"
AUDIENCE = "https://rp.example.org/scim"
GIVEN_NAME = "http://wso2.org/claims/givenname"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
HEADERS = {"Content-Type": "application/scim+json"}


@dataclass
class Live:
    server: BackgroundServer
    scim: requests.Session
    trust: TrustClient

    def url(self, path: str) -> str:
        return f"{self.server.url}/scim2{path}"

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        # verify per request: a session-wide verify loses to REQUESTS_CA_BUNDLE in requests.
        return self.scim.request(method, self.url(path), verify=str(self.server.ca_file),
                                 auth=("admin", ADMIN_PASSWORD), **kwargs)

    def patch(self, path: str, *operations: dict) -> requests.Response:
        return self.call("PATCH", path, headers=HEADERS,
                         json={"schemas": [PATCH_OP], "Operations": list(operations)})

    def issue(self, username: str, password: str):
        rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                            key_type=KeyType.BEARER, applies_to=AUDIENCE)
        return self.trust.send(rst, trust_version=TrustVersion.WST_13,
                               request_type=RequestType.ISSUE,
                               credentials=Credentials(username, password))


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data_dir: Path = tmp_path_factory.mktemp("scim-sts")
    with pytest.MonkeyPatch.context() as patch:
        # Real argon2id with small parameters, so that the password changes below stay quick.
        patch.setattr(passwords, "_hasher",
                      PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        settings = ServerSettings(data_dir=data_dir, port=0, admin_password=ADMIN_PASSWORD)
        server = BackgroundServer(settings)
        server.start()
        try:
            store = server.bootstrap.store
            app_id = store.applications.create("scim-rp")
            store.applications.set_relying_party(
                app_id, RelyingParty("", "scim-rp", AUDIENCE, encrypt_token=False)
            )
            store.applications.update(app_id, requested_claims=[RequestedClaim(GIVEN_NAME)])
            policy = store.config.get_security_policy()
            store.config.set_security_policy(
                dataclasses.replace(policy, allowed_roles=("admin", "token-users"))
            )
            with requests.Session() as scim, TrustClient(
                server.url + "/services/wso2carbon-sts",
                trust=TrustPolicy(ca_file=str(server.ca_file)),
            ) as trust:
                yield Live(server, scim, trust)
        finally:
            server.stop()


@pytest.fixture(scope="module")
def token_users(live: Live) -> str:
    answer = live.call("POST", "/Groups", headers=HEADERS,
                            json={"displayName": "PRIMARY/token-users"})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def new_user(live: Live, token_users: str, name: str, password: str) -> str:
    answer = live.call("POST", "/Users", headers=HEADERS, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name, "password": password, "name": {"givenName": name.title()},
    })
    assert answer.status_code == 201, answer.text
    user_id = answer.json()["id"]
    added = live.patch(f"/Groups/{token_users}",
                       {"op": "add", "path": "members", "value": [{"value": user_id}]})
    assert added.status_code == 200, added.text
    return user_id


def refused(exchange) -> str:
    assert not exchange.ok
    assert exchange.fault_code == f"{{{ns.WST_13}}}FailedAuthentication"
    return exchange.fault_reason


def test_a_new_password_replaces_the_old_one_at_once(live, token_users):
    user_id = new_user(live, token_users, "carol", "F1rst-password")
    assert live.issue("carol", "F1rst-password").ok  # now in the credential cache
    answer = live.patch(f"/Users/{user_id}",
                        {"op": "replace", "path": "password", "value": "S3cond-password"})
    assert answer.status_code == 200, answer.text
    refused(live.issue("carol", "F1rst-password"))
    assert live.issue("carol", "S3cond-password").ok


def test_deactivated_users_get_no_token_until_reactivated(live, token_users):
    user_id = new_user(live, token_users, "dave", "D4ve-password")
    assert live.issue("dave", "D4ve-password").ok
    answer = live.patch(f"/Users/{user_id}", {"op": "replace", "path": "active", "value": False})
    assert answer.status_code == 200, answer.text
    refused(live.issue("dave", "D4ve-password"))
    live.patch(f"/Users/{user_id}", {"op": "replace", "path": "active", "value": True})
    assert live.issue("dave", "D4ve-password").ok


def test_leaving_the_allowed_group_stops_tokens(live, token_users, caplog):
    user_id = new_user(live, token_users, "erin", "Er1n-password")
    assert live.issue("erin", "Er1n-password").ok
    answer = live.patch(f"/Groups/{token_users}",
                        {"op": "remove", "path": f'members[value eq "{user_id}"]'})
    assert answer.status_code == 200, answer.text
    with caplog.at_level("WARNING", logger="stsdesk.server.sts"):
        reason = refused(live.issue("erin", "Er1n-password"))
    # The refused user learns only that they are not authorised, not which roles would do.
    assert "not authorised" in reason
    assert "token-users" not in reason and "role" not in reason and "admin," not in reason
    # The administrator finds the detail in the server log.
    assert any("'erin'" in r.getMessage() and "admin, token-users" in r.getMessage()
               for r in caplog.records)


def test_profile_attributes_are_the_token_claims(live, token_users):
    user_id = new_user(live, token_users, "frank", "Fr4nk-password")
    live.patch(f"/Users/{user_id}", {"op": "replace", "path": "name.givenName", "value": "Franz"})
    exchange = live.issue("frank", "Fr4nk-password")
    assert exchange.ok, exchange.fault_reason
    values = exchange.response.token.xpath(
        ".//*[local-name()='Attribute'][@Name=$uri]/*[local-name()='AttributeValue']/text()",
        uri=GIVEN_NAME,
    )
    assert values == ["Franz"], etree.tostring(exchange.response.token)[:500]


def test_unlocking_through_scim_lets_the_user_in_again(live, token_users):
    user_id = new_user(live, token_users, "gina", "G1na-password")
    for _ in range(5):
        refused(live.issue("gina", "wrong-password"))
    assert "locked" in refused(live.issue("gina", "G1na-password"))
    shown = live.call("GET", f"/Users/{user_id}").json()["urn:scim:wso2:schema"]
    assert shown["accountLocked"] is True
    answer = live.patch(f"/Users/{user_id}",
                        {"op": "replace", "path": "urn:scim:wso2:schema:accountLocked",
                         "value": False})
    assert answer.status_code == 200, answer.text
    assert live.issue("gina", "G1na-password").ok


def test_a_user_created_without_a_password_cannot_sign_in_until_one_is_set(live, token_users):
    answer = live.call("POST", "/Users", headers=HEADERS, json={
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "hank",
        "externalId": "00u-hank", "active": "True"})
    assert answer.status_code == 201, answer.text
    user_id = answer.json()["id"]
    live.patch(f"/Groups/{token_users}",
               {"op": "add", "path": "members", "value": [{"value": user_id}]})
    # The same fault and reason as a wrong password of a user who has one.
    new_user(live, token_users, "ivy", "Ivy-password1")
    wrong = refused(live.issue("ivy", "not-her-password"))
    assert refused(live.issue("hank", "any-password")) == wrong
    assert refused(live.issue("hank", "")) == wrong
    shown = live.call("GET", f"/Users/{user_id}", params={
        "attributes": "urn:scim:wso2:schema:passwordSet,"
                      "urn:scim:wso2:schema:failedLoginAttempts"}).json()
    assert shown["urn:scim:wso2:schema"] == {"passwordSet": False, "failedLoginAttempts": 2}
    # The admin API's Basic sign-in refuses it the same way as well.
    basic = requests.get(live.url("/Users"), verify=str(live.server.ca_file),
                         auth=("hank", "any-password"))
    wrong_basic = requests.get(live.url("/Users"), verify=str(live.server.ca_file),
                               auth=("ivy", "not-her-password"))
    assert basic.status_code == wrong_basic.status_code == 401
    assert basic.json()["detail"] == wrong_basic.json()["detail"]
    # Once a password is set, it works.
    answer = live.patch(f"/Users/{user_id}",
                        {"op": "Replace", "path": "password", "value": "H4nk-password"},
                        {"op": "replace", "path": "urn:scim:wso2:schema:accountLocked",
                         "value": "False"})
    assert answer.status_code == 200, answer.text
    assert live.issue("hank", "H4nk-password").ok
    shown = live.call("GET", f"/Users/{user_id}",
                      params={"attributes": "urn:scim:wso2:schema:passwordSet"}).json()
    assert shown["urn:scim:wso2:schema"] == {"passwordSet": True}


def test_an_administrators_lock_holds_until_an_administrator_unlocks(live, token_users):
    user_id = new_user(live, token_users, "jack", "J4ck-password")
    answer = live.patch(f"/Users/{user_id}",
                        {"op": "replace", "path": "urn:scim:wso2:schema:accountLocked",
                         "value": True})
    assert answer.status_code == 200, answer.text
    assert answer.json()["urn:scim:wso2:schema"] == {"accountLocked": True}
    assert "locked by an administrator" in refused(live.issue("jack", "J4ck-password"))
    live.patch(f"/Users/{user_id}",
               {"op": "replace", "path": "urn:scim:wso2:schema:accountLocked", "value": False})
    assert live.issue("jack", "J4ck-password").ok
