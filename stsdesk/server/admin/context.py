"""What every admin route works with, handed over through the application's state."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from stsdesk.server.keystore import KeyStore
from stsdesk.server.passwords import CredentialCache
from stsdesk.server.settings import ServerSettings
from stsdesk.server.storage.store import Store

__all__ = ["AdminContext", "get_context", "API_PREFIX", "SCIM_PREFIX"]

API_PREFIX = "/api/server/v1"
SCIM_PREFIX = "/scim2"


@dataclass(frozen=True)
class AdminContext:
    store: Store
    keystore: KeyStore
    credentials: CredentialCache
    settings: ServerSettings


def get_context(request: Request) -> AdminContext:
    """FastAPI dependency: the context the application was built with."""
    context: AdminContext = request.app.state.admin
    return context
