"""Issuance under scenario 5 (X.509 sign and encrypt) beside scenario 1, end to end over HTTPS.

Every scenario-5 request is unique (the STS refuses a replayed signature), so the requests are
made before the run: each is signed with a client certificate's key and encrypted for the STS,
as a Rampart client does (``tests/helpers/wss_client.py``), and wrk sends each once, every wrk
thread its own share. The STS verifies, decrypts, authenticates the certificate, issues, signs
and encrypts the answer: three RSA private-key operations per token where scenario 1 has one.

Usage: ``.venv/bin/python benchmarks/bench_scenario5.py`` (wrk must be installed; BENCH_SECONDS
sets the seconds per level). Results go to ``benchmarks/results/issue_scenario5.json``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import requests
from cryptography.hazmat.primitives.serialization import Encoding

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.helpers

from issue_load import BEARER_AUDIENCE as AUDIENCE  # noqa: E402
from issue_load import PASSWORD, issue_request, run_wrk, start_server  # noqa: E402

from stsdesk.core import ns  # noqa: E402
from stsdesk.core.certificates import generate_self_signed  # noqa: E402
from stsdesk.core.soap import SoapVersion  # noqa: E402
from stsdesk.core.wstrust import (  # noqa: E402
    KeyType,
    RequestType,
    TrustVersion,
    build_request,
    request_action,
)
from stsdesk.server.bootstrap import initialise  # noqa: E402
from stsdesk.server.model import RelyingParty  # noqa: E402
from stsdesk.server.settings import ServerSettings  # noqa: E402
from tests.helpers import wss_client  # noqa: E402

CONNECTIONS = (1, 8)
THREADS = 2
RESULTS = Path(__file__).parent / "results" / "issue_scenario5.json"
_LUA = """
local bodies, next_index = {}, 1
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  local path = args[1]
  local index = 0
  for line in io.lines(path) do
    if index % %(threads)d == id then
      table.insert(bodies, (line:gsub("\\\\n", "\\n")))
    end
    index = index + 1
  end
end
function request()
  local body = bodies[next_index]
  next_index = next_index + 1
  if body == nil then body = "" end
  return wrk.format("POST", nil, nil, body)
end
function response(status, headers, body)
  -- Each request is sent once: a thread that has sent its share stops rather than replay.
  if next_index > #bodies then wrk.thread:stop() end
end
"""


def scenario5_bodies(count: int, service_certificate, client, wsdl: bytes) -> list[bytes]:
    """Requests as the applied policy (read from the WSDL, as a client reads it) asks."""
    suite = (wss_client.Suite.basic256_sha256() if b"Basic256Sha256" in wsdl
             else wss_client.Suite.basic256())
    encrypt_signature = b"EncryptSignature" in wsdl
    bodies = []
    for _ in range(count):
        rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=ns.TOKEN_SAML20,
                            key_type=KeyType.BEARER, applies_to=AUDIENCE)
        sent = wss_client.asymmetric_request(
            rst, client_key=client.private_key, client_cert=client.certificate,
            service_cert=service_certificate, encrypt_signature=encrypt_signature, suite=suite)
        bodies.append(sent.envelope)
    return bodies


def run_wrk_unique(url: str, bodies: list[bytes], content_type: str, connections: int,
                   seconds: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="stsdesk-bench5-"))
    try:
        lines = folder / "bodies.txt"
        lines.write_text("\n".join(b.decode().replace("\n", "\\n") for b in bodies) + "\n")
        script = folder / "unique.lua"
        script.write_text(
            _LUA.replace("%(threads)d", str(min(THREADS, connections)))
            + f'wrk.headers["Content-Type"] = {json.dumps(content_type)}\n'
        )
        output = subprocess.run(
            ["wrk", f"-t{min(THREADS, connections)}", f"-c{connections}", f"-d{seconds}s",
             "--latency", "-s", str(script), url, "--", str(lines)],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    throughput = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"connections": connections, "tokens_per_second": round(throughput, 1),
            "errors": int(errors.group(1)) if errors else 0}


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is needed: sudo apt-get install wrk", file=sys.stderr)
        return 2
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    data_dir = Path(tempfile.mkdtemp(prefix="stsdesk-bench-"))
    settings = ServerSettings(data_dir=data_dir, admin_password=PASSWORD)
    boot = initialise(settings)
    client = generate_self_signed("bench-client")
    boot.store.keys.add_trusted_certificate("bench-client",
                                           client.certificate.public_bytes(Encoding.DER))
    app_id = boot.store.applications.create("bench")
    boot.store.applications.set_relying_party(app_id, RelyingParty("", "bench", AUDIENCE))
    service_certificate = boot.keystore.signing_identity("wso2carbon").certificate
    boot.store.close()

    server = start_server(data_dir, workers=2)
    base, url, ca_file = server.base_url, server.sts_url, server.ca_file
    action = request_action(TrustVersion.WST_13, RequestType.ISSUE)
    content_type = f'{SoapVersion.SOAP12.content_type}; action="{action}"'
    try:
        scenario1_request = issue_request(key_type=KeyType.BEARER, applies_to=AUDIENCE)
        check = requests.post(url, data=scenario1_request.body(), verify=ca_file, timeout=10,
                              headers={"Content-Type": scenario1_request.content_type})
        check.raise_for_status()
        run_wrk(url, scenario1_request, 8, 2)  # warm-up
        print("scenario 1, 8 connections ...", flush=True)
        scenario1 = run_wrk(url, scenario1_request, 8, seconds)
        _apply_scenario5(base, ca_file)
        wsdl = requests.get(url + "?wsdl", verify=ca_file, timeout=10).content
        levels = []
        for connections in CONNECTIONS:
            # Enough unique requests for the level, made (fresh Timestamps) before it starts.
            print(f"scenario 5: making requests for {connections} connection(s) ...", flush=True)
            bodies = scenario5_bodies(300 * seconds, service_certificate, client, wsdl)
            check = requests.post(url, data=bodies.pop(), verify=ca_file, timeout=10,
                                  headers={"Content-Type": content_type})
            if check.status_code != 200:
                print(check.text[:2000], file=sys.stderr)
                return 1
            print(f"scenario 5, {connections} connections ...", flush=True)
            levels.append(run_wrk_unique(url, bodies, content_type, connections, seconds))
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    results = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "scenario1_8_connections": scenario1,
        "scenario5": levels,
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0 if all(level["errors"] == 0 for level in levels) else 1


def _apply_scenario5(base: str, ca_file: str) -> None:
    """Scenario 5 applied through the admin API, as the console's wizard does."""
    answer = requests.put(
        base + "/api/server/v1/sts/security", auth=("admin", PASSWORD), verify=ca_file,
        timeout=30, json={"scenarioId": "scenario5", "trustedKeystores": ["wso2carbon.jks"],
                          "privateKeystore": "wso2carbon.jks"})
    answer.raise_for_status()


if __name__ == "__main__":
    raise SystemExit(main())
