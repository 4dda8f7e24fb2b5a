"""Schemas for checking WSDL and MEX documents: their own inline schemas, and the standards'."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from stsdesk.core import ns
from tests.helpers.data import SCHEMAS

XS = ns.XS


def _driver(imports: dict[str, str]) -> etree._Element:
    """A schema with no content that imports each namespace from its file."""
    driver = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS},
                           targetNamespace="urn:stsdesk:test:driver")
    for namespace, location in imports.items():
        etree.SubElement(driver, f"{{{XS}}}import", namespace=namespace, schemaLocation=location)
    return driver


def inline_schemas(definitions: etree._Element, folder: Path) -> etree.XMLSchema:
    """Compile every ``xs:schema`` in ``wsdl:types`` together, as a WSDL client does.

    Each is written to its own file and its namespace-only imports are pointed at the file of
    that namespace, so the document's references resolve among its own schemas and nowhere else.
    """
    schemas = definitions.findall(f"{{{ns.WSDL}}}types/{{{XS}}}schema")
    files = {}
    for index, schema in enumerate(schemas):
        files[schema.get("targetNamespace")] = folder / f"inline-{index}.xsd"
    for schema in schemas:
        standalone = etree.fromstring(etree.tostring(schema))
        for imported in standalone.findall(f"{{{XS}}}import"):
            imported.set("schemaLocation", files[imported.get("namespace")].as_uri())
        files[schema.get("targetNamespace")].write_bytes(etree.tostring(standalone))
    return etree.XMLSchema(_driver({namespace: path.as_uri() for namespace, path in files.items()}))


@cache
def policy_schemas() -> etree.XMLSchema:
    """WS-Policy 2004/09 with WS-SecurityPolicy 1.1 (2005/07) and 1.2, for ``wsp:Policy``."""
    return etree.XMLSchema(_driver({
        ns.WSP_2004: (SCHEMAS / "ws-policy-200409.xsd").as_uri(),
        ns.SP_2005: (SCHEMAS / "ws-securitypolicy-1.1.xsd").as_uri(),
        ns.SP_12: (SCHEMAS / "ws-securitypolicy-1.2.xsd").as_uri(),
        ns.WST_13: (SCHEMAS / "ws-trust-200512.xsd").as_uri(),
    }))


@cache
def addressing_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "ws-addr-200508.xsd")))


def assert_valid(element: etree._Element, schema: etree.XMLSchema) -> None:
    """Validate ``element`` cut out of its document."""
    standalone = etree.fromstring(etree.tostring(element))
    if not schema.validate(standalone):
        raise AssertionError(f"{element.tag} is not valid: {schema.error_log}")
