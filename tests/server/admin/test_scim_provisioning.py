"""SCIM as provisioning services (Microsoft Entra ID, Okta) drive it: users without a password,
externalId, POST .search, sorting, and PATCH with their quirks (RFC 7644 §3.4.3, §3.5.2)."""

from __future__ import annotations

import pytest

from stsdesk.server.passwords import verify_password
from tests.server.admin.conftest import API, client_for
from tests.server.admin.test_scim import (
    CLAIMS,
    GROUP,
    HEADERS,
    SCIM,
    USER,
    WSO2,
    create,
    patch,
    scim_error,
)

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def entra_user(name: str, **extra) -> dict:
    """A user as Microsoft Entra ID creates one: no password, its own externalId."""
    body = {
        "schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": f"ext-{name}",
        "userName": f"{name}@contoso.example",
        "active": "True",
        "displayName": name.title(),
        "emails": [{"primary": True, "type": "work", "value": f"{name}@contoso.example"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"{name.title()} Example", "familyName": "Example",
                 "givenName": name.title()},
    }
    body.update(extra)
    return body


def search(api, path: str, **body):
    return api.post(f"{SCIM}{path}/.search", headers=HEADERS, json={"schemas": [SEARCH], **body})


@pytest.fixture
def crew(api) -> dict[str, str]:
    """Three provisioned users and a group of two of them; name -> id."""
    ids = {name: create(api, entra_user(name))["id"] for name in ("alex", "blake", "casey")}
    group = api.post(f"{SCIM}/Groups", headers=HEADERS, json={
        "schemas": [GROUP], "displayName": "pilots", "externalId": "grp-pilots",
        "members": [{"value": ids["alex"]}, {"value": ids["blake"]}]})
    assert group.status_code == 201, group.text
    ids["pilots"] = group.json()["id"]
    return ids


# --------------------------------------------------------------------------------- no password


def test_a_user_is_created_without_a_password(api, bootstrapped):
    created = create(api, entra_user("alex"))
    assert created["active"] is True and created["externalId"] == "ext-alex"
    stored = bootstrapped.store.users.get("alex@contoso.example")
    assert stored.password_hash is None and stored.password_sealed is None
    shown = api.get(f"{SCIM}/Users/{created['id']}",
                    params={"attributes": f"{WSO2}:passwordSet"}).json()
    assert shown == {"schemas": [USER, WSO2], "id": created["id"], WSO2: {"passwordSet": False}}
    entries = api.get(f"{API}/audit-logs").json()["entries"]
    assert "no password set" in next(e for e in entries
                                      if e["action"] == "scim.user.create")["detail"]
    # Filtering finds the users still waiting for a password.
    found = api.get(f"{SCIM}/Users", params={"filter": f"{WSO2}:passwordSet eq false"}).json()
    assert [r["userName"] for r in found["Resources"]] == ["alex@contoso.example"]


def test_a_password_set_later_is_checked_and_stored(api, bootstrapped):
    created = create(api, entra_user("blake"))
    answer = patch(api, f"{SCIM}/Users/{created['id']}",
                   {"op": "replace", "path": "password", "value": "short"})
    scim_error(answer, 400, "invalidValue")
    answer = api.put(f"{SCIM}/Users/{created['id']}", headers=HEADERS,
                     json=entra_user("blake", password="Bl4ke-password"))
    assert answer.status_code == 200, answer.text
    stored = bootstrapped.store.users.get("blake@contoso.example")
    assert verify_password(stored.password_hash, "Bl4ke-password")
    assert stored.password_sealed is None  # PasswordDigest is off by default: the hash only
    assert "password set" in api.get(f"{API}/audit-logs").json()["entries"][0]["detail"]


# --------------------------------------------------------------------------------- externalId


def test_attributes_external_id_returns_id_schemas_and_external_id(api, crew):
    only = {"attributes": "externalId"}
    one = api.get(f"{SCIM}/Users/{crew['alex']}", params=only).json()
    assert one == {"schemas": [USER, WSO2], "id": crew["alex"], "externalId": "ext-alex"}
    listed = api.get(f"{SCIM}/Users", params={**only, "filter": 'externalId eq "ext-blake"'})
    assert listed.json()["Resources"] == [
        {"schemas": [USER, WSO2], "id": crew["blake"], "externalId": "ext-blake"}]
    group = api.get(f"{SCIM}/Groups/{crew['pilots']}", params=only).json()
    assert group == {"schemas": [GROUP], "id": crew["pilots"], "externalId": "grp-pilots"}
    # externalId is case-exact (RFC 7643 §3.1).
    assert api.get(f"{SCIM}/Users", params={"filter": 'externalId eq "EXT-BLAKE"'}).json()[
        "totalResults"] == 0


def test_external_id_is_changed_and_removed_by_patch(api, crew, bootstrapped):
    path = f"{SCIM}/Users/{crew['casey']}"
    answer = patch(api, path, {"op": "Add", "path": "externalId", "value": "00u-casey"})
    assert answer.json()["externalId"] == "00u-casey"
    assert bootstrapped.store.users.get("casey@contoso.example").external_id == "00u-casey"
    answer = patch(api, path, {"op": "Remove", "path": "externalId"})
    assert "externalId" not in answer.json()
    scim_error(patch(api, path, {"op": "add", "path": "externalId", "value": ""}), 400,
               "invalidValue")
    group = patch(api, f"{SCIM}/Groups/{crew['pilots']}",
                  {"op": "replace", "path": "externalId", "value": "grp-2"})
    assert group.json()["externalId"] == "grp-2"


# --------------------------------------------------------------------------------- .search


def test_search_endpoints_follow_rfc_7644_3_4_3(api, crew):
    users = search(api, "/Users", filter='userName sw "al" or userName sw "bl"',
                   attributes=["userName"], sortBy="userName", sortOrder="descending")
    assert users.status_code == 200, users.text
    assert users.headers["content-type"] == "application/scim+json"
    body = users.json()
    assert body["schemas"] == [LIST] and body["totalResults"] == 2
    assert [r["userName"] for r in body["Resources"]] == [
        "blake@contoso.example", "alex@contoso.example"]
    assert set(body["Resources"][0]) == {"schemas", "id", "userName"}
    groups = search(api, "/Groups", filter='externalId eq "grp-pilots"',
                    excludedAttributes=["members"])
    assert [(g["displayName"], "members" in g) for g in groups.json()["Resources"]] == [
        ("pilots", False)]
    paged = search(api, "/Users", sortBy="userName", startIndex=2, count=1)
    assert paged.json()["startIndex"] == 2 and paged.json()["itemsPerPage"] == 1
    assert paged.json()["totalResults"] == 4  # with admin


def test_search_at_the_root_covers_users_and_groups(api, crew):
    # A filter attribute of one type is absent in the other (RFC 7644 §3.4.2.1).
    both = search(api, "", filter='externalId sw "ext-a" or displayName eq "pilots"',
                  attributes=["externalId"])
    assert both.status_code == 200, both.text
    found = {r["id"]: r for r in both.json()["Resources"]}
    assert found == {
        crew["alex"]: {"schemas": [USER, WSO2], "id": crew["alex"], "externalId": "ext-alex"},
        crew["pilots"]: {"schemas": [GROUP], "id": crew["pilots"], "externalId": "grp-pilots"},
    }
    everything = search(api, "").json()
    assert everything["totalResults"] == 4 + 2  # four users; the groups admin and pilots
    only_users = search(api, "", filter='userName pr').json()
    assert only_users["totalResults"] == 4


SEARCH_ERRORS = [
    ({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}, 400, "invalidSyntax"),
    ({"schemas": [SEARCH], "filter": 'nickName eq "x"'}, 400, "invalidFilter"),
    ({"schemas": [SEARCH], "filter": 'id eq'}, 400, "invalidFilter"),
    ({"schemas": [SEARCH], "sortBy": "nickName"}, 400, "invalidValue"),
    ({"schemas": [SEARCH], "sortBy": "id", "sortOrder": "upwards"}, 400, "invalidValue"),
    ({"schemas": [SEARCH], "count": "many"}, 400, "invalidSyntax"),
]


@pytest.mark.parametrize("path", ["", "/Users", "/Groups"])
def test_search_refuses_bad_requests(api, path):
    for body, status, scim_type in SEARCH_ERRORS:
        answer = api.post(f"{SCIM}{path}/.search", headers=HEADERS, json=body)
        assert answer.json().get("scimType") == scim_type, (path, body)
        scim_error(answer, status, scim_type)


def test_search_needs_an_admin(app):
    with client_for(app) as anonymous:
        for path in ("/.search", "/Users/.search", "/Groups/.search"):
            answer = anonymous.post(SCIM + path, headers=HEADERS, json={"schemas": [SEARCH]})
            scim_error(answer, 401, None)


# --------------------------------------------------------------------------------- sorting


def test_sorting_follows_rfc_7644_3_4_2_3(api, crew):
    # Case-insensitive for name.givenName; users without a value last when ascending, first
    # when descending.
    ascending = api.get(f"{SCIM}/Users", params={"sortBy": "name.givenName"}).json()
    assert [r["userName"] for r in ascending["Resources"]] == [
        "alex@contoso.example", "blake@contoso.example", "casey@contoso.example", "admin"]
    descending = api.get(f"{SCIM}/Users", params={"sortBy": "name.givenName",
                                                   "sortOrder": "descending"}).json()
    assert [r["userName"] for r in descending["Resources"]] == [
        "admin", "casey@contoso.example", "blake@contoso.example", "alex@contoso.example"]
    # An extension's attribute sorts by its full name: false before true.
    api.patch(f"{SCIM}/Users/{crew['blake']}", headers=HEADERS, json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": f"{WSO2}:accountLocked", "value": True}]})
    by_lock = api.get(f"{SCIM}/Users", params={"sortBy": f"{WSO2}:accountLocked",
                                                "sortOrder": "descending"}).json()
    assert by_lock["Resources"][0]["userName"] == "blake@contoso.example"
    groups = api.get(f"{SCIM}/Groups", params={"sortBy": "displayName",
                                                "sortOrder": "descending"}).json()
    assert [g["displayName"] for g in groups["Resources"]] == ["pilots", "admin"]
    config = api.get(f"{SCIM}/ServiceProviderConfig").json()
    assert config["sort"] == {"supported": True}
    paths = api.get(f"{API}/openapi.json").json()["paths"]
    assert {f"{SCIM}/.search", f"{SCIM}/Users/.search", f"{SCIM}/Groups/.search"} <= set(paths)


# --------------------------------------------------------------------------------- PATCH quirks


def test_entra_id_patch_with_value_filters(api, crew, bootstrapped):
    path = f"{SCIM}/Users/{crew['alex']}"
    answer = patch(
        api, path,
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "a.new@contoso.example"},
        {"op": "Add", "path": 'emails[type eq "home"].value', "value": "alex@home.example"},
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": "name.familyName", "value": "Renamed"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["active"] is False and body["name"]["familyName"] == "Renamed"
    assert body["emails"] == [
        {"value": "a.new@contoso.example", "primary": True, "type": "work"},
        {"value": "alex@home.example", "type": "home", "primary": False},
    ]
    claims = bootstrapped.store.users.get("alex@contoso.example").claims
    assert claims[CLAIMS + "emailaddress"] == "a.new@contoso.example"
    assert claims[CLAIMS + "emails.home"] == "alex@home.example"
    # A value filter on another sub-attribute, and removal by filter.
    answer = patch(api, path,
                   {"op": "replace", "path": "emails[value ew \"@home.example\"].primary",
                    "value": True})
    assert [e["value"] for e in answer.json()["emails"] if e["primary"]] == ["alex@home.example"]
    answer = patch(api, path, {"op": "remove", "path": 'emails[type eq "work"]'})
    assert [e["type"] for e in answer.json()["emails"]] == ["home"]
    # A remove that selects nothing changes nothing.
    answer = patch(api, path, {"op": "remove", "path": 'emails[type eq "other"]'})
    assert answer.status_code == 200


def test_the_first_address_added_by_filter_becomes_the_primary_one(api, bootstrapped):
    created = create(api, entra_user("dana", emails=[]))
    answer = patch(api, f"{SCIM}/Users/{created['id']}",
                   {"op": "Add", "path": 'emails[type eq "work"].value',
                    "value": "dana@contoso.example"})
    assert answer.json()["emails"] == [
        {"value": "dana@contoso.example", "primary": True, "type": "work"}]
    claims = bootstrapped.store.users.get("dana@contoso.example").claims
    assert claims[CLAIMS + "emailaddress"] == "dana@contoso.example"


VALUE_PATH_ERRORS = [
    ({"op": "replace", "path": 'emails[type eq "other"].value', "value": "x@y.z"}, "noTarget"),
    ({"op": "add", "path": 'emails[value co "zzz"].value', "value": "x@y.z"}, "noTarget"),
    ({"op": "replace", "path": 'emails[type eq].value', "value": "x@y.z"}, "invalidFilter"),
    ({"op": "replace", "path": 'emails[nickName eq "x"]', "value": {}}, "invalidFilter"),
    ({"op": "replace", "path": 'emails[type eq "work"].display', "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": 'name[givenName eq "x"]', "value": {}}, "invalidPath"),
    ({"op": "replace", "path": 'groups[value eq "x"]', "value": {}}, "mutability"),
    ({"op": "replace", "path": 'emails[type eq "work"]', "value": "x@y.z"}, "invalidValue"),
    ({"op": "replace", "path": 'emails[type eq "work"', "value": "x@y.z"}, "invalidPath"),
    ({"op": "replace", "path": 'emails[type eq "work"].value', "value": "not-an-address"},
     "invalidValue"),
]


def test_value_path_errors_are_scim_errors_and_change_nothing(api, crew):
    path = f"{SCIM}/Users/{crew['blake']}"
    before = api.get(path).json()
    for operation, scim_type in VALUE_PATH_ERRORS:
        answer = patch(api, path, operation)
        assert answer.json().get("scimType") == scim_type, operation
        scim_error(answer, 400, scim_type)
    assert api.get(path).json() == before


def test_group_patch_as_okta_and_entra_id_send_it(api, crew):
    path = f"{SCIM}/Groups/{crew['pilots']}"
    # Okta renames with the group's own id in the value; Entra ID removes by a value filter.
    answer = patch(api, path,
                   {"op": "replace", "value": {"id": crew["pilots"], "displayName": "flyers"}},
                   {"op": "Remove", "path": f'members[value eq "{crew["alex"]}"]'})
    assert answer.status_code == 200, answer.text
    assert answer.json()["displayName"] == "flyers"
    assert [m["value"] for m in answer.json()["members"]] == [crew["blake"]]
    answer = patch(api, path, {"op": "remove", "path": 'members[display eq "blake@contoso.example"]'})
    assert answer.json()["members"] == []
    scim_error(patch(api, path, {"op": "replace", "value": {"id": "another"}}), 400, "mutability")
    scim_error(patch(api, path, {"op": "add", "path": 'members[value eq "x"]', "value": {}}),
               400, "invalidPath")
