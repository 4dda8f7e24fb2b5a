"""SCIM filter expressions (RFC 7644 §3.4.2.2): a small, safe parser and a resource matcher.

The grammar handled here::

    filter  = term *("or" term)
    term    = factor *("and" factor)
    factor  = "not" "(" filter ")" / "(" filter ")" / attrPath "pr" / attrPath compareOp compValue
    compareOp = "eq" / "ne" / "co" / "sw" / "ew" / "gt" / "ge" / "lt" / "le"
    compValue = "false" / "null" / "true" / number / string   (string: a JSON string)

Nothing is evaluated as code and nothing becomes SQL: a filter is parsed into frozen nodes and
matched against the resource's JSON representation. Attribute names are checked against the
attributes a resource type allows, so a filter on anything else is an error, not an empty result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FilterError", "Comparison", "Present", "Logical", "Negation", "Filter", "FilterAttribute",
    "parse_filter", "matches", "MAX_FILTER_LENGTH", "ABSENT",
]

MAX_FILTER_LENGTH = 1000
_MAX_TOKENS = 200
_MAX_DEPTH = 16

_OPERATORS = frozenset({"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"})
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<open>\()
    | (?P<close>\))
    | (?P<string>"(?:[^"\\\x00-\x1f]|\\.)*")
    | (?P<bracket>[\[\]])
    | (?P<word>[A-Za-z0-9_$:.+\-]+)
    """,
    re.VERBOSE,
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


class FilterError(ValueError):
    """The filter cannot be parsed or names an attribute that cannot be filtered on."""


@dataclass(frozen=True)
class FilterAttribute:
    """An attribute a filter may name: its canonical path, value type and case rule."""

    path: str  # as in the JSON representation: "userName", "name.givenName", "emails.value"
    kind: str = "string"  # "string", "boolean", or "absent" (see ABSENT)
    case_exact: bool = False


# An attribute of another resource type, in a query over several (RFC 7644 §3.4.2.1): "For
# filtered attributes that are not part of a particular resource type, the service provider
# SHALL treat the attribute as if there is no attribute value."
ABSENT = FilterAttribute("", kind="absent")


@dataclass(frozen=True)
class Comparison:
    attribute: FilterAttribute
    operator: str
    value: str | bool | float | None


@dataclass(frozen=True)
class Present:
    attribute: FilterAttribute


@dataclass(frozen=True)
class Logical:
    operator: str  # "and" or "or"
    left: Filter
    right: Filter


@dataclass(frozen=True)
class Negation:
    operand: Filter


Filter = Comparison | Present | Logical | Negation


def parse_filter(
    text: str,
    attributes: Mapping[str, FilterAttribute],
    *,
    schemas: tuple[str, ...] = (),
    others: frozenset[str] = frozenset(),
) -> Filter:
    """Parse ``text``; ``attributes`` maps lower-case names (and aliases) to attributes.

    A name may carry one of ``schemas`` as its URN prefix
    (``urn:ietf:params:scim:schemas:core:2.0:User:userName``). A name in ``others`` (lower-case:
    another resource type's attribute, in a query over several) becomes :data:`ABSENT`; any
    other unknown name is an error. Raises FilterError.
    """
    if len(text) > MAX_FILTER_LENGTH:
        raise FilterError(
            f"The filter is longer than {MAX_FILTER_LENGTH} characters; narrow it down."
        )
    tokens = _tokenise(text)
    parser = _Parser(tokens, attributes, tuple(s.lower() for s in schemas), others)
    result = parser.filter(0)
    if parser.position != len(tokens):
        raise FilterError(
            f"The filter has unexpected text at {tokens[parser.position][1]!r}; join "
            "expressions with 'and' or 'or'."
        )
    return result


def _tokenise(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None:
            raise FilterError(
                f"The filter has a character that is not allowed at position {position + 1} "
                f"({text[position]!r}); quote values as JSON strings, e.g. userName eq \"bjensen\"."
            )
        position = found.end()
        kind = found.lastgroup or ""
        if kind == "space":
            continue
        if kind == "bracket":
            raise FilterError(
                "Value filters in brackets (such as emails[type eq \"work\"]) are not supported "
                "in this filter; use emails.value or emails.type instead."
            )
        tokens.append((kind, found.group()))
        if len(tokens) > _MAX_TOKENS:
            raise FilterError(f"The filter has more than {_MAX_TOKENS} parts; simplify it.")
    if not tokens:
        raise FilterError(
            "The filter is empty; give an expression such as userName eq \"bjensen\"."
        )
    return tokens


class _Parser:
    def __init__(
        self,
        tokens: list[tuple[str, str]],
        attributes: Mapping[str, FilterAttribute],
        schemas: tuple[str, ...],
        others: frozenset[str],
    ) -> None:
        self.tokens = tokens
        self.position = 0
        self._attributes = attributes
        self._schemas = schemas
        self._others = others

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise FilterError("The filter ends too early; complete the last expression.")
        self.position += 1
        return token

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token is not None and token[0] == "word" and token[1].lower() == word:
            self.position += 1
            return True
        return False

    def filter(self, depth: int) -> Filter:
        if depth > _MAX_DEPTH:
            raise FilterError(f"The filter nests deeper than {_MAX_DEPTH} levels; simplify it.")
        node = self._term(depth)
        while self._keyword("or"):
            node = Logical("or", node, self._term(depth))
        return node

    def _term(self, depth: int) -> Filter:
        node = self._factor(depth)
        while self._keyword("and"):
            node = Logical("and", node, self._factor(depth))
        return node

    def _factor(self, depth: int) -> Filter:
        if self._keyword("not"):
            return Negation(self._group(depth))
        token = self._peek()
        if token is not None and token[0] == "open":
            return self._group(depth)
        return self._expression()

    def _group(self, depth: int) -> Filter:
        kind, text = self._take()
        if kind != "open":
            raise FilterError(f"Expected '(' but found {text!r}.")
        inner = self.filter(depth + 1)
        kind, text = self._take()
        if kind != "close":
            raise FilterError(f"Expected ')' but found {text!r}; check the parentheses.")
        return inner

    def _expression(self) -> Filter:
        kind, name = self._take()
        if kind != "word":
            raise FilterError(f"Expected an attribute name but found {name!r}.")
        attribute = self._attribute(name)
        kind, operator = self._take()
        operator = operator.lower()
        if kind != "word" or (operator != "pr" and operator not in _OPERATORS):
            raise FilterError(
                f"{operator!r} is not a filter operator; use eq, ne, co, sw, ew, gt, ge, lt, le "
                "or pr."
            )
        if operator == "pr":
            return Present(attribute)
        value = self._value()
        if attribute.kind == "absent":
            pass  # its own resource type checks the value; here nothing has it
        elif attribute.kind == "boolean":
            if operator not in ("eq", "ne") or not isinstance(value, bool):
                raise FilterError(
                    f"{attribute.path} is true or false; compare it with eq or ne and true or "
                    "false."
                )
        elif not isinstance(value, str) and not (value is None and operator in ("eq", "ne")):
            raise FilterError(
                f"{attribute.path} holds text; compare it with a quoted string."
            )
        return Comparison(attribute, operator, value)

    def _attribute(self, name: str) -> FilterAttribute:
        lowered = name.lower()
        for schema in self._schemas:
            if lowered.startswith(schema + ":"):
                lowered = lowered[len(schema) + 1:]
                break
        attribute = self._attributes.get(lowered)
        if attribute is None and lowered in self._others:
            return ABSENT
        if attribute is None:
            allowed = ", ".join(sorted({a.path for a in self._attributes.values()}))
            raise FilterError(
                f"{name!r} cannot be filtered on; use one of {allowed}."
            )
        return attribute

    def _value(self) -> str | bool | float | None:
        kind, text = self._take()
        if kind == "string":
            try:
                value = json.loads(text)
            except ValueError as exc:
                raise FilterError(f"The string {text[:40]!r} is not a valid JSON string.") from exc
            return str(value)
        if kind == "word":
            lowered = text.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            if lowered == "null":
                return None
            if _NUMBER.fullmatch(text):
                return float(text)
        raise FilterError(
            f"{text[:40]!r} is not a value; quote strings (\"...\") or use true, false or null."
        )


def matches(node: Filter, resolve: Callable[[str], list[Any]]) -> bool:
    """True if the resource ``resolve`` reads from matches ``node``.

    ``resolve(path)`` returns every value the resource has at ``path`` (several for a
    multi-valued attribute, none when it is absent).
    """
    if isinstance(node, Logical):
        if node.operator == "and":
            return matches(node.left, resolve) and matches(node.right, resolve)
        return matches(node.left, resolve) or matches(node.right, resolve)
    if isinstance(node, Negation):
        return not matches(node.operand, resolve)
    if node.attribute.kind == "absent":
        values: list[Any] = []
    else:
        values = [v for v in resolve(node.attribute.path) if v is not None and v != ""]
    if isinstance(node, Present):
        return bool(values)
    if node.value is None:
        # "eq null" asks for an absent attribute; "ne null" for a present one.
        return not values if node.operator == "eq" else bool(values)
    if node.operator == "ne":
        return not any(_compare(node, "eq", v) for v in values)
    return any(_compare(node, node.operator, v) for v in values)


def _compare(node: Comparison, operator: str, actual: Any) -> bool:
    expected = node.value
    if isinstance(expected, bool) or isinstance(actual, bool):
        return operator == "eq" and actual is expected
    if not isinstance(actual, str) or not isinstance(expected, str):
        return False
    if not node.attribute.case_exact:
        actual, expected = actual.casefold(), expected.casefold()
    if operator == "eq":
        return actual == expected
    if operator == "co":
        return expected in actual
    if operator == "sw":
        return actual.startswith(expected)
    if operator == "ew":
        return actual.endswith(expected)
    if operator == "gt":
        return actual > expected
    if operator == "ge":
        return actual >= expected
    if operator == "lt":
        return actual < expected
    return actual <= expected  # "le"
