"""The local claims (http://wso2.org/claims) a user profile carries and tokens can hold."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from stsdesk.core.claims import LOCAL_CLAIMS
from stsdesk.server.admin.auth import Admin

__all__ = ["router"]

router = APIRouter(tags=["Claims"])


@router.get("/claim-dialects/local/claims", summary="List the local claims")
def list_local_claims(_: Admin) -> list[dict[str, Any]]:
    # Shaped like WSO2's claim-management API: id, claimURI, displayName, dialectURI.
    return [
        {
            "id": uri.rsplit("/", 1)[-1],
            "claimURI": uri,
            "dialectURI": "http://wso2.org/claims",
            "displayName": name,
            "readOnly": uri.endswith(("/username", "/role")),
            "supportedByDefault": True,
        }
        for uri, name in LOCAL_CLAIMS.items()
    ]
