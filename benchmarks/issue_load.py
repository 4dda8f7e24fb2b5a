"""The issuance benchmark's parts: the data directory, the server, wrk runs, paced runs, RSS.

Shared by ``bench_issue.py`` (the figures) and ``profile_issue.py`` (a profile of one worker
under the same load). Every request is what a WS-Trust client sends: SOAP 1.2, a UsernameToken
(PasswordText, over HTTPS) and a Timestamp made fresh for each request, an Issue RST for a SAML
2.0 token for a relying party whose certificate the token is encrypted for, with the claims
the relying party asks for read from the user store.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from lxml import etree

from stsdesk.core import claims
from stsdesk.core.certificates import SigningIdentity, generate_self_signed
from stsdesk.core.soap import SoapVersion, build_envelope
from stsdesk.core.wssecurity import build_security_header, format_xs_datetime
from stsdesk.core.wstrust import KeyType, RequestType, TrustVersion, build_request, request_action
from stsdesk.server.bootstrap import initialise
from stsdesk.server.model import RelyingParty, RequestedClaim
from stsdesk.server.settings import ServerSettings

__all__ = [
    "BEARER_AUDIENCE", "HOK_AUDIENCE", "PASSWORD", "Request", "Server", "prepare_data_dir",
    "issue_request", "start_server", "run_wrk", "start_wrk", "parse_wrk", "paced", "worker_pids",
    "cpu_seconds", "rss_kib",
]

BEARER_AUDIENCE = "https://bench.example.org/service"
HOK_AUDIENCE = "https://bench.example.org/hok-service"
PASSWORD = "Bench-admin-Passw0rd"
TOKEN_TYPE = "http://docs.oasis-open.org/wss/oasis-wss-saml-token-profile-1.1#SAMLV2.0"
_TIMESTAMP_TTL = 300
_RP_ALIAS = "bench-rp"
_REQUESTED = (claims.USERNAME, claims.EMAIL, claims.ROLE)


def prepare_data_dir(data_dir: Path) -> SigningIdentity:
    """Initialise ``data_dir`` for the benchmark; returns the relying party's key pair.

    Two relying parties share one certificate (imported into the trust store): one takes
    bearer tokens, the other holder-of-key tokens with a symmetric proof key. Both have their
    tokens encrypted and ask for three claims, which the admin user has.
    """
    relying_party = generate_self_signed("bench relying party")
    boot = initialise(ServerSettings(data_dir=data_dir, admin_password=PASSWORD))
    try:
        store = boot.store
        store.keys.add_trusted_certificate(_RP_ALIAS, relying_party.certificate_der())
        store.users.set_claims("admin", {claims.EMAIL: "admin@bench.example.org"})
        requested = tuple(RequestedClaim(uri) for uri in _REQUESTED)
        for name, audience, key_type in (
            ("bench", BEARER_AUDIENCE, "Bearer"),
            ("bench-hok", HOK_AUDIENCE, "SymmetricKey"),
        ):
            app_id = store.applications.create(name)
            store.applications.set_relying_party(app_id, RelyingParty(
                "", name, audience, certificate_alias=_RP_ALIAS, key_type=key_type,
                encrypt_token=True, requested_claims=requested,
            ))
    finally:
        boot.store.close()
    return relying_party


def write_key_pair(identity: SigningIdentity, directory: Path) -> tuple[Path, Path]:
    """The key and certificate as PEM files (for the node peer)."""
    key = directory / "peer-key.pem"
    cert = directory / "peer-cert.pem"
    key.write_bytes(identity.private_key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    cert.write_bytes(identity.certificate.public_bytes(Encoding.PEM))
    return key, cert


@dataclass(frozen=True)
class Request:
    """An Issue request cut around its Timestamp, so every sender can make a fresh one.

    ``head + created + middle + expires + tail`` is the body.
    """

    head: str
    middle: str
    tail: str
    content_type: str

    def body(self, now: datetime | None = None) -> bytes:
        now = now or datetime.now(UTC)
        created = format_xs_datetime(now)
        expires = format_xs_datetime(now + timedelta(seconds=_TIMESTAMP_TTL))
        return (self.head + created + self.middle + expires + self.tail).encode()


def issue_request(*, key_type: KeyType, applies_to: str) -> Request:
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, token_type=TOKEN_TYPE,
                        key_type=key_type, applies_to=applies_to)
    header = build_security_header(SoapVersion.SOAP12, username="admin", password=PASSWORD,
                                   timestamp_ttl=_TIMESTAMP_TTL)
    action = request_action(TrustVersion.WST_13, RequestType.ISSUE)
    text = build_envelope(SoapVersion.SOAP12, rst, headers=[header]).decode()
    created = header.find(".//{*}Created").text
    expires = header.find(".//{*}Expires").text
    head, rest = text.split(created, 1)
    middle, tail = rest.split(expires, 1)
    return Request(head, middle, tail, f'{SoapVersion.SOAP12.content_type}; action="{action}"')


# -- the server -------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen
    base_url: str
    ca_file: str

    @property
    def sts_url(self) -> str:
        return self.base_url + "/services/wso2carbon-sts"

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def start_server(data_dir: Path, workers: int = 2) -> Server:
    env = dict(os.environ, STSDESK_ADMIN_PASSWORD=PASSWORD)
    # Started in its data directory: ``-m`` puts the current directory first on the import
    # path, so started from a checkout's root the server would import that checkout's stsdesk
    # whatever PYTHONPATH names (which made A/B runs of two checkouts compare one with itself).
    process = subprocess.Popen(
        [sys.executable, "-m", "stsdesk", "serve", "--data-dir", str(data_dir), "--port", "0",
         "--workers", str(workers)],
        stdout=subprocess.PIPE, text=True, env=env, cwd=data_dir,
    )
    assert process.stdout is not None
    for line in process.stdout:
        match = re.match(r"stsdesk server ready at (\S+)", line)
        if match:
            ca_file = str(ServerSettings(data_dir=data_dir).tls_cert_path)
            return Server(process, match.group(1), ca_file)
    raise RuntimeError("the server did not start")


def check_issue(server: Server, request: Request) -> str:
    """One request; the token's root element name. RuntimeError unless it is encrypted."""
    answer = requests.post(server.sts_url, data=request.body(),
                           headers={"Content-Type": request.content_type},
                           verify=server.ca_file, timeout=30)
    if answer.status_code != 200 or b"EncryptedAssertion" not in answer.content:
        raise RuntimeError(f"the STS did not issue an encrypted token: {answer.text[:2000]}")
    return etree.QName(etree.fromstring(answer.content).find(".//{*}EncryptedAssertion")).localname


def worker_pids(server: Server) -> list[int]:
    """The server's worker processes (children running multiprocessing's spawn_main)."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    found = []
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            found.append(int(child))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


# -- wrk --------------------------------------------------------------------------------------

_LUA = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = {content_type}
local head, middle, tail = {head}, {middle}, {tail}
local last, body = -1, nil
-- A fresh Timestamp every second (its resolution), as a real client sends.
request = function()
  local now = os.time()
  if now ~= last then
    last = now
    body = head .. os.date("!%Y-%m-%dT%H:%M:%S.000Z", now) .. middle
        .. os.date("!%Y-%m-%dT%H:%M:%S.000Z", now + {ttl}) .. tail
  end
  return wrk.format(nil, nil, nil, body)
end
"""


def _lua_script(request: Request) -> Path:
    path = Path(tempfile.mkstemp(prefix="stsdesk-bench-", suffix=".lua")[1])
    path.write_text(_LUA.format(
        content_type=json.dumps(request.content_type), head=json.dumps(request.head),
        middle=json.dumps(request.middle), tail=json.dumps(request.tail), ttl=_TIMESTAMP_TTL,
    ))
    return path


def start_wrk(url: str, request: Request, connections: int, seconds: int) -> subprocess.Popen:
    script = _lua_script(request)
    threads = min(2, connections)
    process = subprocess.Popen(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "--latency", "-s", str(script), url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    process.script = script  # type: ignore[attr-defined]
    return process


def finish_wrk(process: subprocess.Popen, connections: int) -> dict:
    output, errors = process.communicate()
    process.script.unlink()  # type: ignore[attr-defined]
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed: {errors}")
    return parse_wrk(output, connections)


def run_wrk(url: str, request: Request, connections: int, seconds: int) -> dict:
    return finish_wrk(start_wrk(url, request, connections, seconds), connections)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str, connections: int) -> dict:
    throughput = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s)\s+([\d.]+)(us|ms|s|m)",
                        output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    percentiles = {
        p: _ms(*re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s|m)", output).groups())
        for p in ("50", "99")
    }
    result = {
        "connections": connections,
        "requests": total,
        "tokens_per_second": round(throughput, 1),
        "p50_ms": round(percentiles["50"], 2),
        "p99_ms": round(percentiles["99"], 2),
        "max_ms": round(_ms(latency.group(5), latency.group(6)), 2),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket.groups()) if socket else 0),
    }
    result["p99_within_10x_p50"] = result["p99_ms"] <= 10 * result["p50_ms"]
    return result


# -- paced ------------------------------------------------------------------------------------


def paced(server: Server, request: Request, *, per_second: int, seconds: int) -> dict:
    """Requests at a fixed rate (each due at its own time, whether or not the last one is back)
    from four keep-alive clients; the latency of each, from its send to the end of its answer.

    http.client and a 0.5 ms switch interval keep the client's own share of the latency small:
    four threads in one Python process otherwise wait up to 5 ms for each other's GIL.
    """
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    interval = 1.0 / per_second
    total = per_second * seconds
    start = time.perf_counter() + 0.5
    indexes = iter(range(total))
    address = urlsplit(server.sts_url)
    context = ssl.create_default_context(cafile=server.ca_file)
    headers = {"Content-Type": request.content_type}

    def worker() -> None:
        nonlocal failures
        connection = http.client.HTTPSConnection(
            address.hostname, address.port, context=context, timeout=10
        )
        try:
            while True:
                with lock:
                    index = next(indexes, None)
                if index is None:
                    return
                body = request.body()
                delay = start + index * interval - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                sent = time.perf_counter()
                connection.request("POST", address.path, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                elapsed = (time.perf_counter() - sent) * 1000
                with lock:
                    latencies.append(elapsed)
                    failures += answer.status != 200
        finally:
            connection.close()

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)
    try:
        pool = [threading.Thread(target=worker) for _ in range(4)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        sys.setswitchinterval(switch_interval)
    latencies.sort()
    return {
        "rate_per_second": per_second,
        "requests": len(latencies),
        "errors": failures,
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[max(0, int(len(latencies) * 0.99) - 1)], 2),
        "max_ms": round(latencies[-1], 2),
    }
