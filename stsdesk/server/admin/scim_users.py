"""SCIM 2.0 /Users: the STS's users, their profile claims, activation, password and lock state."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from stsdesk.core.claims import EMAIL, GIVEN_NAME, LAST_NAME
from stsdesk.server.admin.audit import record
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.context import AdminContext
from stsdesk.server.admin.scim_common import (
    AttributesQuery,
    Context,
    CountQuery,
    FilterQuery,
    PatchRequest,
    ResourceId,
    ScimListResponse,
    ScimMeta,
    Short,
    StartIndexQuery,
    check_patch_request,
    list_resources,
    not_found,
    parse_list_filter,
    patch_targets,
    read_resource,
    resolver,
    respond,
    with_meta,
)
from stsdesk.server.admin.scim_filter import FilterAttribute
from stsdesk.server.admin.scim_schemas import (
    USER_SCHEMA,
    WSO2_SCHEMA,
    ScimBody,
    ScimResponse,
    base_url,
    check_if_match,
    scim_error,
    store_errors,
)
from stsdesk.server.model import UserRecord

__all__ = [
    "router", "user_resource", "ScimUserIn", "ScimUser", "MIN_PASSWORD_LENGTH", "FULL_NAME",
    "EMAIL_TYPE_CLAIMS",
]


router = APIRouter(tags=["SCIM 2.0"])

MIN_PASSWORD_LENGTH = 8
FULL_NAME = "http://wso2.org/claims/fullname"
# WSO2's claims for typed addresses (emails.work -> http://wso2.org/claims/emails.work).
EMAIL_TYPE_CLAIMS = {t: f"http://wso2.org/claims/emails.{t}" for t in ("work", "home", "other")}
_MAX_EMAILS = 4
_SCHEMAS = (USER_SCHEMA, WSO2_SCHEMA)
_MAPPED_CLAIMS = (GIVEN_NAME, LAST_NAME, FULL_NAME, EMAIL, *EMAIL_TYPE_CLAIMS.values())


FILTER_ATTRIBUTES = {
    "id": FilterAttribute("id", case_exact=True),
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
    WSO2_SCHEMA.lower() + ":accountlocked": FilterAttribute(
        WSO2_SCHEMA + ":accountLocked", kind="boolean"
    ),
}


# ------------------------------------------------------------------------------------ models


class ScimName(BaseModel):
    model_config = ConfigDict(extra="ignore")
    formatted: str | None = Field(None, max_length=512)
    familyName: str | None = Field(None, max_length=255)  # noqa: N815 (SCIM's spelling)
    givenName: str | None = Field(None, max_length=255)  # noqa: N815


class ScimEmail(BaseModel):
    model_config = ConfigDict(extra="ignore")
    value: str = Field(max_length=254)
    type: str | None = Field(None, max_length=16)
    primary: bool | None = None


class ScimGroupRef(BaseModel):
    value: str
    display: str | None = None
    ref: str | None = Field(None, alias="$ref")


class Wso2UserExtension(BaseModel):
    model_config = ConfigDict(extra="ignore")
    accountLocked: bool | None = None  # noqa: N815
    failedLoginAttempts: int | None = None  # noqa: N815 (read-only: ignored on input)


class ScimUserIn(BaseModel):
    """A user as POST and PUT take it; read-only attributes (id, groups, meta) are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    schemas: list[Short] = Field(default_factory=list, max_length=10)
    userName: str | None = Field(None, max_length=255)  # noqa: N815
    password: str | None = Field(None, max_length=256)
    name: ScimName | None = None
    displayName: str | None = Field(None, max_length=255)  # noqa: N815
    emails: list[ScimEmail] | None = Field(None, max_length=10)
    active: bool | None = None
    wso2: Wso2UserExtension | None = Field(None, alias="urn:scim:wso2:schema")


class ScimUser(BaseModel):
    """A user as the API returns it (``password`` never)."""

    model_config = ConfigDict(populate_by_name=True)
    schemas: list[str]
    id: str
    userName: str  # noqa: N815
    name: ScimName | None = None
    displayName: str | None = None  # noqa: N815
    emails: list[ScimEmail] | None = None
    active: bool
    groups: list[ScimGroupRef] = []
    wso2: Wso2UserExtension = Field(alias="urn:scim:wso2:schema")
    meta: ScimMeta


# ------------------------------------------------------------------------------------ resource


def _locked(user: UserRecord, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _emails_out(claims: dict[str, str]) -> list[dict[str, Any]]:
    primary = claims.get(EMAIL)
    result: list[dict[str, Any]] = []
    if primary:
        entry: dict[str, Any] = {"value": primary, "primary": True}
        for kind, uri in EMAIL_TYPE_CLAIMS.items():
            if claims.get(uri) == primary:
                entry["type"] = kind
                break
        result.append(entry)
    for kind, uri in EMAIL_TYPE_CLAIMS.items():
        value = claims.get(uri)
        if value and not (result and result[0].get("type") == kind):
            result.append({"value": value, "type": kind})
    return result


def user_resource(
    user: UserRecord, role_ids: dict[str, str], base: str, now: datetime | None = None
) -> dict[str, Any]:
    """The SCIM representation of ``user`` (never its password)."""
    now = now or datetime.now(UTC)
    claims = user.claims
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA, WSO2_SCHEMA],
        "id": user.user_id,
        "userName": user.username,
    }
    given, family = claims.get(GIVEN_NAME), claims.get(LAST_NAME)
    if given or family:
        name: dict[str, str] = {}
        if given:
            name["givenName"] = given
        if family:
            name["familyName"] = family
        name["formatted"] = " ".join(p for p in (given, family) if p)
        resource["name"] = name
    if claims.get(FULL_NAME):
        resource["displayName"] = claims[FULL_NAME]
    emails = _emails_out(claims)
    if emails:
        resource["emails"] = emails
    resource["active"] = user.active
    resource["groups"] = [
        {"value": role_ids[role], "display": role, "$ref": f"{base}/Groups/{role_ids[role]}"}
        for role in user.roles
        if role in role_ids
    ]
    resource[WSO2_SCHEMA] = {
        "accountLocked": _locked(user, now),
        "failedLoginAttempts": user.failed_attempts,
    }
    return with_meta(resource, "User", user.created_at, user.modified_at,
                     f"{base}/Users/{user.user_id}")


# ------------------------------------------------------------------------------------ state


@dataclass
class _UserState:
    """The editable part of a user while a request's changes are applied (not yet stored)."""

    user_name: str | None = None
    password: str | None = None  # None: unchanged
    display_name: str | None = None
    given: str | None = None
    family: str | None = None
    emails: list[dict[str, Any]] = field(default_factory=list)
    active: bool = True
    locked: bool | None = None  # None: not asked

    @classmethod
    def of(cls, user: UserRecord) -> _UserState:
        return cls(
            user_name=user.username,
            display_name=user.claims.get(FULL_NAME),
            given=user.claims.get(GIVEN_NAME),
            family=user.claims.get(LAST_NAME),
            emails=_emails_out(user.claims),
            active=user.active,
        )

    def set_from(self, body: ScimUserIn, *, replace: bool) -> None:
        """POST/PUT: take the body's attributes; PUT clears the profile attributes it omits."""
        self.user_name = body.userName
        if body.password is not None:
            self.password = body.password
        if replace or body.displayName is not None:
            self.display_name = body.displayName
        if replace or body.name is not None:
            self.given = body.name.givenName if body.name else None
            self.family = body.name.familyName if body.name else None
        if replace or body.emails is not None:
            self.emails = [e.model_dump(exclude_none=True) for e in body.emails or []]
        if body.active is not None:
            self.active = body.active
        if body.wso2 is not None and body.wso2.accountLocked is not None:
            self.locked = body.wso2.accountLocked


def _text(value: Any, what: str, *, limit: int = 255) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise scim_error(400, "invalidValue", f"{what} must be text of at most {limit} characters.")
    return value


def _boolean(value: Any, what: str) -> bool:
    # Some clients (Microsoft Entra ID among them) send booleans as the strings "True"/"False".
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise scim_error(400, "invalidValue", f"{what} must be true or false.")
    return value


def _split_path(path: str) -> tuple[str, str | None]:
    lowered = path.strip().lower()
    if "[" in lowered:
        raise scim_error(
            400, "invalidPath",
            f"The path {path!r} uses a value filter, which /Users does not support; name the "
            "attribute (for example emails) and give its whole new value.",
        )
    if lowered == WSO2_SCHEMA.lower() or lowered.startswith(WSO2_SCHEMA.lower() + ":"):
        rest = lowered[len(WSO2_SCHEMA) + 1:]
        return "wso2", rest or None
    if lowered.startswith(USER_SCHEMA.lower() + ":"):
        lowered = lowered[len(USER_SCHEMA) + 1:]
    top, _, sub = lowered.partition(".")
    return top, sub or None


def _apply(state: _UserState, op: str, top: str, sub: str | None, value: Any) -> None:
    """One PATCH operation on one attribute (RFC 7644 §3.5.2)."""
    remove = op == "remove"
    read_only = top in ("id", "meta", "groups", "schemas")
    if read_only or (top == "wso2" and sub == "failedloginattempts"):
        raise scim_error(
            400, "mutability",
            f"{top if top != 'wso2' else 'failedLoginAttempts'} is read-only"
            + ("; change group membership through /Groups." if top == "groups" else "."),
        )
    if top == "username" and sub is None:
        if remove:
            raise scim_error(400, "mutability", "userName is required and cannot be removed.")
        state.user_name = _text(value, "userName")
    elif top == "password" and sub is None:
        if remove:
            raise scim_error(400, "mutability", "The password cannot be removed; set a new one.")
        state.password = _text(value, "password", limit=256)
    elif top == "displayname" and sub is None:
        state.display_name = None if remove else _text(value, "displayName")
    elif top == "active" and sub is None:
        if remove:
            raise scim_error(400, "mutability", "active cannot be removed; set it true or false.")
        state.active = _boolean(value, "active")
    elif top == "name":
        _apply_name(state, op, sub, value)
    elif top == "emails" and sub is None:
        if remove:
            state.emails = []
        else:
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, dict) for item in items):
                raise scim_error(400, "invalidValue", "emails takes objects such as "
                                 '{"value": "a@example.org", "type": "work"}.')
            state.emails = (state.emails if op == "add" else []) + list(items)
    elif top == "wso2":
        if sub is None:
            if remove or not isinstance(value, dict):
                raise scim_error(400, "invalidValue", f"{WSO2_SCHEMA} takes an object such as "
                                 '{"accountLocked": false}.')
            for key, item in value.items():
                _apply(state, op, "wso2", key.lower(), item)
        elif sub == "accountlocked":
            if remove:
                raise scim_error(400, "mutability", "accountLocked cannot be removed.")
            state.locked = _boolean(value, "accountLocked")
        else:
            raise scim_error(400, "invalidPath", f"{WSO2_SCHEMA} has no attribute {sub!r}.")
    else:
        raise scim_error(
            400, "invalidPath",
            f"{top + ('.' + sub if sub else '')!r} is not an attribute a user can change here; use "
            "userName, password, name, displayName, emails, active or "
            f"{WSO2_SCHEMA}:accountLocked.",
        )


def _apply_name(state: _UserState, op: str, sub: str | None, value: Any) -> None:
    if sub is None:
        if op == "remove":
            state.given = state.family = None
            return
        if not isinstance(value, dict):
            raise scim_error(400, "invalidValue", "name takes an object such as "
                             '{"givenName": "Barbara", "familyName": "Jensen"}.')
        for key, item in value.items():
            _apply_name(state, op, key.lower(), item)
        return
    if sub == "givenname":
        state.given = None if op == "remove" else _text(value, "name.givenName")
    elif sub == "familyname":
        state.family = None if op == "remove" else _text(value, "name.familyName")
    elif sub != "formatted":  # formatted is made from the two parts; a value sent is ignored
        raise scim_error(400, "invalidPath", f"name has no sub-attribute {sub!r}.")


def _email_claims(emails: list[dict[str, Any]]) -> dict[str, str]:
    if len(emails) > _MAX_EMAILS:
        raise scim_error(400, "invalidValue",
                         f"A user has at most {_MAX_EMAILS} e-mail addresses (one primary, one "
                         "each of type work, home and other).")
    cleaned = []
    for item in emails:
        value = item.get("value")
        if (not isinstance(value, str) or "@" not in value or len(value) > 254
                or any(ch.isspace() or ord(ch) < 32 for ch in value)):
            raise scim_error(400, "invalidValue",
                             f"{str(value)[:60]!r} is not an e-mail address; give one such as "
                             "bjensen@example.com.")
        kind = item.get("type")
        known = isinstance(kind, str) and kind.lower() in EMAIL_TYPE_CLAIMS
        if kind is not None and not known:
            raise scim_error(400, "invalidValue",
                             f"The e-mail type {str(kind)[:20]!r} is not supported; use work, "
                             "home or other.")
        primary = item.get("primary")
        if primary is not None:
            primary = _boolean(primary, "emails.primary")
        cleaned.append((value, None if kind is None else kind.lower(), bool(primary)))
    if sum(1 for _, _, p in cleaned if p) > 1:
        raise scim_error(400, "invalidValue", "Only one e-mail address can be primary.")
    claims: dict[str, str] = {}
    if cleaned:
        chosen = next((c for c in cleaned if c[2]), cleaned[0])
        claims[EMAIL] = chosen[0]
        for value, kind, _ in cleaned:
            if kind is None:
                if (value, kind) != (chosen[0], chosen[1]):
                    raise scim_error(400, "invalidValue",
                                     f"The e-mail address {value!r} needs a type (work, home or "
                                     "other) or must be the primary one.")
                continue
            if EMAIL_TYPE_CLAIMS[kind] in claims:
                raise scim_error(400, "invalidValue",
                                 f"Two e-mail addresses have the type {kind!r}; give one of each.")
            claims[EMAIL_TYPE_CLAIMS[kind]] = value
    return claims


def _desired_claims(state: _UserState) -> dict[str, str | None]:
    desired: dict[str, str | None] = dict.fromkeys(_MAPPED_CLAIMS)
    desired[GIVEN_NAME] = state.given or None
    desired[LAST_NAME] = state.family or None
    desired[FULL_NAME] = state.display_name or None
    desired.update(_email_claims(state.emails))
    return desired


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise scim_error(400, "invalidValue",
                         f"The password is too short; use at least {MIN_PASSWORD_LENGTH} "
                         "characters.")


def _check_user_name(name: str | None) -> str:
    if not name or not name.strip():
        raise scim_error(400, "invalidValue", "userName is required; give the sign-in name.")
    return name


def _commit(
    context: AdminContext, user: UserRecord, state: _UserState
) -> tuple[UserRecord, list[str]]:
    """Store the differences between ``user`` and ``state`` in one transaction."""
    now = datetime.now(UTC)
    changes: list[str] = []
    name = _check_user_name(state.user_name)
    if name != user.username:
        changes.append(f"userName {user.username!r} -> {name!r}")
    if state.password is not None:
        _check_password(state.password)
        changes.append("password")
    desired = _desired_claims(state)
    merge = {uri: value for uri, value in desired.items() if user.claims.get(uri) != value}
    if merge:
        changes.append("claims " + ", ".join(sorted(uri.rsplit("/", 1)[-1] for uri in merge)))
    if state.active != user.active:
        changes.append(f"active={str(state.active).lower()}")
    unlock = False
    if state.locked is True and not _locked(user, now):
        raise scim_error(
            400, "mutability",
            "accountLocked cannot be set to true: accounts lock only after failed sign-ins. To "
            "stop a user from signing in, set active to false.",
        )
    if state.locked is False and (_locked(user, now) or user.failed_attempts):
        unlock = True
        changes.append("unlocked")
    if not changes:
        return user, changes
    with store_errors():
        fresh = context.store.users.update(
            user.user_id,
            username=name if name != user.username else None,
            password=state.password,
            claims=merge or None,
            active=state.active if state.active != user.active else None,
            unlock=unlock,
        )
    if state.password is not None or not state.active:
        context.credentials.forget(user.user_id)
    return fresh, changes


def _get(context: AdminContext, user_id: str) -> UserRecord:
    user = context.store.users.get_by_id(user_id)
    if user is None:
        raise not_found("user", user_id, "/Users")
    return user


# ------------------------------------------------------------------------------------ routes


@router.get("/Users", summary="List or filter users", response_model=ScimListResponse,
            response_class=ScimResponse)
def list_users(
    request: Request,
    _: Admin,
    context: Context,
    filter: FilterQuery = None,  # noqa: A002 (SCIM's name)
    startIndex: StartIndexQuery = None,  # noqa: N803
    count: CountQuery = None,
    attributes: AttributesQuery = None,
    excludedAttributes: AttributesQuery = None,  # noqa: N803
) -> Response:
    node = parse_list_filter(filter, FILTER_ATTRIBUTES, (USER_SCHEMA,))
    base = base_url(request, context)
    role_ids = context.store.roles.ids_by_name()
    now = datetime.now(UTC)
    resources = [user_resource(u, role_ids, base, now) for u in context.store.users.list_all()]
    return list_resources(resources, node, resolver, start_index=startIndex, count=count,
                          attributes=attributes, excluded=excludedAttributes, schemas=_SCHEMAS)


@router.post("/Users", status_code=201, summary="Create a user", response_model=ScimUser,
             response_class=ScimResponse)
def create_user(
    body: ScimUserIn, request: Request, actor: Admin, _: ScimBody, context: Context
) -> Response:
    state = _UserState()
    state.set_from(body, replace=True)
    name = _check_user_name(state.user_name)
    if state.password is None:
        raise scim_error(400, "invalidValue", "Give the new user a password (at least "
                         f"{MIN_PASSWORD_LENGTH} characters).")
    _check_password(state.password)
    if state.locked:
        raise scim_error(400, "mutability", "A new account cannot be created locked; create it "
                         "with active false to stop it from signing in.")
    claims = {k: v for k, v in _desired_claims(state).items() if v is not None}
    with store_errors():
        user_id = context.store.users.create(name, state.password, claims=claims,
                                             active=state.active)
    user = _get(context, user_id)
    resource = user_resource(user, context.store.roles.ids_by_name(), base_url(request, context))
    stored = ["userName", "password", *sorted(uri.rsplit("/", 1)[-1] for uri in claims)]
    record(context, actor, "scim.user.create", f"Users/{user_id} ({name})",
           "attributes: " + ", ".join(stored) + f"; active={str(state.active).lower()}")
    return respond(resource, 201, Location=resource["meta"]["location"])


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
    resource = user_resource(user, context.store.roles.ids_by_name(), base_url(request, context))
    return read_resource(request, resource, attributes, excludedAttributes, _SCHEMAS)


@router.put("/Users/{user_id}", summary="Replace a user", response_model=ScimUser,
            response_class=ScimResponse)
def replace_user(
    user_id: ResourceId, body: ScimUserIn, request: Request, actor: Admin, _: ScimBody,
    context: Context,
) -> Response:
    user = _get(context, user_id)
    base = base_url(request, context)
    role_ids = context.store.roles.ids_by_name()
    check_if_match(request, user_resource(user, role_ids, base))
    state = _UserState.of(user)
    state.set_from(body, replace=True)
    fresh, changes = _commit(context, user, state)
    if changes:
        record(context, actor, "scim.user.replace", f"Users/{user_id} ({fresh.username})",
               "; ".join(changes))
    return respond(user_resource(fresh, role_ids, base))


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
    check_if_match(request, user_resource(user, role_ids, base))
    state = _UserState.of(user)
    for operation in body.Operations:
        op = operation.op.lower()
        for path, value in patch_targets(operation, 'object of attributes, such as '
                                         '{"active": false}'):
            top, sub = _split_path(path)
            _apply(state, op, top, sub, value)
    fresh, changes = _commit(context, user, state)
    if changes:
        record(context, actor, "scim.user.patch", f"Users/{user_id} ({fresh.username})",
               "; ".join(changes))
    return respond(user_resource(fresh, role_ids, base))


@router.delete("/Users/{user_id}", status_code=204, summary="Delete a user",
               response_class=Response)
def delete_user(user_id: ResourceId, request: Request, actor: Admin, context: Context) -> Response:
    user = _get(context, user_id)
    check_if_match(request, user_resource(user, context.store.roles.ids_by_name(),
                                          base_url(request, context)))
    with store_errors():
        name = context.store.users.delete_by_id(user_id)
    context.credentials.forget(user_id)
    record(context, actor, "scim.user.delete", f"Users/{user_id} ({name})", "")
    return Response(status_code=204)

