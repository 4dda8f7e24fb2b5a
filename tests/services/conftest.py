"""Services are tested against a real embedded server over HTTPS, with an in-memory keyring."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest

from stsdesk.server.runner import BackgroundServer
from stsdesk.server.settings import ServerSettings
from tests.helpers import memory_keyring

ADMIN_PASSWORD = "Serv1ces-admin-pass"


@pytest.fixture
def memory_keyring_backend() -> Iterator[memory_keyring.MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = memory_keyring.install()
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundServer]:
    settings = ServerSettings(data_dir=tmp_path_factory.mktemp("svc-data"), port=0,
                              admin_password=ADMIN_PASSWORD)
    with BackgroundServer(settings) as running:
        yield running
