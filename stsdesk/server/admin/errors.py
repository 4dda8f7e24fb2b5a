"""Admin API errors: WSO2's JSON shape {code, message, description}; SCIM's own under /scim2."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from stsdesk.core.errors import StsError
from stsdesk.server.errors import ServerError

__all__ = ["ApiError", "install_error_handlers", "SCIM_ERROR_SCHEMA", "SCIM_MEDIA_TYPE"]

log = logging.getLogger("stsdesk.server.admin")

SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_MEDIA_TYPE = "application/scim+json"

_TITLES = {
    400: "Invalid input.",
    401: "Authentication required.",
    403: "Forbidden.",
    404: "Resource not found.",
    405: "Method not allowed.",
    409: "Conflict.",
    413: "Payload too large.",
    415: "Unsupported media type.",
    500: "Server error.",
    503: "Service unavailable.",
}

_SERVER_SIDE = (
    "The server could not complete the request because a step on its side failed (signing, "
    "encryption or its configuration), not because of what was sent. The administrator can "
    "find the details in the server log."
)

# ServerError.code -> the WSO2-style code the API answers with.
_CODES = {
    "not-found": "STS-60404",
    "conflict": "STS-60409",
    "invalid-input": "STS-60400",
    "unavailable": "STS-60503",
}


class ApiError(Exception):
    """An error answered as JSON with ``status``; raise it from routes and dependencies."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        description: str,
        *,
        headers: Mapping[str, str] | None = None,
        scim_type: str | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.message = message
        self.description = description
        self.headers = dict(headers or {})
        self.scim_type = scim_type


def _is_scim(request: Request) -> bool:
    return request.url.path.startswith("/scim2")


def _respond(request: Request, error: ApiError) -> JSONResponse:
    if _is_scim(request):
        body: dict[str, object] = {
            "schemas": [SCIM_ERROR_SCHEMA],
            "status": str(error.status),
            "detail": error.description,
        }
        if error.scim_type:
            body["scimType"] = error.scim_type
        return JSONResponse(body, status_code=error.status, headers=error.headers,
                            media_type=SCIM_MEDIA_TYPE)
    body = {"code": error.code, "message": error.message, "description": error.description}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to JSON with the right status; never a 500 for the caller's mistake."""

    @app.exception_handler(ApiError)
    async def on_api_error(request: Request, error: ApiError) -> JSONResponse:
        return _respond(request, error)

    @app.exception_handler(ServerError)
    async def on_server_error(request: Request, error: ServerError) -> JSONResponse:
        if error.status >= 500:
            log.error("server error answering %s %s: %s", request.method, request.url.path,
                      error.message)
        scim_type = "uniqueness" if error.status == 409 else None
        return _respond(request, ApiError(
            error.status, _CODES.get(error.code, "STS-60500"), _TITLES.get(error.status, "Error."),
            error.message, scim_type=scim_type,
        ))

    @app.exception_handler(StsError)
    async def on_core_error(request: Request, error: StsError) -> JSONResponse:
        # A core error the sender caused (a bad certificate, a bad URI) is the caller's to fix.
        # One on the receiver's side (a signing or encryption step that failed, CryptoError)
        # is not: the caller is told so, the details go to the log.
        if error.sender:
            return _respond(request, ApiError(400, "STS-60400", _TITLES[400], error.message,
                                              scim_type="invalidValue"))
        log.error("%s answering %s %s: %s", type(error).__name__, request.method,
                  request.url.path, error.message)
        return _respond(request, ApiError(500, "STS-60500", _TITLES[500], _SERVER_SIDE))

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, error: RequestValidationError) -> JSONResponse:
        return _respond(request, ApiError(400, "STS-60400", _TITLES[400],
                                          _describe_validation(error), scim_type="invalidSyntax"))

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, error: HTTPException) -> JSONResponse:
        status = error.status_code
        description = str(error.detail) if error.detail else _TITLES.get(status, "Error.")
        if status == 404 and description == "Not Found":
            description = f"There is nothing at {request.url.path}; check the path."
        if status == 405:
            description = f"{request.method} is not allowed on {request.url.path}."
        return _respond(request, ApiError(status, f"STS-60{status}", _TITLES.get(status, "Error."),
                                          description, headers=getattr(error, "headers", None)))

    @app.exception_handler(Exception)
    async def on_bug(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return _respond(request, ApiError(
            500, "STS-60500", _TITLES[500],
            "The server could not complete the request because of an internal error; the "
            "administrator can find the details in the server log.",
        ))


def _describe_validation(error: RequestValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        location = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
        message = item.get("msg", "is invalid")
        if item.get("type") == "json_invalid":
            return "The request body is not valid JSON; send a JSON document."
        parts.append(f"{location or 'body'}: {message}")
    return "; ".join(parts) + "." if parts else "The request is invalid."


