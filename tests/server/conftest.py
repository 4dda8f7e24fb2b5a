"""Shared server fixtures: a Store on a temporary SQLite file and a bootstrapped data directory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from stsdesk.server import passwords
from stsdesk.server.bootstrap import BootstrapResult, initialise, open_existing
from stsdesk.server.master_secret import ENV_VAR, MasterSecret
from stsdesk.server.model import IssuedTokenRecord
from stsdesk.server.settings import ServerSettings
from stsdesk.server.storage.store import Store

# The admin password of the `data_dir` fixture's data directory.
ADMIN_PASSWORD = "correct horse battery staple"
MASTER_SECRET = b"test master secret, not for production"


@pytest.fixture
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Real argon2id with small parameters: tests that create many users stay fast.

    Hashes made with the default parameters still verify (the parameters live in the hash).
    The unknown-user dummy hash is cached for the process: one made with the small parameters
    must not outlive the test, or a later test's unknown user answers faster than a known one.
    """
    monkeypatch.setattr(
        passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    passwords._dummy_hash.cache_clear()
    yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def master() -> MasterSecret:
    return MasterSecret(MASTER_SECRET)


@pytest.fixture
def store(tmp_path: Path, master: MasterSecret) -> Iterator[Store]:
    """A Store with its schema on a fresh SQLite file (WAL), sealing with ``master``."""
    opened = Store.open(f"sqlite:///{(tmp_path / 'store.db').as_posix()}", master)
    opened.create_schema()
    yield opened
    opened.close()


@pytest.fixture
def second(store: Store, master: MasterSecret) -> Iterator[Store]:
    """Another Store on the same file, as another worker process would have."""
    other = Store.open(str(store.engine.url), master)
    yield other
    other.close()


@pytest.fixture(scope="session")
def _data_dir_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Bootstrapping generates two RSA keys and an argon2 hash; do it once and copy it per test.
    root = tmp_path_factory.mktemp("data-template") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(ENV_VAR, raising=False)
        result = initialise(ServerSettings(data_dir=root, admin_password=ADMIN_PASSWORD))
        result.close()
    return root


@pytest.fixture
def data_dir(_data_dir_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory already initialised, whose admin password is ``ADMIN_PASSWORD``."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    target = tmp_path / "data"
    shutil.copytree(_data_dir_template, target)  # copy2 keeps the 0600/0700 modes
    return target


@pytest.fixture
def server_settings(data_dir: Path) -> ServerSettings:
    return ServerSettings(data_dir=data_dir, port=0)


@pytest.fixture
def bootstrapped(server_settings: ServerSettings) -> Iterator[BootstrapResult]:
    """``data_dir`` opened as a worker opens it (store, keystore, master secret)."""
    result = open_existing(server_settings)
    yield result
    result.close()


@pytest.fixture
def held_commits(bootstrapped: BootstrapResult, monkeypatch: pytest.MonkeyPatch):
    """The token journal's commits, held until the test completes (or fails) their futures."""
    held: list[tuple[IssuedTokenRecord, Future[None]]] = []

    def submit(record: IssuedTokenRecord) -> Future[None]:
        done: Future[None] = Future()
        held.append((record, done))
        return done

    monkeypatch.setattr(bootstrapped.store.tokens, "submit", submit)
    return held
