"""Tests for RFC 3339 timestamp parsing and formatting."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qlik_dataproducts._timestamps import format_timestamp, parse_timestamp

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-03-20T09:12:28Z", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20T09:12:28z", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20t09:12:28Z", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20 09:12:28Z", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20T09:12:28.5Z", datetime(2018, 3, 20, 9, 12, 28, 500000, tzinfo=UTC)),
        ("2018-03-20T09:12:28.123Z", datetime(2018, 3, 20, 9, 12, 28, 123000, tzinfo=UTC)),
        ("2018-03-20T09:12:28.123456Z", datetime(2018, 3, 20, 9, 12, 28, 123456, tzinfo=UTC)),
        ("2018-03-20T09:12:28.1234567Z", datetime(2018, 3, 20, 9, 12, 28, 123456, tzinfo=UTC)),
        ("2018-03-20T09:12:28.123456789Z", datetime(2018, 3, 20, 9, 12, 28, 123456, tzinfo=UTC)),
        ("2018-03-20T09:12:28,25Z", datetime(2018, 3, 20, 9, 12, 28, 250000, tzinfo=UTC)),
        ("2018-03-20T09:12:28+00:00", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20T09:12:28-00:00", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20T14:42:28+05:30", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20T14:42:28+0530", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20T07:42:28-0130", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
        ("2018-03-20T09:12:28", datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC)),
    ],
)
def test_parse_valid(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is not None


def test_parse_keeps_offset() -> None:
    parsed = parse_timestamp("2018-03-20T14:42:28+05:30")
    assert parsed.utcoffset() == timedelta(hours=5, minutes=30)


def test_parse_missing_offset_is_utc() -> None:
    assert parse_timestamp("2018-03-20T09:12:28").utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2018-03-20",
        "2018-03-20T09:12Z",
        "2018-03-20T09:12:28.Z",
        "2018-03-20T09:12:28.1234567890Z",
        "2018-03-20T09:12:28+5:30",
        "2018-03-20T09:12:28+05:3",
        "2018-03-20T09:12:28+24:00",
        "2018-03-20T09:12:28+05:60",
        "2018-02-30T09:12:28Z",
        "2018-03-20T24:00:00Z",
        "2018-03-20T09:12:60Z",
        "20180320T091228Z",
        " 2018-03-20T09:12:28Z",
        "2018-03-20T09:12:28Z ",
        "2018-03-20T09:12:28ZZ",
        "\uff12\uff10\uff11\uff18-03-20T09:12:28Z",
    ],
)
def test_parse_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="invalid timestamp"):
        parse_timestamp(text)


def test_parse_error_shows_example() -> None:
    with pytest.raises(ValueError, match="2018-03-20T09:12:28Z"):
        parse_timestamp("yesterday")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2018, 3, 20, 9, 12, 28, tzinfo=UTC), "2018-03-20T09:12:28Z"),
        (datetime(2018, 3, 20, 9, 12, 28, 500000, tzinfo=UTC), "2018-03-20T09:12:28.5Z"),
        (datetime(2018, 3, 20, 9, 12, 28, 123456, tzinfo=UTC), "2018-03-20T09:12:28.123456Z"),
        (datetime(2018, 3, 20, 9, 12, 28, 1, tzinfo=UTC), "2018-03-20T09:12:28.000001Z"),
        (
            datetime(2018, 3, 20, 14, 42, 28, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            "2018-03-20T09:12:28Z",
        ),
        (datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), "0999-01-02T03:04:05Z"),
    ],
)
def test_format_valid(value: datetime, expected: str) -> None:
    assert format_timestamp(value) == expected


def test_format_naive_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_timestamp(datetime(2018, 3, 20, 9, 12, 28))


def test_format_overflow_rejected() -> None:
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(ValueError, match="out of range"):
        format_timestamp(early)


_aware = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.builds(
        timezone,
        st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
            lambda minutes: timedelta(minutes=minutes)
        ),
    ),
)


@given(_aware)
def test_format_parse_round_trip(value: datetime) -> None:
    assert parse_timestamp(format_timestamp(value)) == value


@given(_aware)
def test_format_is_stable(value: datetime) -> None:
    text = format_timestamp(value)
    assert format_timestamp(parse_timestamp(text)) == text


@given(
    _aware,
    st.integers(min_value=0, max_value=9),
    st.sampled_from(["Z", "z", "+HH:MM", "+HHMM"]),
)
def test_parse_generated_text(value: datetime, digits: int, style: str) -> None:
    offset = value.utcoffset()
    assert offset is not None
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    if style in ("Z", "z"):
        value = value.astimezone(UTC)
        suffix = style
    elif style == "+HH:MM":
        suffix = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    else:
        suffix = f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    fraction = f"{value.microsecond:06d}000"[:digits]
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.year < 1000:
        text = f"{value.year:04d}" + text[text.index("-") :]
    if digits:
        text += "." + fraction
    parsed = parse_timestamp(text + suffix)
    expected_micro = int(fraction[:6].ljust(6, "0"))
    assert parsed == value.replace(microsecond=expected_micro)
