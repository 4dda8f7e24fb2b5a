"""SIGKILL during admin writes: after a restart the configuration is whole and nothing acknowledged is lost."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
READY = re.compile(r"stsdesk server ready at (https://\S+)")
PASSWORD = "Crash-admin-secret1"
API = "/api/server/v1"


def _start(data_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STSDESK_")}
    env["STSDESK_ADMIN_PASSWORD"] = PASSWORD
    with log.open("a") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "stsdesk", "serve", "--data-dir", str(data_dir), "--port", "0",
             "--workers", "2"],
            stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=REPO, env=env,
            start_new_session=True,  # its own group, so SIGKILL reaches the workers too
        )
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            pytest.fail(f"serve ended before it was ready: {log.read_text()[-2000:]}")
        match = READY.search(line)
        if match:
            _wait_serving(match.group(1), data_dir)
            return process, match.group(1)
    pytest.fail("no ready line within 60 s")


def _wait_serving(url: str, data_dir: Path) -> None:
    # The first admin call is answered once a worker has the credentials cached.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            answer = requests.get(f"{url}{API}/applications", auth=("admin", PASSWORD),
                                  verify=str(data_dir / "tls" / "server.crt"), timeout=30)
            if answer.status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail("the server did not answer admin calls within 60 s")


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the whole group has exited already
    process.wait(10)
    if process.stdout is not None:
        process.stdout.close()


@pytest.mark.slow
def test_sigkill_during_admin_writes_loses_nothing_acknowledged(tmp_path):
    data_dir, log = tmp_path / "data", tmp_path / "stderr.log"
    process, url = _start(data_dir, log)
    ca = str(data_dir / "tls" / "server.crt")
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def writer(prefix: str) -> None:
        session = requests.Session()
        session.auth, session.verify = ("admin", PASSWORD), ca
        i = 0
        while not stop.is_set():
            name = f"{prefix}-{i}"
            try:
                answer = session.post(f"{url}{API}/applications", json={"name": name}, timeout=10,
                                      verify=ca)
            except requests.RequestException as exc:
                failures.append(repr(exc))
                session.close()
                return  # the server is gone: this write was never acknowledged
            if answer.status_code == 201:
                acknowledged.append(name)
            else:
                failures.append(f"{answer.status_code} {answer.text[:200]}")
            i += 1
        session.close()

    try:
        threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        _kill_group(process)
        stop.set()
        for thread in threads:
            thread.join(15)
    finally:
        if process.poll() is None:
            _kill_group(process)
    assert len(acknowledged) > 5, f"the writers made no progress before the kill: {failures[:3]}"

    # SQLite's own check first: the file is whole.
    with sqlite3.connect(data_dir / "stsdesk.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    process, url = _start(data_dir, log)
    try:
        names: set[str] = set()
        offset = 0
        while True:
            answer = requests.get(f"{url}{API}/applications", auth=("admin", PASSWORD),
                                  verify=ca, params={"limit": 1000, "offset": offset}, timeout=30)
            assert answer.status_code == 200
            page = answer.json()["applications"]
            names |= {app["name"] for app in page}
            if len(page) < 1000:
                break
            offset += 1000
        missing = set(acknowledged) - names
        assert not missing, f"{len(missing)} acknowledged writes lost, e.g. {sorted(missing)[:5]}"
        health = requests.get(f"{url}/health", verify=ca, timeout=10)
        assert health.status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            pass
        _kill_group(process)  # the workers too, should any linger
    assert "Traceback" not in log.read_text()
