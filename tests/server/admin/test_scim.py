"""SCIM 2.0 users and groups over the real application, checked against RFC 7643/7644's examples."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stsdesk.server.errors import ValidationError
from stsdesk.server.model import LockoutPolicy, PasswordDigestPolicy
from tests.server.admin.conftest import API, client_for

SCIM = "/scim2"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
WSO2 = "urn:scim:wso2:schema"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
HEADERS = {"Content-Type": "application/scim+json"}
PASSWORD = "t1meMa$heen"
CLAIMS = "http://wso2.org/claims/"


def rfc_user(user_name: str = "bjensen", **extra) -> dict:
    """RFC 7644 §3.3's creation example, with a password and an address."""
    body = {
        "schemas": [USER],
        "userName": user_name,
        "externalId": user_name,
        "password": PASSWORD,
        "name": {
            "formatted": "Ms. Barbara J Jensen III",
            "familyName": "Jensen",
            "givenName": "Barbara",
        },
        "emails": [
            {"value": f"{user_name}@example.com", "type": "work", "primary": True},
            {"value": f"{user_name}@jensen.org", "type": "home"},
        ],
    }
    body.update(extra)
    return body


def create(api, body: dict) -> dict:
    answer = api.post(f"{SCIM}/Users", json=body, headers=HEADERS)
    assert answer.status_code == 201, answer.text
    return answer.json()


def patch(api, path: str, *operations: dict, **headers):
    body = {"schemas": [PATCH_OP], "Operations": list(operations)}
    return api.patch(path, json=body, headers={**HEADERS, **headers})


def scim_error(answer, status: int, scim_type: str | None) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/scim+json")
    body = answer.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]
    return body


def audit(api, action: str) -> list[dict]:
    entries = api.get(f"{API}/audit-logs", params={"limit": 1000}).json()["entries"]
    return [e for e in entries if e["action"] == action]


@pytest.fixture
def bjensen(api) -> dict:
    return create(api, rfc_user())


def admin_group(api) -> dict:
    found = api.get(f"{SCIM}/Groups", params={"filter": 'displayName eq "admin"'}).json()
    return found["Resources"][0]


# --------------------------------------------------------------------------------- users: create


def test_create_follows_rfc_7644_3_3(api, bjensen, bootstrapped):
    assert bjensen["schemas"] == [USER, WSO2]
    assert bjensen["userName"] == "bjensen"
    assert bjensen["externalId"] == "bjensen"
    assert bjensen["name"] == {"givenName": "Barbara", "familyName": "Jensen",
                               "formatted": "Ms. Barbara J Jensen III"}
    assert bjensen["active"] is True and bjensen["groups"] == []
    # failedLoginAttempts and passwordSet come only when asked for by name.
    assert bjensen[WSO2] == {"accountLocked": False}
    meta = bjensen["meta"]
    assert meta["resourceType"] == "User"
    assert meta["location"] == f"https://testserver{SCIM}/Users/{bjensen['id']}"
    assert meta["version"].startswith('W/"')
    datetime.strptime(meta["created"], "%Y-%m-%dT%H:%M:%SZ")
    # The user attributes are the claims the STS issues.
    stored = bootstrapped.store.users.get("bjensen")
    assert stored.user_id == bjensen["id"]
    assert stored.claims == {
        CLAIMS + "givenname": "Barbara",
        CLAIMS + "lastname": "Jensen",
        CLAIMS + "formattedName": "Ms. Barbara J Jensen III",
        CLAIMS + "emailaddress": "bjensen@example.com",
        CLAIMS + "emails.work": "bjensen@example.com",
        CLAIMS + "emails.home": "bjensen@jensen.org",
    }


def test_create_answers_with_location_etag_and_scim_content_type(api):
    answer = api.post(f"{SCIM}/Users", json=rfc_user("alice"), headers=HEADERS)
    assert answer.status_code == 201
    assert answer.headers["content-type"] == "application/scim+json"
    assert answer.headers["location"] == answer.json()["meta"]["location"]
    assert answer.headers["etag"] == answer.json()["meta"]["version"]


def test_plain_json_is_accepted_and_other_media_types_are_415(api):
    answer = api.post(f"{SCIM}/Users", json=rfc_user("plainjson"),
                      headers={"Content-Type": "application/json"})
    assert answer.status_code == 201
    answer = api.post(f"{SCIM}/Users", content=b"userName=x",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    scim_error(answer, 415, "invalidSyntax")


def test_display_name_maps_to_fullname_and_is_persisted(api, bootstrapped):
    user = create(api, rfc_user("dname", displayName="Babs Jensen"))
    again = api.get(f"{SCIM}/Users/{user['id']}").json()
    assert again["displayName"] == "Babs Jensen"
    assert bootstrapped.store.users.get("dname").claims[CLAIMS + "fullname"] == "Babs Jensen"


def test_duplicate_user_name_is_409_uniqueness(api, bjensen):
    answer = api.post(f"{SCIM}/Users", json=rfc_user(), headers=HEADERS)
    body = scim_error(answer, 409, "uniqueness")
    assert "bjensen" in body["detail"]


CREATE_ERRORS = [
    ({"password": "short"}, "invalidValue", "at least 8"),
    ({"userName": None}, "invalidValue", "userName"),
    ({"userName": "  "}, "invalidValue", "userName"),
    ({"emails": [{"value": "not-an-address"}]}, "invalidValue", "e-mail"),
    ({"emails": [{"value": "a@x.org", "type": "pager"}]}, "invalidValue", "type"),
    ({"emails": [{"value": "a@x.org", "primary": True}, {"value": "b@x.org", "primary": True}]},
     "invalidValue", "primary"),
    ({"emails": [{"value": "a@x.org", "type": "work"}, {"value": "b@x.org", "type": "work"}]},
     "invalidValue", "work"),
    ({"userName": "x" * 300}, "invalidSyntax", "userName"),
    ({"active": "maybe"}, "invalidSyntax", "active"),
]


def test_create_validation_errors(api):
    for change, scim_type, words in CREATE_ERRORS:
        body = rfc_user("invalid")
        body.update(change)
        body = {k: v for k, v in body.items() if v is not None}
        answer = api.post(f"{SCIM}/Users", json=body, headers=HEADERS)
        assert answer.json().get("scimType") == scim_type, change
        detail = scim_error(answer, 400, scim_type)["detail"]
        assert words.lower() in detail.lower(), change
    assert names(api, "userName pr") == ["admin"]


def test_malformed_json_is_400(api):
    answer = api.post(f"{SCIM}/Users", content=b"{not json", headers=HEADERS)
    scim_error(answer, 400, "invalidSyntax")


def test_password_is_never_returned(api):
    created = api.post(f"{SCIM}/Users", json=rfc_user("secretive"), headers=HEADERS)
    user_id = created.json()["id"]
    answers = [
        created,
        api.get(f"{SCIM}/Users/{user_id}"),
        api.get(f"{SCIM}/Users"),
        api.get(f"{SCIM}/Users", params={"attributes": "password,userName"}),
        api.put(f"{SCIM}/Users/{user_id}", json=rfc_user("secretive"), headers=HEADERS),
        patch(api, f"{SCIM}/Users/{user_id}",
              {"op": "replace", "path": "password", "value": "N3w-pa$$word"}),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
        assert '"password"' not in answer.text
        assert PASSWORD not in answer.text and "N3w-pa$$word" not in answer.text
    log = api.get(f"{API}/audit-logs").text
    assert "password" in log  # that it changed is recorded ...
    assert PASSWORD not in log and "N3w-pa$$word" not in log  # ... never what it is


# --------------------------------------------------------------------------------- users: read


def test_get_unknown_user_is_404_scim_error(api):
    scim_error(api.get(f"{SCIM}/Users/no-such-id"), 404, None)


def test_get_supports_if_none_match(api, bjensen):
    answer = api.get(f"{SCIM}/Users/{bjensen['id']}")
    assert answer.headers["etag"] == bjensen["meta"]["version"]
    again = api.get(f"{SCIM}/Users/{bjensen['id']}", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304


def test_attributes_and_excluded_attributes(api, bjensen):
    only = api.get(f"{SCIM}/Users/{bjensen['id']}", params={"attributes": "userName,name.givenName"})
    assert only.json() == {"schemas": [USER, WSO2], "id": bjensen["id"], "userName": "bjensen",
                           "name": {"givenName": "Barbara"}}
    without = api.get(f"{SCIM}/Users/{bjensen['id']}",
                      params={"excludedAttributes": f"emails,name.formatted,{WSO2}"}).json()
    assert "emails" not in without and WSO2 not in without
    assert without["name"] == {"givenName": "Barbara", "familyName": "Jensen"}
    listed = api.get(f"{SCIM}/Users", params={"filter": 'userName eq "bjensen"',
                                               "attributes": f"{USER}:userName"}).json()
    assert listed["Resources"] == [{"schemas": [USER, WSO2], "id": bjensen["id"],
                                    "userName": "bjensen"}]


# --------------------------------------------------------------------------------- users: filter


@pytest.fixture
def people(api) -> dict[str, str]:
    ids = {}
    for name, given, family, mail in [
        ("bjensen", "Barbara", "Jensen", "bjensen@example.com"),
        ("jsmith", "John", "Smith", "john@example.org"),
        ("Jdoe", "Jane", "O'Malley", "jane@example.com"),
    ]:
        body = rfc_user(name, name={"givenName": given, "familyName": family},
                        emails=[{"value": mail, "type": "work", "primary": True}])
        ids[name] = create(api, body)["id"]
    return ids


def names(api, expression: str, resource: str = "Users") -> list[str]:
    answer = api.get(f"{SCIM}/{resource}", params={"filter": expression})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == len(body["Resources"])
    key = "userName" if resource == "Users" else "displayName"
    return sorted(r[key] for r in body["Resources"])


FILTER_EXAMPLES = [
    # RFC 7644 §3.4.2.2's examples, on the attributes this server has.
    ('userName eq "bjensen"', ["bjensen"]),
    ('name.familyName co "O\'Malley"', ["Jdoe"]),
    ('userName sw "J"', ["Jdoe"]),  # userName is case-exact here, as the STS compares it
    (f'{USER}:userName sw "j"', ["jsmith"]),
    ("name.familyName pr", ["Jdoe", "bjensen", "jsmith"]),
    ('emails co "example.com"', ["Jdoe", "bjensen"]),
    ('emails.value ew "EXAMPLE.ORG"', ["jsmith"]),  # addresses are not case-exact
    ('emails.type eq "work" and not (emails co "example.com")', ["jsmith"]),
    ('userName eq "bjensen" or userName eq "jsmith"', ["bjensen", "jsmith"]),
    ('(userName eq "bjensen" or userName eq "jsmith") and name.givenName sw "J"', ["jsmith"]),
    ('userName eq "bjensen" or userName eq "jsmith" and name.givenName eq "nobody"',
     ["bjensen"]),  # "and" binds tighter than "or"
    ('active eq true and userName ne "admin"', ["Jdoe", "bjensen", "jsmith"]),
    ('groups.display eq "admin"', ["admin"]),
    (f"{WSO2}:accountLocked eq false and userName sw \"b\"", ["bjensen"]),
    ('USERNAME EQ "bjensen"', ["bjensen"]),  # attribute names and operators ignore case
    ('userName eq "bjensen\\" or \\"1\\" eq \\"1"', []),  # an escaped quote stays a quote
]


def test_filter_examples(api, people):
    # One test over the table: the three users are created once.
    for expression, expected in FILTER_EXAMPLES:
        assert names(api, expression) == expected, expression


INVALID_FILTERS = [
    "title pr",  # not an attribute of ours
    'meta.version eq "x"',
    'emails[type eq "work" and value co "@example.com"]',
    'userName eq "unterminated',
    "userName eq bjensen",  # values are quoted
    'userName eq "x") or (userName pr',
    'userName eq "x" ; DROP TABLE users',
    'userName eq "x" or 1 eq 1',
    "userName eq",
    'userName like "b%"',
    'userName eq "x" userName eq "y"',
    "active eq \"yes\"",
    'userName eq true',
    "",
    "(" * 40 + 'userName eq "x"' + ")" * 40,
    " or ".join(['userName eq "x"'] * 100),
    'userName eq "' + "x" * 2000 + '"',
]


def test_invalid_filters_are_400_invalid_filter(api):
    for expression in INVALID_FILTERS:
        answer = api.get(f"{SCIM}/Users", params={"filter": expression})
        assert answer.json().get("scimType") == "invalidFilter", expression
        scim_error(answer, 400, "invalidFilter")


def test_huge_filter_is_400(api):
    answer = api.get(f"{SCIM}/Users", params={"filter": 'userName eq "' + "x" * 20_000 + '"'})
    assert answer.status_code == 400


# --------------------------------------------------------------------------------- users: paging


def test_paging(api, people):
    everyone = names(api, "userName pr")
    assert len(everyone) == 4

    def page(**params):
        body = api.get(f"{SCIM}/Users", params=params).json()
        return body, [r["userName"] for r in body["Resources"]]

    body, got = page(startIndex=2, count=2)
    assert (body["totalResults"], body["itemsPerPage"], body["startIndex"]) == (4, 2, 2)
    assert got == everyone[1:3]  # listed in userName order
    body, got = page(startIndex=4, count=10)
    assert body["itemsPerPage"] == 1 and len(got) == 1
    body, got = page(startIndex=5)
    assert body["totalResults"] == 4 and got == [] and body["itemsPerPage"] == 0
    body, got = page(count=0)
    assert body["totalResults"] == 4 and got == []
    body, _ = page(count=-3)  # RFC 7644: a negative count is taken as 0
    assert body["itemsPerPage"] == 0
    body, got = page(startIndex=0, count=1)  # below 1 is taken as 1
    assert body["startIndex"] == 1 and len(got) == 1
    body, _ = page(count=100_000)  # clamped to ServiceProviderConfig's maxResults
    assert body["itemsPerPage"] == 4
    pages = [page(startIndex=i, count=1)[1][0] for i in range(1, 5)]
    assert sorted(pages) == everyone  # every user exactly once over the pages
    assert api.get(f"{SCIM}/Users", params={"startIndex": "one"}).status_code == 400


# --------------------------------------------------------------------------------- users: replace


def test_put_replaces_profile_and_clears_what_it_omits(api, bjensen, bootstrapped):
    bootstrapped.store.users.update(bjensen["id"], claims={CLAIMS + "telephone": "+1 555"})
    answer = api.put(f"{SCIM}/Users/{bjensen['id']}", headers=HEADERS, json={
        "schemas": [USER], "userName": "bjensen", "displayName": "Babs",
        "emails": [{"value": "babs@example.net", "primary": True}],
        "groups": [{"value": "ignored"}], "id": "ignored-too",
    })
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["id"] == bjensen["id"]
    assert "name" not in body
    assert body["emails"] == [{"value": "babs@example.net", "primary": True}]
    assert body["meta"]["version"] != bjensen["meta"]["version"]
    claims = bootstrapped.store.users.get("bjensen").claims
    assert claims == {CLAIMS + "fullname": "Babs", CLAIMS + "emailaddress": "babs@example.net",
                      CLAIMS + "telephone": "+1 555"}  # claims SCIM does not map stay
    assert api.get(f"{SCIM}/Users/{bjensen['id']}").json() == body
    assert audit(api, "scim.user.replace")


def test_put_renames_and_keeps_the_password(api, bjensen, bootstrapped, app):
    bootstrapped.store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    bootstrapped.store.users.set_password("bjensen", PASSWORD)  # sealed now that it is allowed
    answer = api.put(f"{SCIM}/Users/{bjensen['id']}", headers=HEADERS,
                     json=rfc_user("barbara", password=None))
    assert answer.status_code == 200, answer.text
    assert bootstrapped.store.users.get("bjensen") is None
    renamed = bootstrapped.store.users.get("barbara")
    assert renamed.user_id == bjensen["id"]
    # The sealed copy PasswordDigest needs follows the new name.
    assert bootstrapped.store.users.unseal_password(renamed) == PASSWORD


def test_put_to_a_taken_name_is_409(api, bjensen):
    answer = api.put(f"{SCIM}/Users/{bjensen['id']}", headers=HEADERS,
                     json=rfc_user("admin", password=None))
    scim_error(answer, 409, "uniqueness")


def test_put_with_stale_if_match_is_412(api, bjensen):
    patch(api, f"{SCIM}/Users/{bjensen['id']}",
          {"op": "replace", "path": "displayName", "value": "changed"})
    answer = api.put(f"{SCIM}/Users/{bjensen['id']}", json=rfc_user(),
                     headers={**HEADERS, "If-Match": bjensen["meta"]["version"]})
    scim_error(answer, 412, None)
    current = api.get(f"{SCIM}/Users/{bjensen['id']}").headers["etag"]
    answer = api.put(f"{SCIM}/Users/{bjensen['id']}", json=rfc_user(),
                     headers={**HEADERS, "If-Match": current})
    assert answer.status_code == 200


def test_put_unknown_user_is_404(api):
    answer = api.put(f"{SCIM}/Users/nope", json=rfc_user(), headers=HEADERS)
    scim_error(answer, 404, None)


# --------------------------------------------------------------------------------- users: patch


def test_patch_examples_from_rfc_7644_3_5_2(api, bjensen, bootstrapped):
    user_path = f"{SCIM}/Users/{bjensen['id']}"
    answer = patch(
        api, user_path,
        # §3.5.2.1: add an e-mail address
        {"op": "add", "path": "emails", "value": [{"value": "babs@jensen.net", "type": "other"}]},
        # §3.5.2.3: replace a sub-attribute
        {"op": "replace", "path": "name.givenName", "value": "Babs"},
        # §3.5.2.2: remove an attribute
        {"op": "remove", "path": "name.familyName"},
        # §3.5.2.3 without a path: the value holds the attributes to replace
        {"op": "replace", "value": {"displayName": "Babs J", "active": False}},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["name"] == {"givenName": "Babs", "formatted": "Ms. Barbara J Jensen III"}
    assert {"value": "babs@jensen.net", "type": "other", "primary": False} in body["emails"]
    assert body["displayName"] == "Babs J" and body["active"] is False
    stored = bootstrapped.store.users.get("bjensen")
    assert stored.active is False
    assert CLAIMS + "lastname" not in stored.claims
    assert stored.claims[CLAIMS + "emails.other"] == "babs@jensen.net"
    entry = audit(api, "scim.user.patch")[0]
    assert "active=false" in entry["detail"] and entry["target"].endswith("(bjensen)")


def test_patch_accepts_entra_style_strings_and_schema_qualified_paths(api, bjensen):
    answer = patch(api, f"{SCIM}/Users/{bjensen['id']}",
                   {"op": "Replace", "path": "active", "value": "False"},
                   {"op": "replace", "path": f"{USER}:name.familyName", "value": "J."})
    assert answer.status_code == 200, answer.text
    assert answer.json()["active"] is False and answer.json()["name"]["familyName"] == "J."


PATCH_ERRORS = [
    ([{"op": "remove"}], 400, "noTarget"),
    ([{"op": "replace", "path": "groups", "value": []}], 400, "mutability"),
    ([{"op": "replace", "path": "id", "value": "x"}], 400, "mutability"),
    ([{"op": "remove", "path": "userName"}], 400, "mutability"),
    ([{"op": "replace", "path": "nickName", "value": "x"}], 400, "invalidPath"),
    ([{"op": "replace", "path": 'emails[type eq "pager"].value', "value": "a@b.c"}], 400,
     "noTarget"),
    ([{"op": "move", "path": "active", "value": True}], 400, "invalidSyntax"),
    ([{"op": "replace", "path": "active", "value": "perhaps"}], 400, "invalidValue"),
    ([{"op": "replace", "path": "password", "value": "short"}], 400, "invalidValue"),
    ([{"op": "replace", "value": "not an object"}], 400, "invalidValue"),
    ([{"op": "replace", "path": f"{WSO2}:failedLoginAttempts", "value": 0}], 400,
     "mutability"),
    ([], 400, "invalidSyntax"),
]


def test_patch_errors(api, bjensen):
    for operations, status, scim_type in PATCH_ERRORS:
        answer = patch(api, f"{SCIM}/Users/{bjensen['id']}", *operations)
        assert answer.json().get("scimType") == scim_type, operations
        scim_error(answer, status, scim_type)
    assert api.get(f"{SCIM}/Users/{bjensen['id']}").json() == bjensen  # nothing changed


def test_patch_is_atomic(api, bjensen):
    answer = patch(api, f"{SCIM}/Users/{bjensen['id']}",
                   {"op": "replace", "path": "displayName", "value": "half done"},
                   {"op": "replace", "path": "nickName", "value": "x"})
    scim_error(answer, 400, "invalidPath")
    assert "displayName" not in api.get(f"{SCIM}/Users/{bjensen['id']}").json()


def test_patch_needs_the_patch_op_schema(api, bjensen):
    answer = api.patch(f"{SCIM}/Users/{bjensen['id']}", headers=HEADERS, json={
        "schemas": [USER], "Operations": [{"op": "replace", "path": "active", "value": False}]})
    scim_error(answer, 400, "invalidSyntax")


def test_patch_to_a_taken_user_name_is_409(api, bjensen):
    answer = patch(api, f"{SCIM}/Users/{bjensen['id']}",
                   {"op": "replace", "path": "userName", "value": "admin"})
    scim_error(answer, 409, "uniqueness")


def test_patch_password_replaces_the_hash(api, bjensen, bootstrapped):
    bootstrapped.store.config.set_password_digest_policy(PasswordDigestPolicy(allowed=True))
    before = bootstrapped.store.users.get("bjensen").password_hash
    answer = patch(api, f"{SCIM}/Users/{bjensen['id']}",
                   {"op": "replace", "path": "password", "value": "N3w-pa$$word"})
    assert answer.status_code == 200
    after = bootstrapped.store.users.get("bjensen")
    assert after.password_hash != before
    assert bootstrapped.store.users.unseal_password(after) == "N3w-pa$$word"
    assert "password" in audit(api, "scim.user.patch")[0]["detail"]


# --------------------------------------------------------------------------------- lock state


def test_locked_account_is_visible_and_can_be_unlocked(api, bjensen, bootstrapped):
    store = bootstrapped.store
    now = datetime.now(UTC)
    for _ in range(3):
        store.logins.record_failure("bjensen", LockoutPolicy(max_failed_attempts=3), now)
    shown = api.get(f"{SCIM}/Users/{bjensen['id']}", params={
        "attributes": f"{WSO2}:accountLocked,{WSO2}:failedLoginAttempts"}).json()[WSO2]
    assert shown == {"accountLocked": True, "failedLoginAttempts": 3}
    locked = names(api, f"{WSO2}:accountLocked eq true")
    assert locked == ["bjensen"]
    answer = patch(api, f"{SCIM}/Users/{bjensen['id']}",
                   {"op": "replace", "value": {WSO2: {"accountLocked": False}}})
    assert answer.status_code == 200, answer.text
    assert answer.json()[WSO2] == {"accountLocked": False}
    assert store.users.get("bjensen").locked_until is None
    assert store.users.get("bjensen").failed_attempts == 0
    assert "unlocked" in audit(api, "scim.user.patch")[0]["detail"]


# --------------------------------------------------------------------------------- users: delete


def test_delete_user(api, bjensen, bootstrapped):
    answer = api.delete(f"{SCIM}/Users/{bjensen['id']}")
    assert answer.status_code == 204 and answer.content == b""
    scim_error(api.get(f"{SCIM}/Users/{bjensen['id']}"), 404, None)
    scim_error(api.delete(f"{SCIM}/Users/{bjensen['id']}"), 404, None)
    assert bootstrapped.store.users.get("bjensen") is None
    assert audit(api, "scim.user.delete")[0]["target"].endswith("(bjensen)")


# --------------------------------------------------------------------------------- the last admin


def test_the_last_admin_cannot_be_deactivated_deleted_or_removed(api, as_user):
    admin_id = api.get(f"{SCIM}/Users", params={"filter": 'userName eq "admin"'}).json()[
        "Resources"][0]["id"]
    group = admin_group(api)
    scim_error(patch(api, f"{SCIM}/Users/{admin_id}",
                     {"op": "replace", "path": "active", "value": False}), 409, None)
    scim_error(api.delete(f"{SCIM}/Users/{admin_id}"), 409, None)
    scim_error(patch(api, f"{SCIM}/Groups/{group['id']}",
                     {"op": "remove", "path": f'members[value eq "{admin_id}"]'}), 409, None)
    scim_error(api.put(f"{SCIM}/Groups/{group['id']}", headers=HEADERS,
                       json={"displayName": "admin", "members": []}), 409, None)
    scim_error(api.delete(f"{SCIM}/Groups/{group['id']}"), 409, None)
    # With a second active administrator, the first may go.
    second_admin = as_user("second-admin", roles=("admin",), password="S3cond-admin!")
    answer = patch(api, f"{SCIM}/Groups/{group['id']}",
                   {"op": "remove", "path": f'members[value eq "{admin_id}"]'})
    assert answer.status_code == 200, answer.text
    second = second_admin.get(f"{SCIM}/Users",
                              params={"filter": 'userName eq "second-admin"'}).json()
    assert [m["value"] for m in answer.json()["members"]] == [second["Resources"][0]["id"]]


def test_the_admin_group_cannot_be_renamed(api):
    group = admin_group(api)
    answer = patch(api, f"{SCIM}/Groups/{group['id']}",
                   {"op": "replace", "path": "displayName", "value": "root"})
    scim_error(answer, 400, "mutability")


# --------------------------------------------------------------------------------- groups


def test_group_lifecycle(api, people, bootstrapped):
    answer = api.post(f"{SCIM}/Groups", headers=HEADERS, json={
        "schemas": [GROUP], "displayName": "PRIMARY/ops",
        "members": [{"value": people["bjensen"], "display": "whatever"}]})
    assert answer.status_code == 201, answer.text
    group = answer.json()
    assert answer.headers["location"] == group["meta"]["location"]
    assert group["displayName"] == "ops"
    assert [m["value"] for m in group["members"]] == [people["bjensen"]]
    assert bootstrapped.store.users.get("bjensen").roles == ("ops",)
    # The user shows the group.
    user = api.get(f"{SCIM}/Users/{people['bjensen']}").json()
    assert user["groups"] == [{"value": group["id"], "display": "ops",
                               "$ref": group["meta"]["location"]}]
    # RFC 7644 §3.5.2.1: add members; §3.5.2.2: remove one by a value filter.
    answer = patch(api, f"{SCIM}/Groups/{group['id']}",
                   {"op": "add", "path": "members",
                    "value": [{"value": people["jsmith"]}, {"value": people["Jdoe"]}]},
                   {"op": "remove", "path": f'members[value eq "{people["bjensen"]}"]'})
    assert answer.status_code == 200, answer.text
    assert sorted(m["value"] for m in answer.json()["members"]) == sorted(
        [people["Jdoe"], people["jsmith"]])
    assert bootstrapped.store.users.get("bjensen").roles == ()
    # Entra ID style removal (value lists the members) and a rename without a path.
    answer = patch(api, f"{SCIM}/Groups/{group['id']}",
                   {"op": "remove", "path": "members", "value": [{"value": people["Jdoe"]}]},
                   {"op": "replace", "value": {"displayName": "operators"}})
    assert answer.status_code == 200, answer.text
    assert answer.json()["displayName"] == "operators"
    assert [m["value"] for m in answer.json()["members"]] == [people["jsmith"]]
    # PUT replaces everything.
    answer = api.put(f"{SCIM}/Groups/{group['id']}", headers=HEADERS, json={
        "schemas": [GROUP], "displayName": "ops", "members": [{"value": people["Jdoe"]}]})
    assert answer.status_code == 200, answer.text
    read = api.get(f"{SCIM}/Groups/{group['id']}").json()
    assert read == answer.json()
    assert "display" not in read["members"][0]  # returned on request only
    named = api.get(f"{SCIM}/Groups/{group['id']}",
                    params={"attributes": "displayName,members.value,members.display"}).json()
    assert [m["display"] for m in named["members"]] == ["Jdoe"]
    # Filters: plain and domain-qualified names, members.
    assert names(api, 'displayName eq "ops"', "Groups") == ["ops"]
    assert names(api, 'displayName eq "PRIMARY/ops"', "Groups") == ["ops"]
    assert names(api, f'members eq "{people["Jdoe"]}"', "Groups") == ["ops"]
    assert names(api, 'displayName sw "a" or displayName co "p"', "Groups") == ["admin", "ops"]
    scim_error(api.get(f"{SCIM}/Groups", params={"filter": 'userName eq "x"'}), 400,
               "invalidFilter")
    # Delete.
    assert api.delete(f"{SCIM}/Groups/{group['id']}").status_code == 204
    scim_error(api.get(f"{SCIM}/Groups/{group['id']}"), 404, None)
    assert "ops" not in bootstrapped.store.roles.names()
    actions = {e["action"] for e in api.get(f"{API}/audit-logs").json()["entries"]}
    assert {"scim.group.create", "scim.group.patch", "scim.group.replace",
            "scim.group.delete"} <= actions


GROUP_CREATE_ERRORS = [
    ({"displayName": "admin"}, 409, "uniqueness"),
    ({"displayName": "PRIMARY/admin"}, 409, "uniqueness"),
    ({"displayName": "SECONDARY/ops"}, 400, "invalidValue"),
    ({"displayName": ""}, 400, "invalidValue"),
    ({}, 400, "invalidValue"),
    ({"displayName": "ops", "members": [{"value": "no-such-user"}]}, 400, "invalidValue"),
    ({"displayName": "ops", "members": [{"value": "x", "type": "Group"}]}, 400,
     "invalidValue"),
    ({"displayName": "x" * 300}, 400, "invalidSyntax"),
]


def test_group_create_errors(api):
    for body, status, scim_type in GROUP_CREATE_ERRORS:
        answer = api.post(f"{SCIM}/Groups", json=body, headers=HEADERS)
        assert answer.json().get("scimType") == scim_type, body
        scim_error(answer, status, scim_type)
    assert names(api, "displayName pr", "Groups") == ["admin"]


GROUP_PATCH_ERRORS = [
    ({"op": "add", "path": 'members[value eq "x"]', "value": {}}, "invalidPath"),
    ({"op": "replace", "path": "owner", "value": "x"}, "invalidPath"),
    ({"op": "remove", "path": "displayName"}, "mutability"),
    ({"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}, "invalidValue"),
    ({"op": "add", "path": "members", "value": "not-an-object"}, "invalidValue"),
    ({"op": "remove"}, "noTarget"),
]


def test_group_patch_errors(api):
    created = api.post(f"{SCIM}/Groups", json={"displayName": "ops"}, headers=HEADERS).json()
    for operation, scim_type in GROUP_PATCH_ERRORS:
        answer = patch(api, f"{SCIM}/Groups/{created['id']}", operation)
        assert answer.json().get("scimType") == scim_type, operation
        scim_error(answer, 400, scim_type)
    assert api.get(f"{SCIM}/Groups/{created['id']}").json() == created


def test_group_rename_to_a_taken_name_is_409(api):
    created = api.post(f"{SCIM}/Groups", json={"displayName": "ops"}, headers=HEADERS).json()
    answer = patch(api, f"{SCIM}/Groups/{created['id']}",
                   {"op": "replace", "path": "displayName", "value": "admin"})
    scim_error(answer, 409, "uniqueness")


def test_unknown_group_is_404(api):
    scim_error(api.get(f"{SCIM}/Groups/nope"), 404, None)
    scim_error(patch(api, f"{SCIM}/Groups/nope", {"op": "remove", "path": "members"}), 404, None)
    scim_error(api.delete(f"{SCIM}/Groups/nope"), 404, None)


# --------------------------------------------------------------------------------- discovery


def test_service_provider_config(api):
    answer = api.get(f"{SCIM}/ServiceProviderConfig")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/scim+json"
    body = answer.json()
    assert body["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert body["patch"] == {"supported": True}
    assert body["bulk"]["supported"] is False
    assert body["filter"] == {"supported": True, "maxResults": 200}
    assert body["sort"] == {"supported": True}
    assert body["etag"] == {"supported": True}
    assert body["changePassword"] == {"supported": True}
    assert [s["type"] for s in body["authenticationSchemes"]] == ["httpbasic"]


def test_resource_types(api):
    body = api.get(f"{SCIM}/ResourceTypes").json()
    assert body["totalResults"] == 2
    by_id = {r["id"]: r for r in body["Resources"]}
    assert by_id["User"]["endpoint"] == "/Users" and by_id["User"]["schema"] == USER
    assert by_id["User"]["schemaExtensions"] == [{"schema": WSO2, "required": True}]
    assert by_id["Group"]["schema"] == GROUP
    assert api.get(f"{SCIM}/ResourceTypes/Group").json() == by_id["Group"]
    scim_error(api.get(f"{SCIM}/ResourceTypes/Device"), 404, None)


def test_schemas(api):
    body = api.get(f"{SCIM}/Schemas").json()
    by_id = {s["id"]: s for s in body["Resources"]}
    assert set(by_id) == {USER, GROUP, WSO2}
    user = {a["name"]: a for a in by_id[USER]["attributes"]}
    assert user["password"]["mutability"] == "writeOnly" and user["password"]["returned"] == "never"
    assert user["userName"]["required"] is True and user["userName"]["uniqueness"] == "server"
    assert user["groups"]["mutability"] == "readOnly"
    for schema in by_id.values():
        for attribute in schema["attributes"]:
            assert {"name", "type", "multiValued", "required", "mutability", "returned"} <= set(
                attribute)
    assert api.get(f"{SCIM}/Schemas/{WSO2}").json() == by_id[WSO2]
    scim_error(api.get(f"{SCIM}/Schemas/urn:nope"), 404, None)


# --------------------------------------------------------------------------------- access


ENDPOINTS = [
    ("GET", "/Users"), ("POST", "/Users"), ("GET", "/Users/x"), ("PUT", "/Users/x"),
    ("PATCH", "/Users/x"), ("DELETE", "/Users/x"), ("GET", "/Groups"), ("POST", "/Groups"),
    ("GET", "/Groups/x"), ("PUT", "/Groups/x"), ("PATCH", "/Groups/x"), ("DELETE", "/Groups/x"),
    ("GET", "/ServiceProviderConfig"), ("GET", "/ResourceTypes"), ("GET", "/ResourceTypes/User"),
    ("GET", "/Schemas"), ("GET", f"/Schemas/{USER}"),
]


def test_every_endpoint_needs_an_admin(app, as_user, bootstrapped):
    operator = as_user("operator", roles=("operators",))
    with client_for(app) as anonymous:
        for method, path in ENDPOINTS:
            body = {"json": rfc_user("intruder")} if method in ("POST", "PUT", "PATCH") else {}
            answer = anonymous.request(method, SCIM + path, headers=HEADERS, **body)
            scim_error(answer, 401, None)
            assert answer.headers["www-authenticate"].startswith("Basic")
            scim_error(operator.request(method, SCIM + path, headers=HEADERS, **body), 403, None)
    assert bootstrapped.store.users.get("intruder") is None


def test_scim_is_in_the_openapi_document(anonymous):
    paths = anonymous.get(f"{API}/openapi.json").json()["paths"]
    assert {f"{SCIM}/Users", f"{SCIM}/Users/{{user_id}}", f"{SCIM}/Groups",
            f"{SCIM}/ServiceProviderConfig", f"{SCIM}/Schemas"} <= set(paths)


def test_user_names_follow_wso2s_rule_with_a_clear_message(api):
    for name in ("x" * 31, "ab", "two words"):
        body = rfc_user("rule")
        body["userName"] = name
        answer = api.post(f"{SCIM}/Users", json=body, headers=HEADERS)
        detail = scim_error(answer, 400, "invalidValue")["detail"]
        assert "3 to 30 characters and no spaces" in detail, name
        assert name not in detail  # a long name is not echoed back into the message
    created = api.post(f"{SCIM}/Users", json=rfc_user("x" * 30), headers=HEADERS)
    assert created.status_code == 201, created.text
    # A rename meets the rule too.
    renamed = api.patch(f"{SCIM}/Users/{created.json()['id']}", headers=HEADERS, json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "userName", "value": "y" * 31}]})
    assert "3 to 30" in scim_error(renamed, 400, "invalidValue")["detail"]


def test_the_user_name_rule_is_a_setting(bootstrapped, server_settings, fast_password_hashing):
    import dataclasses

    from stsdesk.server.app import build_app
    from tests.server.conftest import ADMIN_PASSWORD

    settings = dataclasses.replace(server_settings, user_name_pattern=r"^[a-z]{2,8}$")
    with client_for(build_app(bootstrapped, settings), "admin", ADMIN_PASSWORD) as client:
        body = rfc_user("ok")
        assert client.post(f"{SCIM}/Users", json=body, headers=HEADERS).status_code == 201
        body = rfc_user("Upper")
        detail = scim_error(client.post(f"{SCIM}/Users", json=body, headers=HEADERS), 400,
                            "invalidValue")["detail"]
        assert "^[a-z]{2,8}$" in detail
    with pytest.raises(ValidationError, match="not a regular expression"):
        dataclasses.replace(server_settings, user_name_pattern="[unclosed")
