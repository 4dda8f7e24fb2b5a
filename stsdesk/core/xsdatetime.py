"""xs:dateTime read and written by the XML Schema rules, for every protocol stsdesk speaks.

SAML, WS-Security (wsu:Created/Expires) and WS-Trust (wst:Lifetime) all carry their times as
xs:dateTime and all require UTC, so a value without a time zone is refused unless the caller
says how to read it (``assume_utc``: the token inspector shows such a token and notes it).

The lexical rules (XML Schema 1.1 Part 2, 3.3.7, which settles 1.0's errata):

- ``-?YYYY-MM-DDThh:mm:ss(.s+)?(Z|(+|-)hh:mm)?`` with ASCII digits only; surrounding white space
  is collapsed away, inner white space is an error;
- the year has four digits, or more without a leading zero; only years 1 to 9999 can be held,
  anything else (0000, negative years, five digits) is refused rather than guessed at;
- the day exists in its month (29 February only in a leap year);
- hour 00 to 23, or ``24:00:00`` (with zero fractions), which is 00:00:00 of the next day;
- minutes and seconds 00 to 59 (no leap seconds);
- any number of fractional digits; beyond microseconds they are cut off, not rounded, so a
  time never moves past the instant written;
- time zone offsets from -14:00 to +14:00 inclusive, minutes 00 to 59.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["parse_xs_datetime", "format_xs_datetime", "MAX_OFFSET"]

# XML Schema bounds a time zone offset to 14 hours either side of UTC.
MAX_OFFSET = timedelta(hours=14)

_LEXICAL = re.compile(
    r"(?P<sign>-)?(?P<year>[0-9]{4,})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?"
)
# The form nearly every peer writes (UTC, at most microseconds, an hour 00 to 23): for it the
# rules above and datetime.fromisoformat agree, and fromisoformat reads it in C.
_COMMON = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?Z"
)
_COLLAPSED = " \t\r\n"  # XML white space, the only kind the whiteSpace=collapse facet removes


def parse_xs_datetime(text: str, *, assume_utc: bool = False) -> datetime:
    """``text`` as an aware datetime in UTC; :class:`ValueError` saying why when it is not one.

    The ValueError's message is a reason without the value ("it has no time zone"), so a
    caller can say "The wsu:Created '...' is not an xs:dateTime this STS accepts: <reason>".

    A value without a time zone is refused, unless ``assume_utc`` reads it as UTC (only for
    showing tokens: every protocol here requires the zone). Callers turn the ValueError into
    their own error, naming the element it came from.
    """
    value = text.strip(_COLLAPSED)
    if _COMMON.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # year 0000 or a day the month lacks: the rules below say which
    match = _LEXICAL.fullmatch(value)
    if match is None:
        raise ValueError("it is not written like 2024-05-01T12:00:00Z")
    year_text = match["year"]
    if match["sign"] or year_text == "0000" or (len(year_text) > 4 and year_text[0] == "0"):
        raise ValueError("its year is not one from 0001 to 9999")
    if len(year_text) > 4:
        raise ValueError("its year is beyond 9999")
    zone = _zone(match["zone"], value, assume_utc)
    hour, minute, second = int(match["hour"]), int(match["minute"]), int(match["second"])
    fraction = match["fraction"] or ""
    next_day = hour == 24
    if next_day:
        # 24:00:00 is the first instant of the next day; nothing may follow it.
        if minute or second or fraction.strip("0"):
            raise ValueError("hour 24 is allowed only as 24:00:00")
        hour = 0
    if minute > 59 or second > 59:
        raise ValueError("its minutes or seconds are beyond 59")
    microsecond = int(fraction[:6].ljust(6, "0"))
    try:
        moment = datetime(
            int(year_text), int(match["month"]), int(match["day"]), hour, minute, second,
            microsecond, tzinfo=zone,
        )
    except ValueError as exc:  # month 13, 30 February, hour 25
        raise ValueError("that day or hour does not exist") from exc
    try:
        if next_day:
            moment += timedelta(days=1)
        return moment.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T24:00:00, or an offset across year 1 or 9999
        raise ValueError("in UTC it falls outside the years 0001 to 9999") from exc


def _zone(text: str | None, value: str, assume_utc: bool) -> timezone:
    if text is None:
        if assume_utc:
            return UTC
        raise ValueError("it has no time zone; UTC is written with a Z")
    if text == "Z":
        return UTC
    hours, minutes = int(text[1:3]), int(text[4:6])
    offset = timedelta(hours=hours, minutes=minutes)
    if minutes > 59 or offset > MAX_OFFSET:
        raise ValueError(f"its time zone offset {text} is not within -14:00 to +14:00")
    return timezone(-offset if text[0] == "-" else offset)


def format_xs_datetime(value: datetime) -> str:
    """``value`` in UTC with millisecond precision and a ``Z``, as WSS4J and WSO2 write it.

    A naive ``value`` is taken to be UTC already.
    """
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
    return _formatted_utc(value)


# An issued token writes the same two instants six times (the assertion's IssueInstant,
# NotBefore, NotOnOrAfter and AuthnInstant, the response's Created and Expires): each is
# formatted once. The cache is keyed by the UTC value only: two datetimes of one zone compare by
# their local fields, ignoring fold, so 01:30 before and after a clock goes back (two instants an
# hour apart) would be one key; in UTC equal keys are the same instant, so the same text.
@functools.lru_cache(maxsize=64)
def _formatted_utc(value: datetime) -> str:
    # isoformat writes the year with four digits (strftime's %Y drops the leading zeros of
    # years before 1000) and cuts the microseconds to milliseconds without rounding; in UTC it
    # ends in +00:00, which xs:dateTime writes as Z.
    return value.isoformat(timespec="milliseconds")[:-6] + "Z"
