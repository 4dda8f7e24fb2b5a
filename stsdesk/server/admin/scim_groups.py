"""SCIM 2.0 /Groups: a group is a role; its members are the users who have it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import ADMIN_ROLE, Admin
from stsdesk.server.admin.context import AdminContext
from stsdesk.server.admin.scim_common import (
    MAX_EXTERNAL_ID,
    AttributesQuery,
    Context,
    PatchRequest,
    ResourceId,
    ScimListResponse,
    ScimMeta,
    Short,
    check_external_id,
    check_patch_request,
    element_resolver,
    not_found,
    parse_patch_path,
    patch_targets,
    read_resource,
    resolver,
    respond,
    value_filter,
    with_meta,
)
from stsdesk.server.admin.scim_filter import FilterAttribute, matches
from stsdesk.server.admin.scim_query import (
    ResourceKind,
    SearchRequest,
    UrlQuery,
    run_query,
)
from stsdesk.server.admin.scim_schemas import (
    GROUP_SCHEMA,
    ScimBody,
    ScimResponse,
    base_url,
    check_if_match,
    project,
    scim_error,
    store_errors,
)
from stsdesk.server.storage.roles import StoredRole

__all__ = ["router", "group_resource", "ScimGroupIn", "ScimGroup", "role_name", "GROUPS"]

router = APIRouter(tags=["SCIM 2.0"])

_SCHEMAS = (GROUP_SCHEMA,)
_DOMAIN = "PRIMARY/"  # WSO2's primary user store; the only one here
_MAX_MEMBERS = 10_000
# What a filter in members[...] may name: one member's sub-attributes (RFC 7644 §3.5.2.2's
# example is members[value eq "<id>"]).
MEMBER_VALUE_ATTRIBUTES = {
    "value": FilterAttribute("value", case_exact=True),
    "display": FilterAttribute("display", case_exact=True),
    "type": FilterAttribute("type"),
}

# members.display is returned only on request (see the Group schema).
_REQUEST_ONLY = (("members", "display"),)

FILTER_ATTRIBUTES = {
    "id": FilterAttribute("id", case_exact=True),
    "externalid": FilterAttribute("externalId", case_exact=True),
    "displayname": FilterAttribute("displayName", case_exact=True),
    "members": FilterAttribute("members.value", case_exact=True),
    "members.value": FilterAttribute("members.value", case_exact=True),
    "members.display": FilterAttribute("members.display", case_exact=True),
    "meta.created": FilterAttribute("meta.created", case_exact=True),
    "meta.lastmodified": FilterAttribute("meta.lastModified", case_exact=True),
}


class ScimMember(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    value: str = Field(max_length=64)
    display: str | None = Field(None, max_length=255)
    ref: str | None = Field(None, alias="$ref", max_length=2048)
    type: str | None = Field(None, max_length=16)


class ScimGroupIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    schemas: list[Short] = Field(default_factory=list, max_length=10)
    externalId: str | None = Field(None, max_length=MAX_EXTERNAL_ID)  # noqa: N815
    displayName: str | None = Field(None, max_length=263)  # noqa: N815 ("PRIMARY/" + 255)
    members: list[ScimMember] | None = Field(None, max_length=_MAX_MEMBERS)


class ScimGroup(BaseModel):
    schemas: list[str]
    id: str
    externalId: str | None = None  # noqa: N815
    displayName: str  # noqa: N815
    members: list[ScimMember] = []
    meta: ScimMeta


def role_name(value: Any) -> str:
    """A role name from a displayName, plain or as WSO2 writes it ("PRIMARY/admin")."""
    if not isinstance(value, str) or not value.strip():
        raise scim_error(400, "invalidValue", "displayName is required; give the role's name.")
    if value.upper().startswith(_DOMAIN):
        value = value[len(_DOMAIN):]
    elif "/" in value:
        domain = value.split("/", 1)[0]
        raise scim_error(400, "invalidValue",
                         f"The user store {domain!r} does not exist here; only PRIMARY does. "
                         "Give the name without a domain.")
    return value


def group_resource(role: StoredRole, base: str) -> dict[str, Any]:
    resource: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": role.role_id}
    if role.external_id is not None:
        resource["externalId"] = role.external_id
    resource.update({
        "displayName": role.name,
        "members": [
            {"value": user_id, "display": username, "$ref": f"{base}/Users/{user_id}",
             "type": "User"}
            for user_id, username in role.members
        ],
    })
    return with_meta(resource, "Group", role.created_at, role.modified_at,
                     f"{base}/Groups/{role.role_id}")


def _member_ids(items: Any) -> list[str]:
    values = items if isinstance(items, list) else [items]
    if len(values) > _MAX_MEMBERS:
        raise scim_error(400, "invalidValue", f"Give at most {_MAX_MEMBERS} members at once.")
    ids = []
    for item in values:
        member = item if isinstance(item, dict) else None
        if member is None or not isinstance(member.get("value"), str) or len(member["value"]) > 64:
            raise scim_error(400, "invalidValue",
                             'members takes objects such as {"value": "<user id>"}.')
        if str(member.get("type") or "User").lower() != "user":
            raise scim_error(400, "invalidValue", "Only users can be members; groups do not nest.")
        ids.append(member["value"])
    return ids


def _get(context: AdminContext, group_id: str) -> StoredRole:
    role = context.store.roles.get(group_id)
    if role is None:
        raise not_found("group", group_id, "/Groups")
    return role


def _refuse_admin_rename(role: StoredRole, new_name: str | None) -> None:
    if role.name == ADMIN_ROLE and new_name is not None and new_name != ADMIN_ROLE:
        raise scim_error(
            400, "mutability",
            f"The group {ADMIN_ROLE!r} cannot be renamed: the admin API admits only its members.",
        )


@router.get("/Groups", summary="List or filter groups (roles)", response_model=ScimListResponse,
            response_class=ScimResponse)
def list_groups(request: Request, _: Admin, context: Context, query: UrlQuery) -> Response:
    return run_query(context, base_url(request, context), query, (GROUPS,))


@router.post("/Groups/.search", summary="Search groups (RFC 7644 §3.4.3)",
             response_model=ScimListResponse, response_class=ScimResponse)
def search_groups(
    body: SearchRequest, request: Request, _: Admin, __: ScimBody, context: Context
) -> Response:
    return run_query(context, base_url(request, context), body.query(), (GROUPS,))


def _group_resolver(resource: dict[str, Any]) -> Callable[[str], list[Any]]:
    plain = resolver(resource)

    def resolve(path: str) -> list[Any]:
        values = plain(path)
        if path == "displayName":
            # "PRIMARY/admin" finds the role admin: WSO2 clients qualify names with the domain.
            return values + [_DOMAIN + v for v in values if isinstance(v, str)]
        return values

    return resolve


def _all_groups(context: AdminContext, base: str) -> list[dict[str, Any]]:
    return [group_resource(r, base) for r in context.store.roles.list_all()]


GROUPS = ResourceKind("Group", _SCHEMAS, FILTER_ATTRIBUTES, _group_resolver, _all_groups,
                      _REQUEST_ONLY)


def _answer(resource: dict[str, Any], status: int = 200, **headers: str) -> Response:
    """A group as POST, PUT and PATCH answer it: without what is returned only on request."""
    return respond(project(resource, (), (), _SCHEMAS, _REQUEST_ONLY), status, **headers)


@router.post("/Groups", status_code=201, summary="Create a group (a role)",
             response_model=ScimGroup, response_class=ScimResponse)
def create_group(
    body: ScimGroupIn, request: Request, actor: Admin, _: ScimBody, context: Context
) -> Response:
    name = role_name(body.displayName)
    members = [m.model_dump(by_alias=True) for m in body.members or []]
    with store_errors():
        role_id = context.store.roles.create(name, member_ids=_member_ids(members),
                                            external_id=check_external_id(body.externalId))
    role = _get(context, role_id)
    resource = group_resource(role, base_url(request, context))
    record(context, actor, "scim.group.create", f"Groups/{role_id} ({name})",
           f"members: {', '.join(u for _, u in role.members) or 'none'}")
    return _answer(resource, 201, Location=resource["meta"]["location"])


@router.get("/Groups/{group_id}", summary="Read a group", response_model=ScimGroup,
            response_class=ScimResponse)
def get_group(
    group_id: ResourceId,
    request: Request,
    _: Admin,
    context: Context,
    attributes: AttributesQuery = None,
    excludedAttributes: AttributesQuery = None,  # noqa: N803
) -> Response:
    resource = group_resource(_get(context, group_id), base_url(request, context))
    return read_resource(request, resource, attributes, excludedAttributes, _SCHEMAS,
                         _REQUEST_ONLY)


@router.put("/Groups/{group_id}", summary="Replace a group", response_model=ScimGroup,
            response_class=ScimResponse)
def replace_group(
    group_id: ResourceId, body: ScimGroupIn, request: Request, actor: Admin, _: ScimBody,
    context: Context,
) -> Response:
    role = _get(context, group_id)
    base = base_url(request, context)
    check_if_match(request, group_resource(role, base))
    name = role_name(body.displayName)
    _refuse_admin_rename(role, name)
    members = _member_ids([m.model_dump(by_alias=True) for m in body.members or []])
    with store_errors():
        fresh = context.store.roles.update(group_id, name=name, member_ids=members,
                                          external_id=check_external_id(body.externalId))
    record(context, actor, "scim.group.replace", f"Groups/{group_id} ({fresh.name})",
           _describe(role, fresh))
    return _answer(group_resource(fresh, base))


@router.patch("/Groups/{group_id}", summary="Change a group (RFC 7644 PATCH)",
              response_model=ScimGroup, response_class=ScimResponse)
def patch_group(
    group_id: ResourceId, body: PatchRequest, request: Request, actor: Admin, _: ScimBody,
    context: Context,
) -> Response:
    check_patch_request(body)
    role = _get(context, group_id)
    base = base_url(request, context)
    check_if_match(request, group_resource(role, base))
    name: str | None = None
    external_id = role.external_id
    members = {user_id for user_id, _ in role.members}
    replaced = False
    for operation in body.Operations:
        op = operation.op.lower()
        for path, value in patch_targets(operation, 'object such as {"displayName": "ops"}'):
            parsed = parse_patch_path(path, GROUP_SCHEMA)
            key = parsed.name
            if parsed.filter_text is not None:
                if parsed.attribute != "members" or parsed.sub is not None or op != "remove":
                    raise scim_error(400, "invalidPath",
                                     f"{path!r} cannot be changed; members[...] can only be "
                                     "removed (add members with the path members).")
                node = value_filter(parsed, MEMBER_VALUE_ATTRIBUTES)
                names = dict(role.members)
                members = {
                    user_id for user_id in members
                    if not matches(node, element_resolver(
                        {"value": user_id, "display": names.get(user_id), "type": "User"}))
                }
            elif key == "id" and op == "replace" and value == role.role_id:
                continue  # Okta sends the group's own id with a rename: nothing changes
            elif key == "displayname":
                if op == "remove":
                    raise scim_error(400, "mutability", "displayName is required.")
                name = role_name(value)
            elif key == "externalid":
                external_id = None if op == "remove" else check_external_id(value)
            elif key == "members":
                if op == "remove":
                    if value is None:
                        members = set()
                        replaced = True
                    else:  # Microsoft Entra ID style: the members to remove as the value
                        members -= set(_member_ids(value))
                elif op == "add":
                    members |= set(_member_ids(value))
                else:
                    members = set(_member_ids(value if value is not None else []))
                    replaced = True
            elif key in ("id", "meta", "schemas", "members.display"):
                raise scim_error(400, "mutability", f"{path} is read-only.")
            else:
                raise scim_error(400, "invalidPath",
                                 f"{path!r} cannot be changed; use displayName, externalId, "
                                 'members or members[value eq "<user id>"].')
    _refuse_admin_rename(role, name)
    before = {user_id for user_id, _ in role.members}
    with store_errors():
        external = external_id if external_id != role.external_id else ...
        if replaced:
            fresh = context.store.roles.update(group_id, name=name, member_ids=sorted(members),
                                              external_id=external)
        else:
            # Additions and removals as differences: concurrent edits of other members survive.
            fresh = context.store.roles.update(
                group_id, name=name, add_member_ids=sorted(members - before),
                remove_member_ids=sorted(before - members), external_id=external,
            )
    detail = _describe(role, fresh)
    if detail:
        record(context, actor, "scim.group.patch", f"Groups/{group_id} ({fresh.name})", detail)
    return _answer(group_resource(fresh, base))


@router.delete("/Groups/{group_id}", status_code=204, summary="Delete a group (a role)",
               response_class=Response)
def delete_group(group_id: ResourceId, request: Request, actor: Admin, context: Context) -> Response:
    role = _get(context, group_id)
    check_if_match(request, group_resource(role, base_url(request, context)))
    if role.name == ADMIN_ROLE:
        raise scim_error(
            409, None,
            f"The group {ADMIN_ROLE!r} cannot be deleted: the admin API admits only its members, "
            "so deleting it would lock every administrator out.",
        )
    with store_errors():
        name = context.store.roles.delete_by_id(group_id)
    record(context, actor, "scim.group.delete", f"Groups/{group_id} ({name})", "")
    return Response(status_code=204)


def _describe(before: StoredRole, after: StoredRole) -> str:
    parts = []
    if before.name != after.name:
        parts.append(f"displayName {before.name!r} -> {after.name!r}")
    if before.external_id != after.external_id:
        parts.append("externalId")
    old = dict(before.members)
    new = dict(after.members)
    added = sorted(new[u] for u in set(new) - set(old))
    removed = sorted(old[u] for u in set(old) - set(new))
    if added:
        parts.append("added " + ", ".join(added))
    if removed:
        parts.append("removed " + ", ".join(removed))
    return "; ".join(parts)

