"""The server's public addresses: the STS path and the base URL clients use."""

from __future__ import annotations

from starlette.requests import Request

from stsdesk.server.settings import ServerSettings

__all__ = ["STS_PATH", "MEX_PATH", "public_base_url"]

STS_PATH = "/services/wso2carbon-sts"
# WS-MetadataExchange, where ADFS-style clients look for it: beside the endpoint, ".../mex".
MEX_PATH = f"{STS_PATH}/mex"


def public_base_url(request: Request, settings: ServerSettings) -> str:
    """The https://host:port clients use: the configured public host, else what they asked for."""
    if settings.public_host:
        return f"https://{settings.public_host}"
    return f"https://{request.url.netloc}"
