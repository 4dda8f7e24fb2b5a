"""Apache WSS4J 1.6 (Debian's, the library under WSO2's Rampart) as an outside WS-Trust client.

``StsClient.java`` (with the other clients and the ``ClientSupport``/``RampartSteps`` they
share) is compiled once per session with ``javac`` against the Debian jars and run once per
request; it prints a JSON verdict. The scenarios are applied through the admin API as an
administrator would, on the e2e suite's live HTTPS STS, and scenario 1 is put back afterwards.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from stsdesk.server.model import RelyingParty
from tests.e2e.conftest import LiveSts
from tests.helpers import certfactory

__all__ = ["Wss4jClient", "ClientKey", "USERNAME", "PASSWORD", "java_verdict",
           "write_properties"]

# The jars WSS4J 1.6 needs at run time, as Debian installs them (libwss4j-java,
# libxml-security-java and their dependencies); slf4j-nop keeps xmlsec's logging quiet.
JAVA_DIR = Path("/usr/share/java")
JARS = ("wss4j.jar", "xmlsec.jar", "commons-logging.jar", "slf4j-api.jar", "slf4j-nop.jar")
# Every Java client in this folder (StsClient and the scenario-specific ones beside it).
SOURCES = sorted(Path(__file__).parent.glob("*.java"))

USERNAME = "wss4j-user"
PASSWORD = "Wss4j-client-Pa55"
APPLIES_TO = "https://rp.example.org/plain"
KEY_PASSWORD = "client-key-Pa55"
STS_SELF = "wss4j-sts-self"


def _classpath() -> str:
    if shutil.which("javac") is None or shutil.which("java") is None:
        pytest.skip("javac/java is not installed: run scripts/system-deps.sh (make test does)")
    missing = [jar for jar in JARS if not (JAVA_DIR / jar).is_file()]
    if missing:
        pytest.skip(f"WSS4J's jars are missing from {JAVA_DIR} ({', '.join(missing)}): "
                    "run scripts/system-deps.sh (libwss4j-java, libxml-security-java)")
    return ":".join(str(JAVA_DIR / jar) for jar in JARS)


@dataclass(frozen=True)
class ClientKey:
    """A client's certificate and key as a PKCS#12 file (alias ``client``)."""

    issued: certfactory.Issued
    p12: Path


@dataclass
class Wss4jClient:
    """Runs the compiled Java client against the live STS; one call, one request."""

    classpath: str
    workdir: Path
    sts: LiveSts
    sts_cert: Path
    sts_p12: Path  # the STS's own key, only for checking a request the way Rampart's server would
    keys: dict[str, ClientKey] = field(default_factory=dict)
    runs: int = 0

    def check_request(self, scenario: str, **options: str) -> dict[str, Any]:
        """Build the request and let WSS4J read it as the STS would (with the STS's key); no send."""
        return self.run(scenario, dryRun="true", selfCheckP12=str(self.sts_p12),
                        selfCheckP12Password=KEY_PASSWORD, **options)

    def run(self, scenario: str, *, key: str = "trusted", main: str = "StsClient",
            **options: str) -> dict[str, Any]:
        self.runs += 1
        run_dir = self.workdir / f"run-{self.runs:03d}-s{scenario}"
        run_dir.mkdir()
        props = {
            "scenario": scenario,
            "url": self.sts.endpoint,
            "tlsCa": str(self.sts.ca_file),
            "stsCert": str(self.sts_cert),
            "clientP12": str(self.keys[key].p12),
            "clientP12Password": KEY_PASSWORD,
            "clientAlias": "client",
            "username": USERNAME,
            "password": PASSWORD,
            "appliesTo": APPLIES_TO,
            "dumpDir": str(run_dir),
            **options,
        }
        props_file = write_properties(run_dir / "client.properties", props)
        verdict = java_verdict(self.classpath, main, str(props_file))
        verdict["dir"] = str(run_dir)
        return verdict


def write_properties(path: Path, props: dict[str, str]) -> Path:
    """A Java client's properties file: java.util.Properties reads ISO-8859-1 with backslash
    escapes, so it is written that way."""
    path.write_text("".join(f"{k}={_escape(v)}\n" for k, v in props.items()),
                    encoding="latin-1")
    return path


def java_verdict(classpath: str, main: str, *args: str) -> dict[str, Any]:
    """Runs one of this folder's Java programs and reads the JSON verdict it prints last.

    What WSS4J says of a refusal goes to stderr, passed on so that a failing test shows it;
    a client that could not build or send its request (``clientError``) fails the test here.
    """
    done = subprocess.run(["java", "-cp", classpath, main, *args],
                          capture_output=True, text=True, timeout=120, check=False)
    sys.stderr.write(done.stderr)
    assert done.returncode == 0, f"the Java client failed:\n{done.stderr[-4000:]}"
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the Java client printed no verdict:\n{done.stdout}\n{done.stderr[-4000:]}"
    verdict: dict[str, Any] = json.loads(lines[-1])
    assert "clientError" not in verdict, (
        f"the Java client could not build or send the request: {verdict['clientError']}\n"
        f"{done.stderr[-4000:]}"
    )
    return verdict


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _write_p12(path: Path, issued: certfactory.Issued, alias: bytes = b"client") -> Path:
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        alias, issued.private_key, issued.certificate, None,  # type: ignore[arg-type]
        serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
    ))
    return path


@pytest.fixture(scope="session")
def crl_server() -> Iterator[_CrlServer]:
    """A loopback HTTP server for the client CA's CRL, where revoked certificates point."""
    server = _CrlServer(("127.0.0.1", 0), _CrlHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _CrlServer(http.server.ThreadingHTTPServer):
    crl: bytes = b""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/client-ca.crl"


class _CrlHandler(http.server.BaseHTTPRequestHandler):
    server: _CrlServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "application/pkix-crl")
        self.send_header("Content-Length", str(len(self.server.crl)))
        self.end_headers()
        self.wfile.write(self.server.crl)

    def log_message(self, *_: object) -> None:
        return None


def _revoked(ca: certfactory.Issued, crl_url: str) -> tuple[certfactory.Issued, bytes]:
    """A client certificate from the trusted CA that names its CRL, and the CRL revoking it."""
    key = certfactory.rsa_key("wss4j-revoked")
    now = certfactory.NOW
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wss4j-revoked")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None,
            reasons=None, crl_issuer=None)]), critical=False)
        .sign(ca.private_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=7))
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(certificate.serial_number)
            .revocation_date(now - dt.timedelta(minutes=30))
            .build())
        .sign(ca.private_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return certfactory.Issued(certificate, key), crl.public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="session")
def client_ca() -> certfactory.Issued:
    return certfactory.issue("WSS4J Client CA", ca=True, path_length=0,
                             organization="Stsdesk Interop")


@pytest.fixture(scope="session")
def wss4j_classpath(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Every Java client here compiled once against WSS4J's jars: the classpath to run them."""
    classpath = _classpath()
    classes = tmp_path_factory.mktemp("wss4j-classes")
    compiled = subprocess.run(
        ["javac", "-nowarn", "-d", str(classes), "-cp", classpath, *map(str, SOURCES)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert compiled.returncode == 0, f"javac failed:\n{compiled.stderr}"
    return f"{classpath}:{classes}"


@pytest.fixture(scope="session")
def wss4j(
    live_sts: LiveSts,
    client_ca: certfactory.Issued,
    crl_server: _CrlServer,
    tmp_path_factory: pytest.TempPathFactory,
    wss4j_classpath: str,
) -> Wss4jClient:
    workdir = tmp_path_factory.mktemp("wss4j")

    store = live_sts.store
    store.keys.add_trusted_certificate("wss4j-client-ca", client_ca.der)
    if store.users.get(USERNAME) is None:
        store.users.create(USERNAME, PASSWORD, roles=["admin"],
                          claims={"http://wso2.org/claims/emailaddress": "wss4j@example.org"})

    # The STS as its own relying party, as WSO2's trusted service for the STS address: a SAML
    # holder-of-key token for it (31-34) carries its proof key encrypted for the STS's own key.
    signing_cert = live_sts.signing_certificate
    if STS_SELF not in store.keys.list_trusted_certificates():
        store.keys.add_trusted_certificate(
            STS_SELF, signing_cert.public_bytes(serialization.Encoding.DER))
        app_id = store.applications.create(STS_SELF)
        store.applications.set_relying_party(app_id, RelyingParty(
            "", STS_SELF, live_sts.endpoint, certificate_alias=STS_SELF, encrypt_token=False))

    sts_cert = workdir / "sts.pem"
    sts_cert.write_bytes(live_sts.signing_certificate.public_bytes(serialization.Encoding.PEM))
    signing = live_sts.server.bootstrap.keystore.signing_identity("wso2carbon")
    sts_p12 = _write_p12(workdir / "sts.p12",
                         certfactory.Issued(signing.certificate, signing.private_key), b"wso2carbon")
    revoked, crl_server.crl = _revoked(client_ca, crl_server.url)
    keys = {
        "trusted": certfactory.issue("wss4j-client", issuer=client_ca),
        "revoked": revoked,
        "untrusted": certfactory.issue("wss4j-stranger"),
        "expired": certfactory.issue(
            "wss4j-expired", issuer=client_ca,
            not_before=certfactory.NOW - dt.timedelta(days=400),
            not_after=certfactory.NOW - dt.timedelta(days=2),
        ),
    }
    return Wss4jClient(
        classpath=wss4j_classpath,
        workdir=workdir,
        sts=live_sts,
        sts_cert=sts_cert,
        sts_p12=sts_p12,
        keys={name: ClientKey(issued, _write_p12(workdir / f"{name}.p12", issued))
              for name, issued in keys.items()},
    )
