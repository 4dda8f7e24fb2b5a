"""The ASGI application: the WS-Trust endpoint, its WSDL, and a health check."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stsdesk.core.errors import XmlInputError
from stsdesk.core.xmlparse import DEFAULT_LIMITS
from stsdesk.server.bootstrap import BootstrapResult, open_existing
from stsdesk.server.passwords import CredentialCache
from stsdesk.server.settings import ServerSettings
from stsdesk.server.sts.service import TrustService, _fault, _version_from_content_type
from stsdesk.server.sts.wsdl import render_wsdl

__all__ = ["create_app", "build_app", "STS_PATH"]

STS_PATH = "/services/wso2carbon-sts"


async def _health(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "pid": os.getpid()})


class _StsEndpoint:
    """POST: a WS-Trust request; GET ?wsdl: the service description."""

    def __init__(self, service: TrustService, boot: BootstrapResult, settings: ServerSettings) -> None:
        self._service = service
        self._boot = boot
        self._settings = settings
        self._max_bytes = DEFAULT_LIMITS.max_bytes

    async def post(self, request: Request) -> Response:
        content_type = request.headers.get("content-type")
        body = await self._read_body(request)
        if body is None:
            error = XmlInputError(
                f"The message is larger than this STS accepts ({self._max_bytes} bytes)."
            )
            reply = _fault(_version_from_content_type(content_type), error, _TRUST_13, None)
            return Response(reply.body, status_code=413, media_type=reply.content_type)
        reply = await run_in_threadpool(
            self._service.handle,
            body,
            content_type=content_type,
            soap_action=request.headers.get("soapaction"),
        )
        return Response(reply.body, status_code=reply.status, media_type=reply.content_type)

    async def get(self, request: Request) -> Response:
        if "wsdl" not in {key.lower() for key in request.query_params}:
            return Response(
                "This is the WS-Trust endpoint of stsdesk. POST a SOAP request, or GET ?wsdl.\n",
                media_type="text/plain",
            )
        snapshot = await run_in_threadpool(self._boot.store.snapshot)
        address = _public_address(request, self._settings) + STS_PATH
        return Response(render_wsdl(address, snapshot.security), media_type="text/xml")

    async def _read_body(self, request: Request) -> bytes | None:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self._max_bytes:
            return None
        chunks = bytearray()
        async for chunk in request.stream():
            chunks.extend(chunk)
            if len(chunks) > self._max_bytes:
                return None
        return bytes(chunks)


_TRUST_13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"


def _public_address(request: Request, settings: ServerSettings) -> str:
    if settings.public_host:
        return f"https://{settings.public_host}"
    return f"https://{request.url.netloc}"


def build_app(boot: BootstrapResult, settings: ServerSettings) -> Starlette:
    """The application over an opened data directory (tests pass their own)."""
    keystore = boot.keystore

    def signing_certificates() -> list:
        return keystore.signing_certificates()

    service = TrustService(
        boot.store, keystore, CredentialCache(), signing_certificates=signing_certificates
    )
    endpoint = _StsEndpoint(service, boot, settings)
    routes = [
        Route("/health", _health),
        Route(STS_PATH, endpoint.post, methods=["POST"]),
        Route(STS_PATH, endpoint.get, methods=["GET"]),
    ]
    return Starlette(routes=routes)


def create_app(settings: ServerSettings) -> Starlette:
    """Open the data directory that ``stsdesk serve`` initialised and build the application."""
    return build_app(open_existing(settings), settings)
