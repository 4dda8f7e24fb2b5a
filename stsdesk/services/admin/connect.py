"""Open the admin API of a server: the one place that picks the backend for an endpoint."""

from __future__ import annotations

from stsdesk.services.admin.api import AdminApi
from stsdesk.services.admin.stsdesk_backend import StsdeskAdminApi
from stsdesk.services.admin_client import AdminClient, ServerEndpoint

__all__ = ["open_admin_api"]


def open_admin_api(endpoint: ServerEndpoint, *, timeout: float = 15.0) -> AdminApi:
    """The admin API of the server at ``endpoint`` (no request is made yet).

    Today every server is spoken to through the stsdesk REST API; a WSO2 Identity Server
    backend is chosen here once it exists, from what the server says it is.
    """
    return StsdeskAdminApi(AdminClient(endpoint, timeout=timeout))
