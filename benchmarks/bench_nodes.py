"""Issuance throughput: two STS nodes on one PostgreSQL beside one node on SQLite, in one run.

Each node is one `stsdesk serve` process with one worker; wrk drives SOAP 1.2 + UsernameToken
Issue requests (SAML 2.0 bearer) at them over HTTPS with keep-alive, on the same machine. For
the two nodes, two wrk processes run at once, one per node (as a load balancer would spread
the load), and their rates are added. PostgreSQL is a throwaway cluster on loopback started by
scripts/postgres-test.sh. Usage: `make bench-nodes` (installs wrk with apt when missing).
Results go to benchmarks/results/nodes.json.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from issue_load import PASSWORD, issue_request, run_wrk  # noqa: E402

from stsdesk.core.wstrust import KeyType  # noqa: E402
from stsdesk.server.bootstrap import initialise  # noqa: E402
from stsdesk.server.model import RelyingParty  # noqa: E402
from stsdesk.server.settings import ServerSettings  # noqa: E402

AUDIENCE = "https://bench.example.org/service"
KEYSTORE_PASSWORD = "bench keystore password"
CONNECTIONS = 32  # per measured setup; split between the nodes when there are two
REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).parent / "results" / "nodes.json"


def start(data_dir: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "stsdesk", "serve", "--data-dir", str(data_dir), "--port", "0",
         "--workers", "1"],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ, **env), cwd=REPO,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("stsdesk server ready at "):
            return process, line.split()[-1]
    raise RuntimeError("the server did not start")


def prepare(data_dir: Path, database_url: str | None) -> None:
    boot = initialise(ServerSettings(data_dir=data_dir, admin_password=PASSWORD,
                                     database_url=database_url))
    try:
        if not any(a.name == "bench" for a in boot.store.applications.list_all()):
            app_id = boot.store.applications.create("bench")
            boot.store.applications.set_relying_party(app_id, RelyingParty("", "bench", AUDIENCE))
    finally:
        boot.close()


def measure(bases: list[tuple[str, Path]], seconds: int) -> dict:
    request = issue_request(key_type=KeyType.BEARER, applies_to=AUDIENCE)
    for base, data_dir in bases:  # one real request each, then a short warm-up
        check = requests.post(base + "/services/wso2carbon-sts", data=request.body(), timeout=10,
                              headers={"Content-Type": request.content_type},
                              verify=str(data_dir / "tls" / "server.crt"))
        check.raise_for_status()
    per_node = CONNECTIONS // len(bases)
    results: list[dict] = [{} for _ in bases]

    def drive(index: int, duration: int) -> None:
        url = bases[index][0] + "/services/wso2carbon-sts"
        results[index] = run_wrk(url, request, per_node, duration)

    for duration in (2, seconds):  # warm-up, then the measurement
        threads = [threading.Thread(target=drive, args=(i, duration)) for i in range(len(bases))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return {
        "nodes": len(bases),
        "connections": CONNECTIONS,
        "tokens_per_second": round(sum(r["tokens_per_second"] for r in results), 1),
        "errors": sum(r["errors"] for r in results),
        "per_node": results,
    }


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is needed: sudo apt-get install wrk (make bench-nodes does it)", file=sys.stderr)
        return 2
    seconds = int(os.environ.get("BENCH_SECONDS", "8"))
    work = Path(tempfile.mkdtemp(prefix="stsdesk-bench-nodes-"))
    pg_dir = Path(tempfile.mkdtemp(prefix="stsdesk-bench-pg-"))
    script = REPO / "scripts" / "postgres-test.sh"
    processes: list[subprocess.Popen[str]] = []
    env = {"STSDESK_ADMIN_PASSWORD": PASSWORD, "STSDESK_KEYSTORE_PASSWORD": KEYSTORE_PASSWORD}
    os.environ["STSDESK_KEYSTORE_PASSWORD"] = KEYSTORE_PASSWORD
    try:
        print("one node on SQLite ...", flush=True)
        prepare(work / "sqlite", None)
        process, base = start(work / "sqlite", env)
        processes.append(process)
        sqlite = measure([(base, work / "sqlite")], seconds)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)

        print("two nodes on one PostgreSQL ...", flush=True)
        url = subprocess.run(["bash", str(script), "start", str(pg_dir)], check=True,
                             capture_output=True, text=True).stdout.strip()
        prepare(work / "pg-a", url)
        prepare(work / "pg-b", url)
        bases = []
        for name in ("pg-a", "pg-b"):
            process, base = start(work / name, dict(env, STSDESK_DATABASE_URL=url))
            processes.append(process)
            bases.append((base, work / name))
        postgres = measure(bases, seconds)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
        subprocess.run(["bash", str(script), "destroy", str(pg_dir)], check=False)
        shutil.rmtree(work, ignore_errors=True)

    results = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "seconds": seconds,
        "one_node_sqlite": sqlite,
        "two_nodes_postgresql": postgres,
        "two_nodes_to_one_ratio": round(
            postgres["tokens_per_second"] / sqlite["tokens_per_second"], 2),
    }
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0 if sqlite["errors"] == 0 and postgres["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
