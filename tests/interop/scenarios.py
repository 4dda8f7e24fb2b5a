"""Applying a security scenario on the live STS as the console's wizard does, for one block."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from stsdesk.core.scenarios import SCENARIOS_ENFORCED
from tests.e2e.conftest import ADMIN_PASSWORD, LiveSts

__all__ = ["ScenarioRefused", "apply_scenario", "applied", "unless_enforced",
           "unless_suites_can_be_chosen", "enforced", "admin_call"]

TRUSTED_KEYSTORE = "wso2carbon.jks"  # the trust store, as WSO2's wizard names it
API = "/api/server/v1"


class ScenarioRefused(Exception):
    """The admin API refused to apply the scenario (the server cannot enforce it)."""


def apply_scenario(sts: LiveSts, scenario_id: str, suite: str | None = None) -> None:
    """PUT /sts/security as the console's wizard does, with keystores where WSO2 asks for them
    and the algorithm suite when one is chosen (WSO2's Basic256 otherwise)."""
    body: dict[str, Any] = {"scenarioId": scenario_id, "userStoreDomain": "ALL-USER-STORE-DOMAINS",
                            "allowedRoles": ["admin"]}
    if scenario_id != "scenario1":
        body |= {"trustedKeystores": [TRUSTED_KEYSTORE], "privateKeystore": TRUSTED_KEYSTORE}
    if suite is not None:
        body["algorithmSuite"] = suite
    base = sts.endpoint.rsplit("/services/", 1)[0]
    answer = requests.put(f"{base}{API}/sts/security", json=body, auth=("admin", ADMIN_PASSWORD),
                          verify=str(sts.ca_file), timeout=30)
    if answer.status_code == 400:
        error = answer.json()
        raise ScenarioRefused(f"{error.get('message')} {error.get('description')}")
    answer.raise_for_status()


def admin_call(sts: LiveSts, method: str, path: str, body: Any = None) -> Any:
    """One admin API call as the administrator; its JSON answer (None for 204)."""
    base = sts.endpoint.rsplit("/services/", 1)[0]
    answer = requests.request(method, f"{base}{API}{path}", json=body,
                              auth=("admin", ADMIN_PASSWORD), verify=str(sts.ca_file), timeout=30)
    assert answer.ok, f"{method} {path}: {answer.status_code} {answer.text}"
    return None if answer.status_code == 204 else answer.json()


@contextmanager
def applied(sts: LiveSts, number: str, suite: str | None = None) -> Iterator[None]:
    """Scenario ``number`` applied through the admin API for a block; scenario 1 afterwards."""
    try:
        apply_scenario(sts, f"scenario{number}", suite)
    except ScenarioRefused as refused:
        pytest.fail(f"the admin API refused scenario{number}: {refused}")
    try:
        yield
    finally:
        apply_scenario(sts, "scenario1")


def unless_enforced(*numbers: str) -> pytest.MarkDecorator:
    """Expected to fail (strictly) while the catalogue does not list these scenarios as enforced:
    the admin API refuses to apply them then. Once they are, the test must pass."""
    missing = [n for n in numbers if f"scenario{n}" not in SCENARIOS_ENFORCED]
    return pytest.mark.xfail(
        bool(missing), strict=True,
        reason=f"scenario{', scenario'.join(missing)} not enforced yet by this STS (issue 12)",
    )


def unless_suites_can_be_chosen() -> pytest.MarkDecorator:
    """Expected to fail (strictly) while PUT /sts/security takes no algorithm-suite choice."""
    missing = importlib.util.find_spec("stsdesk.core.algorithm_suite") is None
    return pytest.mark.xfail(missing, strict=True,
                             reason="the algorithm-suite choice is not in PUT /sts/security yet")


def enforced(*values: Any) -> list[Any]:
    """Parameters whose first item is a scenario number, each marked with ``unless_enforced``."""
    params = []
    for value in values:
        items = value if isinstance(value, tuple) else (value,)
        params.append(pytest.param(*items, marks=unless_enforced(str(items[0]))))
    return params
