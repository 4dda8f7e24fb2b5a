"""Values written as exclusive XML canonical text: escaped as C14N does, unwritable ones refused.

Canonical XML 1.0 (section 2.3) escapes ``& < >`` and carriage return in text (``&amp; &lt;
&gt; &#xD;``) and ``& < "``, tab, line feed and carriage return in attribute values (``&amp;
&lt; &quot; &#x9; &#xA; &#xD;``), and writes every other character as itself in UTF-8. A value
written so is read back unchanged by any XML parser and canonicalises to the same text, which
is what lets a token be written once as text and signed from that text.

XML 1.0 cannot carry some characters at all (control characters other than tab, line feed and
carriage return, U+FFFE, U+FFFF and unpaired surrogates); a value holding one is refused with an
:class:`InvalidRequestError` that names the value and the character, never the value itself.
"""

from __future__ import annotations

import re

from stsdesk.core.errors import InvalidRequestError

__all__ = ["escape_text", "escape_attribute"]

# Everything outside XML 1.0's Char production (section 2.2).
_UNWRITABLE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Everything but the characters written as themselves: most values hold none, and one search
# tells so.
_TEXT_NOT_PLAIN = re.compile("[^\t\n\x20-%'-;=?-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_NOT_PLAIN = re.compile("[^\x20-!#-%'-;=-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_SPECIAL = re.compile("[&<>\r]")
_ATTRIBUTE_SPECIAL = re.compile('[&<"\t\n\r]')
_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;"}
_ATTRIBUTE_ESCAPES = {
    "&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xA;", "\r": "&#xD;",
}


def escape_text(value: str, what: str) -> str:
    """``value`` as canonical element text; ``what`` names it in the error (e.g. "subject name")."""
    if _TEXT_NOT_PLAIN.search(value) is None:
        return value
    _refuse_unwritable(value, what)
    return _TEXT_SPECIAL.sub(lambda match: _TEXT_ESCAPES[match.group()], value)


def escape_attribute(value: str, what: str) -> str:
    """``value`` as a canonical attribute value (without its quotes)."""
    if _ATTRIBUTE_NOT_PLAIN.search(value) is None:
        return value
    _refuse_unwritable(value, what)
    return _ATTRIBUTE_SPECIAL.sub(lambda match: _ATTRIBUTE_ESCAPES[match.group()], value)


def _refuse_unwritable(value: str, what: str) -> None:
    found = _UNWRITABLE.search(value)
    if found is not None:
        raise InvalidRequestError(
            f"The {what} contains a character XML cannot carry (U+{ord(found.group()):04X} at "
            f"position {found.start() + 1}), so no token can hold it. Change it: a token can carry "
            "no control characters other than tab, line feed and carriage return, no U+FFFE or "
            "U+FFFF and no unpaired surrogates."
        )
