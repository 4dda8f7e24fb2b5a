"""Starts and stops the embedded STS as a child process (`stsdesk serve`) for the desktop app."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.services.admin.api import AdminApi
from stsdesk.services.admin_client import ServerEndpoint
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.errors import InputError, LaunchError
from stsdesk.services.tls import TrustPolicy, fingerprint

__all__ = ["EmbeddedServer", "ADMIN_KEY", "stop_stale_server", "shared_server_port"]

log = logging.getLogger("stsdesk.services")

ADMIN_KEY = "embedded:admin"
_READY = re.compile(r"^stsdesk server ready at (https://\S+)\s*$")
_FALLBACK_FILE = Path("secrets") / "desktop-admin-password"  # before the encrypted file existed
_STATE_FILE = "desktop-server.json"  # the pid and port of the server the console last started


@dataclass(frozen=True)
class _LastRun:
    pid: int
    port: int


class EmbeddedServer:
    """The built-in STS: its data directory, admin password and child process.

    The child is tied to the console: its standard input is a pipe the console never writes
    to, and ``stsdesk serve --exit-with-parent`` stops at that pipe's end-of-file — which the
    kernel delivers however the console ends. On Linux, a start from the main thread also asks
    for the parent-death signal. A start that finds a server of the same data directory left
    over from an earlier console stops it first, and takes the port it had when that is free.

    ``start()`` does everything; the desktop app splits it into :meth:`prepare` (secrets: may
    block on the keyring, so off the GUI thread), :meth:`spawn` (on the main thread, so the
    parent-death signal is tied to a thread that lives as long as the console) and
    :meth:`wait_ready` (off the GUI thread).
    """

    def __init__(self, data_dir: Path, credentials: CredentialStore) -> None:
        self.data_dir = data_dir
        self._credentials = credentials
        self._process: subprocess.Popen[str] | None = None
        self._url: str | None = None
        self._password: str | None = None
        self._errors: deque[str] = deque(maxlen=20)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def admin_password_location(self) -> str:
        """Where the admin password is kept, in words (for the console's notice and dialog)."""
        legacy = self.data_dir / _FALLBACK_FILE
        if legacy.exists():
            return f"the owner-only file {legacy}"
        description = self._credentials.describe()
        if description.keyring:
            return f"{description.name}, service “{description.location}”, entry “{ADMIN_KEY}”"
        return f"the encrypted file {description.location}, entry “{ADMIN_KEY}”"

    def start(self, *, timeout: float = 90.0) -> ServerEndpoint:
        """Start the server (first start creates the data directory) and return its endpoint."""
        if self.running and self._url and self._password:
            return self.endpoint()
        self.prepare()
        self.spawn()
        return self.wait_ready(timeout=timeout)

    def prepare(self) -> None:
        """Read (or create) the admin password; find an earlier server of this data directory.

        One that another console still runs is shared (two consoles on one data directory);
        one whose console is gone is stopped.
        """
        self._password = self._admin_password()
        shared = shared_server_port(self.data_dir)
        if shared is not None:
            log.info("sharing the embedded server another console runs (port %d)", shared)
            self._url = f"https://127.0.0.1:{shared}"
            return
        self._url = None
        stop_stale_server(self.data_dir)

    def spawn(self) -> None:
        """Start the child process (quick: no waiting for it to serve)."""
        if self._password is None:
            raise LaunchError("The embedded server's admin password is not known yet.")
        if self.running or self._url is not None:  # ours already, or shared with a console
            return
        env = dict(os.environ, STSDESK_ADMIN_PASSWORD=self._password)
        port = _last_port(self.data_dir)
        command = [sys.executable, "-m", "stsdesk", "serve", "--data-dir", str(self.data_dir),
                   "--port", str(port), "--exit-with-parent"]
        if threading.current_thread() is threading.main_thread():
            command.append("--parent-death-signal")
        try:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, env=env, start_new_session=True,
            )
        except OSError as exc:
            raise LaunchError(f"The embedded server could not be started: {exc}.") from exc
        self._errors = deque(maxlen=20)
        threading.Thread(target=_drain, args=(process.stderr, self._errors), daemon=True).start()
        self._process = process

    def wait_ready(self, *, timeout: float = 90.0) -> ServerEndpoint:
        """Wait for the ready line; LaunchError (with what the server said) if it never comes."""
        process = self._process
        if process is None:
            if self._url is not None:  # another console's: it is serving already
                return self.endpoint()
            raise LaunchError("The embedded server was not started.")
        url = _wait_ready(process, timeout)
        if url is None:
            process.kill()
            process.wait(timeout=5)
            _close_pipes(process)
            self._process = None
            detail = "\n".join(self._errors) or "it printed nothing"
            raise LaunchError(
                "The embedded server did not start. What it said:\n" + detail +
                f"\n\nIf its data directory ({self.data_dir}) is damaged, move it away to start "
                "afresh, or run `stsdesk serve --data-dir ...` in a terminal to see more."
            )
        threading.Thread(target=_drain, args=(process.stdout, deque(maxlen=1)), daemon=True).start()
        self._url = url
        _remember(self.data_dir, _LastRun(process.pid, urlsplit(url).port or 0))
        log.info("embedded server ready at %s", url)
        return self.endpoint()

    def endpoint(self) -> ServerEndpoint:
        if self._url is None or self._password is None:
            raise LaunchError("The embedded server is not running.")
        return ServerEndpoint(self._url, "admin", self._password,
                              TrustPolicy(pinned_sha256=self.certificate_sha256()))

    def certificate_sha256(self) -> str:
        """The fingerprint of the server's own TLS certificate: the desktop app pins it."""
        pem = (self.data_dir / "tls" / "server.crt").read_bytes()
        return fingerprint(x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER))

    def stop(self, timeout: float = 15.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("embedded server did not stop in %.0f s; killing it", timeout)
            process.kill()
            process.wait(timeout=5)
        _close_pipes(process)

    def change_admin_password(self, api: AdminApi, new_password: str) -> ServerEndpoint:
        """Set the embedded admin's password on the server, then keep it in the secret store.

        Blocking (the admin API and the keyring): call it off the GUI thread. Returns the
        endpoint with the new password, for the console to reconnect with.
        """
        if not new_password:
            raise InputError("Type the new password.")
        users = api.list_users(user_name_prefix="admin").users
        admin = next((user for user in users if user.user_name == "admin"), None)
        if admin is None:
            raise LaunchError("The embedded server has no user named admin any more.")
        api.set_user_password(admin.id, new_password)
        self._credentials.set(ADMIN_KEY, new_password)
        (self.data_dir / _FALLBACK_FILE).unlink(missing_ok=True)  # the store holds it now
        self._password = new_password
        return self.endpoint()

    def _admin_password(self) -> str:
        """The admin password from the secret store; created (and stored) on the first start."""
        legacy = self.data_dir / _FALLBACK_FILE
        if legacy.exists():  # written by earlier versions on machines without a keyring
            return legacy.read_text("utf-8").strip()
        stored = self._credentials.get(ADMIN_KEY)
        if stored:
            return stored
        password = secrets.token_urlsafe(18)
        self._credentials.set(ADMIN_KEY, password)
        return password


def shared_server_port(data_dir: Path) -> int | None:
    """The port of a server of ``data_dir`` that a console still running owns, else None."""
    last = _read_last_run(data_dir)
    if last is None or not _serves(last.pid, data_dir) or not _console_alive(last.pid):
        return None
    return last.port


def _console_alive(pid: int) -> bool:
    """Whether the parent of server ``pid`` is an stsdesk console (not init or a subreaper
    that adopted it when its console died)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        raw = Path(f"/proc/{parent}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return False
    args = [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]
    if parent <= 1 or not args or "serve" in args:
        return False
    # `python -m stsdesk`, the `stsdesk` script, or `python /path/to/bin/stsdesk`.
    as_module = any(args[i] == "-m" and args[i + 1] == "stsdesk" for i in range(len(args) - 1))
    return as_module or "stsdesk" in (Path(args[0]).name, Path(args[min(1, len(args) - 1)]).name)


def stop_stale_server(data_dir: Path, *, timeout: float = 15.0) -> bool:
    """Stop a ``stsdesk serve`` of ``data_dir`` that an earlier console left running.

    Only a process whose command line shows it serving this very data directory is touched
    (a pid may have been reused by anything since). Returns True when one was stopped.
    """
    last = _read_last_run(data_dir)
    if last is None or not _serves(last.pid, data_dir):
        return False
    log.warning("stopping the embedded server (pid %d) an earlier console left running", last.pid)
    try:
        os.kill(last.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(last.pid):
            if time.monotonic() > deadline:
                os.kill(last.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
    except ProcessLookupError:
        pass
    except PermissionError:
        # Another user's server on a shared data directory: not ours to stop, and no reason
        # for the console to fail at start-up.
        log.warning("the leftover server (pid %d) belongs to another user; not stopped", last.pid)
        return False
    return True


def _serves(pid: int, data_dir: Path) -> bool:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone, or not Linux: without a way to check, leave it alone
        return False
    args = [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]
    return "serve" in args and "stsdesk" in " ".join(args) and str(data_dir) in args


def _alive(pid: int) -> bool:
    try:
        waited, _status = os.waitpid(pid, os.WNOHANG)  # our own child: reap it
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:  # a zombie (not our child, not yet reaped by its parent) has stopped serving
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _read_last_run(data_dir: Path) -> _LastRun | None:
    try:
        data = json.loads((data_dir / _STATE_FILE).read_text("utf-8"))
        return _LastRun(int(data["pid"]), int(data["port"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _remember(data_dir: Path, run: _LastRun) -> None:
    try:
        (data_dir / _STATE_FILE).write_text(json.dumps({"pid": run.pid, "port": run.port}),
                                              "utf-8")
    except OSError as exc:  # only convenience is lost: the next start picks a port afresh
        log.warning("cannot record the embedded server's port: %s", exc)


def _last_port(data_dir: Path) -> int:
    """The port the server had last time if it is free now (bookmarks keep working), else 0."""
    last = _read_last_run(data_dir)
    if last is None or not 1024 <= last.port <= 65535:
        return 0
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server binds: connections of the last run lingering in TIME_WAIT do not
        # make the port taken, only a listener does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", last.port))
        except OSError:
            return 0
    return last.port


def _close_pipes(process: subprocess.Popen[str]) -> None:
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass


def _wait_ready(process: subprocess.Popen[str], timeout: float) -> str | None:
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            match = _READY.match(line)
            if match:
                found.append(match.group(1))
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout)
    return found[0] if found else None


def _drain(stream, sink: deque[str]) -> None:  # type: ignore[no-untyped-def]
    if stream is None:
        return
    try:
        for line in stream:
            sink.append(line.rstrip())
    except (ValueError, OSError):  # the pipe was closed under us at stop: nothing more to read
        return
