"""Token lifetime and lockout settings: validated, audited, and in force for the STS."""

from __future__ import annotations

import pytest

from tests.server.admin.conftest import API


def test_token_settings_round_trip_and_audit(api, bootstrapped):
    assert api.get(f"{API}/sts/token-settings").json() == {
        "defaultLifetimeSeconds": 300, "maxLifetimeSeconds": 28800, "clockSkewSeconds": 300}
    answer = api.put(f"{API}/sts/token-settings", json={
        "defaultLifetimeSeconds": 600, "maxLifetimeSeconds": 3600, "clockSkewSeconds": 60})
    assert answer.status_code == 200
    assert bootstrapped.store.snapshot().tokens.default_lifetime_seconds == 600
    entries = api.get(f"{API}/audit-logs").json()["entries"]
    assert entries[0]["action"] == "sts.token-settings.update"


@pytest.mark.parametrize("body", [
    {"defaultLifetimeSeconds": 0, "maxLifetimeSeconds": 10, "clockSkewSeconds": 0},
    {"defaultLifetimeSeconds": 100, "maxLifetimeSeconds": 10, "clockSkewSeconds": 0},
    {"defaultLifetimeSeconds": 100, "maxLifetimeSeconds": 1000},
    {"defaultLifetimeSeconds": "x", "maxLifetimeSeconds": 1000, "clockSkewSeconds": 1},
])
def test_bad_token_settings_are_400(api, body):
    answer = api.put(f"{API}/sts/token-settings", json=body)
    assert answer.status_code == 400
    assert answer.json()["description"]


def test_lockout_policy_takes_effect(api, bootstrapped):
    answer = api.put(f"{API}/sts/lockout-policy", json={"maxFailedAttempts": 2, "lockoutSeconds": 60})
    assert answer.status_code == 200
    assert bootstrapped.store.snapshot().lockout.max_failed_attempts == 2
    assert api.put(f"{API}/sts/lockout-policy", json={"maxFailedAttempts": 0,
                                                     "lockoutSeconds": 60}).status_code == 400


def test_settings_need_admin(anonymous):
    assert anonymous.get(f"{API}/sts/token-settings").status_code == 401
    assert anonymous.put(f"{API}/sts/lockout-policy", json={}).status_code == 401
