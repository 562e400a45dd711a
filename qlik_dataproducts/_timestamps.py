"""Parse and format RFC 3339 timestamps the same way on Python 3.10 and later.

``datetime.fromisoformat`` on Python 3.10 rejects the ``Z`` suffix and more than six
fractional digits, although RFC 3339 allows both.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["format_timestamp", "parse_timestamp"]

_TIMESTAMP = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"[Tt ](?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})"
    r"(?:[.,](?P<fraction>\d{1,9}))?"
    r"(?P<offset>[Zz]|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp into an aware datetime.

    Accepts ``Z``, ``z``, ``+HH:MM`` and ``+HHMM`` offsets and 0 to 9 fractional digits, which
    are truncated to microseconds. A timestamp without an offset is read as UTC, because every
    timestamp in the API reference's examples is UTC with a ``Z`` suffix.

    Raises:
        ValueError: the text is not such a timestamp or names an impossible date or time.
    """
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        raise ValueError(
            f"invalid timestamp {text!r}: expected RFC 3339 such as '2018-03-20T09:12:28Z'"
        )

    fraction = match["fraction"] or ""
    microsecond = int(fraction[:6].ljust(6, "0"))
    try:
        tz = _parse_offset(match["offset"])
        return datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"]),
            microsecond,
            tzinfo=tz,
        )
    except ValueError as exc:
        raise ValueError(f"invalid timestamp {text!r}: {exc}") from None


def _parse_offset(offset: str | None) -> timezone:
    if offset is None or offset in ("Z", "z"):
        return timezone.utc
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise ValueError(f"UTC offset {offset} out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


def format_timestamp(value: datetime) -> str:
    """Format an aware datetime as an RFC 3339 UTC timestamp with a ``Z`` suffix.

    Microseconds are written without trailing zeros and left out when zero, so
    ``2018-03-20T09:12:28Z`` and ``2018-03-20T09:12:28.5Z`` format back to the same text.

    Raises:
        ValueError: the datetime is naive, or is out of range once converted to UTC.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"cannot format naive datetime {value.isoformat()}; attach a timezone, "
            "for example tzinfo=timezone.utc"
        )
    try:
        utc = value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"datetime {value.isoformat()} is out of range in UTC") from None

    text = (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}"
    )
    if utc.microsecond:
        text += "." + f"{utc.microsecond:06d}".rstrip("0")
    return text + "Z"
