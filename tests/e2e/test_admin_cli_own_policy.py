"""`stsdesk admin security check-policy|apply-policy`: an own WS-SecurityPolicy from a script,
on the embedded stsdesk server (the document) and the WSO2 double (a registry path)."""

from __future__ import annotations

import pytest

from tests.e2e import test_admin_cli as cli_tests
from tests.helpers.data import DATA

# The CLI tests' fixtures: the embedded server, the WSO2 doubles, the password file.
stsdesk_server, target, password_file = (
    cli_tests.stsdesk_server, cli_tests.target, cli_tests.password_file)
_admin, _run = cli_tests._admin, cli_tests._run

OWN = DATA / "own-policies"
REGISTRY_PATH = "/_system/config/repository/security/policies/partner-policy.xml"
KEYSTORES = ("--trusted-keystore", "wso2carbon.jks", "--private-keystore", "wso2carbon.jks")


def test_an_own_policy_from_the_command_line(capsys, target, password_file):
    def run(*command: str):
        return _run(capsys, _admin(target, password_file, *command))

    if target.kind != "stsdesk":
        pytest.skip("WSO2 takes a registry path: see the test below")
    code, verdict, err = run("security", "check-policy", str(OWN / "kerberos.xml"))
    assert code == 3 and "cannot enforce" in err
    assert verdict["enforceable"] is False
    # (Its Kerberos token is enforced where the server accepts tickets; these never are.)
    names = [issue["name"] for issue in verdict["unenforceable"]]
    assert "sp:EndorsingSupportingTokens" in names and "ex:AuditEveryRequest" in names

    code, verdict, _ = run("security", "check-policy", str(OWN / "signed-encrypted-sha256.xml"))
    assert code == 0 and verdict["enforceable"] is True
    assert verdict["asks_for"] == ["keystores"]

    code, _, err = run("security", "apply-policy", str(OWN / "kerberos.xml"), *KEYSTORES)
    assert code == 3 and "ex:AuditEveryRequest at /wsp:Policy/" in err

    code, applied, err = run("security", "apply-policy", str(OWN / "signed-encrypted-sha256.xml"),
                             "--name", "Partner", *KEYSTORES)
    assert code == 0, err
    assert applied["scenario_id"] == "policyFromRegistry" and applied["policy_name"] == "Partner"
    code, shown, _ = run("security", "show")
    assert shown["policy_name"] == "Partner" and "PartnerSignEncryptSha256" in shown[
        "policy_document"]
    assert run("security", "apply", "scenario1", "--role", "admin")[0] == 0


def test_wso2_applies_a_registry_policy_and_says_what_it_cannot_do(
        capsys, target, password_file):
    def run(*command: str):
        return _run(capsys, _admin(target, password_file, *command))

    if target.kind == "stsdesk":
        code, _, err = run("security", "apply-policy", "--registry-path", REGISTRY_PATH)
        assert code == 6 and "no registry" in err
        return
    code, _, err = run("security", "check-policy", str(OWN / "signed-encrypted-sha256.xml"))
    assert code == 6 and "no admin service that checks" in err
    code, _, err = run("security", "apply-policy", str(OWN / "signed-encrypted-sha256.xml"))
    assert code == 6 and "registry" in err

    assert target.double is not None
    target.double.state.registry_policies.add(REGISTRY_PATH)
    code, applied, err = run("security", "apply-policy", "--registry-path", REGISTRY_PATH,
                             "--role", "admin", *KEYSTORES)
    assert code == 0, err
    assert applied["scenario_id"] == "policyFromRegistry"
    assert applied["allowed_roles"] == ["admin"]
    assert target.double.state.policy_path == REGISTRY_PATH
    code, _, err = run("security", "apply-policy", "--registry-path", "/no/such/policy.xml")
    assert code == 3 and "registry" in err
