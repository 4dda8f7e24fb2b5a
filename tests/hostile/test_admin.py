"""Hostile calls to the admin API and SCIM over the live server: every one a clear 4xx."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import API


def _clear_4xx(hostile, answer, *statuses: int) -> dict:
    assert answer.status_code in statuses, (answer.status_code, answer.text[:300])
    body = answer.json()
    text = " ".join(str(body.get(k, "")) for k in ("message", "description", "detail"))
    assert len(text.strip()) > 10, body  # a message a person can act on
    hostile.assert_nothing_secret(answer.content)
    hostile.assert_still_serving()
    return body


@pytest.mark.parametrize("alias", ["../../etc/passwd", "..%2F..%2Fsecrets", "a/b", "con\x00", "..",
                                   "x" * 5000])
def test_path_traversal_and_odd_aliases_in_certificate_import(hostile, alias):
    pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    answer = hostile.api("POST", f"{API}/keystores/certs", json={"alias": alias, "certificate": pem})
    _clear_4xx(hostile, answer, 400, 422)
    assert not (hostile.settings.root / "etc").exists()


@pytest.mark.parametrize("path", [
    f"{API}/keystores/certs/..%2F..%2Fsecrets%2Fkeystore-password",
    f"{API}/keystores/certs/%2e%2e",
    f"{API}/applications/..%2F..%2Fconfigs",
])
def test_path_traversal_in_urls_reaches_nothing(hostile, path):
    answer = hostile.api("GET", path)
    assert answer.status_code in (400, 404)
    hostile.assert_nothing_secret(answer.content)
    hostile.assert_still_serving()


@pytest.mark.parametrize("name", ["../evil", "", " ", "a" * 10_000, "<script>x</script>"])
def test_bad_application_names(hostile, name):
    answer = hostile.api("POST", f"{API}/applications", json={"name": name})
    if answer.status_code == 201:  # some odd names are legal: they must round-trip as data
        location = answer.headers["Location"].rsplit("/", 1)[1]
        assert hostile.api("DELETE", f"{API}/applications/{location}").status_code == 204
        return
    _clear_4xx(hostile, answer, 400, 422)


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"name": 5}', b'{"name": null}', b"\xff\xfe",
                                  b'{"name": "x", "name": {"$ne": 1}}'])
def test_malformed_json_and_wrong_types(hostile, body):
    answer = hostile.api("POST", f"{API}/applications", data=body,
                         headers={"Content-Type": "application/json"})
    _clear_4xx(hostile, answer, 400, 422)


def test_huge_json_payload_is_refused(hostile):
    body = b'{"name": "big", "description": "' + b"x" * 5_000_000 + b'"}'
    answer = hostile.api("POST", f"{API}/applications", data=body,
                         headers={"Content-Type": "application/json"})
    assert answer.status_code in (400, 413, 422)
    hostile.assert_nothing_secret(answer.content)
    hostile.assert_still_serving()


@pytest.mark.parametrize("filter_", [
    'userName eq "admin" or 1 eq 1',
    "userName eq \"x' OR '1'='1\"",
    'userName sw "%"',
    'password pr',
    'userName eq "admin") or (userName pr',
])
def test_scim_filter_injection(hostile, filter_):
    answer = hostile.api("GET", "/scim2/Users", params={"filter": filter_},
                         headers={"Accept": "application/scim+json"})
    if answer.status_code == 200:
        # A legal filter is data, never SQL: "%" matches no one who does not start with "%",
        # and no password ever comes back.
        resources = answer.json().get("Resources", [])
        assert all("password" not in r for r in resources)
        if "sw" in filter_:
            assert resources == []
    else:
        assert answer.status_code == 400
    hostile.assert_nothing_secret(answer.content)
    hostile.assert_still_serving()


def test_duplicate_application_name_is_409(hostile):
    first = hostile.api("POST", f"{API}/applications", json={"name": "h7-dup"})
    assert first.status_code == 201
    second = hostile.api("POST", f"{API}/applications", json={"name": "h7-dup"})
    _clear_4xx(hostile, second, 409)


def test_deleting_a_certificate_in_use_is_409(hostile):
    answer = hostile.api("DELETE", f"{API}/keystores/certs/rp-cert")
    _clear_4xx(hostile, answer, 409)
    assert "rp-cert" in hostile.store.keys.list_trusted_certificates()


@pytest.mark.parametrize("auth", [None, ("admin", "wrong"), ("", ""), ("admin\x00", "x")])
def test_no_or_wrong_credentials_are_401(hostile, auth):
    answer = hostile.api("GET", f"{API}/applications", auth=auth)
    _clear_4xx(hostile, answer, 401)
    hostile.store.logins.record_success("admin")
