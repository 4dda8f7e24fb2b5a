"""`stsdesk admin` end to end: the whole workflow against the embedded stsdesk server and the
WSO2 contract double, with the JSON it prints and the exit codes scripts rely on."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from stsdesk import cli
from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from stsdesk.services.tls import fetch_certificate, fingerprint
from tests.helpers import certfactory
from tests.wso2double import Wso2Double

ADMIN_PASSWORD = "Adm1n-cli-secret"
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Target:
    kind: str
    url: str
    password: str
    pin: str
    double: Wso2Double | None = None


@pytest.fixture(scope="module")
def stsdesk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    settings = ServerSettings(data_dir=tmp_path_factory.mktemp("admin-cli"), port=0,
                              admin_password=ADMIN_PASSWORD)
    with BackgroundServer(settings) as running:
        yield running


@pytest.fixture(params=["stsdesk", "wso2-5.10", "wso2-7.1"])
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    if request.param == "stsdesk":
        server = request.getfixturevalue("stsdesk_server")
        yield Target("stsdesk", server.url, ADMIN_PASSWORD,
                     fingerprint(fetch_certificate(server.url)))
        return
    with Wso2Double(request.param.removeprefix("wso2-")) as double:
        yield Target("wso2", double.url, double.password, double.sha256, double)


@pytest.fixture
def password_file(tmp_path: Path, target: Target) -> Path:
    path = tmp_path / "admin-password"
    path.write_text(target.password + "\n")
    return path


def _admin(target: Target, password_file: Path, *command: str,
           pin: str | None = None) -> list[str]:
    return ["admin", "--server", target.url, "--kind", target.kind,
            "--password-file", str(password_file), "--pin", pin or target.pin, "--json",
            *command]


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, object, str]:
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out.strip() else None), captured.err


def test_the_whole_workflow(capsys, target, password_file, tmp_path):
    def ok(*command: str) -> object:
        code, output, err = _run(capsys, _admin(target, password_file, *command))
        assert code == 0, err
        return output

    info = ok("info")
    assert info["product"] == ("stsdesk" if target.kind == "stsdesk" else "WSO2 Identity Server")

    resident = ok("resident-idp", "set", "--realm", "cli.example.org", "--idle-timeout", "45")
    assert resident["home_realm_identifiers"] == ["cli.example.org"]
    assert ok("resident-idp", "show")["idle_session_timeout_minutes"] == 45

    assert "scenario1" in {s["id"] for s in ok("security", "scenarios")}
    applied = ok("security", "apply", "scenario1", "--role", "admin")
    assert applied["enabled"] is True and applied["allowed_roles"] == ["admin"]
    assert ok("security", "show")["scenario_id"] == "scenario1"

    created = ok("sp", "create", "rp-cli", "--description", "from the CLI",
                 "--claim", "http://wso2.org/claims/emailaddress!")
    assert created["requested_claims"] == [
        {"uri": "http://wso2.org/claims/emailaddress", "mandatory": True}]
    ws_trust = ok("sp", "ws-trust", "set", "rp-cli", "https://rp.example.org/cli")
    assert ws_trust["audience"] == "https://rp.example.org/cli"
    assert "rp-cli" in {a["name"] for a in ok("sp", "list")}
    assert "https://rp.example.org/cli" in {t["audience"] for t in ok("trusted-services", "list")}

    issued = certfactory.issue("cli-rp.example.org")
    pem_file = tmp_path / "rp.pem"
    pem_file.write_bytes(issued.certificate.public_bytes(serialization.Encoding.PEM))
    assert ok("certs", "import", "cli-rp", str(pem_file))["subject"] == "CN=cli-rp.example.org"
    assert "cli-rp" in {c["alias"] for c in ok("certs", "list")}
    exported = tmp_path / "exported.pem"
    ok("certs", "export", "cli-rp", "-o", str(exported))
    assert exported.read_bytes() == pem_file.read_bytes()
    ok("certs", "delete", "cli-rp")

    user_password = tmp_path / "user-password"
    user_password.write_text("Cli-user-passw0rd")
    user = ok("users", "create", "cli-user", "--user-password-file", str(user_password),
              "--email", "cli-user@example.org")
    assert user["user_name"] == "cli-user"
    role = ok("roles", "create", "cli-role", "--member", "cli-user")
    assert role["members"] == [[user["id"], "cli-user"]]

    ok("sp", "ws-trust", "delete", "rp-cli")
    ok("sp", "delete", "rp-cli")
    assert "rp-cli" not in {a["name"] for a in ok("sp", "list")}
    ok("security", "disable")
    assert ok("security", "show")["enabled"] is False


def test_exit_codes(capsys, target, password_file, tmp_path):
    code, _, err = _run(capsys, _admin(target, password_file, "sp", "show", "no-such-sp"))
    assert (code, "no-such-sp" in err) == (4, True)

    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password")
    code, _, _ = _run(capsys, _admin(target, wrong, "sp", "list"))
    assert code == 7

    code, _, err = _run(capsys, _admin(target, password_file, "info", pin="ab" * 32))
    assert code == 5 and "CHANGED" in err

    code, _, err = _run(capsys, _admin(target, password_file, "security", "apply",
                                       "scenario1", "--role", "no-such-role"))
    assert code in (3, 4), err

    code, _, _ = _run(capsys, _admin(target, tmp_path / "missing-file", "info"))
    assert code == 2


def test_what_a_server_cannot_do_exits_6_with_the_reason(capsys, target, password_file):
    if target.kind == "stsdesk":
        code, _, err = _run(capsys, _admin(target, password_file, "trusted-services", "add",
                                           "https://rp.example.org/x"))
        assert code == 6 and "sp ws-trust set" in err
        return
    code, info, _ = _run(capsys, _admin(target, password_file, "info"))
    assert code == 0 and "audit log" in info["missing"]["audit-log"]
    with Wso2Double("5.11-no-connector", password=target.password) as bare:
        without = Target("wso2", bare.url, bare.password, bare.sha256, bare)
        code, _, err = _run(capsys, _admin(without, password_file, "security", "show"))
        assert code == 6
        assert "the WS-Trust connector is not installed on this server" in err
        code, _, _ = _run(capsys, _admin(without, password_file, "resident-idp", "show"))
        assert code == 0


def test_the_entry_point_runs_as_a_program(password_file, target):
    if target.kind != "stsdesk":
        pytest.skip("one process start is enough")
    result = subprocess.run(
        [sys.executable, "-m", "stsdesk", *_admin(target, password_file, "info")],
        capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["product"] == "stsdesk"
