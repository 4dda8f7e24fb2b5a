"""Service providers (/applications) and their WS-Trust configuration over the admin API."""

from __future__ import annotations

import pytest

from stsdesk.server.bootstrap import open_existing
from stsdesk.server.model import TokenSettings
from tests.core.pki import identity
from tests.server.admin.conftest import API

APPS = f"{API}/applications"
META = f"{APPS}/meta/inbound-protocols/ws-trust"
EMAIL = "http://wso2.org/claims/emailaddress"
GIVEN = "http://wso2.org/claims/givenname"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
AES_CBC = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"


@pytest.fixture
def rp_cert(bootstrapped) -> str:
    """A relying-party certificate in the trust store; its alias."""
    bootstrapped.store.keys.add_trusted_certificate(
        "rp-cert", identity("rp.example.org").certificate_der()
    )
    return "rp-cert"


def _create(api, name="Payroll", **extra):
    answer = api.post(APPS, json={"name": name, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _ws_trust(app_id: str) -> str:
    return f"{APPS}/{app_id}/inbound-protocols/ws-trust"


def _audit(api, action):
    entries = api.get(f"{API}/audit-logs", params={"action": action}).json()["entries"]
    return [e for e in entries if e["action"] == action]


def _claims(*uris, mandatory=False):
    return {"requestedClaims": [{"claim": {"uri": u}, "mandatory": mandatory} for u in uris]}


# ------------------------------------------------------------------------------- create / read


def test_create_answers_201_with_location_and_reads_back(api):
    answer = api.post(APPS, json={"name": "Payroll", "description": "The payroll portal"})
    assert answer.status_code == 201
    body = answer.json()
    assert answer.headers["location"] == f"{APPS}/{body['id']}"
    assert body["name"] == "Payroll" and body["description"] == "The payroll portal"
    assert body["claimConfiguration"]["requestedClaims"] == []
    assert body["inboundProtocols"] == []
    assert api.get(answer.headers["location"]).json() == body
    entries = _audit(api, "application.create")
    assert entries[0]["target"] == body["id"] and "Payroll" in entries[0]["detail"]


def test_create_with_claims_and_ws_trust_in_one_request(api, bootstrapped, rp_cert):
    body = _create(
        api, "Portal",
        claimConfiguration={**_claims(EMAIL, mandatory=True),
                            "subject": {"claim": {"uri": EMAIL}}},
        inboundProtocolConfiguration={"wsTrust": {"audience": "https://rp.example.org/portal",
                                                  "certificateAlias": rp_cert}},
    )
    claims = body["claimConfiguration"]
    assert claims["requestedClaims"] == [
        {"claim": {"uri": EMAIL, "displayName": "Email"}, "mandatory": True}]
    assert claims["subject"]["claim"]["uri"] == EMAIL
    assert body["inboundProtocols"] == [{"type": "wstrust", "name": "WS-Trust",
                                         "self": _ws_trust(body["id"])}]
    party = bootstrapped.store.snapshot().relying_party_for("https://rp.example.org/portal")
    assert party is not None and party.name == "Portal"
    assert party.certificate_alias == rp_cert
    assert [c.uri for c in party.requested_claims] == [EMAIL]
    assert party.subject_claim_uri == EMAIL


def test_failed_ws_trust_part_leaves_no_application_behind(api, bootstrapped):
    answer = api.post(APPS, json={
        "name": "Half", "inboundProtocolConfiguration": {
            "wsTrust": {"audience": "https://rp.example.org/x", "certificateAlias": "missing"}}})
    assert answer.status_code == 400
    assert "not in the trust store" in answer.json()["description"]
    assert bootstrapped.store.applications.list_all() == []


def test_duplicate_name_is_409(api):
    _create(api, "Payroll")
    answer = api.post(APPS, json={"name": "Payroll"})
    assert answer.status_code == 409
    assert "already exists" in answer.json()["description"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": " padded "}, "spaces"),
        ({"name": "x" * 256}, "255"),
        ({"name": "ok", "description": "d" * 5000}, "4096"),
        ({"name": "ok", "claimConfiguration": _claims("http://example.org/claims/x")},
         "not a local claim"),
        ({"name": "ok", "claimConfiguration": _claims(EMAIL, EMAIL)}, "requested twice"),
        ({"name": "ok", "claimConfiguration": {"dialect": "CUSTOM"}}, "LOCAL"),
        ({"name": "ok", "claimConfiguration": {"subject": {"claim": {"uri": "urn:x"}}}},
         "subject claim"),
        ({"name": "ok", "claimConfiguration": _claims(*([EMAIL] * 13))}, "12"),
        ({"name": "ok", "inboundProtocolConfiguration": {"wsTrust": {"audience": "not a url"}}},
         "spaces"),
    ],
)
def test_create_validation_errors_are_400(api, bootstrapped, body, expected):
    answer = api.post(APPS, json=body)
    assert answer.status_code == 400, answer.text
    assert expected in answer.json()["description"]
    assert bootstrapped.store.applications.list_all() == []


def test_unknown_application_is_404(api):
    for method in ("GET", "DELETE"):
        answer = api.request(method, f"{APPS}/no-such-id")
        assert answer.status_code == 404
        assert "no-such-id" in answer.json()["description"]
    assert api.patch(f"{APPS}/no-such-id", json={"name": "x"}).status_code == 404
    assert api.get(_ws_trust("no-such-id")).status_code == 404
    assert api.put(_ws_trust("no-such-id"),
                   json={"audience": "https://rp.example.org/x"}).status_code == 404
    assert api.delete(_ws_trust("no-such-id")).status_code == 404


def test_overlong_id_is_400(api):
    assert api.get(f"{APPS}/{'x' * 65}").status_code == 400


# ------------------------------------------------------------------------------- list


def test_list_pages_filters_and_links(api):
    for name in ("alpha", "Alphabet", "beta", "gamma", "delta-alpha"):
        _create(api, name)
    everything = api.get(APPS).json()
    assert everything["totalResults"] == 5 and everything["count"] == 5
    assert everything["startIndex"] == 1 and everything["links"] == []
    item = everything["applications"][0]
    assert set(item) == {"id", "name", "description", "self"}
    assert item["self"] == f"{APPS}/{item['id']}"

    page = api.get(APPS, params={"limit": 2, "offset": 2}).json()
    assert (page["totalResults"], page["count"], page["startIndex"]) == (5, 2, 3)
    assert {link["rel"] for link in page["links"]} == {"next", "previous"}
    next_link = next(link for link in page["links"] if link["rel"] == "next")
    assert "offset=4" in next_link["href"] and "limit=2" in next_link["href"]

    def names(filter_text):
        answer = api.get(APPS, params={"filter": filter_text})
        assert answer.status_code == 200, answer.text
        return sorted(a["name"] for a in answer.json()["applications"])

    assert names("name sw alpha") == ["Alphabet", "alpha"]
    assert names("name eq alpha") == ["alpha"]
    assert names("name co alpha") == ["Alphabet", "alpha", "delta-alpha"]
    assert names("name ew ALPHA") == ["alpha", "delta-alpha"]
    assert names('name eq "beta"') == ["beta"]
    assert names("name sw zzz") == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"filter": "name startswith a"}, "name sw VALUE"),
        ({"filter": "id eq 1"}, "name eq VALUE"),
        ({"filter": "name eq"}, "not understood"),
        ({"filter": "x" * 513}, "512"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_list_validation_errors_are_400(api, params, expected):
    answer = api.get(APPS, params=params)
    assert answer.status_code == 400
    assert expected in answer.json()["description"]


# ------------------------------------------------------------------------------- patch / delete


def test_patch_changes_name_description_and_claims(api, bootstrapped):
    app = _create(api, "Old", claimConfiguration={**_claims(EMAIL),
                                                  "subject": {"claim": {"uri": EMAIL}}})
    answer = api.patch(f"{APPS}/{app['id']}", json={"name": "New", "description": "changed"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == "New"
    # Only requestedClaims given: the subject claim stays.
    answer = api.patch(f"{APPS}/{app['id']}", json={"claimConfiguration": _claims(GIVEN)})
    body = api.get(f"{APPS}/{app['id']}").json()
    assert body["name"] == "New" and body["description"] == "changed"
    assert [c["claim"]["uri"] for c in body["claimConfiguration"]["requestedClaims"]] == [GIVEN]
    assert body["claimConfiguration"]["subject"]["claim"]["uri"] == EMAIL
    # An explicit null subject claim goes back to the username.
    api.patch(f"{APPS}/{app['id']}", json={"claimConfiguration": {"subject": {"claim": None}}})
    body = api.get(f"{APPS}/{app['id']}").json()
    assert "claim" not in body["claimConfiguration"]["subject"]  # no value: left out, as WSO2 does
    assert [c["claim"]["uri"] for c in body["claimConfiguration"]["requestedClaims"]] == [GIVEN]
    assert len(_audit(api, "application.update")) == 3


@pytest.mark.parametrize(
    ("body", "expected", "status"),
    [
        ({}, "changes nothing", 400),
        ({"imageUrl": "https://x"}, "changes nothing", 400),
        ({"name": ""}, "name", 400),
        ({"claimConfiguration": _claims("urn:nope")}, "not a local claim", 400),
        ({"name": "Taken"}, "already exists", 409),
    ],
)
def test_patch_errors(api, body, expected, status):
    _create(api, "Taken")
    app = _create(api, "Mine")
    answer = api.patch(f"{APPS}/{app['id']}", json=body)
    assert answer.status_code == status, answer.text
    assert expected in answer.json()["description"]
    assert api.get(f"{APPS}/{app['id']}").json()["name"] == "Mine"


def test_delete_removes_the_application_and_its_trusted_service(api, bootstrapped):
    app = _create(api, "Gone", inboundProtocolConfiguration={
        "wsTrust": {"audience": "https://rp.example.org/gone"}})
    assert bootstrapped.store.snapshot().relying_party_for("https://rp.example.org/gone")
    answer = api.delete(f"{APPS}/{app['id']}")
    assert answer.status_code == 204 and answer.content == b""
    assert api.get(f"{APPS}/{app['id']}").status_code == 404
    assert bootstrapped.store.snapshot().relying_parties == ()
    assert "Gone" in _audit(api, "application.delete")[0]["detail"]
    # The audience is free again.
    _create(api, "Again", inboundProtocolConfiguration={
        "wsTrust": {"audience": "https://rp.example.org/gone"}})


# ------------------------------------------------------------------------------- WS-Trust


def test_ws_trust_put_get_defaults_and_update(api, bootstrapped, rp_cert):
    app = _create(api)
    url = _ws_trust(app["id"])
    assert api.get(url).status_code == 404
    answer = api.put(url, json={"audience": "https://rp.example.org/pay",
                                "certificateAlias": rp_cert})
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == url
    assert answer.json() == {
        "audience": "https://rp.example.org/pay",
        "certificateAlias": rp_cert,
        "tokenType": "SAML20",
        "keyType": "Bearer",
        "encryptToken": True,
        "encryptionAlgorithm": "http://www.w3.org/2009/xmlenc11#aes256-gcm",
        "keyTransportAlgorithm": "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
        "signatureAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
        "nameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        "warnings": [],
    }
    assert api.get(url).json() == answer.json()
    assert api.get(f"{APPS}/{app['id']}").json()["inboundProtocols"][0]["self"] == url

    update = {
        "audience": "https://rp.example.org/pay", "certificateAlias": rp_cert,
        "tokenType": "SAML11", "keyType": "SymmetricKey", "encryptToken": False,
        "encryptionAlgorithm": "http://www.w3.org/2009/xmlenc11#aes128-gcm",
        "keyTransportAlgorithm": "http://www.w3.org/2009/xmlenc11#rsa-oaep",
        "signatureAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha512",
        "tokenLifetimeSeconds": 600,
        "nameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
    }
    answer = api.put(url, json=update)
    assert answer.status_code == 200, answer.text
    assert {k: answer.json()[k] for k in update} == update
    party = bootstrapped.store.snapshot().relying_party_for("https://rp.example.org/pay")
    assert (party.token_type, party.key_type, party.token_lifetime_seconds) == (
        "SAML11", "SymmetricKey", 600)
    assert [e["action"] for e in _audit(api, "application.ws-trust.create")] == [
        "application.ws-trust.create"]
    assert len(_audit(api, "application.ws-trust.update")) == 1


def test_ws_trust_persists_across_restart(api, server_settings):
    app = _create(api)
    api.put(_ws_trust(app["id"]), json={"audience": "urn:example:rp", "tokenLifetimeSeconds": 90})
    reopened = open_existing(server_settings)
    try:
        party = reopened.store.applications.get_relying_party(app["id"])
    finally:
        reopened.close()
    assert (party.audience, party.token_lifetime_seconds) == ("urn:example:rp", 90)


def test_ws_trust_delete(api, bootstrapped):
    app = _create(api)
    url = _ws_trust(app["id"])
    api.put(url, json={"audience": "*"})
    answer = api.delete(url)
    assert answer.status_code == 204
    assert api.get(url).status_code == 404
    assert "has no WS-Trust configuration" in api.delete(url).json()["description"]
    assert bootstrapped.store.snapshot().relying_parties == ()
    assert api.get(f"{APPS}/{app['id']}").json()["inboundProtocols"] == []
    assert "'*'" in _audit(api, "application.ws-trust.delete")[0]["detail"]


def test_audience_cannot_change_on_update(api):
    app = _create(api)
    url = _ws_trust(app["id"])
    api.put(url, json={"audience": "https://rp.example.org/a"})
    answer = api.put(url, json={"audience": "https://rp.example.org/b"})
    assert answer.status_code == 400
    assert "delete the WS-Trust configuration first" in answer.json()["description"]
    assert api.get(url).json()["audience"] == "https://rp.example.org/a"


def test_audience_belongs_to_one_application_only(api):
    first = _create(api, "First")
    second = _create(api, "Second")
    api.put(_ws_trust(first["id"]), json={"audience": "https://rp.example.org/shared"})
    answer = api.put(_ws_trust(second["id"]), json={"audience": "https://rp.example.org/shared"})
    assert answer.status_code == 409
    assert "'First'" in answer.json()["description"]
    answer = api.post(APPS, json={"name": "Third", "inboundProtocolConfiguration": {
        "wsTrust": {"audience": "https://rp.example.org/shared"}}})
    assert answer.status_code == 409
    assert "'First'" in answer.json()["description"]
    assert api.get(APPS, params={"filter": "name eq Third"}).json()["totalResults"] == 0


def test_unknown_certificate_alias_names_the_ones_that_exist(api, rp_cert):
    app = _create(api)
    answer = api.put(_ws_trust(app["id"]), json={"audience": "https://rp.example.org/x",
                                                 "certificateAlias": "nope"})
    assert answer.status_code == 400
    assert "'nope'" in answer.json()["description"]
    assert "'rp-cert'" in answer.json()["description"]


def test_sha1_and_cbc_are_allowed_with_warnings(api, rp_cert):
    app = _create(api)
    answer = api.put(_ws_trust(app["id"]), json={
        "audience": "https://legacy.example.org/", "certificateAlias": rp_cert,
        "signatureAlgorithm": RSA_SHA1, "digestAlgorithm": "http://www.w3.org/2000/09/xmldsig#sha1",
        "encryptionAlgorithm": AES_CBC,
    })
    assert answer.status_code == 201, answer.text
    warnings = answer.json()["warnings"]
    assert any("SHA-1" in w and "legacy" in w for w in warnings)
    assert any("AES-CBC" in w for w in warnings)
    assert api.get(_ws_trust(app["id"])).json()["warnings"] == warnings


def test_encryption_without_certificate_warns(api):
    app = _create(api)
    answer = api.put(_ws_trust(app["id"]), json={"audience": "https://rp.example.org/plain"})
    assert any("unencrypted" in w for w in answer.json()["warnings"])
    answer = api.delete(_ws_trust(app["id"]))
    answer = api.put(_ws_trust(app["id"]), json={"audience": "https://rp.example.org/plain",
                                                 "encryptToken": False})
    assert answer.json()["warnings"] == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "audience"),
        ({"audience": ""}, "audience is empty"),
        ({"audience": "rp.example.org"}, "not an absolute address"),
        ({"audience": "https://"}, "not an absolute address"),
        ({"audience": "ftp://rp.example.org/"}, "not an absolute address"),
        ({"audience": "urn:"}, "not an absolute address"),
        ({"audience": "http://[::1"}, "not an absolute address"),  # was a 500: urlsplit raised
        ({"audience": "https://rp.example.org/a b"}, "spaces"),
        ({"audience": "https://rp.example.org/" + "a" * 2048}, "2048"),
        ({"audience": "*", "tokenType": "SAML30"}, "'SAML11' or 'SAML20'"),
        ({"audience": "*", "keyType": "Magic"}, "Bearer"),
        ({"audience": "*", "keyType": "SymmetricKey"}, "give certificateAlias"),
        ({"audience": "*", "encryptToken": "maybe"}, "encryptToken"),
        ({"audience": "*", "encryptionAlgorithm": "http://www.w3.org/2001/04/xmlenc#tripledes-cbc"},
         "aes256-gcm"),
        ({"audience": "*", "keyTransportAlgorithm": "http://www.w3.org/2001/04/xmlenc#rsa-1_5"},
         "rsa-oaep"),
        ({"audience": "*", "signatureAlgorithm": "http://www.w3.org/2000/09/xmldsig#dsa-sha1"},
         "rsa-sha256"),
        ({"audience": "*", "digestAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#md5"},
         "sha256"),
        ({"audience": "*", "tokenLifetimeSeconds": 0}, "tokenLifetimeSeconds"),
        ({"audience": "*", "tokenLifetimeSeconds": 8 * 3600 + 1}, "maximum token lifetime"),
        ({"audience": "*", "nameIdFormat": "urn:x"}, "not supported"),
        ({"audience": "*", "certificateAlias": "x" * 256}, "255"),
        ({"audience": "*", "unknownSetting": 1}, "unknownSetting"),
    ],
)
def test_ws_trust_validation_errors_are_400(api, bootstrapped, body, expected):
    app = _create(api)
    answer = api.put(_ws_trust(app["id"]), json=body)
    assert answer.status_code == 400, answer.text
    assert expected in answer.json()["description"]
    assert bootstrapped.store.applications.get_relying_party(app["id"]) is None


def test_lifetime_limit_follows_the_server_maximum(api, bootstrapped):
    bootstrapped.store.config.set_token_settings(
        TokenSettings(default_lifetime_seconds=60, max_lifetime_seconds=120)
    )
    app = _create(api)
    answer = api.put(_ws_trust(app["id"]), json={"audience": "*", "tokenLifetimeSeconds": 121})
    assert answer.status_code == 400 and "120 seconds" in answer.json()["description"]
    assert api.put(_ws_trust(app["id"]),
                   json={"audience": "*", "tokenLifetimeSeconds": 120}).status_code == 201
    meta = api.get(META).json()["tokenLifetimeSeconds"]
    assert meta == {"defaultValue": 60, "minimum": 1, "maximum": 120}


def test_metadata_lists_aliases_and_choices(api, rp_cert):
    answer = api.get(META)
    assert answer.status_code == 200
    meta = answer.json()
    # No default alias: the field is left out (WSO2's MetadataProperty has no null).
    assert meta["certificateAlias"] == {"options": [rp_cert]}
    assert meta["tokenType"] == {"options": ["SAML11", "SAML20"], "defaultValue": "SAML20"}
    assert meta["keyType"]["options"] == ["Bearer", "SymmetricKey", "PublicKey"]
    assert "http://www.w3.org/2009/xmlenc11#aes256-gcm" in meta["encryptionAlgorithm"]["options"]
    assert RSA_SHA1 in meta["signatureAlgorithm"]["options"]
    assert meta["digestAlgorithm"]["defaultValue"].endswith("#sha256")
    assert meta["nameIdFormat"]["defaultValue"].endswith(":unspecified")


# ------------------------------------------------------------------------------- access / docs


ENDPOINTS = [
    ("GET", APPS, None),
    ("POST", APPS, {"name": "Intruder"}),
    ("GET", f"{APPS}/ID", None),
    ("PATCH", f"{APPS}/ID", {"name": "Intruder"}),
    ("DELETE", f"{APPS}/ID", None),
    ("GET", f"{APPS}/ID/inbound-protocols/ws-trust", None),
    ("PUT", f"{APPS}/ID/inbound-protocols/ws-trust", {"audience": "https://evil.example/"}),
    ("DELETE", f"{APPS}/ID/inbound-protocols/ws-trust", None),
    ("GET", META, None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_endpoints_need_an_admin(api, anonymous, as_user, bootstrapped, method, path, body):
    app = _create(api, "Target", inboundProtocolConfiguration={
        "wsTrust": {"audience": "https://rp.example.org/target"}})
    path = path.replace("ID", app["id"])
    answer = anonymous.request(method, path, json=body)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic")
    operator = as_user("operator", roles=("operators",))
    assert operator.request(method, path, json=body).status_code == 403
    assert [a.name for a in bootstrapped.store.applications.list_all()] == ["Target"]
    assert bootstrapped.store.applications.get_relying_party(app["id"]).audience == (
        "https://rp.example.org/target")


def test_openapi_describes_the_application_endpoints(anonymous):
    document = anonymous.get(f"{API}/openapi.json").json()
    paths = document["paths"]
    assert {"get", "post"} <= set(paths[APPS])
    assert {"get", "patch", "delete"} <= set(paths[f"{APPS}/{{applicationId}}"])
    assert {"get", "put", "delete"} <= set(
        paths[f"{APPS}/{{applicationId}}/inbound-protocols/ws-trust"])
    assert "get" in paths[META]
    schema = document["components"]["schemas"]["WSTrustConfiguration"]
    assert {"audience", "certificateAlias", "tokenLifetimeSeconds"} <= set(schema["properties"])


def test_the_audit_log_says_none_in_words_for_a_missing_certificate_alias(api):
    """The walk's audit log read "certificateAlias=None": a Python value, not words."""
    app = _create(api)
    api.put(_ws_trust(app["id"]), json={"audience": "urn:example:no-certificate"})
    [entry] = [e for e in _audit(api, "application.ws-trust.create")
               if "urn:example:no-certificate" in e["detail"]]
    assert "None" not in entry["detail"]
    assert "certificateAlias=none (not encrypted)" in entry["detail"]
