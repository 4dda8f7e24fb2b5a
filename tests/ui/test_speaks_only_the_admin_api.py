"""The console speaks only to the typed admin API: no UI module spells a path or sends a request."""

from __future__ import annotations

import ast
from pathlib import Path

import stsdesk.ui

UI = Path(stsdesk.ui.__file__).parent
# The REST and SCIM resources of the admin API, as a path would start.
_RESOURCES = ("/api/", "/scim2", "/configs", "/sts/", "/applications", "/keystores",
              "/claim-dialects", "/audit-logs", "/Users", "/Groups", "/health")
# What a module may take from the HTTP client: where a server is (never the client itself).
_ALLOWED_FROM_CLIENT = {"ServerEndpoint"}


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in UI.rglob("*.py")]


def test_no_ui_module_spells_a_path_of_the_admin_api():
    found = [
        f"{path.relative_to(UI)}:{node.lineno} {node.value!r}"
        for path, tree in _modules() for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and node.value.startswith(_RESOURCES)
    ]
    assert found == []


def test_no_ui_module_uses_the_http_client():
    found = [
        f"{path.relative_to(UI)}:{node.lineno} {alias.name}"
        for path, tree in _modules() for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "stsdesk.services.admin_client"
        for alias in node.names if alias.name not in _ALLOWED_FROM_CLIENT
    ]
    assert found == []
