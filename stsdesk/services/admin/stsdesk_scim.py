"""Users and roles over SCIM 2.0 (RFC 7643/7644) for the stsdesk backend: paths and JSON names.

WSO2 Identity Server serves the same ``/scim2`` API, so a WSO2 backend can reuse this part.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Collection, Sequence
from typing import Any
from urllib.parse import quote

from stsdesk.services.admin.models import Email, Role, User, UserDraft, UserPage
from stsdesk.services.admin.wire import dict_of, list_of, read
from stsdesk.services.admin_client import AdminClient

__all__ = [
    "ScimUsersAndRoles",
    "new_user_body",
    "user_patch_operations",
    "role_patch_operations",
    "user_name_filter",
    "USER_SCHEMA",
    "GROUP_SCHEMA",
    "WSO2_SCHEMA",
    "PATCH_OP_SCHEMA",
    "USER_ATTRIBUTES",
    "ROLE_ATTRIBUTES",
]

# SCIM schema URIs (RFC 7643/7644 and WSO2's extension).
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
WSO2_SCHEMA = "urn:scim:wso2:schema"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
_PAGE = 1000  # SCIM's largest page on stsdesk
# What the console reads of a user and a role. Named one by one because stsdesk returns the
# account details (failed sign-ins, whether a password is set) and members' names only when
# asked for by name (RFC 7643 "returned": "request").
USER_ATTRIBUTES = ",".join((
    "userName", "externalId", "name", "displayName", "emails", "active", "groups",
    "x509Certificates", f"{WSO2_SCHEMA}:accountLocked", f"{WSO2_SCHEMA}:failedLoginAttempts",
    f"{WSO2_SCHEMA}:passwordSet",
))
ROLE_ATTRIBUTES = "displayName,members.value,members.display"


def _segment(value: str) -> str:
    return quote(value, safe="")


# -- records -----------------------------------------------------------------


def user_name_filter(text: str) -> str | None:
    """The SCIM filter ``userName sw "<text>"``, or None for no filter.

    The text goes in as a JSON string (RFC 7644 §3.4.2.2 compValue), so quotes, backslashes
    and control characters typed in the box are escaped and cannot change the expression.
    """
    text = text.strip()
    if not text:
        return None
    return f"userName sw {json.dumps(text)}"


def _user(data: Any) -> User:
    resource = dict_of(data)
    name = dict_of(resource.get("name") or {})
    emails = tuple(
        Email(value=str(e.get("value") or ""), type=str(e.get("type") or ""),
              primary=bool(e.get("primary", False)))
        for e in list_of(resource.get("emails")) if isinstance(e, dict))
    primary = next((e for e in emails if e.primary), emails[0] if emails else None)
    extension = dict_of(resource.get(WSO2_SCHEMA) or {})
    roles = tuple(
        (str(g.get("value", "")), str(g.get("display") or g.get("value") or ""))
        for g in list_of(resource.get("groups")) if isinstance(g, dict))
    return User(
        id=str(resource["id"]),
        user_name=str(resource.get("userName", "")),
        display_name=str(resource.get("displayName") or ""),
        given_name=str(name.get("givenName") or ""),
        family_name=str(name.get("familyName") or ""),
        email=primary.value if primary else "",
        emails=emails,
        roles=roles,
        active=bool(resource.get("active", True)),
        locked=bool(extension.get("accountLocked", False)),
        failed_attempts=int(extension.get("failedLoginAttempts") or 0),
        # A server that does not say (WSO2) is taken to have one.
        password_set=extension.get("passwordSet") is not False,
        certificates=tuple(
            base64.b64decode(str(c.get("value") or ""))
            for c in list_of(resource.get("x509Certificates"))
            if isinstance(c, dict) and c.get("value")),
    )


def _role(data: Any) -> Role:
    resource = dict_of(data)
    members = tuple(
        (str(m.get("value", "")), str(m.get("display") or m.get("value") or ""))
        for m in list_of(resource.get("members")) if isinstance(m, dict))
    return Role(id=str(resource["id"]), name=str(resource.get("displayName", "")),
                members=tuple(sorted(members, key=lambda m: m[1].casefold())))


def new_user_body(draft: UserDraft) -> dict[str, Any]:
    """The SCIM resource ``POST /Users`` takes for ``draft``."""
    body: dict[str, Any] = {"schemas": [USER_SCHEMA], "userName": draft.user_name,
                            "active": draft.active}
    if draft.password:
        body["password"] = draft.password
    name = {k: v for k, v in (("givenName", draft.given_name),
                              ("familyName", draft.family_name)) if v}
    if name:
        body["name"] = name
    if draft.display_name:
        body["displayName"] = draft.display_name
    if draft.email:
        body["emails"] = [{"value": draft.email, "primary": True}]
    if draft.certificates:
        body["x509Certificates"] = _certificates_json(draft.certificates)
    return body


def _certificates_json(certificates: Sequence[bytes]) -> list[dict[str, Any]]:
    """SCIM x509Certificates values: each certificate's DER, base64-encoded (RFC 7643)."""
    return [{"value": base64.b64encode(der).decode("ascii")} for der in certificates]


def _email_json(email: Email) -> dict[str, Any]:
    entry: dict[str, Any] = {"value": email.value}
    if email.type:
        entry["type"] = email.type
    if email.primary:
        entry["primary"] = True
    return entry


def _emails_with_primary(current: User, address: str) -> list[dict[str, Any]]:
    """The user's e-mail list with the primary address replaced: typed ones a dialog does not
    show (work, home, other) are kept."""
    emails = list(current.emails)
    primary = next((e for e in emails if e.primary), emails[0] if emails else None)
    others = [_email_json(e) for e in emails if e is not primary]
    if not address:
        return others
    entry: dict[str, Any] = {"value": address, "primary": True}
    if primary is not None and primary.type:
        entry["type"] = primary.type
    return [entry, *others]


def user_patch_operations(current: User, wanted: UserDraft) -> list[dict[str, Any]]:
    """The RFC 7644 PATCH operations that turn ``current`` into ``wanted`` (only what changed)."""
    ops: list[dict[str, Any]] = []

    def text(path: str, before: str, after: str) -> None:
        if before == after:
            return
        if after:
            ops.append({"op": "replace", "path": path, "value": after})
        else:
            ops.append({"op": "remove", "path": path})

    if wanted.user_name != current.user_name:
        ops.append({"op": "replace", "path": "userName", "value": wanted.user_name})
    if wanted.password:
        ops.append({"op": "replace", "path": "password", "value": wanted.password})
    text("name.givenName", current.given_name, wanted.given_name)
    text("name.familyName", current.family_name, wanted.family_name)
    text("displayName", current.display_name, wanted.display_name)
    if wanted.email != current.email:
        emails = _emails_with_primary(current, wanted.email)
        ops.append({"op": "replace", "path": "emails", "value": emails} if emails
                   else {"op": "remove", "path": "emails"})
    if wanted.active != current.active:
        ops.append({"op": "replace", "path": "active", "value": wanted.active})
    if wanted.certificates is not None and wanted.certificates != current.certificates:
        ops.append({"op": "replace", "path": "x509Certificates",
                    "value": _certificates_json(wanted.certificates)} if wanted.certificates
                   else {"op": "remove", "path": "x509Certificates"})
    return ops


def _patch(ops: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": ops}


def role_patch_operations(current: Role, name: str,
                          member_ids: Collection[str]) -> list[dict[str, Any]]:
    """The PATCH operations that turn ``current`` into ``name`` with ``member_ids``."""
    ops: list[dict[str, Any]] = []
    if name != current.name:
        ops.append({"op": "replace", "path": "displayName", "value": name})
    wanted = set(member_ids)
    added = sorted(wanted - current.member_ids)
    if added:
        ops.append({"op": "add", "path": "members", "value": [{"value": i} for i in added]})
    ops.extend(_remove_member(user_id) for user_id in sorted(current.member_ids - wanted))
    return ops


def _remove_member(user_id: str) -> dict[str, Any]:
    # The id is quoted as a JSON string inside the value filter.
    return {"op": "remove", "path": f"members[value eq {json.dumps(user_id)}]"}




def _page_of(answer: Any) -> tuple[list[Any], int]:
    data = dict_of(answer)
    return list_of(data.get("Resources")), int(data.get("totalResults", 0))


class ScimUsersAndRoles:
    """The users-and-roles half of the admin API over SCIM (mixed into a backend)."""

    client: AdminClient

    def _scim_all(self, path: str, **params: Any) -> list[Any]:
        resources: list[Any] = []
        while True:
            answer = self.client.scim("GET", path, None, startIndex=len(resources) + 1,
                                      count=_PAGE, **params) or {}
            batch, total = read(path, functools.partial(_page_of, answer))
            resources.extend(batch)
            if not batch or len(resources) >= total:
                return resources

    def list_users(self, *, user_name_prefix: str = "", offset: int = 0,
                   limit: int = 100) -> UserPage:
        params: dict[str, Any] = {"startIndex": offset + 1, "count": limit,
                                  "attributes": USER_ATTRIBUTES}
        scim_filter = user_name_filter(user_name_prefix)
        if scim_filter is not None:
            params["filter"] = scim_filter
        answer = self.client.scim("GET", "/Users", None, **params) or {}

        def parse() -> UserPage:
            users = tuple(_user(r) for r in list_of(dict_of(answer).get("Resources")))
            return UserPage(users, int(answer.get("totalResults", len(users))))

        return read("the users", parse)

    def get_user(self, user_id: str) -> User:
        body = self.client.scim("GET", f"/Users/{_segment(user_id)}",
                                attributes=USER_ATTRIBUTES)
        return read("the user", lambda: _user(body))

    def create_user(self, draft: UserDraft) -> User:
        body = self.client.scim("POST", "/Users", new_user_body(draft))
        created = read("the new user", lambda: _user(body))
        return self.get_user(created.id)  # with every detail the console shows

    def update_user(self, current: User, wanted: UserDraft) -> User:
        ops = user_patch_operations(current, wanted)
        if not ops:
            return current
        self.client.scim("PATCH", f"/Users/{_segment(current.id)}", _patch(ops))
        return self.get_user(current.id)

    def delete_user(self, user_id: str) -> None:
        self.client.scim("DELETE", f"/Users/{_segment(user_id)}")

    def unlock_user(self, user_id: str) -> User:
        self.client.scim("PATCH", f"/Users/{_segment(user_id)}", _patch(
            [{"op": "replace", "path": f"{WSO2_SCHEMA}:accountLocked", "value": False}]))
        return self.get_user(user_id)

    def set_user_password(self, user_id: str, password: str) -> None:
        self.client.scim("PATCH", f"/Users/{_segment(user_id)}", _patch(
            [{"op": "replace", "path": "password", "value": password}]))

    def list_roles(self) -> tuple[Role, ...]:
        resources = self._scim_all("/Groups", attributes=ROLE_ATTRIBUTES)
        return read("the roles", lambda: tuple(_role(r) for r in resources))

    def create_role(self, name: str, member_ids: Sequence[str] = ()) -> Role:
        body = self.client.scim("POST", "/Groups", {
            "schemas": [GROUP_SCHEMA], "displayName": name,
            "members": [{"value": user_id} for user_id in sorted(member_ids)],
        })
        return read("the new role", lambda: _role(body))

    def update_role(self, current: Role, name: str, member_ids: Collection[str]) -> Role:
        ops = role_patch_operations(current, name, member_ids)
        if not ops:
            return current
        body = self.client.scim("PATCH", f"/Groups/{_segment(current.id)}", _patch(ops))
        return read("the role", lambda: _role(body))

    def add_role_members(self, role_id: str, user_ids: Sequence[str]) -> None:
        if user_ids:
            self.client.scim("PATCH", f"/Groups/{_segment(role_id)}", _patch([
                {"op": "add", "path": "members",
                 "value": [{"value": user_id} for user_id in user_ids]}]))

    def remove_role_members(self, role_id: str, user_ids: Sequence[str]) -> None:
        if user_ids:
            self.client.scim("PATCH", f"/Groups/{_segment(role_id)}",
                             _patch([_remove_member(user_id) for user_id in user_ids]))

    def delete_role(self, role_id: str) -> None:
        self.client.scim("DELETE", f"/Groups/{_segment(role_id)}")
