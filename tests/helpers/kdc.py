"""A throwaway MIT Kerberos realm on loopback: database, principals, keytabs and a KDC process.

Everything lives in one folder (``krb5.conf``, ``kdc.conf``, the database, the stash and the
keytabs); the KDC listens on a free loopback port and is stopped by :meth:`Kdc.stop`. Nothing
reads ``/etc/krb5.conf`` or the network: callers point ``KRB5_CONFIG`` (and ``KRB5_KDC_PROFILE``)
at the generated files.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Kdc", "kerberos_tools_missing", "REALM"]

REALM = "STSDESK.TEST"
_TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local", "kinit")
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found is not None:
        return found
    for folder in _SBIN:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def kerberos_tools_missing() -> list[str]:
    """The MIT Kerberos programs this helper needs that are not installed."""
    return [name for name in _TOOLS if _tool(name) is None]


def _free_port() -> int:
    """A port free over both UDP and TCP (the KDC listens on both). A port the kernel gives for
    UDP may be taken over TCP by another test's server: then try another."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise OSError("no loopback port is free over both UDP and TCP for the test KDC")


@dataclass
class Kdc:
    """A realm in ``folder``; :meth:`start` creates and runs it, :meth:`stop` ends the KDC."""

    folder: Path
    realm: str = REALM
    clockskew: int = 300
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def krb5_conf(self) -> Path:
        return self.folder / "krb5.conf"

    @property
    def kdc_conf(self) -> Path:
        return self.folder / "kdc.conf"

    def env(self) -> dict[str, str]:
        """The environment variables that point MIT Kerberos at this realm only."""
        return {
            "KRB5_CONFIG": str(self.krb5_conf),
            "KRB5_KDC_PROFILE": str(self.kdc_conf),
            "KRB5CCNAME": f"FILE:{self.folder / 'default.ccache'}",
            "KRB5RCACHEDIR": str(self.folder / "rcache"),
            "KRB5_TRACE": str(self.folder / "trace.log"),
        }

    def _run(self, *command: str, stdin: str | None = None) -> str:
        tool = _tool(command[0])
        if tool is None:
            raise RuntimeError(f"{command[0]} is not installed (scripts/system-deps.sh)")
        done = subprocess.run(
            [tool, *command[1:]], input=stdin, capture_output=True, text=True,
            env={**os.environ, **self.env()}, timeout=60, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")
        return done.stdout

    def start(self) -> Kdc:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "rcache").mkdir(exist_ok=True)
        self.port = _free_port()
        self.krb5_conf.write_text(
            "[libdefaults]\n"
            f"  default_realm = {self.realm}\n"
            "  dns_lookup_kdc = false\n"
            "  dns_lookup_realm = false\n"
            "  rdns = false\n"
            "  dns_canonicalize_hostname = false\n"
            "  udp_preference_limit = 1\n"
            f"  clockskew = {self.clockskew}\n"
            "  permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96\n"
            "[realms]\n"
            f"  {self.realm} = {{\n"
            f"    kdc = 127.0.0.1:{self.port}\n"
            "  }\n",
            encoding="utf-8",
        )
        self.kdc_conf.write_text(
            "[kdcdefaults]\n"
            f"  kdc_listen = 127.0.0.1:{self.port}\n"
            f"  kdc_tcp_listen = 127.0.0.1:{self.port}\n"
            "[realms]\n"
            f"  {self.realm} = {{\n"
            f"    database_name = {self.folder / 'principal'}\n"
            f"    key_stash_file = {self.folder / 'stash'}\n"
            f"    acl_file = {self.folder / 'kadm5.acl'}\n"
            "    max_life = 10h\n"
            "    supported_enctypes = aes256-cts-hmac-sha1-96:normal\n"
            "  }\n"
            "[logging]\n"
            f"  kdc = FILE:{self.folder / 'kdc.log'}\n",
            encoding="utf-8",
        )
        (self.folder / "kadm5.acl").write_text("", encoding="utf-8")
        self._run("kdb5_util", "create", "-s", "-r", self.realm, "-P", "throwaway master key")
        tool = _tool("krb5kdc")
        assert tool is not None
        self._process = subprocess.Popen(  # noqa: S603 - a fixed program with our own files
            [tool, "-n", "-r", self.realm, "-P", str(self.folder / "kdc.pid")],
            env={**os.environ, **self.env()}, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait_listening()
        return self

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"krb5kdc ended: {self._process.stderr.read()!r}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("krb5kdc did not start listening within 20 s")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        if self._process.stderr is not None:
            self._process.stderr.close()
        self._process = None

    def principal(self, name: str) -> str:
        return f"{name}@{self.realm}"

    def add_principal(self, name: str, password: str | None = None, *,
                      max_life: str | None = None) -> str:
        """Add ``name``; with no password it gets a random key (a service)."""
        options = ["-randkey"] if password is None else ["-pw", password]
        if max_life is not None:
            options += ["-maxlife", max_life]
        self._run("kadmin.local", "-r", self.realm, "-q",
                  " ".join(["addprinc", *options, self.principal(name)]))
        return self.principal(name)

    def export_keytab(self, name: str, path: Path) -> Path:
        """Export ``name``'s keys (without changing them: -norandkey) to the keytab ``path``."""
        self._run("kadmin.local", "-r", self.realm, "-q",
                  f"ktadd -k {path} -norandkey {self.principal(name)}")
        return path

    def kinit(self, name: str, password: str, ccache: Path, *, lifetime: str | None = None
              ) -> Path:
        """A ticket-granting ticket for ``name`` in the credential cache ``ccache``."""
        options = ["-l", lifetime] if lifetime is not None else []
        self._run("kinit", *options, "-c", f"FILE:{ccache}", self.principal(name),
                  stdin=password + "\n")
        return ccache
