"""Secrets without an OS keyring: a labelled encrypted file, one notice, no errors for nothing."""

from __future__ import annotations

import json
import stat

import keyring
import pytest
from keyring.backends import fail

from stsdesk.services.credentials import FILE_FORMAT, CredentialStore
from stsdesk.services.profiles import ProfileStore, ServerProfile

SECRET = "Rem3mbered-passw0rd"


@pytest.fixture
def no_keyring():
    """The machine has no Secret Service: keyring falls back to its "fail" backend."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_without_a_keyring_secrets_go_to_a_labelled_encrypted_file(tmp_path, no_keyring):
    store = CredentialStore(fallback_dir=tmp_path)
    store.set("profile:prod", SECRET)
    assert store.get("profile:prod") == SECRET
    secrets_file = tmp_path / "credentials.enc"
    text = secrets_file.read_text()
    assert SECRET not in text  # encrypted, not merely hidden
    data = json.loads(text)
    assert data["format"] == FILE_FORMAT
    assert "without an OS keyring" in data["note"]
    for path in (secrets_file, tmp_path / "credentials.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Another process (the next start) reads what this one stored.
    assert CredentialStore(fallback_dir=tmp_path).get("profile:prod") == SECRET


def test_the_store_in_use_is_described_once_in_plain_words(tmp_path, no_keyring):
    description = CredentialStore(fallback_dir=tmp_path).describe()
    assert not description.keyring
    assert "No OS keyring was found" in description.detail
    assert str(tmp_path / "credentials.enc") in description.detail


def test_deleting_what_was_never_stored_is_not_an_error(tmp_path, no_keyring):
    store = CredentialStore(fallback_dir=tmp_path)
    store.delete("profile:never")  # no file yet
    store.set("profile:a", SECRET)
    store.delete("profile:never")
    store.delete("profile:a")
    assert store.get("profile:a") is None


def test_deleting_what_the_keyring_never_had_is_not_an_error(tmp_path, memory_keyring_backend):
    store = CredentialStore(fallback_dir=tmp_path)
    store.delete("profile:never")
    assert store.describe().keyring
    assert "OS keyring" in store.describe().detail
    assert not (tmp_path / "credentials.enc").exists()


def test_a_remote_profile_can_be_saved_without_a_keyring(tmp_path, no_keyring):
    store = ProfileStore(tmp_path / "profiles.json", CredentialStore(fallback_dir=tmp_path))
    store.save(ServerProfile("prod", "https://sts.example.org:9443"), password=SECRET)
    assert store.password("prod") == SECRET
    assert SECRET not in (tmp_path / "profiles.json").read_text()
    store.remove("prod")
    assert store.password("prod") is None


def test_two_stores_starting_together_share_one_key(tmp_path):
    """Two consoles on one data directory: neither replaces the key the other wrote."""
    from stsdesk.services.credentials import EncryptedFileSecrets

    first = EncryptedFileSecrets(tmp_path)
    second = EncryptedFileSecrets(tmp_path)
    first.set("one", "first-secret")
    second.set("two", "second-secret")
    assert first.get("one") == "first-secret"
    assert first.get("two") == "second-secret"


def test_a_damaged_key_file_is_a_clear_error_not_a_crash(tmp_path):
    from stsdesk.services.credentials import EncryptedFileSecrets
    from stsdesk.services.errors import KeyringError

    store = EncryptedFileSecrets(tmp_path)
    store.set("one", "secret")
    store._key_path.write_bytes(b"")  # what a crash mid-write used to leave
    with pytest.raises(KeyringError, match="remove it"):
        store.set("two", "other")


_FIRST_USE_FROM_TWO_THREADS = """
import importlib.machinery, sys, threading, time
from pathlib import Path
from stsdesk.services.credentials import CredentialStore

importers = set()

class SlowLoader:
    def __init__(self, loader):
        self.loader = loader
    def create_module(self, spec):
        return self.loader.create_module(spec)
    def exec_module(self, module):
        time.sleep(0.3)  # outside the global import lock: other threads may import meanwhile
        self.loader.exec_module(module)

class WatchKeyringImport:
    # Notes which threads import keyring's modules, and holds the describing thread inside
    # "import keyring" for a moment (as the GUI thread's own imports do at start-up), so that
    # the other thread's call lands in the middle of it.
    def find_spec(self, name, path=None, target=None):
        if name == "keyring" or name.startswith("keyring."):
            importers.add(threading.current_thread().name)
            if name == "keyring.credentials" and threading.current_thread().name == "describe":
                spec = importlib.machinery.PathFinder.find_spec(name, path, target)
                spec.loader = SlowLoader(spec.loader)
                return spec
        return None

sys.meta_path.insert(0, WatchKeyringImport())
store = CredentialStore(fallback_dir=Path(sys.argv[1]))
failures = []
def run(call):
    try:
        call()
    except BaseException as exc:
        failures.append(repr(exc))
describe = threading.Thread(target=run, args=(store.describe,), name="describe")
read = threading.Thread(target=run, args=(lambda: store.get("embedded:admin"),), name="read")
describe.start()
time.sleep(0.1)
read.start()
describe.join()
read.join()
print(failures, sorted(importers))
"""


def test_keyring_is_imported_by_one_thread_while_others_wait(tmp_path):
    """At start-up the console asks which store is in use while the launcher reads the admin
    password, on two worker threads. Both imported keyring at once, and one start in two the
    describing thread failed (Python's import deadlock guard: each held a module the other
    needed), so the status bar never said where passwords are (seen in the walk under Xvfb).
    keyring is imported by one thread, under the store's lock; the other waits for it."""
    import subprocess
    import sys

    ran = subprocess.run([sys.executable, "-c", _FIRST_USE_FROM_TWO_THREADS, str(tmp_path)],
                         capture_output=True, text=True, timeout=60, check=True,
                         env={"PATH": "", "HOME": str(tmp_path)})
    assert ran.stdout.strip() == "[] ['describe']", ran.stdout + ran.stderr
