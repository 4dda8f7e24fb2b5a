"""Token lifetime and lockout settings: validated, audited, and in force for the STS."""

from __future__ import annotations

import pytest

from tests.server.admin.conftest import API


def test_token_settings_round_trip_and_audit(api, bootstrapped):
    assert api.get(f"{API}/sts/token-settings").json() == {
        "defaultLifetimeSeconds": 300, "maxLifetimeSeconds": 28800, "clockSkewSeconds": 300,
        "securityContextLifetimeSeconds": 3600}
    answer = api.put(f"{API}/sts/token-settings", json={
        "defaultLifetimeSeconds": 600, "maxLifetimeSeconds": 3600, "clockSkewSeconds": 60,
        "securityContextLifetimeSeconds": 900})
    assert answer.status_code == 200
    assert answer.json()["securityContextLifetimeSeconds"] == 900
    tokens = bootstrapped.store.snapshot().tokens
    assert (tokens.default_lifetime_seconds, tokens.security_context_lifetime_seconds) == (
        600, 900)
    entries = api.get(f"{API}/audit-logs").json()["entries"]
    assert entries[0]["action"] == "sts.token-settings.update"


@pytest.mark.parametrize("body", [
    {"defaultLifetimeSeconds": 0, "maxLifetimeSeconds": 10, "clockSkewSeconds": 0},
    {"defaultLifetimeSeconds": 100, "maxLifetimeSeconds": 10, "clockSkewSeconds": 0},
    {"defaultLifetimeSeconds": 100, "maxLifetimeSeconds": 1000},
    {"defaultLifetimeSeconds": "x", "maxLifetimeSeconds": 1000, "clockSkewSeconds": 1},
    {"defaultLifetimeSeconds": 100, "maxLifetimeSeconds": 1000, "clockSkewSeconds": 1,
     "securityContextLifetimeSeconds": 59},
    {"defaultLifetimeSeconds": 100, "maxLifetimeSeconds": 1000, "clockSkewSeconds": 1,
     "securityContextLifetimeSeconds": 24 * 3600 + 1},
])
def test_bad_token_settings_are_400(api, body):
    answer = api.put(f"{API}/sts/token-settings", json=body)
    assert answer.status_code == 400
    assert answer.json()["description"]


def test_a_client_that_omits_the_context_lifetime_keeps_it(api, bootstrapped):
    body = {"defaultLifetimeSeconds": 300, "maxLifetimeSeconds": 28800, "clockSkewSeconds": 300}
    assert api.put(f"{API}/sts/token-settings", json={
        **body, "securityContextLifetimeSeconds": 7200}).status_code == 200
    answer = api.put(f"{API}/sts/token-settings", json=body)
    assert answer.status_code == 200
    assert answer.json()["securityContextLifetimeSeconds"] == 7200
    assert bootstrapped.store.snapshot().tokens.security_context_lifetime_seconds == 7200


def test_lockout_policy_takes_effect(api, bootstrapped):
    answer = api.put(f"{API}/sts/lockout-policy", json={"maxFailedAttempts": 2, "lockoutSeconds": 60})
    assert answer.status_code == 200
    assert bootstrapped.store.snapshot().lockout.max_failed_attempts == 2
    assert api.put(f"{API}/sts/lockout-policy", json={"maxFailedAttempts": 0,
                                                     "lockoutSeconds": 60}).status_code == 400


def test_settings_need_admin(anonymous):
    assert anonymous.get(f"{API}/sts/token-settings").status_code == 401
    assert anonymous.put(f"{API}/sts/lockout-policy", json={}).status_code == 401


def test_password_digest_is_off_until_allowed_and_audited(api, bootstrapped):
    assert api.get(f"{API}/sts/password-digest").json() == {
        "allowPasswordDigest": False, "storedPasswordCount": 0}
    answer = api.put(f"{API}/sts/password-digest", json={"allowPasswordDigest": True})
    assert answer.status_code == 200
    # Allowing stores nothing at once: that PUT's own sign-in came before the change...
    assert answer.json() == {"allowPasswordDigest": True, "storedPasswordCount": 0}
    assert bootstrapped.store.snapshot().password_digest.allowed is True
    # ...and the admin's next successful sign-in stores the admin's copy.
    assert api.get(f"{API}/sts/password-digest").json()["storedPasswordCount"] == 1
    assert bootstrapped.store.users.unseal_password(bootstrapped.store.users.get("admin"))
    entries = api.get(f"{API}/audit-logs").json()["entries"]
    assert entries[0]["action"] == "sts.password-digest.update"
    assert entries[0]["detail"].startswith("allowed")


def test_forbidding_password_digest_deletes_every_stored_copy(api, bootstrapped):
    store = bootstrapped.store
    api.put(f"{API}/sts/password-digest", json={"allowPasswordDigest": True})
    store.users.create("digester", "D1gest-password")
    assert store.users.count_sealed_passwords() >= 1
    answer = api.put(f"{API}/sts/password-digest",
                     json={"allowPasswordDigest": False, "storedPasswordCount": 7})
    assert answer.status_code == 200  # the read-only count a GET gave may be sent back
    # The admin's own sign-in for this PUT stored a copy first; it went with the rest.
    assert answer.json() == {"allowPasswordDigest": False, "storedPasswordCount": 0}
    assert store.users.count_sealed_passwords() == 0
    assert api.get(f"{API}/sts/password-digest").json()["storedPasswordCount"] == 0
    entry = api.get(f"{API}/audit-logs").json()["entries"][0]
    assert entry["action"] == "sts.password-digest.update"
    assert entry["detail"] == "not allowed: 2 stored password(s) deleted"
    assert "D1gest-password" not in str(entry)
    # The same value again is no change: nothing more in the audit log.
    api.put(f"{API}/sts/password-digest", json={"allowPasswordDigest": False})
    assert api.get(f"{API}/audit-logs").json()["entries"][0]["id"] == entry["id"]


@pytest.mark.parametrize("body", [
    {}, {"allowPasswordDigest": "true"}, {"allowPasswordDigest": 1},
    {"allowPasswordDigest": True, "storePasswords": True},
])
def test_bad_password_digest_settings_are_400(api, bootstrapped, body):
    answer = api.put(f"{API}/sts/password-digest", json=body)
    assert answer.status_code == 400
    assert answer.json()["description"]
    assert bootstrapped.store.config.get_password_digest_policy().allowed is False


def test_password_digest_needs_admin_and_is_described(anonymous):
    assert anonymous.get(f"{API}/sts/password-digest").status_code == 401
    assert anonymous.put(f"{API}/sts/password-digest",
                         json={"allowPasswordDigest": True}).status_code == 401
    path = anonymous.get(f"{API}/openapi.json").json()["paths"][f"{API}/sts/password-digest"]
    assert set(path) == {"get", "put"}
    assert "reversibly" in path["put"]["description"]
