"""`stsdesk serve` as a real process: first start, reuse, signals, workers and refusals."""

from __future__ import annotations

import hashlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from stsdesk.cli import UsageError, build_parser, read_admin_password

REPO = Path(__file__).resolve().parents[2]
READY = re.compile(r"^stsdesk server ready at https://127\.0\.0\.1:(\d+)$")
GENERATED = re.compile(r"^Generated admin password \(shown once, store it safely\): (\S+)$")
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


@dataclass
class Serve:
    """One `stsdesk serve` process, its stdout lines as they come, and its stderr in a file."""

    process: subprocess.Popen[str]
    stderr_path: Path
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @classmethod
    def start(cls, tmp: Path, *args: str, env: dict[str, str] | None = None) -> Serve:
        stderr_path = tmp / f"stderr-{time.monotonic_ns()}.log"
        environment = {k: v for k, v in os.environ.items() if not k.startswith("STSDESK_")}
        environment.update(env or {})
        with stderr_path.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "stsdesk", "serve", *args],
                stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=REPO, env=environment,
            )
        serve = cls(process, stderr_path)
        threading.Thread(target=serve._pump, daemon=True).start()
        return serve

    def _pump(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout:
            for line in self.process.stdout:
                self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_ready(self) -> int:
        """The port from the ready line; fails the test if the process ends or takes too long."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no ready line within {START_TIMEOUT} s; stderr: {self.stderr}")
            if line is None:
                pytest.fail(f"serve ended before it was ready: {self.lines}; {self.stderr}")
            self.lines.append(line)
            match = READY.match(line)
            if match:
                return int(match.group(1))

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> tuple[int, float]:
        """Send ``sig``; the exit code and how long the process took to end."""
        started = time.monotonic()
        self.process.send_signal(sig)
        code = self.process.wait(STOP_TIMEOUT)
        return code, time.monotonic() - started

    def finish(self, timeout: float = START_TIMEOUT) -> int:
        code = self.process.wait(timeout)
        while (line := self._queue.get(timeout=5)) is not None:
            self.lines.append(line)
        return code

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def launched(tmp_path: Path) -> Iterator[list[Serve]]:
    """Every process a test starts; whatever is still running at the end is killed."""
    started: list[Serve] = []
    yield started
    for serve in started:
        serve.kill()


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def health(port: int, data_dir: Path) -> dict[str, object]:
    # A fresh connection per call (no session), checked against the data dir's certificate.
    response = requests.get(
        f"https://127.0.0.1:{port}/health", verify=str(data_dir / "tls" / "server.crt"),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def admin_password_works(data_dir: Path, password: str) -> bool:
    from stsdesk.server.bootstrap import open_existing
    from stsdesk.server.passwords import verify_password
    from stsdesk.server.settings import ServerSettings

    result = open_existing(ServerSettings(data_dir=data_dir))
    try:
        user = result.store.users.get("admin")
        return user is not None and verify_password(user.password_hash, password)
    finally:
        result.close()


def parent_pid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^PPid:\s+(\d+)$", status, re.M).group(1))


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in state  # a zombie has exited already


# -- the command line, without processes


def test_password_file_strips_the_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_text("s3cret with spaces \n")
    assert read_admin_password(path, {}) == "s3cret with spaces "
    path.write_bytes(b"crlf\r\n")
    assert read_admin_password(path, {}) == "crlf"


def test_password_file_wins_over_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "pw"
    path.write_text("from-file")
    assert read_admin_password(path, {"STSDESK_ADMIN_PASSWORD": "from-env"}) == "from-file"
    assert read_admin_password(None, {"STSDESK_ADMIN_PASSWORD": "from-env"}) == "from-env"
    assert read_admin_password(None, {}) is None


@pytest.mark.parametrize("content", [b"", b"\n", b"\xff\xfe\xfa"])
def test_unusable_password_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "pw"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=str(path)):
        read_admin_password(path, {})


def test_empty_password_in_the_environment_is_refused() -> None:
    with pytest.raises(UsageError, match="STSDESK_ADMIN_PASSWORD is set but empty"):
        read_admin_password(None, {"STSDESK_ADMIN_PASSWORD": ""})


def test_parser_defaults_and_verbose_on_either_side() -> None:
    args = build_parser().parse_args(["-v", "serve", "--data-dir", "d"])
    assert (args.host, args.port, args.workers, args.verbose) == ("127.0.0.1", 9443, 1, True)
    assert build_parser().parse_args(["serve", "--data-dir", "d", "-v"]).verbose is True
    assert build_parser().parse_args(["serve", "--data-dir", "d"]).verbose is False
    for bad in (["--port", "65536"], ["--port", "x"], ["--workers", "0"]):
        with pytest.raises(SystemExit) as exc:
            build_parser().parse_args(["serve", "--data-dir", "d", *bad])
        assert exc.value.code == 2


def test_no_arguments_without_a_display_points_to_serve_and_version_works() -> None:
    # `stsdesk` alone opens the desktop console; with no display it says so instead of failing
    # with a Qt platform error, and names the command that runs the STS alone.
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    bare = subprocess.run([sys.executable, "-m", "stsdesk"], capture_output=True, text=True,
                          cwd=REPO, timeout=30, env=env)
    assert bare.returncode == 2
    assert "display" in bare.stderr and "stsdesk serve" in bare.stderr
    assert "Traceback" not in bare.stderr
    help_text = subprocess.run([sys.executable, "-m", "stsdesk", "--help"], capture_output=True,
                               text=True, cwd=REPO, timeout=30)
    assert help_text.returncode == 0 and "serve" in help_text.stdout
    version = subprocess.run([sys.executable, "-m", "stsdesk", "--version"],
                             capture_output=True, text=True, cwd=REPO, timeout=30)
    assert version.returncode == 0 and re.fullmatch(r"stsdesk \d+\.\d+\.\d+\n", version.stdout)


# -- real server processes


@dataclass(frozen=True)
class FirstStart:
    data_dir: Path
    lines: list[str]
    stderr: str
    health: dict[str, object]
    server_pid: int
    exit_code: int
    stop_seconds: float
    cert_fingerprint: str


@pytest.fixture(scope="module")
def first_start(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstStart]:
    """One first start (no admin password given) with --port 0, stopped by SIGTERM."""
    tmp = tmp_path_factory.mktemp("first")
    data_dir = tmp / "data"
    serve = Serve.start(tmp, "--data-dir", str(data_dir), "--port", "0")
    try:
        port = serve.wait_ready()
        answer = health(port, data_dir)
        code, seconds = serve.stop(signal.SIGTERM)
        serve.finish()
    finally:
        serve.kill()
    yield FirstStart(data_dir, serve.lines, serve.stderr, answer, serve.process.pid, code,
                     seconds, fingerprint(data_dir / "tls" / "server.crt"))


@pytest.mark.slow
def test_first_start_prints_the_generated_password_once_then_ready(
    first_start: FirstStart,
) -> None:
    assert len(first_start.lines) == 2, first_start.lines
    generated = GENERATED.match(first_start.lines[0])
    assert generated, first_start.lines
    assert READY.match(first_start.lines[1])
    password = generated.group(1)
    assert password not in first_start.stderr  # printed once, never logged
    assert "Traceback" not in first_start.stderr
    assert admin_password_works(first_start.data_dir, password)
    assert not admin_password_works(first_start.data_dir, password + "x")


@pytest.mark.slow
def test_first_start_serves_https_from_a_worker_and_stops_on_sigterm(
    first_start: FirstStart,
) -> None:
    assert first_start.health["status"] == "ok"
    assert first_start.health["pid"] != first_start.server_pid  # a worker answered
    assert first_start.exit_code == 0
    assert first_start.stop_seconds < STOP_TIMEOUT


@pytest.mark.slow
def test_second_start_reuses_the_data_dir_and_stops_on_sigint(
    first_start: FirstStart, tmp_path: Path, launched: list[Serve]
) -> None:
    serve = Serve.start(tmp_path, "--data-dir", str(first_start.data_dir), "--port", "0")
    launched.append(serve)
    port = serve.wait_ready()
    assert len(serve.lines) == 1 and READY.match(serve.lines[0])  # no password this time
    assert fingerprint(first_start.data_dir / "tls" / "server.crt") == first_start.cert_fingerprint
    assert health(port, first_start.data_dir)["status"] == "ok"
    code, seconds = serve.stop(signal.SIGINT)
    assert code == 0 and seconds < STOP_TIMEOUT
    assert "Traceback" not in serve.stderr
    with pytest.raises(requests.ConnectionError):
        health(port, first_start.data_dir)


@pytest.mark.slow
def test_admin_password_from_the_environment_is_used_and_not_shown(
    tmp_path: Path, launched: list[Serve]
) -> None:
    data_dir = tmp_path / "data"
    password = "Env-Supplied-Pa55"
    serve = Serve.start(tmp_path, "--data-dir", str(data_dir), "--port", "0",
                        env={"STSDESK_ADMIN_PASSWORD": password})
    launched.append(serve)
    serve.wait_ready()
    code, _ = serve.stop()
    serve.finish()
    assert code == 0
    assert len(serve.lines) == 1 and READY.match(serve.lines[0]), serve.lines
    assert password not in serve.stderr
    assert admin_password_works(data_dir, password)


@pytest.mark.slow
def test_two_workers_answer_and_a_dead_worker_is_replaced(
    first_start: FirstStart, tmp_path: Path, launched: list[Serve]
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(first_start.data_dir, data_dir)
    serve = Serve.start(tmp_path, "--data-dir", str(data_dir), "--port", "0", "--workers", "2")
    launched.append(serve)
    port = serve.wait_ready()

    def worker_pids(want: int) -> set[int]:
        # The kernel hands each new connection to whichever worker accepts first.
        seen: set[int] = set()
        for _ in range(200):
            seen.add(int(health(port, data_dir)["pid"]))  # type: ignore[call-overload]
            if len(seen) == want:
                break
        return seen

    workers = worker_pids(2)
    assert len(workers) == 2
    assert all(parent_pid(pid) == serve.process.pid for pid in workers)

    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    replaced: set[int] = set()
    while time.monotonic() < deadline:
        replaced = worker_pids(2)
        if len(replaced) == 2 and victim not in replaced:
            break
        time.sleep(0.2)
    assert victim not in replaced and len(replaced) == 2, replaced
    assert "stopped unexpectedly" in serve.stderr

    code, seconds = serve.stop(signal.SIGTERM)
    assert code == 0 and seconds < STOP_TIMEOUT
    assert not any(is_running(pid) for pid in workers | replaced)


@pytest.mark.slow
def test_port_in_use_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data_dir = tmp_path / "data"
        result = subprocess.run(
            [sys.executable, "-m", "stsdesk", "serve", "--data-dir", str(data_dir),
             "--port", str(port)],
            capture_output=True, text=True, cwd=REPO, timeout=START_TIMEOUT,
        )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        f"stsdesk: error: Port {port} on 127.0.0.1 is already in use; stop the other server or "
        "choose another --port (0 picks a free one)."
    )
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not data_dir.exists()  # refused before anything was created


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_bad_admin_password_file_exits_2(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "pw"
    if kind == "empty":
        path.write_text("\n")
    result = subprocess.run(
        [sys.executable, "-m", "stsdesk", "serve", "--data-dir", str(tmp_path / "data"),
         "--port", "0", "--admin-password-file", str(path)],
        capture_output=True, text=True, cwd=REPO, timeout=START_TIMEOUT,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("stsdesk: error: ") and str(path) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()


@pytest.mark.slow
def test_corrupt_database_is_refused_without_a_traceback(
    first_start: FirstStart, tmp_path: Path, launched: list[Serve]
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(first_start.data_dir, data_dir)
    for leftover in data_dir.glob("stsdesk.db-*"):  # SQLite's -wal and -shm
        leftover.unlink()
    (data_dir / "stsdesk.db").write_bytes(b"this is not a database\0" * 200)
    serve = Serve.start(tmp_path, "--data-dir", str(data_dir), "--port", "0")
    launched.append(serve)
    code = serve.finish()
    assert code != 0
    assert serve.lines == []
    message = serve.stderr.strip().splitlines()[-1]
    assert message.startswith("stsdesk: error: ") and "database" in message
    assert "Traceback" not in serve.stderr


def test_desktop_without_qt_libraries_says_what_to_install() -> None:
    # A missing system library makes PySide6 fail to import; the command says what to do.
    script = (
        "import sys, builtins\n"
        "real = builtins.__import__\n"
        "def fake(name, *a, **k):\n"
        "    if name.startswith('PySide6'):\n"
        "        raise ImportError('libEGL.so.1: cannot open shared object file')\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = fake\n"
        "from stsdesk.cli import main\n"
        "sys.exit(main([]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=REPO, timeout=30, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 1
    assert "libEGL" in result.stderr and "system-deps" in result.stderr
    assert "Traceback" not in result.stderr
