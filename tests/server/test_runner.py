"""BackgroundServer (uvicorn over HTTPS in a thread) and the socket helpers of the runner."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
import requests
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from stsdesk.server.errors import StartupError
from stsdesk.server.runner import (
    BackgroundServer,
    PortInUseError,
    bind_socket,
    loopback_host,
    server_url,
)
from stsdesk.server.settings import ServerSettings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> ServerSettings:
    # One data directory for the module: initialise() is idempotent, and key generation is slow.
    return ServerSettings(
        data_dir=tmp_path_factory.mktemp("runner") / "data", port=0,
        admin_password="Runner-Test-Pa55",
    )


def refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_start_serves_https_and_stop_frees_the_port(settings: ServerSettings) -> None:
    server = BackgroundServer(settings)
    server.start()
    try:
        assert server.port > 0
        assert server.url == f"https://127.0.0.1:{server.port}"
        assert server.ca_file == settings.tls_cert_path and server.ca_file.is_file()
        assert server.bootstrap.generated_admin_password is None  # a password was supplied
        answer = requests.get(f"{server.url}/health", verify=str(server.ca_file), timeout=10)
        assert answer.status_code == 200 and answer.json()["status"] == "ok"
        # Without the data dir's certificate, the server is not trusted.
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{server.url}/health", timeout=10)
    finally:
        server.stop()
    assert refused(server.port)
    with contextlib.closing(bind_socket("127.0.0.1", server.port)) as again:
        assert again.getsockname()[1] == server.port


def test_context_manager_with_a_given_app(settings: ServerSettings) -> None:
    async def hello(_: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/hello", hello)])
    with BackgroundServer(settings, app=app) as server:
        with requests.Session() as session:  # keep-alive: stop must still finish
            answer = session.get(f"{server.url}/hello", verify=str(server.ca_file), timeout=10)
            assert answer.text == "hello"
    assert refused(server.port)


def test_port_in_use_is_a_startup_error(settings: ServerSettings) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = BackgroundServer(ServerSettings(data_dir=settings.data_dir, port=port))
        with pytest.raises(PortInUseError, match=f"Port {port} on 127.0.0.1 is already in use"):
            server.start()
    with pytest.raises(RuntimeError):
        _ = server.url  # never started


def test_failing_application_startup_is_a_startup_error(settings: ServerSettings) -> None:
    @contextlib.asynccontextmanager
    async def broken(_: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("cannot start")
        yield

    server = BackgroundServer(settings, app=Starlette(lifespan=broken))
    with pytest.raises(StartupError, match="stopped while starting"):
        server.start(timeout=10)
    assert refused(server.port)


def test_unresolvable_host_is_a_startup_error() -> None:
    with pytest.raises(StartupError, match="does not resolve"):
        bind_socket("no-such-host.invalid", 0)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("0.0.0.0", "127.0.0.1"), ("::", "::1"), ("127.0.0.1", "127.0.0.1"), ("::1", "::1")],
)
def test_loopback_host(host: str, expected: str) -> None:
    assert loopback_host(host) == expected


def test_server_url_brackets_ipv6() -> None:
    assert server_url("::1", 8443) == "https://[::1]:8443"
    assert server_url("127.0.0.1", 8443) == "https://127.0.0.1:8443"
