"""The ASGI application: the WS-Trust endpoint and its WSDL, the admin API, SCIM 2.0, health."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import FastAPI
from lxml import etree
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from stsdesk import __version__
from stsdesk.core.errors import XmlInputError
from stsdesk.core.xmlparse import DEFAULT_LIMITS
from stsdesk.server.admin import (
    applications,
    audit,
    claims,
    configs,
    keystores,
    own_policy,
    revocation_lists,
    saml_issuers,
    scim,
    sts_security,
    sts_settings,
)
from stsdesk.server.admin.context import API_PREFIX, SCIM_PREFIX, AdminContext
from stsdesk.server.admin.errors import install_error_handlers
from stsdesk.server.bootstrap import BootstrapResult, open_existing
from stsdesk.server.passwords import CredentialCache
from stsdesk.server.settings import ServerSettings
from stsdesk.server.storage.journal import WAIT_SECONDS
from stsdesk.server.sts.handoff import MintingThreads, PendingReply
from stsdesk.server.sts.mex import MetadataService, render_mex_wsdl
from stsdesk.server.sts.service import SoapReply, TrustService
from stsdesk.server.sts.wsdl import render_wsdl
from stsdesk.server.urls import MEX_PATH, STS_PATH, public_base_url

__all__ = ["create_app", "build_app", "node_identity", "STS_PATH", "MEX_PATH"]

def node_identity(settings: ServerSettings) -> str:
    """How /health names this node: ``--node-name``, else ``hostname:port/pid``."""
    if settings.node_name:
        return settings.node_name
    return f"{socket.gethostname()}:{settings.port}/{os.getpid()}"


def _health_route(settings: ServerSettings) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def health(_: Request) -> JSONResponse:
        # "node" tells a client behind a load balancer which node answered.
        return JSONResponse(
            {"status": "ok", "pid": os.getpid(), "node": node_identity(settings)}
        )

    return health


# Token requests are CPU-bound and hold the GIL: more threads only take turns at it, and the
# event loop (every connection's I/O) waits behind each turn, which made the latency tail under
# load (p99 at 16 connections 200-370 ms with 4 threads, 80-100 ms with 2). A new token's wait
# for its commit takes no thread (see server/sts/handoff.py), so two suffice; two, so that a
# request waiting on argon2 (a password not in the cache) or the database does not hold up
# the others.
_STS_THREADS = 2


class _StsEndpoint:
    """POST: a WS-Trust request; GET ?wsdl: the service description."""

    def __init__(
        self, service: TrustService, boot: BootstrapResult, settings: ServerSettings
    ) -> None:
        self._service = service
        self._boot = boot
        self._settings = settings
        self._max_bytes = DEFAULT_LIMITS.max_bytes
        self._metadata = MetadataService()
        self._minting = MintingThreads(_STS_THREADS, name="stsdesk-sts")

    def warm_up(self) -> None:
        """Decrypt the signing key and load the configuration before the first request."""
        config = self._boot.store.snapshot()
        self._boot.keystore.signing_identity(config.signing_alias)

    def close(self) -> None:
        """Finish the requests already queued or running, then release what the service holds.

        Waiting matters: a request still running may be saving its token record, which the
        token journal must commit before the store stops it. (By now uvicorn has answered or
        cancelled every request: a queued one whose client was given up on returns at once.)
        """
        self._minting.close()
        self._service.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A token request (POST) as a bare ASGI application (see :class:`_TokenRequestsFirst`).

        The three headers it reads come straight from the scope and the answer goes out as two
        ASGI messages: Starlette's Request, Headers and Response objects cost more on the
        event loop than the endpoint's own work there.
        """
        headers = _request_headers(scope)
        content_type = headers.get(b"content-type")
        try:
            body = await _read_body(receive, headers.get(b"content-length"), self._max_bytes)
        except _Disconnected:
            return  # nobody is left to answer
        if body is None:
            reply = self._too_large(content_type)
        else:
            # Other requests go on while this one is answered and its token record committed.
            pending = PendingReply(asyncio.get_running_loop(), body, content_type=content_type,
                                   soap_action=headers.get(b"soapaction"))
            self._minting.submit(functools.partial(pending.answer, self._service))
            reply = await pending.reply(within=WAIT_SECONDS)
        await send({
            "type": "http.response.start",
            "status": reply.status,
            "headers": [
                (b"content-type", reply.content_type.encode("latin-1")),
                (b"content-length", str(len(reply.body)).encode("ascii")),
            ],
        })
        await send({"type": "http.response.body", "body": reply.body})

    async def get(self, request: Request) -> Response:
        if "wsdl" not in {key.lower() for key in request.query_params}:
            return Response(
                "This is the WS-Trust endpoint of stsdesk. POST a SOAP request, or GET ?wsdl.\n",
                media_type="text/plain",
            )
        snapshot = await run_in_threadpool(self._boot.store.snapshot)
        address = public_base_url(request, self._settings) + STS_PATH
        return Response(render_wsdl(address, snapshot.security), media_type="text/xml")

    async def mex_get(self, request: Request) -> Response:
        """The metadata WSDL itself, as ADFS answers a GET of its /mex."""
        definitions = await run_in_threadpool(self._describe, request)
        body = etree.tostring(definitions, xml_declaration=True, encoding="UTF-8")
        return Response(body, media_type="text/xml")

    async def mex_post(self, request: Request) -> Response:
        """A GetMetadata or WS-Transfer Get: the WSDL inside mex:Metadata, in a SOAP reply."""
        content_type = request.headers.get("content-type")
        try:
            body = await _read_body(
                request.receive, request.headers.get("content-length"), self._max_bytes
            )
        except _Disconnected:
            return Response(status_code=400)  # the client is gone; nobody reads this
        if body is None:
            reply = self._too_large(content_type)
            return Response(reply.body, status_code=reply.status, media_type=reply.content_type)
        handle = functools.partial(
            self._metadata.handle, body, content_type=content_type,
            soap_action=request.headers.get("soapaction"),
            describe=functools.partial(self._describe, request),
        )
        reply = await run_in_threadpool(handle)
        return Response(reply.body, status_code=reply.status, media_type=reply.content_type)

    def _describe(self, request: Request) -> etree._Element:
        # The applied scenario and the active signing certificate as of this request.
        config = self._boot.store.snapshot()
        certificate = self._boot.keystore.signing_certificate(config.signing_alias)
        return render_mex_wsdl(
            public_base_url(request, self._settings) + STS_PATH, config.security,
            service_certificate=certificate.public_bytes(Encoding.DER),
        )

    def _too_large(self, content_type: str | None) -> SoapReply:
        """413 with a SOAP fault in the request's SOAP version, for the STS and /mex alike."""
        error = XmlInputError(
            f"The message is larger than this STS accepts ({self._max_bytes} bytes)."
        )
        reply = TrustService.refuse(error, content_type=content_type)
        return dataclasses.replace(reply, status=413)


class _Disconnected(Exception):
    """The client went away before its request's body arrived."""


# The request headers the token endpoint reads, as the ASGI scope names them (lower case).
_WANTED_HEADERS = frozenset((b"content-type", b"content-length", b"soapaction"))


def _request_headers(scope: Scope) -> dict[bytes, str]:
    """The first value of each header the endpoint reads, decoded as HTTP header text."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _WANTED_HEADERS and name not in found:
            found[name] = value.decode("latin-1")
    return found


async def _read_body(receive: Receive, declared: str | None, max_bytes: int) -> bytes | None:
    """The request body, or None once it is larger than ``max_bytes`` (what Content-Length
    declares, or what arrives); _Disconnected if the client goes away first."""
    if declared and declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunks.extend(message.get("body", b""))
        if len(chunks) > max_bytes:
            return None
        if not message.get("more_body", False):
            return bytes(chunks)


class _TokenRequestsFirst:
    """Token requests straight to the WS-Trust endpoint, everything else to the FastAPI app.

    A token request is the one hot path: FastAPI's middleware stack and router cost more per
    request than parsing the SOAP envelope, and give the endpoint nothing (it answers every
    error with its own SOAP fault). The rest (the WSDL, MEX, the admin API, lifespan) goes
    through FastAPI as before.
    """

    def __init__(self, endpoint: _StsEndpoint, app: FastAPI) -> None:
        self._endpoint = endpoint
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] == STS_PATH:
            await self._endpoint(scope, receive, send)
        else:
            await self._app(scope, receive, send)


def build_app(
    boot: BootstrapResult, settings: ServerSettings, *, close_store: bool = False
) -> ASGIApp:
    """The application over an opened data directory (tests pass their own).

    At shutdown the token journal commits what is queued and stops its thread; with
    ``close_store`` the store is closed too (for an application that opened it itself).
    """
    credentials = CredentialCache()
    service = TrustService(
        boot.store, boot.keystore, credentials,
        signing_certificates=boot.keystore.signing_certificates,
    )
    endpoint = _StsEndpoint(service, boot, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(endpoint.warm_up)
        yield
        await run_in_threadpool(endpoint.close)
        await run_in_threadpool(boot.store.close if close_store else boot.store.tokens.close)

    app = FastAPI(
        lifespan=lifespan,
        title="stsdesk admin API",
        version=__version__,
        description=(
            "Administration of the stsdesk WS-Trust STS, shaped like WSO2 Identity Server's "
            "REST APIs (server configs, applications, keystores) plus the STS security policy "
            "and SCIM 2.0 users and groups. HTTP Basic as a user with the admin role."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.admin = AdminContext(boot.store, boot.keystore, credentials, settings)
    install_error_handlers(app)
    app.add_route("/health", _health_route(settings), methods=["GET"], include_in_schema=False)
    app.add_route(STS_PATH, endpoint.get, methods=["GET"], include_in_schema=False)
    app.add_route(MEX_PATH, endpoint.mex_get, methods=["GET"], include_in_schema=False)
    app.add_route(MEX_PATH, endpoint.mex_post, methods=["POST"], include_in_schema=False)
    for module in (configs, applications, sts_security, own_policy, sts_settings, keystores,
                   claims, audit, revocation_lists, saml_issuers):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(scim.router, prefix=SCIM_PREFIX)
    return _TokenRequestsFirst(endpoint, app)


def create_app(settings: ServerSettings) -> ASGIApp:
    """Open the data directory that ``stsdesk serve`` initialised and build the application."""
    return build_app(open_existing(settings), settings, close_store=True)
