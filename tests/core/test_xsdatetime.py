"""xs:dateTime at the edges of the XML Schema rules: offsets, leap days, fractions, years, 24:00."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

from stsdesk.core.xsdatetime import format_xs_datetime, parse_xs_datetime

NOON = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00Z", NOON),
        ("2024-05-01T12:00:00+00:00", NOON),
        ("2024-05-01T12:00:00-00:00", NOON),
        ("2024-05-02T02:00:00+14:00", NOON),  # the easternmost offset XML Schema allows
        ("2024-04-30T22:00:00-14:00", NOON),  # and the westernmost
        ("2024-05-01T17:29:00+05:29", NOON),
        ("  2024-05-01T12:00:00Z\n", NOON),  # whiteSpace="collapse" strips the ends
    ],
)
def test_offsets_within_fourteen_hours_are_read_as_the_same_instant(text, expected):
    assert parse_xs_datetime(text) == expected
    assert parse_xs_datetime(text).tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-05-01T12:00:00+14:01", "offset +14:01 is not within"),
        ("2024-05-01T12:00:00+15:00", "offset +15:00 is not within"),
        ("2024-05-01T12:00:00-14:30", "offset -14:30 is not within"),
        ("2024-05-01T12:00:00+05:60", "offset +05:60 is not within"),
        ("2024-05-01T12:00:00+0500", "not written like"),
        ("2024-05-01T12:00:00", "no time zone"),
    ],
)
def test_zones_outside_the_schema_or_missing_are_refused(text, reason):
    with pytest.raises(ValueError, match=re.escape(reason)):
        parse_xs_datetime(text)


def test_a_missing_zone_is_read_as_utc_only_when_asked():
    assert parse_xs_datetime("2024-05-01T12:00:00", assume_utc=True) == NOON
    # Asking does not loosen anything else.
    with pytest.raises(ValueError, match="not within"):
        parse_xs_datetime("2024-05-01T12:00:00+15:00", assume_utc=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-02-29T00:00:00Z", datetime(2024, 2, 29, tzinfo=UTC)),
        ("2000-02-29T00:00:00Z", datetime(2000, 2, 29, tzinfo=UTC)),  # divisible by 400
    ],
)
def test_leap_days_of_leap_years(text, expected):
    assert parse_xs_datetime(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",  # divisible by 100, not by 400: no leap day
        "2024-04-31T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z",
        "2024-05-00T00:00:00Z",
    ],
)
def test_days_that_do_not_exist_are_refused(text):
    with pytest.raises(ValueError, match="does not exist"):
        parse_xs_datetime(text)


@pytest.mark.parametrize(
    ("fraction", "microseconds"),
    [
        ("1", 100000),
        ("123", 123000),
        ("123456", 123456),
        ("1234569", 123456),  # cut, not rounded: never later than written
        ("999999999", 999999),
        ("000000000000000000001", 0),
    ],
)
def test_fractional_seconds_of_any_length(fraction, microseconds):
    parsed = parse_xs_datetime(f"2024-05-01T12:00:00.{fraction}Z")
    assert parsed == NOON + timedelta(microseconds=microseconds)


@pytest.mark.parametrize("text", ["2024-05-01T12:00:00.Z", "2024-05-01T12:00:00,5Z"])
def test_a_fraction_needs_digits_after_a_dot(text):
    with pytest.raises(ValueError, match="not written like"):
        parse_xs_datetime(text)


def test_twenty_four_hundred_is_the_next_midnight():
    assert parse_xs_datetime("2024-02-28T24:00:00Z") == datetime(2024, 2, 29, tzinfo=UTC)
    assert parse_xs_datetime("2024-12-31T24:00:00.000Z") == datetime(2025, 1, 1, tzinfo=UTC)
    for text in ("2024-05-01T24:00:01Z", "2024-05-01T24:01:00Z", "2024-05-01T24:00:00.5Z"):
        with pytest.raises(ValueError, match="only as 24:00:00"):
            parse_xs_datetime(text)
    with pytest.raises(ValueError, match="does not exist"):
        parse_xs_datetime("2024-05-01T25:00:00Z")


@pytest.mark.parametrize("text", ["2024-05-01T12:60:00Z", "2024-05-01T12:00:60Z"])
def test_no_sixtieth_minute_or_leap_second(text):
    with pytest.raises(ValueError, match="beyond 59"):
        parse_xs_datetime(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0000-01-01T00:00:00Z", "not one from 0001 to 9999"),
        ("-0001-01-01T00:00:00Z", "not one from 0001 to 9999"),
        ("02024-05-01T12:00:00Z", "not one from 0001 to 9999"),  # no leading zero past four
        ("10000-01-01T00:00:00Z", "beyond 9999"),
        ("999-01-01T00:00:00Z", "not written like"),  # at least four digits
        ("9999-12-31T24:00:00Z", "outside the years"),
        ("9999-12-31T23:00:00-14:00", "outside the years"),
        ("0001-01-01T00:00:00+14:00", "outside the years"),
    ],
)
def test_years_outside_what_can_be_held_are_refused(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_xs_datetime(text)


def test_the_first_and_last_years_are_read():
    assert parse_xs_datetime("0001-01-01T00:00:00Z") == datetime(1, 1, 1, tzinfo=UTC)
    assert parse_xs_datetime("9999-12-31T23:59:59.999999Z") == datetime(
        9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T12:00:00Z ",  # fine: trailing white space
        "2024-05-01 T12:00:00Z",
        "2024-05-01T12:00:00 Z",
        "2024-05-01T12:00:00Zjunk",
        "2024-٠٥-01T12:00:00Z",  # Arabic-Indic digits are digits to Python, not to XML Schema
        "2024-5-1T12:00:00Z",
        "tomorrow",
        "",
    ],
)
def test_only_the_schema_lexical_form_is_read(text):
    if text == "2024-05-01T12:00:00Z ":
        assert parse_xs_datetime(text) == NOON
        return
    with pytest.raises(ValueError, match="not written like"):
        parse_xs_datetime(text)


def test_format_writes_utc_milliseconds_and_round_trips():
    value = datetime(2024, 5, 1, 17, 0, 0, 123999, tzinfo=timezone(timedelta(hours=5)))
    assert format_xs_datetime(value) == "2024-05-01T12:00:00.123Z"
    assert parse_xs_datetime(format_xs_datetime(value)) == NOON + timedelta(microseconds=123000)
    assert format_xs_datetime(NOON.replace(tzinfo=None)) == "2024-05-01T12:00:00.000Z"
    assert format_xs_datetime(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000Z"


def test_format_writes_the_utc_fields_of_any_instant_however_it_is_held():
    # Formatted texts are cached by instant: the same instant held in another zone, or naive
    # (taken as UTC), must come out as the same text, and different instants never as one.
    rng = random.Random(15)
    for _ in range(3000):
        moment = datetime(1, 1, 2, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(0, 315_537_700_000), microseconds=rng.randrange(0, 10**6))
        zone = timezone(timedelta(minutes=rng.randrange(-14 * 60, 14 * 60 + 1)))
        expected = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
                    f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond // 1000:03d}Z")
        for held in (moment, moment.astimezone(zone), moment.replace(tzinfo=None)):
            assert format_xs_datetime(held) == expected, held


class _ClocksGoBack(tzinfo):
    """A zone at UTC-4 whose clocks go back at 02:00 on 3 November 2024 to UTC-5: the hour from
    01:00 happens twice, first with fold 0, then with fold 1 (as zoneinfo zones do)."""

    _CHANGE = datetime(2024, 11, 3, 2)

    def utcoffset(self, value: datetime | None) -> timedelta:
        assert value is not None
        local = value.replace(tzinfo=None, fold=0)
        second_time = local >= self._CHANGE - timedelta(hours=1) and value.fold == 1
        return timedelta(hours=-5 if local >= self._CHANGE or second_time else -4)

    def dst(self, value: datetime | None) -> timedelta | None:
        return None

    def tzname(self, value: datetime | None) -> str:
        return "clocks-go-back"


def test_the_two_instants_of_a_repeated_local_hour_are_written_apart():
    # Datetimes of one zone compare (and hash) by their local fields, fold ignored: 01:30 before
    # and after the clocks go back are equal keys, though an hour apart. Both orders, so that
    # neither comes out as the other from a cache.
    zone = _ClocksGoBack()
    first = datetime(2024, 11, 3, 1, 30, 0, 250_000, tzinfo=zone)
    second = first.replace(fold=1)
    assert first == second and first.astimezone(UTC) != second.astimezone(UTC)
    assert format_xs_datetime(first) == "2024-11-03T05:30:00.250Z"
    assert format_xs_datetime(second) == "2024-11-03T06:30:00.250Z"
    later = first.replace(minute=45)
    assert format_xs_datetime(later.replace(fold=1)) == "2024-11-03T06:45:00.250Z"
    assert format_xs_datetime(later) == "2024-11-03T05:45:00.250Z"


def test_the_common_utc_form_reads_as_the_same_instant_written_with_an_offset():
    # "Z" forms take a shortcut through datetime.fromisoformat; "+00:00" forms never do.
    rng = random.Random(14)
    for _ in range(2000):
        moment = datetime(1, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(0, 315_537_897_599), microseconds=rng.randrange(0, 10**6))
        digits = rng.randrange(0, 8)
        fraction = f".{moment.microsecond:06d}{rng.randrange(10)}"[:digits + 1] if digits else ""
        written = f"{moment:%Y-%m-%dT%H:%M:%S}"
        written = f"{moment.year:04d}{written[written.index('-'):]}{fraction}"
        fast, full = parse_xs_datetime(written + "Z"), parse_xs_datetime(written + "+00:00")
        assert fast == full and fast.tzinfo is UTC, written


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0000-05-01T12:00:00Z", "its year is not one from 0001 to 9999"),
        ("2023-02-29T12:00:00Z", "that day or hour does not exist"),
        ("2024-13-01T12:00:00Z", "that day or hour does not exist"),
        ("２０２４-05-01T12:00:00Z", "it is not written like"),
    ],
)
def test_the_common_form_refused_says_why_as_the_full_rules_do(text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_xs_datetime(text)
