"""The admin API in process (the real application over a real data directory), as admin."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from stsdesk.server.app import build_app
from stsdesk.server.bootstrap import BootstrapResult
from stsdesk.server.settings import ServerSettings
from tests.helpers.wso2_schema import assert_wso2_shaped
from tests.server.conftest import ADMIN_PASSWORD

API = "/api/server/v1"


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _check_wso2_shape(response: httpx.Response) -> None:
    """Every JSON answer on a path WSO2 also has must be valid against WSO2's own schema."""
    response.read()
    if not response.headers.get("content-type", "").startswith("application/json"):
        return
    request = response.request
    assert_wso2_shaped(request.method, request.url.path, response.status_code, response.json())


def client_for(app, username: str | None = None, password: str = "") -> TestClient:
    headers = basic(username, password) if username is not None else {}
    client = TestClient(app, base_url="https://testserver", headers=headers)
    client.event_hooks["response"].append(_check_wso2_shape)
    return client


@pytest.fixture
def app(bootstrapped: BootstrapResult, server_settings: ServerSettings, fast_password_hashing):
    return build_app(bootstrapped, server_settings)


@pytest.fixture
def api(app) -> Iterator[TestClient]:
    """A client authenticated as the bootstrap admin."""
    with client_for(app, "admin", ADMIN_PASSWORD) as client:
        yield client


@pytest.fixture
def anonymous(app) -> Iterator[TestClient]:
    with client_for(app) as client:
        yield client


@pytest.fixture
def as_user(app, bootstrapped: BootstrapResult):
    """``as_user("name", roles=[...])`` creates a user and returns a client signed in as it."""
    clients: list[TestClient] = []

    def make(username: str, *, roles: tuple[str, ...] = (), password: str = "Us3r-password!"):
        for role in roles:
            if role not in bootstrapped.store.roles.names():
                bootstrapped.store.roles.create(role)
        bootstrapped.store.users.create(username, password, roles=list(roles))
        client = client_for(app, username, password)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
