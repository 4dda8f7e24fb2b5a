"""Small helpers the XML modules share: single children, base64, algorithm URIs, indenting."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from lxml import etree

from stsdesk.core.errors import InvalidRequestError, StsError

__all__ = ["at_most_one", "ChildIndex", "decode_base64", "algorithm", "pretty"]

_E = TypeVar("_E", bound=StrEnum)


def at_most_one(
    parent: etree._Element, tag: str, too_many: Callable[[int], StsError]
) -> etree._Element | None:
    """The one child of ``parent`` named ``tag`` (a Clark name, no path), or None;
    ``too_many(count)`` is raised for several."""
    # iterchildren matches in C; findall went through lxml's Python ElementPath every call.
    found = parent.iterchildren(tag)
    first = next(found, None)
    if first is not None and next(found, None) is not None:
        raise too_many(2 + sum(1 for _ in found))
    return first


class ChildIndex:
    """An element's child elements by Clark name, gathered in one pass.

    A message part is read by asking for each child it may have; asking the element each time
    walked its children once per question. ``too_many(tag, count)`` is the error for a child
    that may appear once but appears ``count`` times.
    """

    __slots__ = ("_by_tag", "_too_many")

    def __init__(
        self, element: etree._Element, too_many: Callable[[str, int], StsError]
    ) -> None:
        by_tag: dict[str, list[etree._Element]] = {}
        # Plain iteration and one tag read a child: iterchildren(etree.Element) and setdefault
        # (a new list for every child) cost a fifth more.
        for child in element:
            tag = child.tag
            if isinstance(tag, str):  # comments and processing instructions are no children
                found = by_tag.get(tag)
                if found is None:
                    by_tag[tag] = [child]
                else:
                    found.append(child)
        self._by_tag = by_tag
        self._too_many = too_many

    def only(self, tag: str) -> etree._Element | None:
        """The one child named ``tag``, or None; ``too_many`` is raised for several."""
        found = self._by_tag.get(tag)
        if found is None:
            return None
        if len(found) > 1:
            raise self._too_many(tag, len(found))
        return found[0]

    def all(self, *tags: str) -> list[etree._Element]:
        """Every child named one of ``tags``: those of the first tag, then the next, ..."""
        return [child for tag in tags for child in self._by_tag.get(tag, ())]

    def has(self, tag: str) -> bool:
        return tag in self._by_tag


def decode_base64(text: str | None, what: str, error: type[StsError]) -> bytes:
    """xs:base64Binary content (white space allowed) as bytes; ``error`` if it does not decode."""
    compact = re.sub(r"\s+", "", text or "")
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise error(f"The {what} is not valid base64; encode it as base64.") from exc


def algorithm(kind: type[_E], value: str, what: str) -> _E:
    """The member of ``kind`` whose URI is ``value``; InvalidRequestError naming the choices."""
    if isinstance(value, kind):  # a member already (a StrEnum is a str): Enum's lookup is slow
        return value
    try:
        return kind(value)
    except ValueError as exc:
        raise InvalidRequestError(
            f"The {what} {value!r} is not supported; use one of "
            f"{', '.join(member.value for member in kind)}."
        ) from exc


def pretty(element: etree._Element) -> str:
    """``element`` indented for reading (a copy; ``element`` is left as it is)."""
    # A fresh parse drops the whitespace so lxml can indent; the hardened parser is not needed
    # for bytes lxml itself just wrote.
    copy = etree.fromstring(etree.tostring(element), etree.XMLParser(remove_blank_text=True))
    return etree.tostring(copy, pretty_print=True, encoding="unicode")
