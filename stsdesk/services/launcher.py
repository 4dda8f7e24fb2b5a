"""Starts and stops the embedded STS as a child process (`stsdesk serve`) for the desktop app."""

from __future__ import annotations

import logging
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from stsdesk.services.admin_client import ServerEndpoint
from stsdesk.services.credentials import CredentialStore
from stsdesk.services.errors import KeyringError, LaunchError
from stsdesk.services.tls import TrustPolicy, fingerprint

__all__ = ["EmbeddedServer", "ADMIN_KEY"]

log = logging.getLogger("stsdesk.services")

ADMIN_KEY = "embedded:admin"
_READY = re.compile(r"^stsdesk server ready at (https://\S+)\s*$")
_FALLBACK_FILE = Path("secrets") / "desktop-admin-password"


class EmbeddedServer:
    """The built-in STS: its data directory, admin password (keyring) and child process."""

    def __init__(self, data_dir: Path, credentials: CredentialStore) -> None:
        self.data_dir = data_dir
        self._credentials = credentials
        self._process: subprocess.Popen[str] | None = None
        self._url: str | None = None
        self._password: str | None = None
        self.password_in_file = False

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, timeout: float = 90.0) -> ServerEndpoint:
        """Start the server (first start creates the data directory) and return its endpoint."""
        if self.running and self._url and self._password:
            return self.endpoint()
        password = self._admin_password()
        env = dict(os.environ, STSDESK_ADMIN_PASSWORD=password)
        command = [sys.executable, "-m", "stsdesk", "serve", "--data-dir", str(self.data_dir),
                   "--port", "0"]
        try:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise LaunchError(f"The embedded server could not be started: {exc}.") from exc
        errors: deque[str] = deque(maxlen=20)
        threading.Thread(target=_drain, args=(process.stderr, errors), daemon=True).start()
        url = _wait_ready(process, timeout)
        if url is None:
            process.kill()
            process.wait(timeout=5)
            _close_pipes(process)
            detail = "\n".join(errors) or "it printed nothing"
            raise LaunchError(
                "The embedded server did not start. What it said:\n" + detail +
                f"\n\nIf its data directory ({self.data_dir}) is damaged, move it away to start "
                "afresh, or run `stsdesk serve --data-dir ...` in a terminal to see more."
            )
        threading.Thread(target=_drain, args=(process.stdout, deque(maxlen=1)), daemon=True).start()
        self._process, self._url, self._password = process, url, password
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

    def _admin_password(self) -> str:
        """The admin password from the keyring; created (and stored) on the very first start."""
        fallback = self.data_dir / _FALLBACK_FILE
        try:
            stored = self._credentials.get(ADMIN_KEY)
            if stored:
                return stored
            if fallback.exists():
                return fallback.read_text("utf-8").strip()
            password = secrets.token_urlsafe(18)
            self._credentials.set(ADMIN_KEY, password)
            return password
        except KeyringError:
            # No keyring on this machine (a bare desktop session): keep it owner-only beside the
            # server's own secrets, as the server keeps its master secret, and say so.
            self.password_in_file = True
            if fallback.exists():
                return fallback.read_text("utf-8").strip()
            fallback.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            password = secrets.token_urlsafe(18)
            descriptor = os.open(fallback, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(password)
            return password


def _close_pipes(process: subprocess.Popen[str]) -> None:
    for stream in (process.stdout, process.stderr):
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
