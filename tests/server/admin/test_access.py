"""Access to the admin API: Basic auth, the admin role, lockout, errors in WSO2's JSON shape."""

from __future__ import annotations

from tests.server.admin.conftest import API, client_for


def test_no_credentials_is_401_with_a_challenge(anonymous):
    answer = anonymous.get(f"{API}/audit-logs")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Basic")
    body = answer.json()
    assert set(body) == {"code", "message", "description"}
    assert "admin role" in body["description"]


def test_wrong_password_is_401(app):
    with client_for(app, "admin", "nope") as client:
        answer = client.get(f"{API}/audit-logs")
    assert answer.status_code == 401
    assert "wrong" in answer.json()["description"]


def test_garbage_authorization_header_is_401(anonymous):
    answer = anonymous.get(f"{API}/audit-logs", headers={"Authorization": "Basic !!!"})
    assert answer.status_code == 401
    assert "base64" in answer.json()["description"]


def test_user_without_admin_role_is_403(as_user):
    client = as_user("operator", roles=("operators",))
    answer = client.get(f"{API}/audit-logs")
    assert answer.status_code == 403
    assert "admin role" in answer.json()["description"]


def test_failed_logins_lock_the_account_like_the_sts(app, bootstrapped, as_user):
    as_user("second-admin", roles=("admin",), password="S3cond-admin!")
    with client_for(app, "second-admin", "bad") as bad:
        for _ in range(5):
            assert bad.get(f"{API}/audit-logs").status_code == 401
    assert bootstrapped.store.users.get("second-admin").locked_until is not None
    with client_for(app, "second-admin", "S3cond-admin!") as good:
        answer = good.get(f"{API}/audit-logs")
    assert answer.status_code == 401
    assert "locked" in answer.json()["description"]


def test_unknown_path_is_404_json(api):
    answer = api.get(f"{API}/no-such-thing")
    assert answer.status_code == 404
    assert "check the path" in answer.json()["description"]


def test_openapi_document_is_served(anonymous):
    answer = anonymous.get(f"{API}/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"].startswith("3.")
    assert f"{API}/audit-logs" in document["paths"]


def test_local_claims_are_listed(api):
    answer = api.get(f"{API}/claim-dialects/local/claims")
    assert answer.status_code == 200
    uris = {claim["claimURI"] for claim in answer.json()}
    assert "http://wso2.org/claims/emailaddress" in uris
