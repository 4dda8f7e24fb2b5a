"""The Users and roles page (being written)."""

from __future__ import annotations

from stsdesk.ui.pages.base import Page

__all__ = ["UsersRolesPage"]


class UsersRolesPage(Page):
    title = "Users and roles"
