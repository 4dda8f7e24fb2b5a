"""SCIM 2.0 at /scim2 (RFC 7643/7644): users, groups (roles), the discovery endpoints and
POST /.search over both resource types.

Every endpoint, discovery included, requires an administrator: RFC 7644 §4 lets a service
provider choose, and this API is for administrators only.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from stsdesk.server.admin import scim_groups, scim_users
from stsdesk.server.admin.auth import Admin
from stsdesk.server.admin.scim_common import Context, ScimListResponse
from stsdesk.server.admin.scim_query import SearchRequest, run_query
from stsdesk.server.admin.scim_schemas import (
    LIST_RESPONSE_SCHEMA,
    ScimBody,
    ScimResponse,
    base_url,
    resource_types,
    schema_documents,
    scim_error,
    service_provider_config,
)

__all__ = ["router"]

router = APIRouter()
router.include_router(scim_users.router)
router.include_router(scim_groups.router)

_discovery = APIRouter(tags=["SCIM 2.0 discovery"])
_root = APIRouter(tags=["SCIM 2.0"])


@_root.post("/.search", summary="Search users and groups together (RFC 7644 §3.4.3)",
            response_model=ScimListResponse, response_class=ScimResponse)
def search_all(
    body: SearchRequest, request: Request, _: Admin, __: ScimBody, context: Context
) -> Response:
    """Users, then groups; a filter or sortBy attribute of one type is absent in the other."""
    return run_query(context, base_url(request, context), body.query(),
                     (scim_users.USERS, scim_groups.GROUPS))


def _listing(resources: list[dict[str, Any]]) -> Response:
    return ScimResponse({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": len(resources),
        "itemsPerPage": len(resources),
        "startIndex": 1,
        "Resources": resources,
    })


def _one(resources: list[dict[str, Any]], wanted: str, missing: str) -> Response:
    """The discovery document whose id is ``wanted``; a 404 saying ``missing`` without one."""
    for item in resources:
        if item["id"] == wanted:
            return ScimResponse(item)
    raise scim_error(404, None, missing)


@_discovery.get("/ServiceProviderConfig", summary="What this SCIM service supports",
                response_class=ScimResponse)
def get_service_provider_config(request: Request, _: Admin, context: Context) -> Response:
    return ScimResponse(service_provider_config(base_url(request, context)))


@_discovery.get("/ResourceTypes", summary="The resource types (User, Group)",
                response_class=ScimResponse)
def list_resource_types(request: Request, _: Admin, context: Context) -> Response:
    return _listing(resource_types(base_url(request, context)))


@_discovery.get("/ResourceTypes/{name}", summary="One resource type", response_class=ScimResponse)
def get_resource_type(
    name: Annotated[str, Path(max_length=64)], request: Request, _: Admin, context: Context
) -> Response:
    return _one(resource_types(base_url(request, context)), name,
                f"There is no resource type {name!r}; there are User and Group.")


@_discovery.get("/Schemas", summary="The schemas (User, Group, WSO2 extension)",
                response_class=ScimResponse)
def list_schemas(request: Request, _: Admin, context: Context) -> Response:
    return _listing(schema_documents(base_url(request, context)))


@_discovery.get("/Schemas/{uri}", summary="One schema", response_class=ScimResponse)
def get_schema(
    uri: Annotated[str, Path(max_length=256)], request: Request, _: Admin, context: Context
) -> Response:
    return _one(schema_documents(base_url(request, context)), uri,
                f"There is no schema {uri!r}; list /Schemas to see them.")


router.include_router(_discovery)
router.include_router(_root)
