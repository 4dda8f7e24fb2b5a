"""SCIM 2.0 schemas and messages: URIs, discovery documents, list responses, projection, ETags."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.responses import JSONResponse

from stsdesk.server.admin.context import SCIM_PREFIX, AdminContext
from stsdesk.server.admin.errors import SCIM_MEDIA_TYPE, ApiError
from stsdesk.server.errors import ValidationError
from stsdesk.server.storage.roles import ProtectedRoleError

__all__ = [
    "USER_SCHEMA", "GROUP_SCHEMA", "WSO2_SCHEMA", "LIST_RESPONSE_SCHEMA", "PATCH_OP_SCHEMA",
    "SEARCH_REQUEST_SCHEMA",
    "SPC_SCHEMA", "RESOURCE_TYPE_SCHEMA", "SCHEMA_SCHEMA", "MAX_RESULTS", "ScimResponse",
    "scim_error", "store_errors", "base_url", "timestamp", "etag_of", "check_if_match",
    "project", "list_response", "page", "service_provider_config", "resource_types",
    "schema_documents", "split_attributes", "ScimBody", "MAX_BODY_BYTES",
]

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
WSO2_SCHEMA = "urn:scim:wso2:schema"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

MAX_RESULTS = 200  # the most resources one list response holds (ServiceProviderConfig.filter)
MAX_BODY_BYTES = 1 << 20
_BODY_TYPES = ("application/scim+json", "application/json")


class ScimResponse(JSONResponse):
    media_type = SCIM_MEDIA_TYPE


def scim_error(status: int, scim_type: str | None, detail: str) -> ApiError:
    """A SCIM error (RFC 7644 §3.12); the app's handler writes it in SCIM's shape under /scim2."""
    return ApiError(status, f"SCIM-{status}", "SCIM request refused.", detail,
                    scim_type=scim_type)


@contextmanager
def store_errors() -> Iterator[None]:
    """Store errors in SCIM's terms: bad values are ``invalidValue``; a change that would lock
    every administrator out is a 409 without ``uniqueness`` (that is for duplicates)."""
    try:
        yield
    except ValidationError as exc:
        raise scim_error(400, "invalidValue", exc.message) from exc
    except ProtectedRoleError as exc:
        raise scim_error(409, None, exc.message) from exc


def _require_json_body(request: Request) -> None:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in _BODY_TYPES:
        raise scim_error(
            415, "invalidSyntax",
            "Send the request body as application/scim+json (application/json is accepted too).",
        )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise scim_error(413, None, f"The request body is larger than {MAX_BODY_BYTES} bytes.")


# A route parameter after the ``Admin`` one, so that a caller without credentials gets 401 first.
ScimBody = Annotated[None, Depends(_require_json_body)]


def base_url(request: Request, context: AdminContext) -> str:
    """https://host:port/scim2 as clients reach it (the configured public host wins)."""
    host = context.settings.public_host or request.url.netloc
    return f"https://{host}{SCIM_PREFIX}"


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def etag_of(resource: dict[str, Any]) -> str:
    """A weak ETag over everything but ``meta``: any visible change gives a new one."""
    body = {k: v for k, v in resource.items() if k != "meta"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def check_if_match(request: Request, resource: dict[str, Any]) -> None:
    """Honour If-Match (RFC 7644 §3.14): 412 when the client edits an outdated version."""
    wanted = request.headers.get("if-match")
    if not wanted or wanted.strip() == "*":
        return
    current = resource["meta"]["version"]
    tags = {tag.strip() for tag in wanted.split(",")}
    if current not in tags and current.removeprefix("W/") not in tags:
        raise scim_error(
            412, None,
            "The resource changed since you read it (its version no longer matches If-Match). "
            "Read it again and repeat the change.",
        )


def split_attributes(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()][:100]


def project(
    resource: dict[str, Any],
    attributes: Sequence[str],
    excluded: Sequence[str],
    schemas: Sequence[str],
    request_only: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """Keep only ``attributes`` (or drop ``excluded``), RFC 7644 §3.4.2.5; id/schemas stay.

    ``request_only`` (lower-case (attribute, sub-attribute) pairs) are returned only when
    ``attributes`` names them (RFC 7643 §7, returned "request").
    """
    wanted = [_path(a, schemas) for a in attributes]
    dropped = [_path(a, schemas) for a in excluded]
    dropped += [(top, sub) for top, sub in request_only if (top, sub) not in wanted]
    if not wanted and not dropped:
        return resource
    result: dict[str, Any] = {}
    for key, value in resource.items():
        lowered = key.lower()
        if lowered in ("id", "schemas"):
            result[key] = value
            continue
        if wanted:
            subs = [sub for top, sub in wanted if top == lowered]
            if not subs:
                continue
            if None in subs or not isinstance(value, dict | list):
                result[key] = value
            else:
                result[key] = _keep_subs(value, {s for s in subs if s})
        else:
            subs = [sub for top, sub in dropped if top == lowered]
            if None in subs:
                continue
            if subs and isinstance(value, dict | list):
                result[key] = _drop_subs(value, {s for s in subs if s})
            else:
                result[key] = value
    return result


def _path(name: str, schemas: Sequence[str]) -> tuple[str, str | None]:
    lowered = name.lower()
    for schema in sorted(schemas, key=len, reverse=True):
        prefix = schema.lower()
        if lowered == prefix:
            return prefix, None
        if lowered.startswith(prefix + ":"):
            rest = lowered[len(prefix) + 1:]
            if prefix == USER_SCHEMA.lower() or prefix == GROUP_SCHEMA.lower():
                lowered = rest
                break
            return prefix, rest  # an extension's attribute: "urn:scim:wso2:schema:accountLocked"
    top, _, sub = lowered.partition(".")
    return top, sub or None


def _keep_subs(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_keep_subs(v, subs) for v in value]
    return {k: v for k, v in value.items() if k.lower() in subs}


def _drop_subs(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_drop_subs(v, subs) for v in value]
    return {k: v for k, v in value.items() if k.lower() not in subs}


def page(start_index: int | None, count: int | None) -> tuple[int, int]:
    """RFC 7644 §3.4.2.4: a start below 1 means 1; a negative count means 0; at most MAX_RESULTS."""
    start = 1 if start_index is None or start_index < 1 else start_index
    size = MAX_RESULTS if count is None else max(0, min(count, MAX_RESULTS))
    return start, size


def list_response(resources: Sequence[Any], start: int, count: int) -> dict[str, Any]:
    chosen = list(resources[start - 1:start - 1 + count])
    return {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": len(resources),
        "itemsPerPage": len(chosen),
        "startIndex": start,
        "Resources": chosen,
    }


# --------------------------------------------------------------------------------- discovery


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://www.rfc-editor.org/rfc/rfc7644",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": True},
        "sort": {"supported": True},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "httpbasic",
                "name": "HTTP Basic",
                "description": "HTTP Basic over HTTPS as a user with the admin role.",
                "specUri": "https://www.rfc-editor.org/rfc/rfc7617",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }


def resource_types(base: str) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "A user of the STS; its attributes feed the claims in issued tokens.",
            "schema": USER_SCHEMA,
            # Required: every user carries the extension (the server fills it in).
            "schemaExtensions": [{"schema": WSO2_SCHEMA, "required": True}],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/User"},
        },
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "A role: the security policy's allowed roles name groups.",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/Group"},
        },
    ]


def _attr(
    name: str,
    description: str,
    *,
    kind: str = "string",
    multi: bool = False,
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    subs: list[dict[str, Any]] | None = None,
    canonical: list[str] | None = None,
    references: list[str] | None = None,
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": description,
        "required": required,
        "mutability": mutability,
        "returned": returned,
    }
    if kind in ("string", "reference"):
        attribute["caseExact"] = case_exact
        attribute["uniqueness"] = uniqueness
    if subs is not None:
        attribute["subAttributes"] = subs
    if canonical is not None:
        attribute["canonicalValues"] = canonical
    if references is not None:
        attribute["referenceTypes"] = references
    return attribute


def _user_attributes() -> list[dict[str, Any]]:
    return [
        _attr("userName", "The name the user signs in with (http://wso2.org/claims/username). "
              "Case-sensitive, as the STS compares it.", required=True, case_exact=True,
              uniqueness="server"),
        _attr("name", "The user's name.", kind="complex", subs=[
            _attr("formatted", "The full name for display, such as 'Ms. Barbara J Jensen III' "
                  "(http://wso2.org/claims/formattedName)."),
            _attr("familyName", "The family name (http://wso2.org/claims/lastname)."),
            _attr("givenName", "The given name (http://wso2.org/claims/givenname)."),
        ]),
        _attr("displayName", "The name to show (http://wso2.org/claims/fullname)."),
        _attr("password", "The password (at least 8 characters); never returned.",
              mutability="writeOnly", returned="never"),
        _attr("emails", "E-mail addresses: the primary one is "
              "http://wso2.org/claims/emailaddress; one each of type work, home and other.",
              kind="complex", multi=True, subs=[
                  _attr("value", "The e-mail address."),
                  _attr("type", "work, home or other.", canonical=["work", "home", "other"]),
                  _attr("primary", "The preferred address.", kind="boolean"),
              ]),
        _attr("x509Certificates", "Client certificates mapped to the user: an X.509 client "
              "presenting one of them (WS-Security scenarios 2 and 5) obtains tokens as this "
              "user, with their roles and claims. A certificate maps to one user at most.",
              kind="complex", multi=True, subs=[
                  _attr("value", "The certificate, DER base64-encoded.", kind="binary",
                        case_exact=True),
              ]),
        # Required in the sense of RFC 7643 §6's schema extensions: every user has a value. A
        # client that leaves it out on creation gets true; it cannot be removed, only set.
        _attr("active", "False stops the user from signing in and obtaining tokens. Every user "
              "has it: true unless set otherwise.", kind="boolean", required=True),
        _attr("groups", "The roles the user has; change them through /Groups.", kind="complex",
              multi=True, mutability="readOnly", subs=[
                  _attr("value", "The group's id.", mutability="readOnly"),
                  _attr("$ref", "The group's URI.", kind="reference", mutability="readOnly",
                        references=["Group"]),
                  _attr("display", "The group's (role's) name.", mutability="readOnly"),
              ]),
    ]


def _group_attributes() -> list[dict[str, Any]]:
    return [
        _attr("displayName", "The role name; 'PRIMARY/' before it is accepted and ignored.",
              required=True, case_exact=True, uniqueness="server"),
        _attr("members", "The users who have this role.", kind="complex", multi=True, subs=[
            _attr("value", "The user's id.", mutability="immutable"),
            _attr("$ref", "The user's URI.", kind="reference", mutability="immutable",
                  references=["User"]),
            # Returned on request (attributes=members.display): a client that sent members
            # without it gets them back as it sent them.
            _attr("display", "The user's userName.", mutability="readOnly", returned="request"),
            _attr("type", "Always User: groups do not nest.", mutability="immutable",
                  canonical=["User"]),
        ]),
    ]


def _wso2_attributes() -> list[dict[str, Any]]:
    return [
        _attr("accountLocked", "True while the account is locked: after repeated failed "
              "sign-ins (until the lockout time runs out), or by an administrator who set it "
              "true (until one sets it false). Every user has it.", kind="boolean",
              required=True),
        # Returned on request (attributes=urn:scim:wso2:schema:failedLoginAttempts,...): the
        # console asks for them; a client that sets the extension gets back what it set.
        _attr("failedLoginAttempts", "Failed sign-ins since the last success. Returned when "
              "asked for by name.", kind="integer", mutability="readOnly", returned="request"),
        _attr("passwordSet", "False while the user has no password (created without one, as "
              "provisioning services do): the account exists but cannot sign in until a "
              "password is set. Returned when asked for by name. An stsdesk attribute; WSO2 "
              "Identity Server has none.", kind="boolean", mutability="readOnly",
              returned="request"),
    ]


def schema_documents(base: str) -> list[dict[str, Any]]:
    documents = [
        (USER_SCHEMA, "User", "User Account", _user_attributes()),
        (GROUP_SCHEMA, "Group", "Group (a role)", _group_attributes()),
        (WSO2_SCHEMA, "WSO2 user extension", "Account state as WSO2 Identity Server shows it",
         _wso2_attributes()),
    ]
    return [
        {
            "schemas": [SCHEMA_SCHEMA],
            "id": uri,
            "name": name,
            "description": description,
            "attributes": attributes,
            "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{uri}"},
        }
        for uri, name, description, attributes in documents
    ]
