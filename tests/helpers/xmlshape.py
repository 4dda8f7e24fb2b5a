"""Where a serialised XML token declares its namespaces, read from its text (not from lxml)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from lxml import etree

__all__ = ["Declaration", "declarations", "unused_declarations"]

_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@dataclass(frozen=True)
class Declaration:
    element: str  # the declaring element's prefixed name, e.g. "ds:Signature"
    prefix: str
    uri: str
    used: bool  # by the element or a descendant: a name, an attribute or an xsi:type value
    repeated: bool = False  # an ancestor already declares the same prefix for the same URI
    path: str = ""  # the declaring element's ancestors and itself: "/s:Envelope/.../ds:Signature"


def declarations(xml: bytes) -> list[Declaration]:
    """Every namespace declaration in ``xml``, in document order, with whether it is used."""
    pending: list[tuple[str, str]] = []
    found: list[tuple[etree._Element, str, str]] = []
    for event, item in etree.iterparse(io.BytesIO(xml), events=("start-ns", "start")):
        if event == "start-ns":
            pending.append(item)
        else:
            found.extend((item, prefix, uri) for prefix, uri in pending)
            pending = []
    return [
        Declaration(
            _prefixed(element), prefix, uri, _uses(element, prefix, uri),
            repeated=_parent_declares(element, prefix, uri), path=_path(element),
        )
        for element, prefix, uri in found
    ]


def unused_declarations(xml: bytes) -> list[Declaration]:
    """The declarations nothing uses, and those that repeat one in force already."""
    return [d for d in declarations(xml) if not d.used or d.repeated]


def _path(element: etree._Element) -> str:
    names = [_prefixed(node) for node in (element, *element.iterancestors())]
    return "/" + "/".join(reversed(names))


def _parent_declares(element: etree._Element, prefix: str, uri: str) -> bool:
    parent = element.getparent()
    return parent is not None and parent.nsmap.get(prefix or None) == uri


def _prefixed(element: etree._Element) -> str:
    qname = etree.QName(element)
    return f"{element.prefix}:{qname.localname}" if element.prefix else qname.localname


def _uses(scope: etree._Element, prefix: str, uri: str) -> bool:
    for node in scope.iter(tag=etree.Element):
        if node.prefix == prefix and etree.QName(node).namespace == uri:
            return True
        for name, value in node.attrib.items():
            if etree.QName(name).namespace == uri:
                return True
            if name == _XSI_TYPE and value.partition(":")[0] == prefix and ":" in value:
                return True
    return False
