"""The typed admin API: the protocol the UI speaks, its records, and the stsdesk backend.

The names are loaded on first use (PEP 562), not when the package is imported: the console
imports ``AdminApi`` for its types before its window shows, and must not pay then for the
backends (stsdesk's, WSO2's) and the HTTP stack they pull in; they load when it connects.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stsdesk.services.admin.api import AdminApi, Capabilities, Capability
    from stsdesk.services.admin.connect import open_admin_api
    from stsdesk.services.admin.stsdesk_backend import StsdeskAdminApi

__all__ = ["AdminApi", "Capabilities", "Capability", "StsdeskAdminApi", "open_admin_api"]

# Which submodule defines each public name.
_HOMES = {
    "AdminApi": "api",
    "Capabilities": "api",
    "Capability": "api",
    "StsdeskAdminApi": "stsdesk_backend",
    "open_admin_api": "connect",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
