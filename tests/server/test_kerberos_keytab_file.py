"""The unsealed keytab GSS-API reads: private, removed when closed, and removed after a server
that was killed (its exit handlers never ran) by the next one that writes a keytab."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from stsdesk.server.sts import kerberos

KEYTAB = b"\x05\x02" + b"not a real key, only bytes to keep private" * 4


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    return tmp_path


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603 - our interpreter
    child.wait()
    return child.pid


def test_the_keytab_is_private_and_gone_once_closed(runtime: Path) -> None:
    file = kerberos._KeytabFile(KEYTAB)
    path = file.open()
    assert path.read_bytes() == KEYTAB
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.parent.parent == runtime
    file.close()
    assert not path.parent.exists()


def test_a_killed_servers_keytab_is_removed_by_the_next_and_a_live_ones_is_kept(
    runtime: Path,
) -> None:
    stale = runtime / f"stsdesk-kerberos-{dead_pid()}-abcd1234"
    stale.mkdir(mode=0o700)
    (stale / "service-0123.keytab").write_bytes(KEYTAB)
    alive = runtime / f"stsdesk-kerberos-{os.getppid()}-efgh5678"
    alive.mkdir(mode=0o700)
    file = kerberos._KeytabFile(KEYTAB)
    try:
        file.open()
        assert not stale.exists()
        assert alive.exists()
    finally:
        file.close()
