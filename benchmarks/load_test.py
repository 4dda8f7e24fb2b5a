"""Load and mixed-load test against `stsdesk serve --workers 2` (a benchmark, not in `make test`).

    .venv/bin/python benchmarks/load_test.py [--clients 50] [--seconds 60]

Passes when there are zero errors, the RSS of the worker processes after the run is within 10%
of their RSS after warm-up, and every token issued while an administrator flips the
configuration carries one configuration's issuer together with that configuration's claims.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from stsdesk.core import ns  # noqa: E402
from stsdesk.core.soap import SoapVersion  # noqa: E402
from stsdesk.core.wstrust import RequestType, TrustVersion, build_request  # noqa: E402
from stsdesk.services.tls import TrustPolicy  # noqa: E402
from stsdesk.services.trust_client import Credentials, TrustClient  # noqa: E402

PASSWORD = "Load-admin-secret1"
AUDIENCE = "https://rp.example.org/load"
API = "/api/server/v1"
WSO2 = "http://wso2.org/claims/"
# Two configurations of the relying party's requested claims; a token shows one pair whole.
CONFIGS = [(WSO2 + "emailaddress", WSO2 + "givenname"), (WSO2 + "lastname", WSO2 + "country")]
USER_CLAIMS = {uri: "value" for pair in CONFIGS for uri in pair}


def start(data_dir: Path) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STSDESK_")}
    env["STSDESK_ADMIN_PASSWORD"] = PASSWORD
    process = subprocess.Popen(
        [sys.executable, "-m", "stsdesk", "serve", "--data-dir", str(data_dir), "--port", "0",
         "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=REPO, env=env, start_new_session=True)
    for line in process.stdout:
        match = re.search(r"ready at (https://\S+)", line)
        if match:
            return process, match.group(1)
    raise SystemExit("the server ended before it was ready")


def worker_rss_kib(parent: int) -> int:
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{parent}$", text, re.M):
            match = re.search(r"^VmRSS:\s+(\d+)", text, re.M)
            total += int(match.group(1)) if match else 0
    return total


def setup(url: str, ca: str) -> str:
    auth = ("admin", PASSWORD)
    answer = requests.post(f"{url}{API}/applications", auth=auth, verify=ca, timeout=60, json={
        "name": "load", "inboundProtocolConfiguration": {"wsTrust": {"audience": AUDIENCE}}})
    answer.raise_for_status()
    app_id = answer.json()["id"]
    data_dir = Path(ca).parent.parent
    from stsdesk.server.bootstrap import open_existing
    from stsdesk.server.settings import ServerSettings

    boot = open_existing(ServerSettings(data_dir=data_dir))
    try:
        boot.store.users.set_claims("admin", USER_CLAIMS)
    finally:
        boot.close()
    apply_config(url, ca, app_id, *CONFIGS[0])
    return app_id


def apply_config(url: str, ca: str, app_id: str, first: str, second: str) -> None:
    # Both requested claims change in one PATCH: one transaction, so a token must show the
    # old pair or the new pair, never one claim of each.
    answer = requests.patch(
        f"{url}{API}/applications/{app_id}", auth=("admin", PASSWORD), verify=ca, timeout=60,
        json={"claimConfiguration": {"requestedClaims": [
            {"claim": {"uri": first}, "mandatory": False},
            {"claim": {"uri": second}, "mandatory": False}]}})
    answer.raise_for_status()


def one_token(url: str, ca: str) -> tuple[float, str | None, set[str]]:
    rst = build_request(TrustVersion.WST_13, RequestType.ISSUE, applies_to=AUDIENCE)
    started = time.perf_counter()
    with TrustClient(url + "/services/wso2carbon-sts", trust=TrustPolicy(ca_file=ca)) as client:
        exchange = client.send(rst, trust_version=TrustVersion.WST_13,
                               request_type=RequestType.ISSUE, soap_version=SoapVersion.SOAP12,
                               credentials=Credentials("admin", PASSWORD))
    elapsed = time.perf_counter() - started
    if not exchange.ok:
        raise RuntimeError(f"{exchange.fault_code}: {exchange.fault_reason}")
    token = exchange.response.token
    issuer = token.findtext(f"{{{ns.SAML2}}}Issuer")
    claims = {a.get("Name") for a in token.iter(f"{{{ns.SAML2}}}Attribute")}
    return elapsed, issuer, claims


def run(url: str, ca: str, clients: int, seconds: float, app_id: str | None) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    mixed: list[str] = []
    stop = threading.Event()

    def client_loop() -> None:
        while not stop.is_set():
            try:
                elapsed, issuer, claims = one_token(url, ca)
            except Exception as exc:  # noqa: BLE001 - every failure counts as an error
                errors.append(repr(exc)[:200])
                continue
            latencies.append(elapsed)
            if app_id is not None and claims not in [set(pair) for pair in CONFIGS]:
                mixed.append(f"{issuer}: {sorted(claims)}")

    def admin_loop() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            apply_config(url, ca, app_id, *CONFIGS[n % 2])
            time.sleep(0.2)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    if app_id is not None:
        threads.append(threading.Thread(target=admin_loop))
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(60)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {"requests": len(latencies), "errors": len(errors), "first_errors": errors[:3],
            "mixed": mixed[:5], "mixed_count": len(mixed),
            "p50_ms": quantiles[49] * 1000, "p95_ms": quantiles[94] * 1000,
            "p99_ms": quantiles[98] * 1000, "rps": len(latencies) / seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        process, url = start(data_dir)
        ca = str(data_dir / "tls" / "server.crt")
        try:
            app_id = setup(url, ca)
            run(url, ca, args.clients, min(10.0, args.seconds / 6), None)  # warm-up
            warm_rss = worker_rss_kib(process.pid)
            load = run(url, ca, args.clients, args.seconds, None)
            after_rss = worker_rss_kib(process.pid)
            mixed = run(url, ca, min(args.clients, 10), min(20.0, args.seconds / 3), app_id)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
    growth = (after_rss - warm_rss) / warm_rss if warm_rss else 0.0
    print(f"load: {load['requests']} tokens, {load['rps']:.0f}/s, errors {load['errors']}, "
          f"p50 {load['p50_ms']:.0f} ms, p95 {load['p95_ms']:.0f} ms, p99 {load['p99_ms']:.0f} ms")
    print(f"worker RSS after warm-up {warm_rss} KiB, after the run {after_rss} KiB "
          f"({growth:+.1%})")
    print(f"mixed: {mixed['requests']} tokens, errors {mixed['errors']}, "
          f"half-and-half tokens {mixed['mixed_count']} {mixed['mixed']}")
    failed = load["errors"] or mixed["errors"] or mixed["mixed_count"] or growth > 0.10
    if load["first_errors"] or mixed["first_errors"]:
        print("first errors:", load["first_errors"] + mixed["first_errors"])
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
