"""Where the tests' own data lives: the OASIS/W3C schemas and WSO2's OpenAPI definitions."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DATA", "SCHEMAS", "WSO2_OPENAPI"]

# Carried by the project (tests/data), so that a fresh clone tests itself with nothing beside it.
DATA = Path(__file__).resolve().parents[1] / "data"
SCHEMAS = DATA / "schemas"
WSO2_OPENAPI = DATA / "wso2-openapi"
