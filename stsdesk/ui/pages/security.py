"""The Security Token Service page (being written)."""

from __future__ import annotations

from stsdesk.ui.pages.base import Page

__all__ = ["SecurityTokenServicePage"]


class SecurityTokenServicePage(Page):
    title = "Security Token Service"
