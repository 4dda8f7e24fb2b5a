"""WSO2's one-attribute list filter, ``ATTRIBUTE eq|sw|ew|co VALUE``, as a predicate on names."""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["OPERATORS", "attribute_filter"]

OPERATORS = ("eq", "sw", "ew", "co")


def attribute_filter(
    text: str | None,
    attribute: str,
    *,
    invalid: Callable[[str], Exception],
    help_text: str,
    fold_case: bool = False,
    quotes: str = '"',
) -> Callable[[str], bool]:
    """A predicate for ``?filter=ATTRIBUTE OP VALUE``; no filter (or a blank one) keeps all.

    ``eq`` compares exactly; with ``fold_case`` the other operators ignore case. A value may be
    wrapped in one of ``quotes`` (to carry spaces at its ends). A filter that does not parse
    raises ``invalid(message)``, the message ending with ``help_text``.
    """
    if text is None or not text.strip():
        return lambda _name: True
    pattern = rf"\s*{re.escape(attribute)}\s+({'|'.join(OPERATORS)})\s+(.+?)\s*"
    found = re.fullmatch(pattern, text, re.IGNORECASE)
    if found is None:
        raise invalid(f"The filter {text!r} is not understood. {help_text}")
    operator, value = found.group(1).lower(), found.group(2)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in quotes:
        value = value[1:-1]
    if operator == "eq":
        return lambda name: name == value
    fold: Callable[[str], str] = str.casefold if fold_case else str
    wanted = fold(value)
    if operator == "sw":
        return lambda name: fold(name).startswith(wanted)
    if operator == "ew":
        return lambda name: fold(name).endswith(wanted)
    return lambda name: wanted in fold(name)
