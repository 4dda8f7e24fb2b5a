"""WSO2 Identity Server's own OpenAPI definitions as a check on our admin API's responses.

The admin API mirrors WSO2's REST APIs so that one client speaks to both. Where a path exists in
WSO2's definitions (tests/data/wso2-openapi), the JSON we answer must be valid against the schema
WSO2 declares for that operation and status; paths WSO2 does not have (ours alone) are not checked.
Validation uses openapi-schema-validator (OpenAPI 3.0 semantics: ``nullable``, ``format``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator, OAS30WriteValidator

from tests.helpers.data import WSO2_OPENAPI

__all__ = ["API_PREFIX", "Operation", "operation_for", "response_problems", "assert_wso2_shaped",
           "request_problems"]

API_PREFIX = "/api/server/v1"
_DOCUMENTS = ("applications.yaml", "configs.yaml", "keystore.yaml")


@dataclass(frozen=True)
class Operation:
    document: str
    template: str
    method: str
    spec: dict[str, Any]


@cache
def _document(name: str) -> dict[str, Any]:
    return yaml.safe_load((WSO2_OPENAPI / name).read_text(encoding="utf-8"))


def _pattern(template: str) -> re.Pattern[str]:
    # Literal segments win over templated ones: "/applications/meta/..." is not an application id.
    parts = [
        "[^/]+" if segment.startswith("{") else re.escape(segment)
        for segment in template.strip("/").split("/")
        if segment
    ]
    return re.compile("^/" + "/".join(parts) + "/?$")


@cache
def _operations() -> list[tuple[re.Pattern[str], int, Operation]]:
    found = []
    for name in _DOCUMENTS:
        for template, item in _document(name)["paths"].items():
            templated = template.count("{")
            for method, spec in item.items():
                if method in {"get", "put", "post", "patch", "delete"}:
                    operation = Operation(name, template, method.upper(), spec)
                    found.append((_pattern(template), templated, operation))
    found.sort(key=lambda entry: entry[1])  # fewer template segments first
    return found


def operation_for(method: str, path: str) -> Operation | None:
    """WSO2's operation for ``method path`` (the path with or without the API prefix), if any."""
    if path.startswith(API_PREFIX):
        path = path[len(API_PREFIX):]
    path = path.split("?", 1)[0]
    for pattern, _, operation in _operations():
        if operation.method == method.upper() and pattern.match(path):
            return operation
    return None


def _response_schema(operation: Operation, status: int) -> dict[str, Any] | None:
    responses = operation.spec.get("responses", {})
    answer = responses.get(str(status)) or responses.get("default")
    if answer is None:
        return None
    content = answer.get("content", {})
    media = content.get("application/json") or content.get("*/*")
    return None if media is None else media.get("schema")


def response_problems(method: str, path: str, status: int, body: Any) -> list[str] | None:
    """Why ``body`` is not what WSO2 declares for this answer; None when WSO2 declares nothing."""
    operation = operation_for(method, path)
    if operation is None:
        return None
    schema = _response_schema(operation, status)
    if schema is None:
        return None
    # "#/components/..." references resolve against the schema's root: carry the components.
    rooted = {**schema, "components": _document(operation.document).get("components", {})}
    validator = OAS30Validator(rooted)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def assert_wso2_shaped(method: str, path: str, status: int, body: Any) -> None:
    problems = response_problems(method, path, status, body)
    assert not problems, (
        f"{method} {path} -> {status} is not valid against WSO2's OpenAPI schema: {problems}"
    )


def _request_schema(operation: Operation) -> dict[str, Any] | None:
    content = operation.spec.get("requestBody", {}).get("content", {})
    media = content.get("application/json")
    return None if media is None else media.get("schema")


def request_problems(method: str, path: str, body: Any) -> list[str] | None:
    """Why a request ``body`` is not what WSO2 declares it accepts; None when WSO2 has no such
    operation or declares no JSON body for it.

    WSO2's request models mark server-set fields (``id``...) ``readOnly``: a client that sends
    them is refused here as WSO2 ignores or refuses them.
    """
    operation = operation_for(method, path)
    if operation is None:
        return None
    schema = _request_schema(operation)
    if schema is None:
        return None if body is None else [f"{method} {path} takes no body"]
    if body is None:
        return [f"{method} {path} needs a JSON body"]
    rooted = {**schema, "components": _document(operation.document).get("components", {})}
    validator = OAS30WriteValidator(rooted)
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(body)
    ]
