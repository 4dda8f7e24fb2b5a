"""Open the admin API of a server: the one place that picks the backend for an endpoint."""

from __future__ import annotations

from stsdesk.services.admin.api import AdminApi
from stsdesk.services.admin.stsdesk_backend import StsdeskAdminApi
from stsdesk.services.admin.wso2 import Wso2AdminApi
from stsdesk.services.admin_client import AdminClient, ServerEndpoint, ServerKind

__all__ = ["open_admin_api"]


def open_admin_api(endpoint: ServerEndpoint, *, timeout: float = 15.0) -> AdminApi:
    """The admin API of the server at ``endpoint`` (no request is made yet), by its kind."""
    if endpoint.kind == ServerKind.WSO2:
        return Wso2AdminApi(endpoint, timeout=timeout)
    return StsdeskAdminApi(AdminClient(endpoint, timeout=timeout))
