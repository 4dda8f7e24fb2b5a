"""What /Users and /Groups share: message models, listing, reading, PATCH targets, responses."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    parse_filter,
)
from stsdesk.server.admin.scim_schemas import (
    PATCH_OP_SCHEMA,
    WSO2_SCHEMA,
    ScimResponse,
    etag_of,
    project,
    scim_error,
    split_attributes,
    timestamp,
)

__all__ = [
    "Context", "ResourceId", "Short", "FilterQuery", "StartIndexQuery", "CountQuery",
    "AttributesQuery", "ScimMeta", "ScimListResponse", "PatchOperation", "PatchRequest",
    "check_patch_request", "patch_targets", "PatchPath", "parse_patch_path", "value_filter",
    "element_resolver", "check_external_id", "resolver", "with_meta", "respond", "not_found",
    "read_resource", "MAX_EXTERNAL_ID",
]

Context = Annotated[AdminContext, Depends(get_context)]
ResourceId = Annotated[str, Path(max_length=64)]
Short = Annotated[str, StringConstraints(max_length=255)]
FilterQuery = Annotated[str | None, Query(max_length=10_000)]
StartIndexQuery = Annotated[int | None, Query()]
CountQuery = Annotated[int | None, Query()]
AttributesQuery = Annotated[str | None, Query(max_length=2000)]
MAX_EXTERNAL_ID = 255


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


# attrPath "[" valFilter "]" ["." subAttr] (RFC 7644 §3.5.2's valuePath), e.g.
# emails[type eq "work"].value; the filter runs to the last "]".
_VALUE_PATH = re.compile(r"^([A-Za-z$][\w$-]*)\[(.*)\](?:\.([A-Za-z$][\w$-]*))?$", re.DOTALL)
_ATTRIBUTE_PATH = re.compile(r"^[A-Za-z$][\w$-]*(?:\.[A-Za-z$][\w$-]*)?$")


@dataclass(frozen=True)
class PatchPath:
    """A PATCH path taken apart: ``emails[type eq "work"].value`` is
    ``PatchPath("emails", "value", 'type eq "work"')``. Names are lower-case; an extension's
    attributes have the extension's URN (lower-case) as ``attribute``."""

    attribute: str
    sub: str | None = None
    filter_text: str | None = None

    @property
    def name(self) -> str:
        return self.attribute + (f".{self.sub}" if self.sub else "")


def parse_patch_path(path: str, core: str, extensions: Sequence[str] = ()) -> PatchPath:
    """``path`` of a PATCH operation (RFC 7644 §3.5.2), with or without its schema's URN."""
    text = path.strip()
    lowered = text.lower()
    for extension in extensions:
        urn = extension.lower()
        if lowered == urn:
            return PatchPath(urn)
        if lowered.startswith(urn + ":"):
            return PatchPath(urn, lowered[len(urn) + 1:] or None)
    if lowered.startswith(core.lower() + ":"):
        text = text[len(core) + 1:]
    found = _VALUE_PATH.match(text)
    if found is not None:
        attribute, filter_text, sub = found.groups()
        return PatchPath(attribute.lower(), sub.lower() if sub else None, filter_text)
    if not _ATTRIBUTE_PATH.match(text):
        raise scim_error(400, "invalidPath",
                         f"{path[:100]!r} is not an attribute path; give one such as "
                         'displayName, name.givenName or emails[type eq "work"].value.')
    top, _, sub = text.lower().partition(".")
    return PatchPath(top, sub or None)


def value_filter(path: PatchPath, attributes: Mapping[str, FilterAttribute]) -> Filter:
    """The filter in ``path``'s brackets over one value's sub-attributes (``attributes``)."""
    try:
        return parse_filter(path.filter_text or "", attributes)
    except FilterError as exc:
        raise scim_error(400, "invalidFilter",
                         f"The filter in {path.attribute}[...]: {exc}") from exc


def element_resolver(element: Mapping[str, Any]) -> Callable[[str], list[Any]]:
    """``sub-attribute -> values`` over one value of a multi-valued attribute."""
    return lambda name: [element.get(name)]


def check_external_id(value: Any) -> str | None:
    """An ``externalId`` as given (RFC 7643 §3.1: the client's own identifier), or None."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_EXTERNAL_ID:
        raise scim_error(400, "invalidValue",
                         f"externalId is text of 1 to {MAX_EXTERNAL_ID} characters; to clear it, "
                         "remove it.")
    return value


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


def read_resource(
    request: Request,
    resource: dict[str, Any],
    attributes: str | None,
    excluded: str | None,
    schemas: Sequence[str],
    request_only: Sequence[tuple[str, str]] = (),
) -> Response:
    """GET of one resource: 304 when If-None-Match names its version, else it projected."""
    version = resource["meta"]["version"]
    if request.headers.get("if-none-match") == version:
        return Response(status_code=304, headers={"ETag": version})
    shown = project(resource, split_attributes(attributes), split_attributes(excluded), schemas,
                    request_only)
    return ScimResponse(shown, headers={"ETag": version})
