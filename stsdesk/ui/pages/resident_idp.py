"""The Resident identity provider page (being written)."""

from __future__ import annotations

from stsdesk.ui.pages.base import Page

__all__ = ["ResidentIdpPage"]


class ResidentIdpPage(Page):
    title = "Resident identity provider"
