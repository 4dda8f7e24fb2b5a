"""Scenario 5 (X.509 sign and encrypt) for the issuance benchmark: the client, the policy, wrk.

Every scenario-5 request is unique (the STS refuses a replayed signature), so the requests are
made before the run: each is signed with a client certificate's key and encrypted for the STS,
as a Rampart client does (``tests/helpers/wss_client.py``), and wrk sends each once, every wrk
thread its own share. The STS verifies, decrypts, authenticates the certificate, issues, signs
and encrypts the token for the relying party, and signs and encrypts the answer: three RSA
private-key operations per token where scenario 1 has one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import requests
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.helpers

from issue_load import BEARER_AUDIENCE, PASSWORD, Server, parse_wrk  # noqa: E402

from stsdesk.core import ns  # noqa: E402
from stsdesk.core.certificates import SigningIdentity, generate_self_signed  # noqa: E402
from stsdesk.core.soap import SoapVersion  # noqa: E402
from stsdesk.core.wstrust import (  # noqa: E402
    KeyType,
    RequestType,
    TrustVersion,
    build_request,
    request_action,
)
from stsdesk.server.bootstrap import open_existing  # noqa: E402
from stsdesk.server.settings import ServerSettings  # noqa: E402
from tests.helpers import wss_client  # noqa: E402

__all__ = [
    "Scenario5Client", "trust_client", "apply_scenario5", "make_bodies", "check_one", "run_unique",
    "content_type",
]

_CLIENT_ALIAS = "bench-client"
_WRK_THREADS = 2
# Each wrk thread reads its share of the request file (every n-th line, n the thread count)
# and sends each request once; a thread that has sent its share stops rather than replay one.
_LUA = """
local bodies, next_index = {}, 1
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  local index = 0
  for line in io.lines(args[1]) do
    if index % THREADS == id then
      table.insert(bodies, (line:gsub("\\\\n", "\\n")))
    end
    index = index + 1
  end
end
function request()
  local body = bodies[next_index] or ""
  next_index = next_index + 1
  return wrk.format("POST", nil, nil, body)
end
function response(status, headers, body)
  if next_index > #bodies then wrk.thread:stop() end
end
"""


@dataclass(frozen=True)
class Scenario5Client:
    """A client certificate the STS trusts, and the STS certificate it encrypts for."""

    identity: SigningIdentity
    service_certificate: x509.Certificate


def trust_client(data_dir: Path) -> Scenario5Client:
    """Put a new client certificate into the trust store of the (stopped) data directory."""
    client = generate_self_signed("bench client")
    boot = open_existing(ServerSettings(data_dir=data_dir))
    try:
        boot.store.keys.add_trusted_certificate(
            _CLIENT_ALIAS, client.certificate.public_bytes(Encoding.DER))
        service = boot.keystore.signing_certificate(boot.store.snapshot().signing_alias)
    finally:
        boot.close()
    return Scenario5Client(client, service)


def apply_scenario5(server: Server) -> bytes:
    """Scenario 5 applied through the admin API, as the console's wizard does; the WSDL the
    STS then publishes (the policy a client reads)."""
    answer = requests.put(
        server.base_url + "/api/server/v1/sts/security", auth=("admin", PASSWORD),
        verify=server.ca_file, timeout=30,
        json={"scenarioId": "scenario5", "trustedKeystores": ["wso2carbon.jks"],
              "privateKeystore": "wso2carbon.jks"})
    answer.raise_for_status()
    wsdl = requests.get(server.sts_url + "?wsdl", verify=server.ca_file, timeout=10)
    wsdl.raise_for_status()
    return wsdl.content


def content_type() -> str:
    action = request_action(TrustVersion.WST_13, RequestType.ISSUE)
    return f'{SoapVersion.SOAP12.content_type}; action="{action}"'


def make_bodies(count: int, client: Scenario5Client, wsdl: bytes) -> list[bytes]:
    """``count`` requests for a bearer token for the benchmark's relying party, each signed and
    encrypted as the applied policy (read from the WSDL, as a client reads it) asks."""
    suite = (wss_client.Suite.basic256_sha256() if b"Basic256Sha256" in wsdl
             else wss_client.Suite.basic256())
    encrypt_signature = b"EncryptSignature" in wsdl
    bodies = []
    for _ in range(count):
        rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                            key_type=KeyType.BEARER, applies_to=BEARER_AUDIENCE)
        sent = wss_client.asymmetric_request(
            rst, client_key=client.identity.private_key, client_cert=client.identity.certificate,
            service_cert=client.service_certificate, encrypt_signature=encrypt_signature, suite=suite)
        bodies.append(sent.envelope)
    return bodies


def check_one(server: Server, body: bytes) -> None:
    """One request; RuntimeError unless the STS answers 200 with its SOAP Body encrypted (the
    tests in tests/e2e/test_message_security.py decrypt and verify such answers)."""
    answer = requests.post(server.sts_url, data=body, verify=server.ca_file, timeout=30,
                           headers={"Content-Type": content_type()})
    if answer.status_code != 200:
        raise RuntimeError(f"the STS refused a scenario 5 request: {answer.text[:2000]}")
    envelope = etree.fromstring(answer.content)
    body_child = envelope.find("{*}Body/*")
    if body_child is None or body_child.tag != f"{{{ns.XENC}}}EncryptedData":
        raise RuntimeError("the STS answered a scenario 5 request with an unencrypted body")


def run_unique(server: Server, bodies: list[bytes], connections: int, seconds: int) -> dict:
    """wrk sending each of ``bodies`` once (at most ``seconds``): parse_wrk's figures."""
    folder = Path(tempfile.mkdtemp(prefix="stsdesk-bench5-"))
    threads = min(_WRK_THREADS, connections)
    try:
        lines = folder / "bodies.txt"
        lines.write_text("\n".join(b.decode().replace("\n", "\\n") for b in bodies) + "\n")
        script = folder / "unique.lua"
        script.write_text(_LUA.replace("THREADS", str(threads))
                          + f'wrk.headers["Content-Type"] = {json.dumps(content_type())}\n')
        output = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
             "--latency", "-s", str(script), server.sts_url, "--", str(lines)],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return parse_wrk(output, connections)
