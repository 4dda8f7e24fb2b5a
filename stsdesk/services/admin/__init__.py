"""The typed admin API: the protocol the UI speaks, its records, and the stsdesk backend."""

from stsdesk.services.admin.api import AdminApi, Capabilities, Capability
from stsdesk.services.admin.connect import open_admin_api
from stsdesk.services.admin.stsdesk_backend import StsdeskAdminApi

__all__ = ["AdminApi", "Capabilities", "Capability", "StsdeskAdminApi", "open_admin_api"]
