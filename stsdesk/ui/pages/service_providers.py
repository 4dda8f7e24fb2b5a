"""The Service providers page (being written)."""

from __future__ import annotations

from stsdesk.ui.pages.base import Page

__all__ = ["ServiceProvidersPage"]


class ServiceProvidersPage(Page):
    title = "Service providers"
