"""WSO2's WSDLs as request validators: the XSD in each WSDL's ``wsdl:types``, compiled as is."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from lxml import etree

from stsdesk.core import ns
from tests.helpers.data import DATA
from tests.helpers.wsdl import inline_schemas

__all__ = ["WSDL_DIR", "Contract", "contract"]

WSDL_DIR = DATA / "wso2-admin" / "wsdl"


class Contract:
    """One WSDL: its operations (with their SOAPActions) and its compiled message schemas."""

    def __init__(self, path: Path) -> None:
        definitions = etree.parse(str(path)).getroot()
        self.name = path.name
        self.target_namespace = definitions.get("targetNamespace", "")
        self.schema = inline_schemas(definitions, Path(tempfile.mkdtemp(prefix="wso2-wsdl-")))
        self.actions: dict[str, str] = {}
        self.empty_inputs = _empty_inputs(definitions)
        for binding in definitions.findall(f"{{{ns.WSDL}}}binding"):
            for operation in binding.findall(f"{{{ns.WSDL}}}operation"):
                for soap_operation in operation:
                    action = soap_operation.get("soapAction")
                    if action:
                        self.actions[operation.get("name", "")] = action

    def problems(self, wrapper: etree._Element) -> list[str]:
        """Why ``wrapper`` (the Body's child) is not a valid request of this WSDL."""
        if etree.QName(wrapper).localname in self.empty_inputs:
            # An input message without parts: Axis2 dispatches on the SOAPAction and takes an
            # empty wrapper; anything inside it would be a parameter WSO2 does not have.
            return [] if len(wrapper) == 0 else ["this operation takes no parameters"]
        standalone = etree.fromstring(etree.tostring(wrapper))
        if self.schema.validate(standalone):
            return []
        return [f"line {error.line}: {error.message}" for error in self.schema.error_log]


def _empty_inputs(definitions: etree._Element) -> set[str]:
    """Operations whose input message has no part, or names an element the types omit (the
    current KeyStoreAdmin.wsdl has ``getKeyStores`` commented out)."""
    declared = {element.get("name") for schema in definitions.iter(f"{{{ns.XS}}}schema")
                for element in schema.findall(f"{{{ns.XS}}}element")}
    messages = {message.get("name"): [part.get("element", "").rpartition(":")[2]
                                      for part in message.findall(f"{{{ns.WSDL}}}part")]
                for message in definitions.findall(f"{{{ns.WSDL}}}message")}
    empty = set()
    for port_type in definitions.findall(f"{{{ns.WSDL}}}portType"):
        for operation in port_type.findall(f"{{{ns.WSDL}}}operation"):
            found = operation.find(f"{{{ns.WSDL}}}input")
            if found is None:
                continue
            parts = messages.get(found.get("message", "").rpartition(":")[2], [])
            if not parts or any(part not in declared for part in parts):
                empty.add(operation.get("name", ""))
    return empty


@cache
def contract(file_name: str) -> Contract:
    return Contract(WSDL_DIR / file_name)
