"""What /Users and /Groups share: message models, listing, reading, PATCH targets, responses."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response

from stsdesk.server.admin.context import AdminContext, get_context
from stsdesk.server.admin.errors import ApiError
from stsdesk.server.admin.scim_filter import (
    Filter,
    FilterAttribute,
    FilterError,
    matches,
    parse_filter,
)
from stsdesk.server.admin.scim_schemas import (
    PATCH_OP_SCHEMA,
    WSO2_SCHEMA,
    ScimResponse,
    etag_of,
    list_response,
    page,
    project,
    scim_error,
    split_attributes,
    timestamp,
)

__all__ = [
    "Context", "ResourceId", "Short", "FilterQuery", "StartIndexQuery", "CountQuery",
    "AttributesQuery", "ScimMeta", "ScimListResponse", "PatchOperation", "PatchRequest",
    "check_patch_request", "patch_targets", "resolver", "with_meta", "respond", "not_found",
    "parse_list_filter", "list_resources", "read_resource",
]

Context = Annotated[AdminContext, Depends(get_context)]
ResourceId = Annotated[str, Path(max_length=64)]
Short = Annotated[str, StringConstraints(max_length=255)]
FilterQuery = Annotated[str | None, Query(max_length=10_000)]
StartIndexQuery = Annotated[int | None, Query()]
CountQuery = Annotated[int | None, Query()]
AttributesQuery = Annotated[str | None, Query(max_length=2000)]


# ------------------------------------------------------------------------------------ models


class ScimMeta(BaseModel):
    resourceType: str  # noqa: N815 (SCIM's spelling)
    created: str | None = None
    lastModified: str | None = None  # noqa: N815
    location: str
    version: str


class ScimListResponse(BaseModel):
    schemas: list[str]
    totalResults: int  # noqa: N815
    itemsPerPage: int  # noqa: N815
    startIndex: int  # noqa: N815
    Resources: list[dict[str, Any]]  # noqa: N815


class PatchOperation(BaseModel):
    model_config = ConfigDict(extra="ignore")
    op: str = Field(max_length=16)
    path: str | None = Field(None, max_length=512)
    value: Any = None


class PatchRequest(BaseModel):
    """RFC 7644 §3.5.2: ``{"schemas": [PatchOp], "Operations": [...]}``; applied atomically."""

    model_config = ConfigDict(extra="ignore")
    schemas: list[Short] = Field(max_length=10)
    Operations: list[PatchOperation] = Field(max_length=100)  # noqa: N815


# ------------------------------------------------------------------------------------ PATCH


def check_patch_request(body: PatchRequest) -> None:
    """The PatchOp message's schema and operation names."""
    if PATCH_OP_SCHEMA not in body.schemas:
        raise scim_error(400, "invalidSyntax",
                         f"A PATCH body must list the schema {PATCH_OP_SCHEMA}.")
    if not body.Operations:
        raise scim_error(400, "invalidSyntax",
                         "The PATCH body has no Operations; give at least one.")
    for operation in body.Operations:
        if operation.op.lower() not in ("add", "replace", "remove"):
            raise scim_error(400, "invalidSyntax",
                             f"{operation.op!r} is not a PATCH operation; use add, replace or "
                             "remove.")


def patch_targets(operation: PatchOperation, example: str) -> list[tuple[str, Any]]:
    """The ``(path, value)`` pairs one operation changes (RFC 7644 §3.5.2).

    Without a path the value is an object of attributes (``example`` shows one, for the message);
    its ``schemas`` member names no attribute and is skipped.
    """
    if operation.path is not None:
        return [(operation.path, operation.value)]
    if operation.op.lower() == "remove":
        raise scim_error(400, "noTarget", "A remove operation needs a path.")
    if not isinstance(operation.value, dict):
        raise scim_error(400, "invalidValue",
                         f"Without a path, the value must be an {example}.")
    return [(k, v) for k, v in operation.value.items() if k.lower() != "schemas"]


# ------------------------------------------------------------------------------------ resources


def resolver(resource: dict[str, Any]) -> Callable[[str], list[Any]]:
    """``path -> values`` over a resource's JSON, for scim_filter.matches."""

    def resolve(path: str) -> list[Any]:
        if path.startswith(WSO2_SCHEMA + ":"):
            extension = resource.get(WSO2_SCHEMA) or {}
            return [extension.get(path[len(WSO2_SCHEMA) + 1:])]
        top, _, sub = path.partition(".")
        value = resource.get(top)
        items = value if isinstance(value, list) else [value]
        if not sub:
            return items
        return [item.get(sub) for item in items if isinstance(item, dict)]

    return resolve


def with_meta(
    resource: dict[str, Any],
    resource_type: str,
    created: datetime | None,
    modified: datetime | None,
    location: str,
) -> dict[str, Any]:
    """``resource`` with its ``meta`` set; the version is the ETag of all the rest."""
    resource["meta"] = {
        "resourceType": resource_type,
        "created": timestamp(created),
        "lastModified": timestamp(modified or created),
        "location": location,
    }
    resource["meta"]["version"] = etag_of(resource)
    return resource


def respond(resource: dict[str, Any], status: int = 200, **headers: str) -> Response:
    """``resource`` with its version as the ETag header."""
    return ScimResponse(
        resource, status_code=status, headers={"ETag": resource["meta"]["version"], **headers}
    )


def not_found(kind: str, resource_id: str, endpoint: str) -> ApiError:
    """The 404 for an id that names no ``kind`` (``endpoint`` is where to look it up)."""
    return scim_error(404, None,
                      f"There is no {kind} with id {resource_id!r}; list {endpoint} to find it.")


def parse_list_filter(
    text: str | None, attributes: Mapping[str, FilterAttribute], schemas: tuple[str, ...]
) -> Filter | None:
    """The ``filter`` query parameter parsed, or None without one; a bad one is a 400."""
    if text is None:
        return None
    try:
        return parse_filter(text, attributes, schemas=schemas)
    except FilterError as exc:
        raise scim_error(400, "invalidFilter", str(exc)) from exc


def list_resources(
    resources: list[dict[str, Any]],
    node: Filter | None,
    resolve: Callable[[dict[str, Any]], Callable[[str], list[Any]]],
    *,
    start_index: int | None,
    count: int | None,
    attributes: str | None,
    excluded: str | None,
    schemas: Sequence[str],
) -> Response:
    """A ListResponse: the resources ``node`` matches, one page of them, projected."""
    if node is not None:
        resources = [r for r in resources if matches(node, resolve(r))]
    start, size = page(start_index, count)
    answer = list_response(resources, start, size)
    keep, drop = split_attributes(attributes), split_attributes(excluded)
    answer["Resources"] = [project(r, keep, drop, schemas) for r in answer["Resources"]]
    return ScimResponse(answer)


def read_resource(
    request: Request,
    resource: dict[str, Any],
    attributes: str | None,
    excluded: str | None,
    schemas: Sequence[str],
) -> Response:
    """GET of one resource: 304 when If-None-Match names its version, else it projected."""
    version = resource["meta"]["version"]
    if request.headers.get("if-none-match") == version:
        return Response(status_code=304, headers={"ETag": version})
    shown = project(resource, split_attributes(attributes), split_attributes(excluded), schemas)
    return ScimResponse(shown, headers={"ETag": version})
