"""The ASGI application: WS-Trust endpoint, WSDL and (later) the admin API."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

__all__ = ["create_app"]


async def health(_: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(settings: object) -> Starlette:
    """Build the application for ``settings`` (a ServerSettings). Placeholder until the STS lands."""
    return Starlette(routes=[Route("/health", health)])
