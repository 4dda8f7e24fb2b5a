"""The resident identity provider API (/configs): WSO2's shapes, JSON-patch, validation, audit."""

from __future__ import annotations

import pytest

from stsdesk.server.admin.configs import MAX_MINUTES
from stsdesk.server.bootstrap import open_existing
from tests.server.admin.conftest import API

CONFIGS = f"{API}/configs"


def _patch(api, *operations):
    return api.patch(CONFIGS, json=[
        {"operation": op, "path": path, **({} if value is None else {"value": value})}
        for op, path, value in operations
    ])


def _audit(api, action):
    entries = api.get(f"{API}/audit-logs", params={"action": action}).json()["entries"]
    return [e for e in entries if e["action"] == action]


def test_get_configs_has_wso2_defaults(api):
    answer = api.get(CONFIGS)
    assert answer.status_code == 200
    assert answer.json() == {
        "homeRealmIdentifiers": ["localhost"],
        "idleSessionTimeoutPeriod": "15",
        "rememberMePeriod": "20160",
        "realmConfig": {"adminUser": "admin", "adminRole": "admin",
                        "everyoneRole": "Internal/everyone"},
        "stsIssuer": "localhost",
    }


def test_home_realm_identifiers_endpoint(api):
    assert api.get(f"{CONFIGS}/home-realm-identifiers").json() == ["localhost"]


def test_replace_periods_and_issuer_persist_and_are_audited(api, bootstrapped):
    answer = _patch(
        api,
        ("REPLACE", "/idleSessionTimeoutPeriod", "30"),
        ("REPLACE", "/rememberMePeriod", "60"),
        ("REPLACE", "/stsIssuer", "https://sts.example.org"),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["idleSessionTimeoutPeriod"] == "30"
    again = api.get(CONFIGS).json()
    assert (again["idleSessionTimeoutPeriod"], again["rememberMePeriod"], again["stsIssuer"]) == (
        "30", "60", "https://sts.example.org")
    stored = bootstrapped.store.config.get_resident_idp()
    assert (stored.idle_session_timeout_minutes, stored.remember_me_minutes, stored.issuer) == (
        30, 60, "https://sts.example.org")
    assert bootstrapped.store.snapshot().resident_idp.issuer == "https://sts.example.org"
    entries = _audit(api, "configs.patch")
    assert len(entries) == 1
    assert entries[0]["actor"] == "admin"
    assert "/idleSessionTimeoutPeriod" in entries[0]["detail"]


def test_changes_survive_a_restart(api, server_settings):
    assert _patch(api, ("ADD", "/homeRealmIdentifiers/1", "corp.example")).status_code == 200
    reopened = open_existing(server_settings)
    try:
        assert reopened.store.config.get_resident_idp().home_realm_identifiers == (
            "localhost", "corp.example")
    finally:
        reopened.close()


def test_home_realm_identifier_operations_by_index(api):
    assert _patch(
        api,
        ("ADD", "/homeRealmIdentifiers/0", "first"),       # insert before localhost
        ("ADD", "/homeRealmIdentifiers/2", "last"),        # index == len appends
        ("ADD", "/homeRealmIdentifiers/-", "appended"),
        ("REPLACE", "/homeRealmIdentifiers/1", "middle"),  # localhost -> middle
        ("REMOVE", "/homeRealmIdentifiers/0", None),
    ).status_code == 200
    assert api.get(f"{CONFIGS}/home-realm-identifiers").json() == ["middle", "last", "appended"]


def test_all_identifiers_can_be_removed_and_added_again(api):
    assert _patch(api, ("REMOVE", "/homeRealmIdentifiers/0", None)).status_code == 200
    assert api.get(CONFIGS).json()["homeRealmIdentifiers"] == []
    answer = _patch(api, ("REMOVE", "/homeRealmIdentifiers/0", None))
    assert answer.status_code == 400
    assert "ADD one at index 0" in answer.json()["description"]
    assert _patch(api, ("ADD", "/homeRealmIdentifiers/0", "x")).status_code == 200


@pytest.mark.parametrize(
    ("operations", "expected"),
    [
        ([("REPLACE", "/idleSessionTimeoutPeriod", "0")], "positive whole number of minutes"),
        ([("REPLACE", "/idleSessionTimeoutPeriod", "-5")], "positive whole number of minutes"),
        ([("REPLACE", "/rememberMePeriod", "1.5")], "positive whole number of minutes"),
        ([("REPLACE", "/rememberMePeriod", "two weeks")], "positive whole number of minutes"),
        ([("REPLACE", "/rememberMePeriod", str(MAX_MINUTES + 1))], str(MAX_MINUTES)),
        ([("REPLACE", "/idleSessionTimeoutPeriod", None)], "needs a value"),
        ([("ADD", "/idleSessionTimeoutPeriod", "30")], "only be changed with REPLACE"),
        ([("REMOVE", "/stsIssuer", None)], "only be changed with REPLACE"),
        ([("REPLACE", "/stsIssuer", "")], "issuer name is empty"),
        ([("REPLACE", "/stsIssuer", " padded")], "spaces"),
        ([("REPLACE", "/stsIssuer", "bad\u0007bell")], "control characters"),
        ([("ADD", "/homeRealmIdentifiers/5", "x")], "from 0 to 1"),
        ([("REPLACE", "/homeRealmIdentifiers/1", "x")], "from 0 to 0"),
        ([("REMOVE", "/homeRealmIdentifiers/1", None)], "out of range"),
        ([("ADD", "/homeRealmIdentifiers/01", "x")], "not a list index"),
        ([("ADD", "/homeRealmIdentifiers/abc", "x")], "not a list index"),
        ([("REMOVE", "/homeRealmIdentifiers/-", None)], "only be used with ADD"),
        ([("ADD", "/homeRealmIdentifiers/0", "localhost")], "already in the list"),
        ([("ADD", "/homeRealmIdentifiers/0", "")], "cannot be empty"),
        ([("ADD", "/homeRealmIdentifiers/0", "two words")], "spaces or control"),
        ([("ADD", "/homeRealmIdentifiers/0", "x" * 256)], "at most 255"),
        ([("REPLACE", "/maximumSessionTimeoutPeriod", "5")], "/homeRealmIdentifiers/{index}"),
        ([("REPLACE", "/homeRealmIdentifiers", "x")], "not supported"),
    ],
)
def test_invalid_operations_are_400_and_change_nothing(api, bootstrapped, operations, expected):
    before = bootstrapped.store.config.get_resident_idp()
    answer = _patch(api, *operations)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == {"code", "message", "description"}
    assert expected in body["description"]
    assert "Nothing was changed" in body["description"]
    assert bootstrapped.store.config.get_resident_idp() == before


def test_patch_list_is_all_or_nothing(api, bootstrapped):
    answer = _patch(
        api,
        ("REPLACE", "/idleSessionTimeoutPeriod", "45"),
        ("ADD", "/homeRealmIdentifiers/0", "ok.example"),
        ("REPLACE", "/rememberMePeriod", "zero"),
    )
    assert answer.status_code == 400
    assert "Operation 3" in answer.json()["description"]
    assert api.get(CONFIGS).json()["idleSessionTimeoutPeriod"] == "15"
    assert api.get(f"{CONFIGS}/home-realm-identifiers").json() == ["localhost"]
    assert _audit(api, "configs.patch") == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([{"operation": "MOVE", "path": "/stsIssuer", "value": "x"}],
         "'ADD', 'REMOVE' or 'REPLACE'"),
        ([{"operation": "REPLACE", "value": "x"}], "path"),
        ([{"operation": "REPLACE", "path": "/rememberMePeriod", "value": 30}], "string"),
        ([], "at least 1"),
        ({"operation": "REPLACE", "path": "/stsIssuer", "value": "x"}, "list"),
        ([{"operation": "REPLACE", "path": "/stsIssuer", "value": "x" * 1025}], "1024"),
        ([{"operation": "REPLACE", "path": "/stsIssuer", "value": "x"}] * 101, "100"),
    ],
)
def test_malformed_patch_bodies_are_400(api, body, expected):
    answer = api.patch(CONFIGS, json=body)
    assert answer.status_code == 400, answer.text
    assert expected in answer.json()["description"]


def test_patch_body_that_is_not_json_is_400(api):
    answer = api.patch(CONFIGS, content=b"{not json", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["description"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", CONFIGS, None),
        ("GET", f"{CONFIGS}/home-realm-identifiers", None),
        ("PATCH", CONFIGS, [{"operation": "REPLACE", "path": "/stsIssuer", "value": "evil"}]),
    ],
)
def test_endpoints_need_an_admin(anonymous, as_user, bootstrapped, method, path, body):
    assert anonymous.request(method, path, json=body).status_code == 401
    operator = as_user("operator", roles=("operators",))
    assert operator.request(method, path, json=body).status_code == 403
    assert bootstrapped.store.config.get_resident_idp().issuer == "localhost"


def test_openapi_describes_the_configs_endpoints(anonymous):
    document = anonymous.get(f"{API}/openapi.json").json()
    assert {"get", "patch"} <= set(document["paths"][CONFIGS])
    assert "get" in document["paths"][f"{CONFIGS}/home-realm-identifiers"]
    schema = document["components"]["schemas"]["ServerConfig"]
    assert {"homeRealmIdentifiers", "idleSessionTimeoutPeriod", "rememberMePeriod",
            "stsIssuer"} <= set(schema["properties"])
