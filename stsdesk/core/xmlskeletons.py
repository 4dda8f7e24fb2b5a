"""Prebuilt skeletons, copied or filled in instead of rebuilt for every token.

An RSTR, a SOAP envelope or an xenc:EncryptedData is the same XML for every token of one shape;
only a few texts and attribute values differ. Two forms:

- :func:`fresh_copy`: a deep copy of an element skeleton built once (about 2 µs, against about
  20 µs element by element), for parts that are needed as a tree. Each thread keeps its own
  skeletons: lxml trees are not shared between threads.
- :class:`TextTemplate`: the skeleton written out once as text with holes, for parts that go
  out as text. Filling one is a join of strings, and the answer is serialised once, by the
  join, instead of built as a tree and written out (together about 100 µs a token).
  (A ds:Signature and the assertion itself are written as canonical text: see saml and xmldsig.)
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Hashable, Sequence

from lxml import etree

__all__ = ["fresh_copy", "hole", "TextTemplate"]

# Skeletons are keyed by their algorithms, a handful per deployment; a bound keeps a thread
# that sees many from growing without end.
_MAX_SKELETONS = 64
_local = threading.local()


def fresh_copy(key: Hashable, build: Callable[[], etree._Element]) -> etree._Element:
    """A new copy of this thread's skeleton for ``key``, made by ``build`` on first use."""
    skeletons: dict[Hashable, etree._Element] | None = getattr(_local, "skeletons", None)
    if skeletons is None:
        skeletons = _local.skeletons = {}
    skeleton = skeletons.get(key)
    if skeleton is None:
        if len(skeletons) >= _MAX_SKELETONS:
            skeletons.clear()
        skeleton = skeletons[key] = build()
    return copy.deepcopy(skeleton)


# A hole is marked by private-use characters, which XML carries and lxml writes as themselves;
# no value of a skeleton holds them (they are built from constants).
_HOLE = re.compile("\ue000([0-9]+)\ue001")


def hole(number: int) -> str:
    """The marker of hole ``number``, to put where a value goes (an element's text or an
    attribute's value) in a skeleton given to :class:`TextTemplate`."""
    return f"\ue000{number}\ue001"


class TextTemplate:
    """An element written out once as UTF-8 text, with holes for the values that differ.

    Build the element with :func:`hole` markers where the values go; :meth:`fill` puts the
    values in, already escaped and encoded by the caller, in hole-number order. Immutable, so
    one template serves every thread.
    """

    __slots__ = ("_literals", "_order")

    def __init__(self, skeleton: etree._Element) -> None:
        pieces = _HOLE.split(etree.tostring(skeleton, encoding="unicode"))
        self._literals = tuple(piece.encode("utf-8") for piece in pieces[0::2])
        self._order = tuple(int(number) for number in pieces[1::2])
        if sorted(self._order) != list(range(len(self._order))):
            raise ValueError(f"a template's holes are 0 to n-1, each once; got {self._order}")

    @property
    def holes(self) -> int:
        return len(self._order)

    def fill(self, values: Sequence[bytes]) -> bytes:
        """The text with ``values[n]`` in hole ``n``. The values must be escaped for where
        they go (see c14ntext) and UTF-8; a hole's value may be a whole element's text."""
        if len(values) != len(self._order):
            raise ValueError(f"the template has {len(self._order)} holes, not {len(values)}")
        literals = self._literals
        out = [literals[0]]
        for position, number in enumerate(self._order, start=1):
            out.append(values[number])
            out.append(literals[position])
        return b"".join(out)
