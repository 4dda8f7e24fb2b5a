"""SCIM queries (RFC 7644 §3.4.2, §3.4.3): filter, sort, page and project one or more resource
types, for GET on a collection and POST to ``/.search``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends
from fastapi import Query as QueryParameter
from pydantic import BaseModel, ConfigDict, Field

from stsdesk.server.admin.context import AdminContext
from stsdesk.server.admin.scim_common import (
    AttributesQuery,
    CountQuery,
    FilterQuery,
    StartIndexQuery,
)
from stsdesk.server.admin.scim_filter import (
    Filter,
    FilterAttribute,
    FilterError,
    matches,
    parse_filter,
)
from stsdesk.server.admin.scim_schemas import (
    SEARCH_REQUEST_SCHEMA,
    ScimResponse,
    list_response,
    page,
    project,
    scim_error,
    split_attributes,
)

__all__ = [
    "ResourceKind", "Query", "UrlQuery", "SearchRequest", "SortByQuery", "SortOrderQuery",
    "run_query", "sort_key",
]

SortByQuery = Annotated[str | None, QueryParameter(max_length=255)]
SortOrderQuery = Annotated[str | None, QueryParameter(max_length=16)]
_Resolve = Callable[[dict[str, Any]], Callable[[str], list[Any]]]


@dataclass(frozen=True)
class ResourceKind:
    """What a query needs to know of one resource type."""

    name: str  # "User"
    schemas: tuple[str, ...]  # the core schema first, then its extensions
    attributes: Mapping[str, FilterAttribute]  # what filter and sortBy may name (lower-case)
    resolve: _Resolve  # resource -> (path -> values)
    load: Callable[[AdminContext, str], list[dict[str, Any]]]  # (context, base URL) -> all
    # (attribute, sub-attribute), lower-case, returned only when asked for by name
    request_only: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Query:
    """The parameters of a query, from the URL (GET) or a SearchRequest (POST .search)."""

    filter: str | None = None
    start_index: int | None = None
    count: int | None = None
    attributes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    sort_by: str | None = None
    sort_order: str | None = None



def _url_query(
    filter: FilterQuery = None,  # noqa: A002 (SCIM's name)
    startIndex: StartIndexQuery = None,  # noqa: N803
    count: CountQuery = None,
    attributes: AttributesQuery = None,
    excludedAttributes: AttributesQuery = None,  # noqa: N803
    sortBy: SortByQuery = None,  # noqa: N803
    sortOrder: SortOrderQuery = None,  # noqa: N803
) -> Query:
    """RFC 7644 §3.4.2's URL parameters of ``GET`` on a collection, as a Query."""
    return Query(filter, startIndex, count, tuple(split_attributes(attributes)),
                 tuple(split_attributes(excludedAttributes)), sortBy, sortOrder)


# The query of a GET on /Users or /Groups: one set of URL parameters for every collection.
UrlQuery = Annotated[Query, Depends(_url_query)]


class SearchRequest(BaseModel):
    """RFC 7644 §3.4.3: the body of ``POST .../.search``."""

    model_config = ConfigDict(extra="ignore")
    schemas: list[Annotated[str, Field(max_length=255)]] = Field(max_length=10)
    attributes: list[Annotated[str, Field(max_length=255)]] | None = Field(None, max_length=100)
    excludedAttributes: list[Annotated[str, Field(max_length=255)]] | None = Field(  # noqa: N815
        None, max_length=100)
    filter: str | None = Field(None, max_length=10_000)
    sortBy: str | None = Field(None, max_length=255)  # noqa: N815
    sortOrder: str | None = Field(None, max_length=16)  # noqa: N815
    startIndex: int | None = None  # noqa: N815
    count: int | None = None

    def query(self) -> Query:
        if SEARCH_REQUEST_SCHEMA not in self.schemas:
            raise scim_error(400, "invalidSyntax",
                             f"A search body must list the schema {SEARCH_REQUEST_SCHEMA}.")
        return Query(self.filter, self.startIndex, self.count, tuple(self.attributes or ()),
                     tuple(self.excludedAttributes or ()), self.sortBy, self.sortOrder)


def _strip_schema(name: str, kinds: Sequence[ResourceKind]) -> str:
    """``name`` without its core schema's URN; an extension's URN is part of the name."""
    lowered = name.strip().lower()
    for kind in kinds:
        core = kind.schemas[0].lower()
        if lowered.startswith(core + ":"):
            return lowered[len(core) + 1:]
    return lowered


def _parse(text: str | None, kind: ResourceKind, kinds: Sequence[ResourceKind]) -> Filter | None:
    if text is None:
        return None
    # Core schemas prefix names ("urn:...:User:userName"); an extension's URN is part of its
    # attributes' names in the table.
    schemas = tuple(each.schemas[0] for each in kinds)
    others = frozenset(name for each in kinds if each is not kind for name in each.attributes)
    try:
        return parse_filter(text, kind.attributes, schemas=schemas, others=others)
    except FilterError as exc:
        raise scim_error(400, "invalidFilter", str(exc)) from exc


def _sort_attribute(name: str, kinds: Sequence[ResourceKind]) -> dict[str, FilterAttribute]:
    """The attribute ``sortBy`` names in each resource type that has it (by type name)."""
    lowered = _strip_schema(name, kinds)
    found = {kind.name: kind.attributes[lowered] for kind in kinds if lowered in kind.attributes}
    if not found:
        allowed = ", ".join(sorted({a.path for kind in kinds for a in kind.attributes.values()}))
        raise scim_error(400, "invalidValue",
                         f"{name[:100]!r} cannot be sorted by; use one of {allowed}.")
    return found


def sort_key(values: list[Any], attribute: FilterAttribute) -> tuple[int, int, Any]:
    """RFC 7644 §3.4.2.3: the primary (listed first) or first value; case-insensitive unless the
    attribute is case-exact; resources without a value come last when ascending."""
    present = [v for v in values if v is not None and v != ""]
    if not present:
        return (1, 0, "")
    value = present[0]
    if isinstance(value, bool):
        return (0, 0, int(value))
    if isinstance(value, int | float):
        return (0, 1, value)
    text = str(value)
    return (0, 2, text if attribute.case_exact else text.casefold())


def _direction(order: str | None) -> bool:
    """True for descending."""
    if order is None or order.lower() == "ascending":
        return False
    if order.lower() == "descending":
        return True
    raise scim_error(400, "invalidValue",
                     f"sortOrder {order[:20]!r} is not ascending or descending.")


def run_query(
    context: AdminContext, base: str, query: Query, kinds: Sequence[ResourceKind]
) -> ScimResponse:
    """A ListResponse of ``kinds``' resources that ``query`` selects, sorted, paged, projected.

    Over several types (the server root's ``/.search``) a filter or sortBy attribute counts as
    absent in a type that lacks it (RFC 7644 §3.4.2.1); it must belong to at least one type.
    """
    nodes = {kind.name: _parse(query.filter, kind, kinds) for kind in kinds}
    descending = _direction(query.sort_order)
    by = _sort_attribute(query.sort_by, kinds) if query.sort_by else None
    selected: list[tuple[ResourceKind, dict[str, Any]]] = []
    for kind in kinds:
        node = nodes[kind.name]
        for resource in kind.load(context, base):
            if node is None or matches(node, kind.resolve(resource)):
                selected.append((kind, resource))
    if by is not None:
        def key(item: tuple[ResourceKind, dict[str, Any]]) -> tuple[int, int, Any]:
            kind, resource = item
            attribute = by.get(kind.name)
            if attribute is None:
                return (1, 0, "")
            return sort_key(kind.resolve(resource)(attribute.path), attribute)

        # Ascending puts missing values last; descending reverses, so they come first.
        selected.sort(key=key, reverse=descending)
    start, size = page(query.start_index, query.count)
    answer = list_response(selected, start, size)
    answer["Resources"] = [
        project(resource, query.attributes, query.excluded, kind.schemas, kind.request_only)
        for kind, resource in answer["Resources"]
    ]
    return ScimResponse(answer)

