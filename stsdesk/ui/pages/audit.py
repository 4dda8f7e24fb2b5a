"""The Audit log page (being written)."""

from __future__ import annotations

from stsdesk.ui.pages.base import Page

__all__ = ["AuditLogPage"]


class AuditLogPage(Page):
    title = "Audit log"
