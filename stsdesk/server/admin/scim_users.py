"""SCIM 2.0 /Users: the STS's users, their profile claims, activation, password and lock state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from stsdesk.core.claims import GIVEN_NAME, LAST_NAME
from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import AdminContext
from stsdesk.server.admin.scim_common import (
    AttributesQuery,
    Context,
    PatchRequest,
    ResourceId,
    ScimListResponse,
    ScimMeta,
    check_patch_request,
    not_found,
    parse_patch_path,
    patch_targets,
    read_resource,
    resolver,
    respond,
    with_meta,
)
from stsdesk.server.admin.scim_filter import FilterAttribute
from stsdesk.server.admin.scim_query import (
    ResourceKind,
    SearchRequest,
    UrlQuery,
    run_query,
)
from stsdesk.server.admin.scim_schemas import (
    USER_SCHEMA,
    WSO2_SCHEMA,
    ScimBody,
    ScimResponse,
    base_url,
    check_if_match,
    project,
    store_errors,
)
from stsdesk.server.admin.scim_user_changes import (
    EMAIL_TYPE_CLAIMS,
    FORMATTED_NAME,
    FULL_NAME,
    MIN_PASSWORD_LENGTH,
    ScimCertificate,
    ScimEmail,
    ScimName,
    ScimUserIn,
    UserState,
    Wso2UserExtension,
    apply_operation,
    certificates_out,
    check_password,
    check_user_name,
    desired_claims,
    emails_out,
)
from stsdesk.server.model import UserRecord

__all__ = [
    "router", "user_resource", "ScimUserIn", "ScimUser", "MIN_PASSWORD_LENGTH", "FULL_NAME",
    "EMAIL_TYPE_CLAIMS", "USERS",
]


router = APIRouter(tags=["SCIM 2.0"])

_SCHEMAS = (USER_SCHEMA, WSO2_SCHEMA)
# Returned only when asked for by name (see the extension's schema): a client that sets the
# extension gets back what it set.
_REQUEST_ONLY = ((WSO2_SCHEMA.lower(), "failedloginattempts"), (WSO2_SCHEMA.lower(), "passwordset"))


FILTER_ATTRIBUTES = {
    "id": FilterAttribute("id", case_exact=True),
    "externalid": FilterAttribute("externalId", case_exact=True),
    "username": FilterAttribute("userName", case_exact=True),
    "displayname": FilterAttribute("displayName"),
    "name.givenname": FilterAttribute("name.givenName"),
    "name.familyname": FilterAttribute("name.familyName"),
    "name.formatted": FilterAttribute("name.formatted"),
    "emails": FilterAttribute("emails.value"),
    "emails.value": FilterAttribute("emails.value"),
    "emails.type": FilterAttribute("emails.type"),
    "active": FilterAttribute("active", kind="boolean"),
    "groups": FilterAttribute("groups.value", case_exact=True),
    "groups.value": FilterAttribute("groups.value", case_exact=True),
    "groups.display": FilterAttribute("groups.display", case_exact=True),
    "meta.created": FilterAttribute("meta.created", case_exact=True),
    "meta.lastmodified": FilterAttribute("meta.lastModified", case_exact=True),
    WSO2_SCHEMA.lower() + ":accountlocked": FilterAttribute(
        WSO2_SCHEMA + ":accountLocked", kind="boolean"
    ),
    WSO2_SCHEMA.lower() + ":passwordset": FilterAttribute(
        WSO2_SCHEMA + ":passwordSet", kind="boolean"
    ),
}


# ------------------------------------------------------------------------------------ models


class ScimGroupRef(BaseModel):
    value: str
    display: str | None = None
    ref: str | None = Field(None, alias="$ref")


class ScimUser(BaseModel):
    """A user as the API returns it (``password`` never)."""

    model_config = ConfigDict(populate_by_name=True)
    schemas: list[str]
    id: str
    externalId: str | None = None  # noqa: N815
    userName: str  # noqa: N815
    name: ScimName | None = None
    displayName: str | None = None  # noqa: N815
    emails: list[ScimEmail] | None = None
    x509Certificates: list[ScimCertificate] | None = None  # noqa: N815
    active: bool
    groups: list[ScimGroupRef] = []
    wso2: Wso2UserExtension = Field(alias="urn:scim:wso2:schema")
    meta: ScimMeta


# ------------------------------------------------------------------------------------ resource


def _locked(user: UserRecord, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def user_resource(
    user: UserRecord, role_ids: dict[str, str], base: str, now: datetime | None = None,
    certificates: Sequence[bytes] = (),
) -> dict[str, Any]:
    """The SCIM representation of ``user`` (never its password, only whether it has one)."""
    now = now or datetime.now(UTC)
    claims = user.claims
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA, WSO2_SCHEMA],
        "id": user.user_id,
    }
    if user.external_id is not None:
        resource["externalId"] = user.external_id
    resource["userName"] = user.username
    name = {key: claims[uri] for key, uri in (("givenName", GIVEN_NAME),
                                              ("familyName", LAST_NAME),
                                              ("formatted", FORMATTED_NAME)) if claims.get(uri)}
    if name:
        resource["name"] = name
    if claims.get(FULL_NAME):
        resource["displayName"] = claims[FULL_NAME]
    emails = emails_out(claims)
    if emails:
        resource["emails"] = emails
    if certificates:
        resource["x509Certificates"] = certificates_out(certificates)
    resource["active"] = user.active
    resource["groups"] = [
        {"value": role_ids[role], "display": role, "$ref": f"{base}/Groups/{role_ids[role]}"}
        for role in user.roles
        if role in role_ids
    ]
    resource[WSO2_SCHEMA] = {
        "accountLocked": _locked(user, now),
        "failedLoginAttempts": user.failed_attempts,
        "passwordSet": user.password_hash is not None,
    }
    return with_meta(resource, "User", user.created_at, user.modified_at,
                     f"{base}/Users/{user.user_id}")


def _all_users(context: AdminContext, base: str) -> list[dict[str, Any]]:
    role_ids = context.store.roles.ids_by_name()
    now = datetime.now(UTC)
    mapped = context.store.user_certificates.all_users()
    return [user_resource(u, role_ids, base, now, mapped.get(u.user_id, ()))
            for u in context.store.users.list_all()]


USERS = ResourceKind("User", _SCHEMAS, FILTER_ATTRIBUTES, resolver, _all_users, _REQUEST_ONLY)


def _answer(resource: dict[str, Any], status: int = 200, **headers: str) -> Response:
    """A user as POST, PUT and PATCH answer it: without what is returned only on request."""
    return respond(project(resource, (), (), _SCHEMAS, _REQUEST_ONLY), status, **headers)


# ------------------------------------------------------------------------------------ changes


def _commit(
    context: AdminContext, user: UserRecord, state: UserState, certificates: Sequence[bytes]
) -> tuple[UserRecord, list[str]]:
    """Store the differences between ``user`` (with its mapped ``certificates``) and ``state``
    in one transaction: the certificate mapping changes with the profile or not at all (a
    certificate mapped to another user, or a refused profile change, changes nothing)."""
    now = datetime.now(UTC)
    changes: list[str] = []
    name = check_user_name(state.user_name)
    if name != user.username:
        # Only a new name meets the rule: an older user keeps a name from before it.
        check_user_name(name, context.settings.user_name_pattern)
        changes.append(f"userName {user.username!r} -> {name!r}")
    if state.password is not None:
        check_password(state.password)
        changes.append("password" if user.password_hash is not None else "password set")
    if state.external_id != user.external_id:
        changes.append("externalId")
    desired = desired_claims(state)
    merge = {uri: value for uri, value in desired.items() if user.claims.get(uri) != value}
    if merge:
        changes.append("claims " + ", ".join(sorted(uri.rsplit("/", 1)[-1] for uri in merge)))
    if state.active != user.active:
        changes.append(f"active={str(state.active).lower()}")
    unlock = lock = False
    if state.locked is True and not _locked(user, now):
        lock = True  # as WSO2: an administrator's lock, until an administrator unlocks
        changes.append("locked")
    if state.locked is False and (_locked(user, now) or user.failed_attempts):
        unlock = True
        changes.append("unlocked")
    mapping = ([f"x509Certificates ({len(state.certificates)})"]
               if list(certificates) != state.certificates else [])
    if not changes and not mapping:
        return user, []
    with store_errors():
        fresh = context.store.users.update(
            user.user_id,
            username=name if name != user.username else None,
            password=state.password,
            claims=merge or None,
            active=state.active if state.active != user.active else None,
            unlock=unlock,
            lock=lock,
            external_id=state.external_id if state.external_id != user.external_id else ...,
            certificates=state.certificates if mapping else None,
        )
    if state.password is not None or not state.active or lock:
        context.credentials.forget(user.user_id)
    return fresh, changes + mapping


def _get(context: AdminContext, user_id: str) -> UserRecord:
    user = context.store.users.get_by_id(user_id)
    if user is None:
        raise not_found("user", user_id, "/Users")
    return user


# ------------------------------------------------------------------------------------ routes


@router.get("/Users", summary="List or filter users", response_model=ScimListResponse,
            response_class=ScimResponse)
def list_users(request: Request, _: Admin, context: Context, query: UrlQuery) -> Response:
    return run_query(context, base_url(request, context), query, (USERS,))


@router.post("/Users/.search", summary="Search users (RFC 7644 §3.4.3)",
             response_model=ScimListResponse, response_class=ScimResponse)
def search_users(
    body: SearchRequest, request: Request, _: Admin, __: ScimBody, context: Context
) -> Response:
    return run_query(context, base_url(request, context), body.query(), (USERS,))


@router.post("/Users", status_code=201, summary="Create a user", response_model=ScimUser,
             response_class=ScimResponse)
def create_user(
    body: ScimUserIn, request: Request, actor: Admin, _: ScimBody, context: Context
) -> Response:
    state = UserState()
    state.set_from(body, replace=True)
    name = check_user_name(state.user_name, context.settings.user_name_pattern)
    # Without a password (as provisioning services create users) the user exists but cannot
    # sign in until one is set.
    if state.password is not None:
        check_password(state.password)
    claims = {k: v for k, v in desired_claims(state).items() if v is not None}
    with store_errors():
        # The certificates are mapped in the creating transaction: a certificate mapped to
        # someone else refuses the creation, and the user never exists without its mapping.
        user_id = context.store.users.create(name, state.password, claims=claims,
                                            active=state.active, external_id=state.external_id,
                                            locked=bool(state.locked),
                                            certificates=state.certificates)
    user = _get(context, user_id)
    certificates = context.store.user_certificates.for_user(user_id)
    resource = user_resource(user, context.store.roles.ids_by_name(), base_url(request, context),
                             certificates=certificates)
    stored = ["userName", *(["password"] if state.password is not None else []),
              *(["externalId"] if state.external_id is not None else []),
              *([f"x509Certificates ({len(certificates)})"] if certificates else []),
              *sorted(uri.rsplit("/", 1)[-1] for uri in claims)]
    record(context, actor, "scim.user.create", f"Users/{user_id} ({name})",
           "attributes: " + ", ".join(stored) + f"; active={str(state.active).lower()}"
           + ("; locked" if state.locked else "")
           + ("" if state.password is not None else "; no password set"))
    return _answer(resource, 201, Location=resource["meta"]["location"])


@router.get("/Users/{user_id}", summary="Read a user", response_model=ScimUser,
            response_class=ScimResponse)
def get_user(
    user_id: ResourceId,
    request: Request,
    _: Admin,
    context: Context,
    attributes: AttributesQuery = None,
    excludedAttributes: AttributesQuery = None,  # noqa: N803
) -> Response:
    user = _get(context, user_id)
    resource = user_resource(user, context.store.roles.ids_by_name(), base_url(request, context),
                             certificates=context.store.user_certificates.for_user(user_id))
    return read_resource(request, resource, attributes, excludedAttributes, _SCHEMAS,
                         _REQUEST_ONLY)


@router.put("/Users/{user_id}", summary="Replace a user", response_model=ScimUser,
            response_class=ScimResponse)
def replace_user(
    user_id: ResourceId, body: ScimUserIn, request: Request, actor: Admin, _: ScimBody,
    context: Context,
) -> Response:
    user = _get(context, user_id)
    base = base_url(request, context)
    role_ids = context.store.roles.ids_by_name()
    certificates = context.store.user_certificates.for_user(user_id)
    check_if_match(request, user_resource(user, role_ids, base, certificates=certificates))
    state = UserState.of(user, certificates)
    state.set_from(body, replace=True)
    fresh, changes = _commit(context, user, state, certificates)
    if changes:
        record(context, actor, "scim.user.replace", f"Users/{user_id} ({fresh.username})",
               "; ".join(changes))
    return _answer(user_resource(
        fresh, role_ids, base, certificates=context.store.user_certificates.for_user(user_id)))


@router.patch("/Users/{user_id}", summary="Change a user (RFC 7644 PATCH)",
              response_model=ScimUser, response_class=ScimResponse)
def patch_user(
    user_id: ResourceId, body: PatchRequest, request: Request, actor: Admin, _: ScimBody,
    context: Context,
) -> Response:
    check_patch_request(body)
    user = _get(context, user_id)
    base = base_url(request, context)
    role_ids = context.store.roles.ids_by_name()
    certificates = context.store.user_certificates.for_user(user_id)
    check_if_match(request, user_resource(user, role_ids, base, certificates=certificates))
    state = UserState.of(user, certificates)
    for operation in body.Operations:
        op = operation.op.lower()
        for path, value in patch_targets(operation, 'object of attributes, such as '
                                         '{"active": false}'):
            apply_operation(state, op, parse_patch_path(path, USER_SCHEMA, (WSO2_SCHEMA,)),
                            value)
    fresh, changes = _commit(context, user, state, certificates)
    if changes:
        record(context, actor, "scim.user.patch", f"Users/{user_id} ({fresh.username})",
               "; ".join(changes))
    return _answer(user_resource(
        fresh, role_ids, base, certificates=context.store.user_certificates.for_user(user_id)))


@router.delete("/Users/{user_id}", status_code=204, summary="Delete a user",
               response_class=Response)
def delete_user(user_id: ResourceId, request: Request, actor: Admin, context: Context) -> Response:
    user = _get(context, user_id)
    check_if_match(request, user_resource(user, context.store.roles.ids_by_name(),
                                          base_url(request, context),
                                          certificates=context.store.user_certificates.for_user(
                                              user_id)))
    with store_errors():
        name = context.store.users.delete_by_id(user_id)
    context.credentials.forget(user_id)
    record(context, actor, "scim.user.delete", f"Users/{user_id} ({name})", "")
    return Response(status_code=204)
