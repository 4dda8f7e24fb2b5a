"""Hardened XML parsing: no DTDs, no entities, no network, bounded size and nesting."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from stsdesk.core.errors import XmlInputError

__all__ = ["XmlLimits", "parse_xml", "DEFAULT_LIMITS"]


@dataclass(frozen=True)
class XmlLimits:
    """Bounds on what the parser accepts; every value errs on the side of refusing."""

    max_bytes: int = 1_000_000
    max_depth: int = 64
    max_attribute_bytes: int = 64_000


DEFAULT_LIMITS = XmlLimits()


class _RefuseExternal(etree.Resolver):  # type: ignore[misc]
    """Loads no external entity or DTD at all.

    load_dtd=False and no_network=True do not stop libxml2 from reading a *local* file named
    by an external parameter entity in the internal subset (``<!ENTITY % p SYSTEM
    "file:///dev/urandom">%p;``): that read happens while parsing, before the DOCTYPE check
    below can refuse the document, and /dev/urandom hangs the worker for good. A resolver
    that refuses every URL makes the load fail at once; the DOCTYPE is then refused as usual.
    """

    def resolve(self, url: str | None, pubid: str | None, context: object) -> None:
        raise XmlInputError("External entities are not allowed in messages.")


def _make_parser() -> etree.XMLParser:
    # huge_tree=False keeps libxml2's own text-node and depth caps as a second line of defence.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        collect_ids=False,
    )
    parser.resolvers.add(_RefuseExternal())
    return parser


def parse_xml(data: bytes, limits: XmlLimits = DEFAULT_LIMITS) -> etree._Element:
    """Parse ``data`` into an element, refusing anything a hostile sender could abuse.

    Raises :class:`XmlInputError` for a body over the size limit, any DOCTYPE (so no entity of
    any kind), a parse error, a document nested deeper than allowed or an oversized attribute.
    """
    if not isinstance(data, bytes | bytearray):
        raise XmlInputError("The message must be bytes, not text.")
    if len(data) > limits.max_bytes:
        raise XmlInputError(
            f"The message is {len(data)} bytes; this STS accepts at most {limits.max_bytes}."
        )
    if not data.strip():
        raise XmlInputError("The message body is empty; send a SOAP envelope.")
    # One parser per call: lxml parsers are not safe to share between threads.
    try:
        root = etree.fromstring(bytes(data), parser=_make_parser())
    except etree.XMLSyntaxError as exc:
        raise XmlInputError(f"The message is not well-formed XML: {_first_line(exc)}") from exc
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot honour
        raise XmlInputError(f"The message could not be read as XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlInputError("Document type declarations (DTDs) are not allowed in messages.")
    _check_shape(root, limits)
    return root


def _check_shape(root: etree._Element, limits: XmlLimits) -> None:
    depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        if depth > limits.max_depth:
            raise XmlInputError(
                f"The message is nested {depth} levels deep; at most {limits.max_depth} are allowed."
            )
        if isinstance(element.tag, str):
            for value in element.attrib.values():
                if len(value) > limits.max_attribute_bytes:
                    raise XmlInputError("An attribute value in the message is too long.")
        elif element.tag is etree.Entity:  # pragma: no cover - entities are never resolved
            raise XmlInputError("Entity references are not allowed in messages.")


def _first_line(exc: etree.XMLSyntaxError) -> str:
    text = str(exc).splitlines()[0] if str(exc) else "syntax error"
    return text[:200]
