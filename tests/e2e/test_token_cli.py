"""`stsdesk token issue` and `stsdesk token inspect` end to end against the real embedded STS."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from lxml import etree

from stsdesk import cli
from stsdesk.core import ns
from stsdesk.core.certificates import generate_self_signed
from stsdesk.core.saml import (
    PASSWORD_AUTHN_20,
    AssertionSpec,
    SamlVersion,
    build_assertion,
    new_assertion_id,
    sign_assertion,
)
from stsdesk.services.trust_client import Credentials
from tests.e2e.conftest import (
    ADMIN_PASSWORD,
    RP_ENCRYPTED,
    RP_HOK,
    RP_PLAIN,
    LiveSts,
    password_digest_allowed,
)

CLI_USER = "token-cli-user"
CLI_PASSWORD = "T0ken-cli-passw0rd"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def files(live_sts: LiveSts, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    # A user of its own, so the wrong-password test cannot lock the admin out of other tests.
    if live_sts.store.users.get(CLI_USER) is None:
        live_sts.store.users.create(CLI_USER, CLI_PASSWORD, roles=["admin"])
    folder = tmp_path_factory.mktemp("token-cli")
    pem = serialization.Encoding.PEM
    paths = {
        "password": folder / "password.txt",
        "admin_password": folder / "admin-password.txt",
        "sts_cert": folder / "wso2carbon.pem",
        "rp_key": folder / "rp-key.pem",
        "client_cert": folder / "client.pem",
        "client_key": folder / "client-key.pem",
    }
    paths["password"].write_text(CLI_PASSWORD + "\n")
    paths["admin_password"].write_text(ADMIN_PASSWORD)
    paths["sts_cert"].write_bytes(live_sts.signing_certificate.public_bytes(pem))
    paths["rp_key"].write_bytes(live_sts.rp_identity.private_key_pem())
    paths["client_cert"].write_bytes(live_sts.client_identity.certificate_pem())
    paths["client_key"].write_bytes(live_sts.client_identity.private_key_pem())
    return paths


def _issue_argv(live_sts: LiveSts, files: dict[str, Path], *extra: str) -> list[str]:
    return [
        "token", "issue", "--sts", live_sts.endpoint, "--ca-file", str(live_sts.ca_file),
        "--username", CLI_USER, "--password-file", str(files["password"]), *extra,
    ]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


COMBOS = list(itertools.product(("1.1", "1.2"), ("2005", "1.3"), ("saml11", "saml20")))


@pytest.mark.parametrize(("soap", "trust", "token_type"), COMBOS)
def test_issue_json_in_every_version(live_sts, files, capsys, soap, trust, token_type):
    code, out, err = _run(
        _issue_argv(live_sts, files, "--soap", soap, "--trust", trust, "--token-type",
                    token_type, "--applies-to", RP_PLAIN, "--trust-cert", str(files["sts_cert"]),
                    "--json"),
        capsys,
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["ok"] is True and data["http_status"] == 200 and data["fault"] is None
    token = data["token"]
    assert token["version"] == ("1.1" if token_type == "saml11" else "2.0")
    assert token["subject"]["name_id"] == CLI_USER
    assert token["signature"]["status"] == "valid"
    assert token["signature"]["trusted_alias"] == "wso2carbon"
    assert token["conditions"]["audiences"] == [RP_PLAIN]
    assert token["validity"]["state"] == "valid"
    assert CLI_PASSWORD not in out


def test_issue_without_trusted_certificate_says_untrusted(live_sts, files, capsys):
    code, out, _ = _run(_issue_argv(live_sts, files, "--applies-to", RP_PLAIN), capsys)
    assert code == 0
    assert "HTTP 200" in out
    assert "UNTRUSTED" in out
    assert f"Subject:      {CLI_USER}" in out


@pytest.mark.parametrize("entropy", [[], ["--entropy"]])
def test_issue_symmetric_key_shows_the_proof_key(live_sts, files, capsys, entropy):
    code, out, err = _run(
        _issue_argv(live_sts, files, "--key-type", "symmetric", *entropy, "--applies-to", RP_HOK,
                    "--key", str(files["rp_key"]), "--json"),
        capsys,
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["proof"]["source"] == ("computed" if entropy else "server")
    assert data["proof"]["size_bits"] == 256
    assert data["proof"]["matches_relying_party"] is True
    assert data["token"]["holder_of_key"]["kind"] == "symmetric"


def test_issue_public_key_encrypted_token_decrypted(live_sts, files, capsys):
    code, out, err = _run(
        _issue_argv(live_sts, files, "--key-type", "public", "--client-cert",
                    str(files["client_cert"]), "--client-key", str(files["client_key"]),
                    "--applies-to", RP_ENCRYPTED, "--key", str(files["rp_key"]),
                    "--trust-cert", str(files["sts_cert"])),
        capsys,
    )
    assert code == 0, err
    assert "Encryption:   decrypted" in out
    assert "Signature:    VALID" in out
    assert "trusted-client" in out


def test_issue_public_key_token_from_one_pkcs12_file(live_sts, files, tmp_path, capsys):
    identity = live_sts.client_identity
    bundle = tmp_path / "client.p12"
    bundle.write_bytes(pkcs12.serialize_key_and_certificates(
        b"client", identity.private_key, identity.certificate, None,
        serialization.BestAvailableEncryption(b"P12-secret")))
    secret = tmp_path / "p12-password"
    secret.write_text("P12-secret\n")
    argv = _issue_argv(live_sts, files, "--key-type", "public", "--client-cert", str(bundle),
                       "--applies-to", RP_ENCRYPTED, "--key", str(files["rp_key"]),
                       "--trust-cert", str(files["sts_cert"]))
    code, _, err = _run(argv, capsys)
    assert code == 2 and "password" in err  # the bundle is protected: say so, issue nothing
    code, out, err = _run([*argv, "--client-key-password-file", str(secret)], capsys)
    assert code == 0, err
    assert "Signature:    VALID" in out
    assert "trusted-client" in out


def test_issue_claims_lifetime_digest_and_masked_messages(live_sts, files, capsys):
    with password_digest_allowed(live_sts, Credentials(CLI_USER, CLI_PASSWORD)):
        code, out, err = _run(
            _issue_argv(live_sts, files, "--applies-to", RP_PLAIN, "--trust", "2005", "--soap",
                        "1.1", "--wso2-dialect", "--claim", "http://wso2.org/claims/username",
                        "--lifetime", "120", "--digest", "--messages"),
            capsys,
        )
    assert code == 0, err
    assert "http://wso2.org/claims/username = token-cli-user" in out
    assert "--- request (password masked) ---" in out
    assert "PasswordDigest" in out and "********" in out
    assert CLI_PASSWORD not in out
    assert 'wst:Dialect="http://wso2.org/claims"' in out  # as WSO2's client writes it


def test_wrong_password_exits_3_with_the_fault(live_sts, files, capsys, tmp_path):
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not-the-password")
    argv = _issue_argv(live_sts, files, "--applies-to", RP_PLAIN)
    argv[argv.index(str(files["password"]))] = str(wrong)
    code, out, err = _run(argv, capsys)
    assert code == cli.EXIT_FAULT == 3
    assert "wst:FailedAuthentication" in err
    assert "not-the-password" not in out + err
    code, out, err = _run([*argv, "--json"], capsys)
    assert code == 3
    assert json.loads(out)["fault"]["name"] == "FailedAuthentication"


def test_out_file_then_inspect_it(live_sts, files, capsys, tmp_path):
    token_file = tmp_path / "token.xml"
    code, _, err = _run(
        _issue_argv(live_sts, files, "--applies-to", RP_ENCRYPTED, "--out", str(token_file)),
        capsys,
    )
    assert code == 0, err
    assert etree.QName(etree.parse(str(token_file)).getroot()).localname == "EncryptedAssertion"
    code, out, _ = _run(["token", "inspect", str(token_file)], capsys)
    assert code == 0
    assert "NOT decrypted" in out and "SHA-1 thumbprint" in out
    assert "NOT CHECKED" in out
    code, out, _ = _run(
        ["token", "inspect", str(token_file), "--key", str(files["rp_key"]), "--trust-cert",
         str(files["sts_cert"]), "--json"],
        capsys,
    )
    assert code == 0
    data = json.loads(out)
    assert data["encryption"]["decrypted"] is True
    assert data["signature"]["status"] == "valid"
    assert data["subject"]["name_id"] == CLI_USER


def test_inspect_tampered_and_expired_tokens_made_in_the_test(live_sts, files, capsys, tmp_path):
    now = dt.datetime.now(dt.UTC)
    past = now - dt.timedelta(hours=1)
    other = generate_self_signed("not-the-sts")
    spec = AssertionSpec(
        version=SamlVersion.SAML20, assertion_id=new_assertion_id(), issuer="elsewhere",
        issue_instant=past, not_before=past, not_on_or_after=past + dt.timedelta(minutes=5),
        subject_name="bob", name_id_format="", audiences=(RP_PLAIN,), authn_instant=past,
        authn_method=PASSWORD_AUTHN_20,
    )
    expired = build_assertion(spec)
    sign_assertion(expired, other)
    expired_file = tmp_path / "expired.xml"
    expired_file.write_bytes(etree.tostring(expired))
    code, out, _ = _run(
        ["token", "inspect", str(expired_file), "--trust-cert", str(files["sts_cert"])], capsys
    )
    assert code == 0
    assert "EXPIRED" in out and "UNTRUSTED" in out
    tampered = etree.fromstring(etree.tostring(expired))
    tampered.find(f".//{{{ns.SAML2}}}NameID").text = "mallory"
    tampered_file = tmp_path / "tampered.xml"
    tampered_file.write_bytes(etree.tostring(tampered))
    code, out, _ = _run(["token", "inspect", str(tampered_file), "--json"], capsys)
    data = json.loads(out)
    assert data["signature"]["status"] == "invalid"
    assert "digest mismatch" in data["signature"]["reason"]
    assert data["subject"]["name_id"] == "mallory"
    assert data["validity"]["state"] == "expired"


def test_inspect_from_stdin_base64_deflate_in_a_subprocess(live_sts, files, tmp_path):
    token_file = tmp_path / "token.xml"
    assert cli.main(
        _issue_argv(live_sts, files, "--applies-to", RP_PLAIN, "--out", str(token_file))
    ) == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = compressor.compress(token_file.read_bytes()) + compressor.flush()
    completed = subprocess.run(
        [sys.executable, "-m", "stsdesk", "token", "inspect", "-", "--trust-cert",
         str(files["sts_cert"]), "--json"],
        input=base64.b64encode(deflated), capture_output=True, cwd=REPO, timeout=60, check=False,
    )
    assert completed.returncode == 0, completed.stderr.decode()
    data = json.loads(completed.stdout)
    assert data["encoding"] == "base64+deflate"
    assert data["signature"]["status"] == "valid"


def test_inspect_something_that_is_not_a_token(capsys, tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text('{"not": "a token"}')
    code, _, err = _run(["token", "inspect", str(junk)], capsys)
    assert code == 1
    assert "This is not a SAML token" in err


def test_usage_errors_exit_2(live_sts, files, capsys, monkeypatch, tmp_path):
    # No password file and no terminal to ask on.
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    code, _, err = _run(
        ["token", "issue", "--sts", live_sts.endpoint, "--username", CLI_USER], capsys
    )
    assert code == 2 and "--password-file" in err
    # A password is never accepted on the command line, nor echoed back when given there.
    for flag in ("--password", "--passw", "--password=" + CLI_PASSWORD):
        argv = [*_issue_argv(live_sts, files), flag]
        if "=" not in flag:
            argv.append(CLI_PASSWORD)
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert CLI_PASSWORD not in err
        assert "--password-file" in err or "unrecognized arguments: --passw;" in err
    with pytest.raises(SystemExit) as exit_info:
        cli.main([*_issue_argv(live_sts, files), "--insecure", "--pin", "ab" * 32])
    assert exit_info.value.code == 2
    code, _, err = _run(
        ["token", "inspect", str(tmp_path / "missing.xml")], capsys
    )
    assert code == 2 and "Cannot read the token" in err
    code, _, err = _run([*_issue_argv(live_sts, files), "--key-type", "public"], capsys)
    assert code == 2 and "client certificate" in err
    code, _, err = _run([*_issue_argv(live_sts, files), "--client-key", "x.pem"], capsys)
    assert code == 2 and "Give --client-cert with --client-key" in err
    # A certificate without its key names what is missing.
    code, _, err = _run([*_issue_argv(live_sts, files), "--key-type", "public",
                         "--client-cert", str(files["client_cert"])], capsys)
    assert code == 2 and "key" in err and "client.pem" in err
    code, _, err = _run(
        ["token", "issue", "--sts", live_sts.endpoint, "--username", CLI_USER, "--pin", "abc",
         "--password-file", str(files["password"])],
        capsys,
    )
    assert code == 2 and "64 hex digits" in err


def test_insecure_warns_and_unreachable_exits_1(live_sts, files, capsys):
    argv = [
        "token", "issue", "--sts", live_sts.endpoint, "--insecure", "--username", CLI_USER,
        "--password-file", str(files["password"]), "--applies-to", RP_PLAIN,
    ]
    code, _, err = _run(argv, capsys)
    assert code == 0
    assert "TLS certificate checks are OFF" in err
    argv[argv.index(live_sts.endpoint)] = "https://127.0.0.1:1/services/wso2carbon-sts"
    code, _, err = _run(argv, capsys)
    assert code == 1
    assert "could not be reached" in err
