"""Hardened XML parsing: no DTDs, no entities, no network, bounded size and nesting."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from lxml import etree

from stsdesk.core.errors import XmlInputError

__all__ = ["XmlLimits", "parse_xml", "DEFAULT_LIMITS", "OWN_TEXT_LIMITS"]


@dataclass(frozen=True)
class XmlLimits:
    """Bounds on what the parser accepts; every value errs on the side of refusing."""

    max_bytes: int = 1_000_000
    max_depth: int = 64
    max_attribute_bytes: int = 64_000


DEFAULT_LIMITS = XmlLimits()
# For text the STS wrote itself (a token read back as a tree): the limits on size protect it
# from a hostile sender's message and would only refuse a token with very many or very long
# claim values; depth and the rest still hold.
OWN_TEXT_LIMITS = XmlLimits(max_bytes=2**31 - 1, max_attribute_bytes=2**31 - 1)


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


class _ShapeCheck:
    """The shape limits as compiled XPath, so the whole tree is checked in libxml2's C code.

    Walking the tree in Python (iterwalk, every element's attributes) cost as much as parsing
    the message. ``too_deep`` finds an element more than ``max_depth`` levels down (the root is
    level 1), as the walk did.
    """

    def __init__(self, limits: XmlLimits) -> None:
        path = "/*" * (limits.max_depth + 1)
        self.too_deep = etree.XPath(f"boolean({path})")
        # string-length counts characters, as len() of the attribute's text did.
        self.long_attribute = etree.XPath(
            f"boolean(//@*[string-length() > {int(limits.max_attribute_bytes)}])"
        )


class _ThreadTools(threading.local):
    """One hardened parser and one set of shape checks per thread.

    An lxml parser must not be used by two threads at once, and building one per message cost
    a fifth of the parse; an XPath evaluator keeps its state behind a lock of its own, so
    threads sharing one could wait on each other. Each thread builds its own on first use,
    with the options above, and reuses them.
    """

    def __init__(self) -> None:
        self.parser = _make_parser()
        self.shape_checks: dict[XmlLimits, _ShapeCheck] = {}

    def shape_check(self, limits: XmlLimits) -> _ShapeCheck:
        check = self.shape_checks.get(limits)
        if check is None:
            check = self.shape_checks[limits] = _ShapeCheck(limits)
        return check


_thread_tools = _ThreadTools()


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
    tools = _thread_tools
    try:
        root = etree.fromstring(bytes(data), parser=tools.parser)
    except etree.XMLSyntaxError as exc:
        raise XmlInputError(f"The message is not well-formed XML: {_first_line(exc)}") from exc
    except ValueError as exc:  # e.g. an encoding declaration lxml cannot honour
        raise XmlInputError(f"The message could not be read as XML: {exc}") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlInputError("Document type declarations (DTDs) are not allowed in messages.")
    # No DOCTYPE, so no entity can be declared: the parser has refused every reference to one
    # (an undeclared entity is not well-formed), and no entity node can be in the tree.
    utf8 = docinfo.encoding in _UTF8_NAMES
    _check_shape(root, len(data) if utf8 else None, limits, tools.shape_check(limits))
    return root


# How lxml reports a UTF-8 document: as declared, or UTF-8 when nothing is declared. It says
# UTF-8 too for a UTF-16 document with a byte order mark and no declaration, which takes two
# bytes or more a character: its size bounds an attribute all the more.
_UTF8_NAMES = frozenset(("UTF-8", "utf-8"))


def _check_shape(
    root: etree._Element, utf8_bytes: int | None, limits: XmlLimits, check: _ShapeCheck
) -> None:
    """``utf8_bytes`` is the size of a UTF-8 message, None for another encoding."""
    if check.too_deep(root):
        raise XmlInputError(
            f"The message is nested {limits.max_depth + 1} levels deep; at most "
            f"{limits.max_depth} are allowed."
        )
    # In UTF-8 every character of an attribute's value comes from at least one byte of the
    # message (without a DTD no entity or default value adds any), so a message of N bytes
    # cannot hold a longer attribute: most are too short to need the XPath over every
    # attribute, a third of these checks' cost.
    may_hold_one = utf8_bytes is None or utf8_bytes > limits.max_attribute_bytes
    if may_hold_one and check.long_attribute(root):
        raise XmlInputError("An attribute value in the message is too long.")


def _first_line(exc: etree.XMLSyntaxError) -> str:
    text = str(exc).splitlines()[0] if str(exc) else "syntax error"
    return text[:200]
